"""A ``stillmotion generate`` process SIGKILLed while waiting and while downloading is finished
by ``stillmotion jobs resume`` without a second create.

The generate runs are real subprocesses talking HTTP to a real local /v1/videos server (in this
process, so the test can widen the crash windows: a render delay keeps the job in progress, a
slow-response fault holds the download request). The kill happens when the ledger (and, for the
download, the server's own request counter) shows the run is in that stage.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState
from stillmotion.server import RunningServer
from support.generate_env import (
    case_25,
    case_23976,
    clean_env,
    cli,
    code_of,
    generated,
    isolate,
    small_clip,
    write_case,
)
from support.server import MakeServer

S = LedgerState
CONTENT_ROUTE = "GET /v1/videos/{video_id}/content"
DEADLINE = 90.0
KEY = "sk-test-dummy"
PRICES = '{"openai/preview": 0}'


@pytest.fixture
def server(make_server: MakeServer) -> RunningServer:
    return make_server(render_delay=3.0, poll_after_ms=200)


def _command() -> list[str]:
    script = Path(sys.executable).with_name("stillmotion")
    return [str(script)] if script.exists() else [
        sys.executable, "-c", "from stillmotion.cli import main; main()"]


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen([*_command(), *args], env=env, stdout=sink,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes],
              log: Path) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if proc.poll() is not None:
            pytest.fail(f"generate ended (exit {proc.returncode}) before {what}:\n"
                        f"{log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def _row(ledger: Path, prompt: str) -> JobRow | None:
    if not ledger.exists():
        return None
    with Ledger(ledger) as book:
        rows = [r for r in book.jobs() if r.prompt == prompt]
    return rows[0] if rows else None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_kill_while_waiting_and_while_downloading_then_resume(
    server: RunningServer, media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    ledger = tmp_path / "ledger.sqlite3"
    env = clean_env(tmp_path, STILLMOTION_API_KEY=KEY, STILLMOTION_PRICES=PRICES)
    cases = {
        "wait": case_23976(small_clip(media_dir, "r23_hour")),
        "download": case_25(small_clip(media_dir, "r25_ten")),
    }
    prompts = {stage: f"Slow dolly in, killed while {stage}ing" for stage in cases}
    timelines = {stage: write_case(case, tmp_path / stage) for stage, case in cases.items()}

    def generate(stage: str) -> subprocess.Popen[bytes]:
        case = cases[stage]
        return _start([
            "generate", str(timelines[stage]), "--at", case.at, "--prompt", prompts[stage],
            "--provider", "openai", "--base-url", server.base_url, "--model", "preview",
            "--size", "320x180", "--seconds", "4", "--preset", "h264-web",
            "--ledger", str(ledger), "--json",
        ], env, tmp_path / f"{stage}.log")

    procs: list[subprocess.Popen[bytes]] = []
    try:
        # (a) Killed while waiting: the job is in progress on the server (render delay).
        procs.append(generate("wait"))

        def waiting() -> bool:
            row = _row(ledger, prompts["wait"])
            return row is not None and row.state in (S.SUBMITTED, S.RUNNING)

        _wait_for("the job to be waited on", waiting, procs[-1], tmp_path / "wait.log")
        _kill(procs[-1])

        # (b) Killed while downloading: once the job is sent, every answer is held 1.5 s, so
        # the content request sits on the server when the server counts it.
        procs.append(generate("download"))

        def sent() -> bool:
            row = _row(ledger, prompts["download"])
            return row is not None and row.state in (S.SUBMITTED, S.RUNNING)

        _wait_for("the job to be sent", sent, procs[-1], tmp_path / "download.log")
        server.set_faults(slow=1000, delay_ms=1500)
        _wait_for("the download request",
                  lambda: server.stats()["requests"].get(CONTENT_ROUTE, 0) >= 1, procs[-1],
                  tmp_path / "download.log")
        _kill(procs[-1])
        server.set_faults()
    finally:
        for proc in procs:
            _kill(proc)

    killed = {stage: _row(ledger, prompt) for stage, prompt in prompts.items()}
    assert killed["wait"] is not None and killed["wait"].state in (S.SUBMITTED, S.RUNNING)
    assert killed["download"] is not None and killed["download"].state is S.COMPLETED
    assert killed["download"].files.download is None
    assert not any((tmp_path / stage / "cut.stillmotion.otio").exists() for stage in cases)

    # A kill mid-body (or mid-conform) leaves a hidden partial file no clean-up ran for; plant
    # the ones such kills leave (the kills above land before any byte) so resume must sweep them.
    stale = {
        "download": tmp_path / "download" / "stillmotion_media" /
        f".{killed['download'].id}_take1_original.partial-0badf00d.mp4",
        "wait": tmp_path / "wait" / "stillmotion_media" /
        f".{killed['wait'].id}_take1.partial-0badf00d.mp4",
    }
    for path in stale.values():
        path.write_bytes(b"\x00" * 1000)

    # Resume as the user would after a crash: only the key in the environment.
    monkeypatch.setenv("STILLMOTION_API_KEY", KEY)
    code, out, err = cli(capsys, "jobs", "resume", "--ledger", ledger)
    assert code == 0, out + err

    creates = server.stats()["creates"]
    for stage, case in cases.items():
        row = _row(ledger, prompts[stage])
        assert row is not None and row.state is S.PLACED, (stage, row)
        assert creates.get(prompts[stage]) == 1, creates
        assert row.files.image is not None
        assert code_of(row.files.image) == case.source_frame
        written = row.files.timeline
        assert written == tmp_path / stage / "cut.stillmotion.otio"
        (placed,) = generated(written)
        assert placed.track_name == "AI Generated"
        assert placed.record_start_frame == case.record_frame
        assert placed.metadata is not None and placed.metadata.job_id == row.id
    assert server.stats()["total_creates"] == 2
    # Nothing half-written is left beside the clips.
    assert not any(path.exists() for path in stale.values())
    for stage in cases:
        media = tmp_path / stage / "stillmotion_media"
        leftovers = [p.name for p in media.iterdir() if p.name.startswith(".") or
                     "tmp" in p.name or "part" in p.name]
        assert leftovers == []
    listed = json.loads(cli(capsys, "jobs", "list", "--ledger", ledger, "--json")[1])
    assert {r["state"] for r in listed} == {"placed"}
