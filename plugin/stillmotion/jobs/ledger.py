"""The job ledger: one SQLite row per generation job, so a paid job is never submitted twice.

The same request (see :func:`stillmotion.jobs.identity.request_hash`) is claimed once:
:meth:`Ledger.claim` returns the existing row unless ``new_take``, which adds take ``max + 1``.
A UNIQUE index on ``(request_hash, take)`` backs the transaction up. Every move follows the state
machine of :mod:`stillmotion.jobs.states` in one write transaction; the row's request, files and
context are the typed records of :mod:`stillmotion.jobs.records`, merged as stages add to them.
Secrets never enter the ledger (:mod:`stillmotion.jobs.redaction`). Storage (SQLite, schema,
migrations) is :mod:`stillmotion.jobs.store`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from stillmotion.errors import JobStateError, LedgerError
from stillmotion.jobs.identity import new_job_id, normalise_prompt, request_hash
from stillmotion.jobs.records import JobContext, JobFiles, JobRequest, merged
from stillmotion.jobs.redaction import public_url
from stillmotion.jobs.states import (
    ADVANCE,
    FINAL_STATES,
    GOALS,
    PIPELINE_ORDER,
    Claim,
    JobRow,
    LedgerState,
    ResumeAction,
    reaches,
    resume_action,
)
from stillmotion.jobs.store import SCHEMA_VERSION, Store, iso, record_columns, to_row

# The ledger is where callers find the job vocabulary, wherever each part now lives.
__all__ = [
    "PIPELINE_ORDER", "SCHEMA_VERSION", "Claim", "JobRow", "Ledger", "LedgerState",
    "ResumeAction", "new_job_id", "normalise_prompt", "public_url", "request_hash",
    "resume_action",
]
_S = LedgerState


def _money(value: Decimal | float | None) -> str | None:
    return str(Decimal(str(value))) if value is not None else None


class Ledger(Store):
    """The job ledger at ``path``: claim a request, move its job on, read jobs back."""

    def _changes(self, row: JobRow, *, files: JobFiles | None, context: JobContext | None,
                 request: JobRequest | None, progress: float | None,
                 cost_estimate: Decimal | float | None) -> dict[str, Any]:
        """Columns for ``advance``/``update``: ``files`` and ``context`` merge into the stored
        records (fields they set win), ``request`` replaces it; None leaves a value alone."""
        columns: dict[str, Any] = {}
        if files is not None or context is not None or request is not None:
            columns.update(record_columns(
                request if request is not None else row.request,
                merged(row.files, files) if files is not None else row.files,
                merged(row.context, context) if context is not None else row.context))
        if progress is not None:
            columns["progress"] = float(progress)
        if cost_estimate is not None:
            columns["cost_estimate"] = _money(cost_estimate)
        return columns

    # -- claiming and moving jobs -----------------------------------------------------------

    def claim(
        self,
        request_hash: str,
        *,
        provider: str,
        model: str | None,
        size: str | None = None,
        seconds: int | None = None,
        prompt: str = "",
        base_url: str | None = None,
        take_group: str | None = None,
        request: JobRequest | None = None,
        files: JobFiles | None = None,
        context: JobContext | None = None,
        cost_estimate: Decimal | float | None = None,
        currency: str = "USD",
        goal: LedgerState | str = _S.PLACED,
        new_take: bool = False,
    ) -> Claim:
        """Atomically claim ``request_hash``: the latest existing take, or a new ``prepared`` row.

        Exactly one of several processes claiming the same request at once gets ``is_new``;
        only that one may submit. ``new_take`` always adds a row, numbered max take + 1.
        """
        if not request_hash:
            raise ValueError("request_hash must not be empty")
        target = _S(goal)
        if target not in GOALS:
            raise ValueError(f"a job's goal must be one of {sorted(g.value for g in GOALS)}")
        now = iso(self._clock())
        records = record_columns(request or JobRequest(), files or JobFiles(),
                                 context or JobContext())
        with self._write() as conn:
            latest = conn.execute(
                "SELECT * FROM jobs WHERE request_hash = ? ORDER BY take DESC LIMIT 1",
                (request_hash,),
            ).fetchone()
            if latest is not None and not new_take:
                return Claim(to_row(latest), is_new=False)
            job_id = new_job_id(self._clock())
            conn.execute(
                """INSERT INTO jobs (id, request_hash, take, take_group, provider, base_url,
                    model, size, seconds, prompt, state, goal, request_json, files_json,
                    context_json, record_version, cost_estimate, currency, created_at,
                    updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    job_id, request_hash, (latest["take"] + 1) if latest else 1, take_group,
                    provider, public_url(base_url), model, size, seconds, prompt,
                    _S.PREPARED.value, target.value, records["request_json"],
                    records["files_json"], records["context_json"], records["record_version"],
                    _money(cost_estimate), currency, now, now,
                ),
            )
            return Claim(self._fetch(conn, job_id), is_new=True)

    def mark_submitting(self, job_id: str, *, resubmit: bool = False) -> JobRow:
        """Commit ``submitting`` before the create call (compare-and-set from ``prepared``).

        ``resubmit=True`` also accepts a row already in ``submitting`` — only after the user chose
        ``--resubmit`` for an ambiguous row. Counts the attempt and stamps ``sent_at``.
        """
        with self._write() as conn:
            row = self._fetch(conn, job_id)
            allowed = {_S.PREPARED, _S.SUBMITTING} if resubmit else {_S.PREPARED}
            if row.state not in allowed:
                raise self._illegal(row, _S.SUBMITTING)
            now = iso(self._clock())
            return self._set(conn, row, {
                "state": _S.SUBMITTING.value, "attempts": row.attempts + 1, "sent_at": now,
            })

    def record_submitted(self, job_id: str, remote_id: str) -> JobRow:
        """Record the service's job id right after a successful create."""
        if not remote_id:
            raise ValueError("remote_id must not be empty")
        with self._write() as conn:
            row = self._fetch(conn, job_id)
            if row.state is not _S.SUBMITTING:
                raise self._illegal(row, _S.SUBMITTED)
            return self._set(conn, row, {"state": _S.SUBMITTED.value, "remote_id": remote_id})


    def advance(self, job_id: str, state: LedgerState | str, *, files: JobFiles | None = None,
                context: JobContext | None = None, request: JobRequest | None = None,
                progress: float | None = None,
                cost_estimate: Decimal | float | None = None) -> JobRow:
        """Move a submitted job forward (running, completed, downloaded, conformed, placed).

        ``files`` and ``context`` are merged into the stored records, ``request`` replaces it;
        ``progress`` and ``cost_estimate`` set those columns. Illegal moves raise JobStateError.
        """
        target = _S(state)
        with self._write() as conn:
            row = self._fetch(conn, job_id)
            if target not in ADVANCE.get(row.state, frozenset()):
                raise self._illegal(row, target)
            columns = self._changes(row, files=files, context=context, request=request,
                                    progress=progress, cost_estimate=cost_estimate)
            columns["state"] = target.value
            if reaches(target, row.goal):
                columns["finished_at"] = iso(self._clock())
            return self._set(conn, row, columns)

    def update(self, job_id: str, *, files: JobFiles | None = None,
               context: JobContext | None = None, request: JobRequest | None = None,
               progress: float | None = None,
               cost_estimate: Decimal | float | None = None) -> JobRow:
        """Change stored fields (as :meth:`advance` does) without changing the state."""
        with self._write() as conn:
            row = self._fetch(conn, job_id)
            return self._set(conn, row, self._changes(
                row, files=files, context=context, request=request, progress=progress,
                cost_estimate=cost_estimate))

    def mark_placed(self, job_id: str, *, files: JobFiles | None = None,
                    context: JobContext | None = None) -> JobRow:
        """``conformed -> placed`` with where it went; a job placed before (a reused one, shown
        on another timeline too) stays placed and only records the new place."""
        with self._write() as conn:
            row = self._fetch(conn, job_id)
            columns = self._changes(row, files=files, context=context, request=None,
                                    progress=None, cost_estimate=None)
            if row.state is _S.CONFORMED:
                columns["state"] = _S.PLACED.value
                if reaches(_S.PLACED, row.goal):
                    columns["finished_at"] = iso(self._clock())
            elif row.state is not _S.PLACED:
                raise self._illegal(row, _S.PLACED)
            return self._set(conn, row, columns)

    def fail(self, job_id: str, reason: str, *, billable: bool = True) -> JobRow:
        """Mark a job failed with ``reason`` (one sentence, no secrets), from any unfinished state.

        ``billable=False`` when the service proved nothing was charged (a create answered with an
        HTTP 4xx); the job's estimate then stops counting toward today's spend.
        """
        with self._write() as conn:
            row = self._fetch(conn, job_id)
            if row.state in FINAL_STATES:
                raise self._illegal(row, _S.FAILED)
            return self._set(conn, row, {
                "state": _S.FAILED.value, "failure_reason": reason,
                "failed_from": row.state.value, "billable": int(billable and row.billable),
                "finished_at": iso(self._clock()),
            })

    def forget(self, job_id: str, *, force: bool = False) -> JobRow:
        """Delete a row (its files stay); a job that may still be billed needs ``force``."""
        with self._write() as conn:
            row = self._fetch(conn, job_id)
            if row.may_be_billed and not force:
                raise JobStateError(
                    f"Job {row.id} is {row.state.value} and the service may still run and bill "
                    "it; forget it anyway with --yes.",
                    job_id=row.id, state=row.state.value, target="forgotten",
                )
            conn.execute("DELETE FROM jobs WHERE id = ?", (row.id,))
            return row

    # -- reading ------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobRow:
        """The row with id ``job_id``; LedgerError if there is none."""
        with self._lock, self._translate():
            return self._fetch(self._conn, job_id)

    def lookup(self, ref: str) -> JobRow:
        """A row by id, unique id prefix, or remote id (what a user types in ``jobs show``)."""
        rows = self._query("SELECT * FROM jobs WHERE id = ?", (ref,))
        if not rows and len(ref) >= 4:
            pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = self._query("SELECT * FROM jobs WHERE id LIKE ? ESCAPE '\\'", (pattern,))
        if not rows:
            rows = self._query(
                "SELECT * FROM jobs WHERE remote_id = ? ORDER BY created_at DESC", (ref,)
            )
        if len(rows) > 1:
            raise LedgerError(
                f"'{ref}' matches {len(rows)} jobs in the ledger {self.path}; give the full job id."
            )
        if not rows:
            raise LedgerError(
                f"There is no job {ref} in the ledger {self.path}; "
                "`stillmotion jobs list` shows the jobs there."
            )
        return rows[0]

    def find_request(self, request_hash: str) -> JobRow | None:
        """The latest take of a request, without claiming it (for ``--dry-run``)."""
        rows = self._query(
            "SELECT * FROM jobs WHERE request_hash = ? ORDER BY take DESC LIMIT 1",
            (request_hash,),
        )
        return rows[0] if rows else None

    def find_by_remote(self, provider: str, remote_id: str) -> JobRow | None:
        """The row for a service's job id (webhooks name only the remote id)."""
        rows = self._query(
            "SELECT * FROM jobs WHERE provider = ? AND remote_id = ? "
            "ORDER BY created_at DESC LIMIT 1",
            (provider, remote_id),
        )
        return rows[0] if rows else None

    def jobs(
        self,
        states: Iterable[LedgerState | str] | None = None,
        limit: int | None = None,
    ) -> list[JobRow]:
        """Rows, newest first, optionally only in ``states`` and at most ``limit``."""
        sql = "SELECT * FROM jobs"
        args: list[Any] = []
        if states is not None:
            wanted = [_S(s).value for s in states]
            sql += f" WHERE state IN ({', '.join('?' for _ in wanted)})"
            args.extend(wanted)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self._query(sql, args)

    def interrupted(self) -> list[JobRow]:
        """Rows that are neither failed nor at their goal, oldest first (the resume order)."""
        rows = self._query(
            "SELECT * FROM jobs WHERE state NOT IN (?, ?) ORDER BY created_at, id",
            (_S.PLACED.value, _S.FAILED.value),
        )
        return [row for row in rows if not row.finished]

    def takes(self, take_group: str) -> list[JobRow]:
        """Every job of one shot (``take_group``), oldest first."""
        return self._query(
            "SELECT * FROM jobs WHERE take_group = ? ORDER BY created_at, take, id",
            (take_group,),
        )

    def spent(self, since: datetime) -> Decimal:
        """Sum of the estimates of jobs sent since ``since`` that may have been charged.

        A job counts once its create was attempted (``sent_at``), whatever happened next, unless
        it failed with ``billable=False``: the ledger cannot know a failed job was free.
        """
        with self._lock, self._translate():
            records = self._conn.execute(
                "SELECT cost_estimate FROM jobs WHERE sent_at >= ? AND billable = 1 "
                "AND cost_estimate IS NOT NULL",
                (iso(since),),
            ).fetchall()
        return sum((Decimal(r[0]) for r in records), Decimal(0))
