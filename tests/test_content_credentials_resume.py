"""``--no-credentials`` holds through a crash: a ``generate --no-credentials`` SIGKILLed while
its job renders on the server is finished by ``stillmotion jobs resume`` (which has no such
flag) without signing anything, because the choice is on the job's ledger record.

The generate is a real subprocess talking HTTP to a real local /v1/videos server (in this
process, with a render delay so the kill lands while the job is in progress); an independent
``c2pa.Reader`` (not our code) confirms the resumed conform carries no manifest.
"""

from __future__ import annotations

from pathlib import Path

import c2pa
import pytest

from stillmotion.jobs.ledger import LedgerState
from stillmotion.server import RunningServer
from support.crash_run import kill, row_for, start, wait_for
from support.generate_env import case_23976, clean_env, cli, isolate, small_clip, write_case
from support.server import MakeServer

S = LedgerState
KEY = "sk-test-dummy"
PROMPT = "Slow dolly in, killed while waiting, no credentials"


@pytest.fixture
def server(make_server: MakeServer) -> RunningServer:
    return make_server(render_delay=3.0, poll_after_ms=200)


def test_resume_after_a_crash_keeps_no_credentials(
    server: RunningServer, media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = isolate(monkeypatch, tmp_path)
    ledger = tmp_path / "ledger.sqlite3"
    case = case_23976(small_clip(media_dir, "r23_hour"))
    timeline = write_case(case, tmp_path / "project")
    env = clean_env(tmp_path, STILLMOTION_API_KEY=KEY, STILLMOTION_PRICES='{"openai/preview": 0}')
    log = tmp_path / "generate.log"
    proc = start([
        "generate", str(timeline), "--at", case.at, "--prompt", PROMPT, "--provider", "openai",
        "--base-url", server.base_url, "--model", "preview", "--size", "320x180",
        "--seconds", "4", "--preset", "h264-web", "--ledger", str(ledger),
        "--no-credentials", "--json",
    ], env, log)
    try:
        def waiting() -> bool:
            row = row_for(ledger, PROMPT)
            return row is not None and row.state in (S.SUBMITTED, S.RUNNING)

        wait_for("the job to be waited on", waiting, proc, log)
    finally:
        kill(proc)
    killed = row_for(ledger, PROMPT)
    assert killed is not None and killed.files.conformed is None
    assert killed.context.no_credentials is True

    # Resume as the user would: only the key in the environment, signing on by default.
    monkeypatch.setenv("STILLMOTION_API_KEY", KEY)
    code, out, err = cli(capsys, "jobs", "resume", "--ledger", ledger)
    assert code == 0, out + err

    row = row_for(ledger, PROMPT)
    assert row is not None and row.state is S.PLACED
    assert server.stats()["creates"].get(PROMPT) == 1
    assert row.files.conformed is not None and row.files.conformed.is_file()
    for written in (row.files.conformed, row.files.image):
        with pytest.raises(c2pa.C2paError):
            c2pa.Reader(str(written))
    # No identity was even made: nothing along the way meant to sign.
    assert not (data / "credentials").exists()
    assert not (tmp_path / "user-data" / "credentials").exists()
