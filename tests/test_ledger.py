"""The job ledger: request identity, claims across real processes, states, crash safety, spend."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from stillmotion.errors import ConfigError, JobStateError, LedgerError
from stillmotion.jobs.ledger import (
    SCHEMA_VERSION,
    JobRow,
    Ledger,
    LedgerState,
    ResumeAction,
    new_job_id,
    request_hash,
    resume_action,
)
from stillmotion.jobs.records import JobContext, JobFiles, JobRequest
from support import ledger_worker

S = LedgerState
CHAIN = [S.PREPARED, S.SUBMITTING, S.SUBMITTED, S.RUNNING, S.COMPLETED, S.DOWNLOADED,
         S.CONFORMED, S.PLACED]
PARAMS = {"provider": "openai", "model": "sora-2", "size": "1280x720", "seconds": 8}


class Clock:
    """A settable clock so times (and the daily window) are chosen by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite3") as book:
        yield book


def _claim(book: Ledger, key: str = "r1", **kwargs: Any) -> JobRow:
    claim = book.claim(request_hash(b"img", key, PARAMS), provider="openai", model="sora-2",
                       size="1280x720", seconds=8, prompt=key, **kwargs)
    assert claim.is_new
    return claim.row


def _row_in(book: Ledger, state: LedgerState, key: str = "r1") -> JobRow:
    """A job walked along the legal chain up to ``state`` (or failed from running)."""
    row = _claim(book, key)
    if state is S.FAILED:
        row = _row_in(book, S.RUNNING, key + "-f")
        return book.fail(row.id, "The service said no.")
    for step in CHAIN[1:CHAIN.index(state) + 1]:
        if step is S.SUBMITTING:
            row = book.mark_submitting(row.id)
        elif step is S.SUBMITTED:
            row = book.record_submitted(row.id, f"video_{key}")
        else:
            row = book.advance(row.id, step)
    assert row.state is state
    return row


# -- request identity -------------------------------------------------------------------------


def test_request_hash_ignores_spelling_that_does_not_change_the_request() -> None:
    base = request_hash(b"png-bytes", "slow dolly in, steam rising", PARAMS)
    assert request_hash(b"png-bytes", "  slow dolly in,\n steam   rising ",
                        dict(reversed(list(PARAMS.items())))) == base
    assert request_hash(b"png-bytes", "slow dolly in, steam rising",
                        {**PARAMS, "seed": None}) == base
    assert len(base) == 64 and int(base, 16) >= 0


@pytest.mark.parametrize(
    ("image", "prompt", "params"),
    [(b"other-bytes", "slow dolly in, steam rising", PARAMS),
     (None, "slow dolly in, steam rising", PARAMS),
     (b"png-bytes", "Slow dolly in, steam rising", PARAMS),
     (b"png-bytes", "slow dolly in, steam rising", {**PARAMS, "seconds": 12}),
     (b"png-bytes", "slow dolly in, steam rising", {**PARAMS, "model": "sora-2-pro"}),
     (b"png-bytes", "slow dolly in, steam rising", {**PARAMS, "seed": 7})],
)
def test_request_hash_changes_with_anything_that_changes_the_result(
    image: bytes | None, prompt: str, params: dict[str, object]
) -> None:
    assert request_hash(image, prompt, params) != request_hash(
        b"png-bytes", "slow dolly in, steam rising", PARAMS
    )


def test_job_ids_are_prefixed_unique_and_time_sortable() -> None:
    early = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ids = [new_job_id(early + timedelta(milliseconds=i)) for i in range(50)]
    assert all(i.startswith("sm_") and len(i) == 29 for i in ids)
    assert sorted(ids) == ids and len(set(ids)) == 50


# -- claims -------------------------------------------------------------------------------------


def test_same_request_is_claimed_once_and_new_take_adds_a_take(ledger: Ledger) -> None:
    first = _claim(ledger)
    again = ledger.claim(first.request_hash, provider="openai", model="sora-2")
    assert not again.is_new and again.row.id == first.id and again.row.take == 1

    second = ledger.claim(first.request_hash, provider="openai", model="sora-2", new_take=True)
    assert second.is_new and second.row.take == 2 and second.row.id != first.id
    third = ledger.claim(first.request_hash, provider="openai", model="sora-2", new_take=True)
    assert third.row.take == 3
    # Without new_take the latest take is the one returned.
    assert ledger.claim(first.request_hash, provider="openai", model="sora-2").row.id == \
        third.row.id
    assert ledger.find_request(first.request_hash) == third.row


def test_two_real_processes_claiming_at_once_get_exactly_one_new_claim(tmp_path: Path) -> None:
    racers = 4
    claim_rounds = [(str(tmp_path / f"race{i % 3}.sqlite3"), f"{i:064x}", False)
                    for i in range(6)]
    take_rounds = [(str(tmp_path / "race0.sqlite3"), "f" * 64, True)] * 2
    rounds = claim_rounds + take_rounds
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(racers)
    results = context.Queue()
    workers = [context.Process(target=ledger_worker.claim_rounds,
                               args=(rounds, barrier, results)) for _ in range(racers)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(racers * len(rounds))]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert [o for o in outcomes if o[2] is None] == []

    for path, key, _ in claim_rounds:
        mine = [o for o in outcomes if o[0] == path and o[1] == key]
        assert len(mine) == racers
        assert sum(1 for o in mine if o[2]) == 1, mine
        assert len({o[3] for o in mine}) == 1
    taken = [o for o in outcomes if o[1] == "f" * 64]
    assert all(o[2] for o in taken)
    assert sorted(o[4] for o in taken) == list(range(1, 2 * racers + 1))
    with Ledger(tmp_path / "race0.sqlite3") as book:
        assert len(book.jobs()) == 2 + 2 * racers


# -- states -------------------------------------------------------------------------------------


def test_the_whole_legal_chain_and_what_it_records(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc))
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as book:
        row = _claim(book, files=JobFiles(image=tmp_path / "still.png"),
                     context=JobContext(timeline=Path("cut.otio"), at="01:00:10:00"),
                     cost_estimate=Decimal("0.80"), take_group="shot-12")
        assert row.state is S.PREPARED and row.sent_at is None and row.attempts == 0
        clock.now += timedelta(seconds=1)
        row = book.mark_submitting(row.id)
        assert row.state is S.SUBMITTING and row.attempts == 1 and row.sent_at == clock.now
        row = book.record_submitted(row.id, "video_123")
        assert book.find_by_remote("openai", "video_123") == row
        assert book.find_by_remote("veo", "video_123") is None
        row = book.advance(row.id, "running", progress=0.1)
        row = book.advance(row.id, S.RUNNING, progress=0.6)
        assert row.progress == 0.6
        row = book.advance(row.id, S.COMPLETED)
        row = book.advance(row.id, S.DOWNLOADED, files=JobFiles(download=tmp_path / "take.mp4"))
        row = book.advance(row.id, S.CONFORMED, files=JobFiles(conformed=Path("take.mov")))
        assert row.finished_at is None and not row.finished
        row = book.advance(row.id, S.PLACED, files=JobFiles(timeline=Path("cut.ai.otio")),
                           context=JobContext(frames=48))
        assert row.finished and row.finished_at == clock.now
        assert row.files == JobFiles(image=tmp_path / "still.png",
                                     download=tmp_path / "take.mp4",
                                     conformed=Path("take.mov"), timeline=Path("cut.ai.otio"))
        assert row.context == JobContext(timeline=Path("cut.otio"), at="01:00:10:00", frames=48)
        assert book.takes("shot-12") == [row] and book.get(row.id) == row
        assert book.interrupted() == []


def test_submitted_may_jump_to_completed_and_goal_ends_a_job_early(ledger: Ledger) -> None:
    row = _claim(ledger, goal="downloaded")
    ledger.mark_submitting(row.id)
    ledger.record_submitted(row.id, "video_fast")
    ledger.advance(row.id, S.COMPLETED)
    assert ledger.interrupted()[0].id == row.id
    done = ledger.advance(row.id, S.DOWNLOADED)
    assert done.finished and ledger.interrupted() == []


LEGAL_NEXT = {
    S.PREPARED: set(), S.SUBMITTING: set(), S.SUBMITTED: {S.RUNNING, S.COMPLETED},
    S.RUNNING: {S.RUNNING, S.COMPLETED}, S.COMPLETED: {S.DOWNLOADED},
    S.DOWNLOADED: {S.CONFORMED}, S.CONFORMED: {S.PLACED}, S.PLACED: set(), S.FAILED: set(),
}


@pytest.mark.parametrize("state", list(LEGAL_NEXT))
def test_advance_refuses_every_illegal_move(ledger: Ledger, state: LedgerState) -> None:
    row = _row_in(ledger, state)
    for target in [s for s in CHAIN if s not in (S.SUBMITTING, S.SUBMITTED)]:
        if target in LEGAL_NEXT[state]:
            continue
        with pytest.raises(JobStateError) as caught:
            ledger.advance(row.id, target)
        assert caught.value.job_id == row.id and caught.value.state == state.value
        assert f"is {state.value} and cannot become {target.value}" in str(caught.value)
    assert ledger.get(row.id).state is state  # nothing moved


def test_submitting_and_submitted_have_guarded_doors(ledger: Ledger) -> None:
    row = _claim(ledger)
    with pytest.raises(JobStateError):
        ledger.record_submitted(row.id, "video_x")  # never created
    ledger.mark_submitting(row.id)
    with pytest.raises(JobStateError):
        ledger.mark_submitting(row.id)  # a second create must be a decision
    again = ledger.mark_submitting(row.id, resubmit=True)
    assert again.attempts == 2 and again.state is S.SUBMITTING
    ledger.record_submitted(row.id, "video_x")
    with pytest.raises(JobStateError):
        ledger.mark_submitting(row.id, resubmit=True)  # it has a remote id now
    with pytest.raises(JobStateError):
        ledger.record_submitted(row.id, "video_y")


@pytest.mark.parametrize("state", [s for s in CHAIN if s is not S.PLACED])
def test_fail_from_any_unfinished_state_keeps_where_it_failed(
    ledger: Ledger, state: LedgerState
) -> None:
    row = ledger.fail(_row_in(ledger, state).id, "Moderation blocked the prompt.")
    assert row.state is S.FAILED and row.failed_from is state and row.finished
    assert row.failure_reason == "Moderation blocked the prompt."
    with pytest.raises(JobStateError):
        ledger.fail(row.id, "again")


def test_placed_cannot_fail_and_unknown_ids_are_one_sentence(ledger: Ledger) -> None:
    row = _row_in(ledger, S.PLACED)
    with pytest.raises(JobStateError):
        ledger.fail(row.id, "late")
    with pytest.raises(LedgerError, match=r"no job sm_nope in the ledger .*jobs list"):
        ledger.get("sm_nope")


def test_forget_refuses_a_job_that_may_still_be_billed(ledger: Ledger) -> None:
    for state in (S.SUBMITTING, S.SUBMITTED, S.RUNNING):
        row = _row_in(ledger, state, key=state.value)
        with pytest.raises(JobStateError, match=r"may still run and bill it.*--yes"):
            ledger.forget(row.id)
        assert ledger.forget(row.id, force=True).id == row.id
    done = _row_in(ledger, S.PLACED, key="done")
    ledger.forget(done.id)
    assert ledger.jobs() == []
    # A forgotten request may be claimed afresh.
    assert ledger.claim(done.request_hash, provider="openai", model="sora-2").is_new


def test_secrets_never_reach_the_ledger(ledger: Ledger) -> None:
    row = _claim(
        ledger, base_url="https://user:sk-secret@gateway.example:8443/v1?api-key=sk-secret#x",
        request=JobRequest(prompt="p", extra={"api_key": "sk-secret", "headers": {
            "Authorization": "Bearer x", "X-Goog-Api-Key": "k", "Accept": "application/json"}}),
        context=JobContext(timeline=Path("cut.otio"), extra={"webhook_secret": "whsec_x"}),
    )
    assert row.base_url == "https://gateway.example:8443/v1"
    assert row.request == JobRequest(prompt="p", extra={"headers": {"Accept": "application/json"}})
    assert row.context == JobContext(timeline=Path("cut.otio"))
    raw = (ledger.path).read_bytes() + ledger.path.with_name(ledger.path.name + "-wal").read_bytes()
    assert b"sk-secret" not in raw and b"whsec_x" not in raw


def test_lists_interrupted_rows_and_resume_actions(ledger: Ledger) -> None:
    rows = {state: _row_in(ledger, state, key=state.value) for state in LEGAL_NEXT}
    assert {r.state for r in ledger.jobs(states=["running", S.FAILED])} == {S.RUNNING, S.FAILED}
    assert len(ledger.jobs(limit=3)) == 3
    waiting = [r.state for r in ledger.interrupted()]
    assert set(waiting) == {S.PREPARED, S.SUBMITTING, S.SUBMITTED, S.RUNNING, S.COMPLETED,
                            S.DOWNLOADED, S.CONFORMED}
    actions = {state: resume_action(row) for state, row in rows.items()}
    assert actions[S.SUBMITTING] is ResumeAction.DECIDE
    assert resume_action(rows[S.SUBMITTING], resubmit=True) is ResumeAction.RESUBMIT
    assert actions[S.PLACED] is ResumeAction.FINISHED
    assert actions[S.FAILED] is ResumeAction.FAILED
    for state in (S.PREPARED, S.SUBMITTED, S.RUNNING, S.COMPLETED, S.DOWNLOADED, S.CONFORMED):
        assert actions[state] is ResumeAction.CONTINUE
        assert resume_action(rows[state], resubmit=True) is ResumeAction.CONTINUE


def test_lookup_by_prefix_and_remote_id(ledger: Ledger) -> None:
    row = _row_in(ledger, S.RUNNING)
    assert ledger.lookup(row.id) == row
    assert ledger.lookup(row.id[:-3]) == row
    assert ledger.lookup("video_r1") == row
    _claim(ledger, "r2")
    with pytest.raises(LedgerError, match="matches 2 jobs"):
        ledger.lookup("sm_0")


# -- crash safety and the file --------------------------------------------------------------


def test_a_crashed_process_leaves_its_jobs_recoverable_in_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    child = multiprocessing.get_context("spawn").Process(
        target=ledger_worker.crash_mid_job, args=(str(path),))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 3
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # committed, never checkpointed

    with Ledger(path) as book:
        states = {r.prompt: r for r in book.interrupted()}
        assert states["first"].state is S.SUBMITTING
        assert states["second"].state is S.RUNNING
        assert states["second"].remote_id == "video_remote_2"
        assert states["second"].progress == 0.25
        assert resume_action(states["first"]) is ResumeAction.DECIDE
        assert resume_action(states["second"]) is ResumeAction.CONTINUE
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_missing_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "ledger.sqlite3"
    with Ledger(path) as book:
        _claim(book)
    assert path.is_file()


def test_an_unwritable_place_is_a_config_error_naming_ledger(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="--ledger"):
        Ledger(blocker / "ledger.sqlite3")
    with pytest.raises(ConfigError, match="is a folder"):
        Ledger(tmp_path)


def test_damaged_foreign_and_newer_files_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database at all " * 200)
    with pytest.raises(LedgerError, match="damaged or not an SQLite file"):
        Ledger(junk)
    assert junk.read_bytes().startswith(b"this is not")  # left untouched

    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as raw:
        raw.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(LedgerError, match="not a stillmotion job ledger"):
        Ledger(foreign)

    newer = tmp_path / "newer.sqlite3"
    Ledger(newer).close()
    with sqlite3.connect(newer) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LedgerError, match="newer stillmotion"):
        Ledger(newer)


def test_a_ledger_locked_too_long_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Ledger(path, busy_timeout=0.2) as book:
            with pytest.raises(LedgerError, match=r"is locked by another stillmotion process "
                                                  r"\(waited up to 0.2 s\); let it finish"):
                book.claim("c" * 64, provider="preview", model=None)
            assert book.jobs() == []  # readers are not blocked by a writer in WAL mode
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# -- spend ----------------------------------------------------------------------------------


def test_spent_counts_jobs_sent_since_a_moment(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 22, 23, 0, tzinfo=timezone.utc))
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as book:
        yesterday = _claim(book, "yesterday", cost_estimate=Decimal("1.00"))
        book.mark_submitting(yesterday.id)
        clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
        sent = _claim(book, "sent", cost_estimate=Decimal("0.80"))
        book.mark_submitting(sent.id)
        _claim(book, "only-prepared", cost_estimate=Decimal("5.00"))
        refused = _claim(book, "refused", cost_estimate=Decimal("2.00"))
        book.mark_submitting(refused.id)
        book.fail(refused.id, "HTTP 400: bad size.", billable=False)
        failed_late = _claim(book, "failed-late", cost_estimate=0.3)
        book.mark_submitting(failed_late.id)
        book.fail(failed_late.id, "The job failed on the service.")
        no_price = _claim(book, "free")
        book.mark_submitting(no_price.id)

        midnight = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)
        assert book.spent(midnight) == Decimal("1.10")
        assert book.spent(midnight - timedelta(days=1)) == Decimal("2.10")
        assert book.spent(clock.now + timedelta(seconds=1)) == Decimal(0)
