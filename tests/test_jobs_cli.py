"""``stillmotion jobs list|show|forget|resume`` through the real command line, in-process."""

from __future__ import annotations

import json
import sys
import types
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from stillmotion.cli import run
from stillmotion.jobs.ledger import PIPELINE_ORDER, JobRow, Ledger, LedgerState
from stillmotion.jobs.records import JobFiles
from stillmotion.settings import Settings

S = LedgerState
LONG_PROMPT = "slow dolly in over 2 s, steam rising from the cup, warm evening light " * 3


@pytest.fixture(autouse=True)
def _no_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point the default data folder into tmp_path so nothing reaches the real user folder."""
    data = tmp_path / "user-data"
    monkeypatch.setenv("STILLMOTION_DATA_DIR", str(data))
    monkeypatch.delenv("STILLMOTION_LEDGER", raising=False)
    return data


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.sqlite3"


def _job(book: Ledger, key: str, state: LedgerState, prompt: str = "pan left") -> JobRow:
    row = book.claim(key * 16, provider="openai", model="sora-2", size="1280x720", seconds=8,
                     prompt=prompt, cost_estimate=Decimal("0.80"),
                     files=JobFiles(image=Path("/stills/a.png"))).row
    if state is S.PREPARED:
        return row
    row = book.mark_submitting(row.id)
    if state is S.SUBMITTING:
        return row
    row = book.record_submitted(row.id, f"video_{key}")
    if state is S.FAILED:
        return book.fail(row.id, "The service refused the prompt.")
    for step in (S.RUNNING, S.COMPLETED, S.DOWNLOADED, S.CONFORMED, S.PLACED):
        if row.state is state:
            break
        row = book.advance(row.id, step)
    return row


@pytest.fixture
def jobs(ledger_path: Path) -> dict[str, JobRow]:
    with Ledger(ledger_path) as book:
        return {
            "placed": _job(book, "a", S.PLACED, LONG_PROMPT),
            "running": _job(book, "b", S.RUNNING),
            "submitting": _job(book, "c", S.SUBMITTING),
            "failed": _job(book, "d", S.FAILED),
            "prepared": _job(book, "e", S.PREPARED),
        }


def test_list_json_is_parsable_and_complete(
    jobs: dict[str, JobRow], ledger_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["jobs", "list", "--ledger", str(ledger_path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {item["id"] for item in listed} == {row.id for row in jobs.values()}
    placed = next(item for item in listed if item["id"] == jobs["placed"].id)
    assert placed["prompt"] == LONG_PROMPT and placed["state"] == "placed"
    assert placed["cost_estimate"] == "0.80" and placed["files"] == {"image": "/stills/a.png"}


def test_list_filters_by_state_and_prints_one_line_per_job(
    jobs: dict[str, JobRow], ledger_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["jobs", "list", "--ledger", str(ledger_path), "--state", "running",
                "--state", "submitting", "--json"]) == 0
    assert {i["state"] for i in json.loads(capsys.readouterr().out)} == {"running", "submitting"}

    assert run(["jobs", "list", "--ledger", str(ledger_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    by_id = {line.split()[0]: line for line in lines}
    assert "submitting (needs a decision)" in by_id[jobs["submitting"].id]
    assert "failed (The service refused the prompt.)" in by_id[jobs["failed"].id]
    assert "openai/sora-2 1280x720 8 s  $0.80" in by_id[jobs["running"].id]


def test_list_of_a_missing_ledger_creates_nothing(
    tmp_path: Path, _no_user_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["jobs", "list"]) == 0
    assert "No jobs in" in capsys.readouterr().out
    assert run(["jobs", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not _no_user_data_dir.exists()


def test_show_json_and_text(
    jobs: dict[str, JobRow], ledger_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running = jobs["running"]
    assert run(["jobs", "show", running.id, "--ledger", str(ledger_path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == running.id and shown["remote_id"] == "video_b"
    assert shown["state"] == "running" and shown["request_hash"] == running.request_hash

    assert run(["jobs", "show", "video_b", "--ledger", str(ledger_path)]) == 0
    text = capsys.readouterr().out
    assert running.id in text and "remote_id       video_b" in text

    stuck = jobs["submitting"]
    assert run(["jobs", "show", stuck.id, "--ledger", str(ledger_path)]) == 0
    assert f"stillmotion jobs resume {stuck.id} --resubmit" in capsys.readouterr().out


def test_show_unknown_job_is_one_line_and_exit_1(
    jobs: dict[str, JobRow], ledger_path: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["jobs", "show", "sm_nothing", "--ledger", str(ledger_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stillmotion: There is no job sm_nothing") and err.count("\n") == 1
    missing = tmp_path / "missing.sqlite3"
    assert run(["jobs", "show", "sm_x", "--ledger", str(missing)]) == 1
    assert "does not exist yet" in capsys.readouterr().err
    assert not missing.exists()


def test_forget_refuses_billable_jobs_without_yes(
    jobs: dict[str, JobRow], ledger_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for state in ("running", "submitting"):
        row = jobs[state]
        assert run(["jobs", "forget", row.id, "--ledger", str(ledger_path)]) == 1
        assert "may still run and bill it; forget it anyway with --yes" in \
            capsys.readouterr().err
        assert run(["jobs", "forget", row.id, "--ledger", str(ledger_path), "--yes"]) == 0
        assert f"Forgot {row.id} ({state})" in capsys.readouterr().out
    assert run(["jobs", "forget", jobs["placed"].id, "--ledger", str(ledger_path)]) == 0
    with Ledger(ledger_path) as book:
        assert {r.id for r in book.jobs()} == {jobs["failed"].id, jobs["prepared"].id}


# -- resume: the pipeline is the lead's; a stand-in records what the command hands it ----------


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Install a stand-in ``stillmotion.jobs.pipeline`` that finishes rows through the ledger."""
    calls: list[dict[str, Any]] = []

    def resume_job(row: JobRow, settings: Settings, *, ledger: Ledger, resubmit: bool) -> JobRow:
        calls.append({"id": row.id, "state": row.state, "resubmit": resubmit,
                      "ledger": settings.ledger_path})
        if row.prompt == "explode":
            from stillmotion.errors import JobFailedError
            raise JobFailedError("The job failed on the service: moderation_blocked.")
        current = row
        if current.state in (S.PREPARED, S.SUBMITTING):
            current = ledger.mark_submitting(current.id, resubmit=resubmit)
            current = ledger.record_submitted(current.id, "video_new")
        for step in PIPELINE_ORDER[PIPELINE_ORDER.index(current.state) + 1:]:
            files = JobFiles(timeline=Path("cut.ai.otio")) if step is S.PLACED else None
            current = ledger.advance(current.id, step, files=files)
        return current

    module = types.ModuleType("stillmotion.jobs.pipeline")
    module.resume_job = resume_job  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "stillmotion.jobs.pipeline", module)
    return calls


def test_resume_all_finishes_resumable_rows_and_reports_the_undecided(
    jobs: dict[str, JobRow], ledger_path: Path, pipeline: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run(["jobs", "resume", "--ledger", str(ledger_path)])
    out, err = capsys.readouterr()
    assert code == 1  # one row still needs a decision
    assert [(c["id"], c["resubmit"]) for c in pipeline] == [
        (jobs["running"].id, False), (jobs["prepared"].id, False)]
    assert pipeline[0]["ledger"] == ledger_path
    assert f"{jobs['running'].id}: placed, timeline cut.ai.otio" in out
    assert f"Job {jobs['submitting'].id} was being submitted" in err
    with Ledger(ledger_path) as book:
        assert book.get(jobs["submitting"].id).state is S.SUBMITTING  # never resent silently
        assert book.get(jobs["running"].id).state is S.PLACED
        assert [r.id for r in book.interrupted()] == [jobs["submitting"].id]


def test_resume_one_submitting_job_needs_resubmit(
    jobs: dict[str, JobRow], ledger_path: Path, pipeline: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    stuck = jobs["submitting"].id
    assert run(["jobs", "resume", stuck, "--ledger", str(ledger_path)]) == 1
    assert "--resubmit" in capsys.readouterr().err and pipeline == []
    assert run(["jobs", "resume", "--resubmit", "--ledger", str(ledger_path)]) == 3
    assert "--resubmit needs a job id" in capsys.readouterr().err and pipeline == []

    assert run(["jobs", "resume", stuck, "--resubmit", "--ledger", str(ledger_path)]) == 0
    assert pipeline == [{"id": stuck, "state": S.SUBMITTING, "resubmit": True,
                         "ledger": ledger_path}]
    with Ledger(ledger_path) as book:
        row = book.get(stuck)
        assert row.state is S.PLACED and row.attempts == 2


def test_resume_named_finished_or_failed_jobs(
    jobs: dict[str, JobRow], ledger_path: Path, pipeline: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["jobs", "resume", jobs["placed"].id, "--ledger", str(ledger_path)]) == 0
    assert "is placed; nothing to resume" in capsys.readouterr().out
    assert run(["jobs", "resume", jobs["failed"].id, "--ledger", str(ledger_path)]) == 1
    err = capsys.readouterr().err
    assert "failed (The service refused the prompt.)" in err and "--new-take" in err
    assert pipeline == []


def test_resume_keeps_going_after_one_job_fails(
    ledger_path: Path, pipeline: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(ledger_path) as book:
        bad = _job(book, "x", S.RUNNING, "explode")
        good = _job(book, "y", S.COMPLETED)
    assert run(["jobs", "resume", "--ledger", str(ledger_path)]) == 6
    out, err = capsys.readouterr()
    assert f"stillmotion: {bad.id}: The job failed on the service" in err
    assert f"{good.id}: placed" in out
    assert run(["jobs", "resume", bad.id, "--ledger", str(ledger_path)]) == 6


def test_resume_with_nothing_to_do(
    ledger_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["jobs", "resume", "--ledger", str(tmp_path / "none.sqlite3")]) == 0
    assert "Nothing to resume: no ledger" in capsys.readouterr().out
    with Ledger(ledger_path) as book:
        _job(book, "p", S.PLACED)
    assert run(["jobs", "resume", "--ledger", str(ledger_path)]) == 0
    assert "Nothing to resume in" in capsys.readouterr().out
