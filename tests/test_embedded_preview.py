"""The embedded preview server is started by the entry points, never by the jobs layer.

Why: the jobs layer sits beside the server, not above it (import-linter's layers contract), so
``open_provider("preview")`` runs on whatever server the entry point handed in with
``embedded_server``; without one it refuses in one sentence instead of importing a web stack.
The crash test runs the real ``stillmotion generate`` in a subprocess on the embedded server,
kills it while the job renders, and lets ``stillmotion jobs resume`` restart the server on the
same ``<data dir>/preview-server`` folder and finish the job under the same id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stillmotion.errors import ConfigError
from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState
from stillmotion.jobs.providers import embedded_server, open_provider
from stillmotion.server import embedded_base_url
from stillmotion.settings import Settings
from support.generate_env import (
    case_23976,
    clean_env,
    cli,
    code_of,
    generated,
    isolate,
    small_clip,
    write_case,
)

S = LedgerState
DEADLINE = 90.0
# The generate subprocess: the stillmotion command with its embedded server's renders held
# in progress for a minute (a test-only widening of the crash window from outside the product;
# the data folder is still the one the jobs layer asks for).
HELD_RENDER = """
import contextlib, sys
import stillmotion.cli as cli
from stillmotion.server import serve_in_background

@contextlib.contextmanager
def held(data_dir):
    with serve_in_background(data_dir=data_dir, render_delay=60.0, poll_after_ms=100) as server:
        yield server.base_url

cli.embedded_base_url = held
sys.exit(cli.run(sys.argv[1:]))
"""


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


def test_the_jobs_layer_alone_starts_no_server(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(ConfigError, match="--base-url"), open_provider("preview", settings):
        pass
    assert not (tmp_path / "data").exists()


def test_the_handed_in_server_runs_on_the_persistent_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    asked: list[Path] = []

    @contextlib.contextmanager
    def recording(data_dir: Path) -> Iterator[str]:
        asked.append(data_dir)
        with embedded_base_url(data_dir) as base_url:
            yield base_url

    with embedded_server(recording), open_provider("preview", settings) as provider:
        assert provider.name == "preview"
    assert asked == [tmp_path / "data" / "preview-server"]
    assert (tmp_path / "data" / "preview-server" / "jobs.sqlite3").is_file()
    # Outside the block the entry point's server is gone again.
    with pytest.raises(ConfigError), open_provider("preview", settings):
        pass


def _row(ledger: Path) -> JobRow | None:
    if not ledger.exists():
        return None
    with Ledger(ledger) as book:
        rows = book.jobs()
    return rows[0] if rows else None


def test_a_killed_preview_job_resumes_on_the_same_server_folder(
    media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "ledger.sqlite3"
    case = case_23976(small_clip(media_dir, "r23_hour"))
    timeline = write_case(case, tmp_path / "cut")
    log = tmp_path / "generate.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-c", HELD_RENDER, "generate", str(timeline), "--at", case.at,
             "--prompt", "Slow dolly in over 1 s", "--provider", "preview", "--size", "320x180",
             "--seconds", "1", "--preset", "h264-web", "--ledger", str(ledger)],
            env=clean_env(tmp_path), stdout=sink, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + DEADLINE
        while (row := _row(ledger)) is None or row.state not in (S.SUBMITTED, S.RUNNING):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "timed out waiting for the job to be sent"
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    killed = row
    assert killed.base_url == "embedded" and killed.remote_id

    code, out, err = cli(capsys, "jobs", "resume", killed.id, "--ledger", ledger)
    assert code == 0, out + err

    done = _row(ledger)
    assert done is not None and done.state is S.PLACED
    assert (done.id, done.remote_id) == (killed.id, killed.remote_id)
    server_dir = tmp_path / "user-data" / "preview-server"
    assert [p.name for p in (server_dir / "videos").iterdir()] == [killed.remote_id]
    assert done.files.image is not None and done.files.timeline is not None
    assert code_of(done.files.image) == case.source_frame
    (placed,) = generated(done.files.timeline)
    assert placed.record_start_frame == case.record_frame
