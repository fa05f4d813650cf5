"""The ledger's storage: the SQLite file, its schema and migrations, and rows in and out.

Why SQLite in WAL mode: the ledger must survive a crash at any moment and be shared by two
stillmotion processes at once (a Resolve action and a terminal, say). Every write is one short
``BEGIN IMMEDIATE`` transaction, so read-then-write steps (claiming a request, moving a job on)
are atomic across processes; a busy ledger is waited for (``busy_timeout``) instead of failing.
Commits are ``synchronous=FULL``: the ``submitting`` mark must be on disk before a create call.

The JSON columns hold the records of :mod:`stillmotion.jobs.records`; ``record_version`` says
which shape they were written in (0: before the records existed), and rows are upgraded as
they are read. Nothing outside this module and :mod:`stillmotion.jobs.ledger` sees that JSON.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from stillmotion.errors import ConfigError, JobStateError, LedgerError
from stillmotion.jobs.records import (
    RECORD_VERSION,
    JobContext,
    JobFiles,
    JobRequest,
    upgrade,
)
from stillmotion.jobs.redaction import dump_json
from stillmotion.jobs.states import JobRow, LedgerState

APPLICATION_ID = 0x534D4C47  # "SMLG": marks the file as a stillmotion ledger.
_S = LedgerState
_Opened = TypeVar("_Opened", bound="Store")


def now_utc() -> datetime:
    """The current time in UTC (the ledger's default clock)."""
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds, so stored times compare correctly as text."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def record_columns(request: JobRequest, files: JobFiles, context: JobContext) -> dict[str, Any]:
    """The JSON columns of a row, always written together in the current record version."""
    return {"request_json": dump_json(request.to_json()), "files_json": dump_json(files.to_json()),
            "context_json": dump_json(context.to_json()), "record_version": RECORD_VERSION}


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            request_hash TEXT NOT NULL,
            take INTEGER NOT NULL,
            take_group TEXT,
            provider TEXT NOT NULL,
            base_url TEXT,
            model TEXT,
            size TEXT,
            seconds INTEGER,
            prompt TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,
            goal TEXT NOT NULL,
            remote_id TEXT,
            failure_reason TEXT,
            failed_from TEXT,
            request_json TEXT NOT NULL DEFAULT '{}',
            files_json TEXT NOT NULL DEFAULT '{}',
            context_json TEXT NOT NULL DEFAULT '{}',
            cost_estimate TEXT,
            currency TEXT NOT NULL DEFAULT 'USD',
            billable INTEGER NOT NULL DEFAULT 1,
            attempts INTEGER NOT NULL DEFAULT 0,
            progress REAL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sent_at TEXT,
            finished_at TEXT
        )"""
    )
    conn.execute("CREATE UNIQUE INDEX jobs_request_take ON jobs (request_hash, take)")
    conn.execute("CREATE INDEX jobs_remote ON jobs (provider, remote_id)")
    conn.execute("CREATE INDEX jobs_state ON jobs (state)")
    conn.execute("CREATE INDEX jobs_group ON jobs (take_group)")
    conn.execute("CREATE INDEX jobs_sent ON jobs (sent_at)")



def _add_record_version(conn: sqlite3.Connection) -> None:
    """Rows written before the typed records carry version 0 and are upgraded when read."""
    conn.execute("ALTER TABLE jobs ADD COLUMN record_version INTEGER NOT NULL DEFAULT 0")


# Migration hook: entry i upgrades a ledger from user_version i to i + 1, inside one write
# transaction. Add a function here (never edit an old one) when the schema changes.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_create_v1, _add_record_version)
SCHEMA_VERSION = len(MIGRATIONS)


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def _record(record: sqlite3.Row, kind: str) -> dict[str, Any]:
    return upgrade(kind, json.loads(record[f"{kind}_json"]), record["record_version"])


def to_row(record: sqlite3.Row) -> JobRow:
    """A stored row as a :class:`JobRow` with its records read in the current shape."""
    failed_from = record["failed_from"]
    created = _time(record["created_at"])
    updated = _time(record["updated_at"])
    assert created is not None and updated is not None  # NOT NULL columns
    return JobRow(
        id=record["id"], request_hash=record["request_hash"], take=record["take"],
        take_group=record["take_group"], provider=record["provider"],
        base_url=record["base_url"], model=record["model"], size=record["size"],
        seconds=record["seconds"], prompt=record["prompt"], state=_S(record["state"]),
        goal=_S(record["goal"]), remote_id=record["remote_id"],
        failure_reason=record["failure_reason"],
        failed_from=_S(failed_from) if failed_from else None,
        request=JobRequest.from_json(_record(record, "request")),
        files=JobFiles.from_json(_record(record, "files")),
        context=JobContext.from_json(_record(record, "context")),
        cost_estimate=_decimal(record["cost_estimate"]), currency=record["currency"],
        billable=bool(record["billable"]), attempts=record["attempts"],
        progress=record["progress"], created_at=created, updated_at=updated,
        sent_at=_time(record["sent_at"]), finished_at=_time(record["finished_at"]),
    )


class Store:
    """The SQLite file at ``path`` (created, with its folder, when missing): connection, schema,
    transactions and error translation; :class:`stillmotion.jobs.ledger.Ledger` adds the jobs.

    One connection per instance, guarded by a lock so the pipeline may use it from a worker
    thread. ``busy_timeout`` (seconds) bounds how long a write waits for another process;
    ``clock`` returns the current time (tests pass a fixed one).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout: float = 15.0,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.path = Path(path).expanduser().absolute()
        self.busy_timeout = busy_timeout
        self._clock = clock
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"Cannot create the folder for the job ledger {self.path} "
                f"({exc.strerror or exc}); use --ledger to put it somewhere writable."
            ) from exc
        if self.path.is_dir():
            raise ConfigError(
                f"The job ledger path {self.path} is a folder; give --ledger a file name."
            )
        with self._translate():
            self._conn = sqlite3.connect(
                str(self.path), timeout=busy_timeout, isolation_level=None,
                check_same_thread=False,
            )
        self._conn.row_factory = sqlite3.Row
        try:
            self._setup()
        except BaseException:
            self._conn.close()
            raise

    # -- plumbing -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite when the last one closes)."""
        with self._lock:
            self._conn.close()

    def __enter__(self: _Opened) -> _Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _translate(self) -> Iterator[None]:
        """Turn sqlite3 failures into one sentence naming the ledger and what to do."""
        try:
            yield
        except sqlite3.Error as exc:
            text = str(exc).lower()
            where = self.path
            if "locked" in text or "busy" in text:
                raise LedgerError(
                    f"The job ledger {where} is locked by another stillmotion process (waited up "
                    f"to {self.busy_timeout:g} s); let it finish and try again."
                ) from exc
            if "not a database" in text or "malformed" in text or "corrupt" in text:
                raise LedgerError(
                    f"The job ledger {where} is damaged or not an SQLite file; move it aside "
                    "or use --ledger to start a new one."
                ) from exc
            if "unable to open" in text or "readonly" in text or "read-only" in text:
                raise ConfigError(
                    f"Cannot write the job ledger {where}; use --ledger to put it somewhere "
                    "writable."
                ) from exc
            if "disk is full" in text or "disk i/o" in text:
                raise LedgerError(
                    f"Cannot write the job ledger {where} ({exc}); free some disk space or use "
                    "--ledger on another disk."
                ) from exc
            raise LedgerError(f"The job ledger {where} failed: {exc}.") from exc

    def _setup(self) -> None:
        with self._lock, self._translate():
            self._conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            mode = self._retry_busy("PRAGMA journal_mode")
            if str(mode).lower() != "wal":
                mode = self._retry_busy("PRAGMA journal_mode = WAL")
            if str(mode).lower() != "wal":
                raise LedgerError(
                    f"The job ledger {self.path} cannot use write-ahead logging here "
                    f"(journal mode {mode}); use --ledger on a local disk."
                )
            self._conn.execute("PRAGMA synchronous = FULL")
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            self._migrate()

    def _retry_busy(self, sql: str) -> Any:
        """Run ``sql`` (no parameters), retrying while SQLite answers busy, up to busy_timeout.

        Why: some steps return SQLITE_BUSY at once instead of calling the busy handler — seen
        when several processes switch a new ledger to WAL together — so they are retried here.
        Returns the first column of the first result row, if any.
        """
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.005
        while True:
            try:
                row = self._conn.execute(sql).fetchone()
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
                continue
            return row[0] if row else None

    def _migrate(self) -> None:
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id not in (0, APPLICATION_ID) or (version == 0 and tables):
                raise LedgerError(
                    f"{self.path} is an SQLite file but not a stillmotion job ledger; use "
                    "--ledger to choose another file."
                )
            if version > SCHEMA_VERSION:
                raise LedgerError(
                    f"The job ledger {self.path} was written by a newer stillmotion (schema "
                    f"{version}); upgrade stillmotion or use --ledger to choose another file."
                )
            for migration in MIGRATIONS[version:]:
                migration(conn)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is taken before anything is read."""
        with self._lock, self._translate():
            conn = self._conn
            self._retry_busy("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[JobRow]:
        with self._lock, self._translate():
            return [to_row(r) for r in self._conn.execute(sql, tuple(args)).fetchall()]

    def _fetch(self, conn: sqlite3.Connection, job_id: str) -> JobRow:
        record = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if record is None:
            raise LedgerError(
                f"There is no job {job_id} in the ledger {self.path}; "
                "`stillmotion jobs list` shows the jobs there."
            )
        return to_row(record)

    def _illegal(self, row: JobRow, target: LedgerState) -> JobStateError:
        return JobStateError(
            f"Job {row.id} is {row.state.value} and cannot become {target.value}; another "
            "stillmotion process may be working on it (see `stillmotion jobs show "
            f"{row.id}`).",
            job_id=row.id, state=row.state.value, target=target.value,
        )

    def _set(
        self, conn: sqlite3.Connection, row: JobRow, values: Mapping[str, Any]
    ) -> JobRow:
        columns = dict(values)
        columns["updated_at"] = iso(self._clock())
        assignments = ", ".join(f"{name} = ?" for name in columns)
        conn.execute(
            f"UPDATE jobs SET {assignments} WHERE id = ?", (*columns.values(), row.id)
        )
        return self._fetch(conn, row.id)
