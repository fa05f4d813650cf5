"""The job ledger: one SQLite row per generation job, so a paid job is never submitted twice.

Why SQLite in WAL mode: the ledger must survive a crash at any moment and be shared by two
stillmotion processes at once (a Resolve action and a terminal, say). Every write is one short
``BEGIN IMMEDIATE`` transaction, so read-then-write steps (claiming a request, moving a job on)
are atomic across processes; a busy ledger is waited for (``busy_timeout``) instead of failing.
Commits are ``synchronous=FULL``: the ``submitting`` mark must be on disk before a create call.

States (column ``state``)::

    prepared -> submitting -> submitted -> running -> completed -> downloaded -> conformed -> placed
                                      \\______________________/
    any state that is not final (placed, failed) -> failed, with a reason

- ``prepared``: the request hash is claimed; nothing has been sent.
- ``submitting``: committed BEFORE the create call. Create is not idempotent and has no
  idempotency key, so a row that stays here (stillmotion stopped between the create call and
  :meth:`Ledger.record_submitted`) is ambiguous: the service may hold, and bill, a job whose id
  we never saw. Such a row is NEVER submitted again automatically: ``stillmotion jobs resume``
  reports that it needs a decision — look at the provider's dashboard, then
  ``stillmotion jobs resume ID --resubmit`` sends it again (:meth:`Ledger.mark_submitting` with
  ``resubmit=True``), or ``stillmotion jobs forget ID`` drops it. A create that failed in a way
  that proves nothing was accepted (an HTTP 4xx answer) should be recorded with :meth:`Ledger.fail`.
- ``submitted``: the service gave a remote id; from here on nothing is ever created again, resume
  only polls, downloads, conforms and places. ``submitted -> completed`` is legal because a fast
  job may be complete at the first poll; ``running -> running`` records progress.
- Each row has a ``goal`` (``placed`` by default; ``downloaded`` or ``conformed`` for a run without
  a timeline): a row that reached its goal, or failed, is finished and is not resumed.

The same request (see :func:`request_hash`) is claimed once: :meth:`Ledger.claim` returns the
existing row unless ``new_take``, which adds take ``max + 1``. A UNIQUE index on
``(request_hash, take)`` backs the transaction up. Secrets never enter the ledger: keys that look
like credentials are dropped from the stored JSON and base URLs lose user info and query strings.
"""

from __future__ import annotations

import builtins
import contextlib
import enum
import hashlib
import json
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from stillmotion.errors import ConfigError, JobStateError, LedgerError

APPLICATION_ID = 0x534D4C47  # "SMLG": marks the file as a stillmotion ledger.
HASH_VERSION = 1


class LedgerState(str, enum.Enum):
    """Where a job is in the pipeline; see the module docstring for the transitions."""

    PREPARED = "prepared"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    RUNNING = "running"
    COMPLETED = "completed"
    DOWNLOADED = "downloaded"
    CONFORMED = "conformed"
    PLACED = "placed"
    FAILED = "failed"


_S = LedgerState
PIPELINE_ORDER: tuple[LedgerState, ...] = (
    _S.PREPARED, _S.SUBMITTING, _S.SUBMITTED, _S.RUNNING, _S.COMPLETED, _S.DOWNLOADED, _S.CONFORMED,
    _S.PLACED,
)
FINAL_STATES = frozenset({_S.PLACED, _S.FAILED})
GOALS = frozenset({_S.COMPLETED, _S.DOWNLOADED, _S.CONFORMED, _S.PLACED})
# States in which the service may hold, and bill, a job nobody has collected yet.
BILLABLE_IN_FLIGHT = frozenset({_S.SUBMITTING, _S.SUBMITTED, _S.RUNNING})
# Forward moves through advance(); submitting/submitted/failed have their own methods.
_ADVANCE: dict[LedgerState, frozenset[LedgerState]] = {
    _S.SUBMITTED: frozenset({_S.RUNNING, _S.COMPLETED}),
    _S.RUNNING: frozenset({_S.RUNNING, _S.COMPLETED}),
    _S.COMPLETED: frozenset({_S.DOWNLOADED}),
    _S.DOWNLOADED: frozenset({_S.CONFORMED}),
    _S.CONFORMED: frozenset({_S.PLACED}),
}
_FIELDS = frozenset({"files", "context", "request", "progress", "cost_estimate"})
_SECRET_PARTS = ("api_key", "apikey", "secret", "token", "password", "authorization", "cookie")


def _now_utc() -> datetime:
    return datetime.now(timezone.utc)


def normalise_prompt(prompt: str) -> str:
    """The prompt as hashed: Unicode NFC, whitespace runs collapsed, ends stripped; case kept."""
    return " ".join(unicodedata.normalize("NFC", prompt).split())


def _canonical(value: Any) -> Any:
    """A JSON-ready, order-independent form of a parameter value; None entries are dropped."""
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    raise TypeError(f"cannot hash a parameter of type {type(value).__name__}")


def request_hash(image: bytes | None, prompt: str, params: Mapping[str, Any]) -> str:
    """The identity of a generation request: sha256 of the image's sha256, prompt and parameters.

    ``params`` should hold everything that changes the result or the bill: provider, base URL,
    model, size (``"WxH"``), seconds, and dialect knobs. Key order and None values do not matter;
    the prompt is compared after :func:`normalise_prompt`. Pass values in one canonical spelling
    (size ``"1280x720"``, seconds as an int) so equal requests hash equally.
    """
    body = {
        "v": HASH_VERSION,
        "image": hashlib.sha256(image).hexdigest() if image is not None else None,
        "prompt": normalise_prompt(prompt),
        "params": _canonical(params),
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def new_job_id(now: datetime | None = None) -> str:
    """``sm_`` + 26 base-32 characters: 48 bits of milliseconds then 80 random bits (sortable)."""
    moment = now if now is not None else _now_utc()
    value = (int(moment.timestamp() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "sm_" + "".join(reversed(chars))


def public_url(url: str | None) -> str | None:
    """``url`` without user info, query or fragment, where keys sometimes hide."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _is_secret_key(key: str) -> bool:
    folded = key.lower().replace("-", "_")
    return any(part in folded for part in _SECRET_PARTS)


def _scrub(value: Any) -> Any:
    """Drop entries whose key looks like a credential, at any depth."""
    if isinstance(value, Mapping):
        return {str(k): _scrub(v) for k, v in value.items() if not _is_secret_key(str(k))}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot store a value of type {type(value).__name__} in the ledger")


def _dump(value: Mapping[str, Any] | None) -> str:
    return json.dumps(_scrub(dict(value or {})), default=_json_default, sort_keys=True)


def _iso(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds, so stored times compare correctly as text."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class JobRow:
    """One job as stored; ``request``/``files``/``context`` are the decoded JSON columns."""

    id: str
    request_hash: str
    take: int
    take_group: str | None
    provider: str
    base_url: str | None
    model: str | None
    size: str | None
    seconds: int | None
    prompt: str
    state: LedgerState
    goal: LedgerState
    remote_id: str | None
    failure_reason: str | None
    failed_from: LedgerState | None
    request: dict[str, Any]
    files: dict[str, str]
    context: dict[str, Any]
    cost_estimate: Decimal | None
    currency: str
    billable: bool
    attempts: int
    progress: float | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        """Failed, or at (or past) its goal: nothing left to resume."""
        if self.state is _S.FAILED:
            return True
        return PIPELINE_ORDER.index(self.state) >= PIPELINE_ORDER.index(self.goal)

    @property
    def may_be_billed(self) -> bool:
        """The service may hold a paid job for this row that nobody has collected yet."""
        return self.state in BILLABLE_IN_FLIGHT

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types, for ``--json`` output."""
        return {
            "id": self.id, "request_hash": self.request_hash, "take": self.take,
            "take_group": self.take_group, "provider": self.provider, "base_url": self.base_url,
            "model": self.model, "size": self.size, "seconds": self.seconds,
            "prompt": self.prompt, "state": self.state.value, "goal": self.goal.value,
            "finished": self.finished, "remote_id": self.remote_id,
            "failure_reason": self.failure_reason,
            "failed_from": self.failed_from.value if self.failed_from else None,
            "request": self.request, "files": self.files, "context": self.context,
            "cost_estimate": str(self.cost_estimate) if self.cost_estimate is not None else None,
            "currency": self.currency, "billable": self.billable, "attempts": self.attempts,
            "progress": self.progress,
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


@dataclass(frozen=True)
class Claim:
    """The row for a request and whether this call created it (only then may it be submitted)."""

    row: JobRow
    is_new: bool


class ResumeAction(str, enum.Enum):
    """What ``jobs resume`` may do with a row."""

    CONTINUE = "continue"  # finish it; creates only if it is still ``prepared``
    RESUBMIT = "resubmit"  # ``submitting`` and the user chose to send it again
    DECIDE = "decide"  # ``submitting``: the user must choose --resubmit or forget
    FINISHED = "finished"  # reached its goal
    FAILED = "failed"  # failed; a new take is the way forward


def resume_action(row: JobRow, *, resubmit: bool = False) -> ResumeAction:
    """Classify ``row`` for resuming; an ambiguous ``submitting`` row is never resent silently."""
    if row.state is _S.FAILED:
        return ResumeAction.FAILED
    if row.finished:
        return ResumeAction.FINISHED
    if row.state is _S.SUBMITTING:
        return ResumeAction.RESUBMIT if resubmit else ResumeAction.DECIDE
    return ResumeAction.CONTINUE


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


# Migration hook: entry i upgrades a ledger from user_version i to i + 1, inside one write
# transaction. Add a function here (never edit an old one) when the schema changes.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_create_v1,)
SCHEMA_VERSION = len(MIGRATIONS)


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def _to_row(record: sqlite3.Row) -> JobRow:
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
        request=json.loads(record["request_json"]), files=json.loads(record["files_json"]),
        context=json.loads(record["context_json"]),
        cost_estimate=_decimal(record["cost_estimate"]), currency=record["currency"],
        billable=bool(record["billable"]), attempts=record["attempts"],
        progress=record["progress"], created_at=created, updated_at=updated,
        sent_at=_time(record["sent_at"]), finished_at=_time(record["finished_at"]),
    )


class Ledger:
    """The SQLite job ledger at ``path`` (created, with its folder, when missing).

    One connection per instance, guarded by a lock so the pipeline may use it from a worker
    thread. ``busy_timeout`` (seconds) bounds how long a write waits for another process;
    ``clock`` returns the current time (tests pass a fixed one).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout: float = 15.0,
        clock: Callable[[], datetime] = _now_utc,
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

    def __enter__(self) -> Ledger:
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

    def _query(self, sql: str, args: Iterable[Any] = ()) -> builtins.list[JobRow]:
        with self._lock, self._translate():
            return [_to_row(r) for r in self._conn.execute(sql, tuple(args)).fetchall()]

    def _fetch(self, conn: sqlite3.Connection, job_id: str) -> JobRow:
        record = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if record is None:
            raise LedgerError(
                f"There is no job {job_id} in the ledger {self.path}; "
                "`stillmotion jobs list` shows the jobs there."
            )
        return _to_row(record)

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
        columns["updated_at"] = _iso(self._clock())
        assignments = ", ".join(f"{name} = ?" for name in columns)
        conn.execute(
            f"UPDATE jobs SET {assignments} WHERE id = ?", (*columns.values(), row.id)
        )
        return self._fetch(conn, row.id)

    @staticmethod
    def _field_columns(row: JobRow, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Map ``advance``/``update`` keyword fields onto columns; files and context merge."""
        unknown = set(fields) - _FIELDS
        if unknown:
            raise TypeError(f"unknown job fields: {', '.join(sorted(unknown))}")
        columns: dict[str, Any] = {}
        if "files" in fields:
            files = {**row.files, **{k: str(v) for k, v in fields["files"].items()}}
            columns["files_json"] = _dump(files)
        if "context" in fields:
            columns["context_json"] = _dump({**row.context, **fields["context"]})
        if "request" in fields:
            columns["request_json"] = _dump(fields["request"])
        if "progress" in fields:
            progress = fields["progress"]
            columns["progress"] = float(progress) if progress is not None else None
        if "cost_estimate" in fields:
            cost = fields["cost_estimate"]
            columns["cost_estimate"] = str(Decimal(str(cost))) if cost is not None else None
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
        request: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
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
        now = _iso(self._clock())
        with self._write() as conn:
            latest = conn.execute(
                "SELECT * FROM jobs WHERE request_hash = ? ORDER BY take DESC LIMIT 1",
                (request_hash,),
            ).fetchone()
            if latest is not None and not new_take:
                return Claim(_to_row(latest), is_new=False)
            job_id = new_job_id(self._clock())
            cost = str(Decimal(str(cost_estimate))) if cost_estimate is not None else None
            conn.execute(
                """INSERT INTO jobs (id, request_hash, take, take_group, provider, base_url,
                    model, size, seconds, prompt, state, goal, request_json, files_json,
                    context_json, cost_estimate, currency, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    job_id, request_hash, (latest["take"] + 1) if latest else 1, take_group,
                    provider, public_url(base_url), model, size, seconds, prompt,
                    _S.PREPARED.value, target.value, _dump(request),
                    _dump({k: str(v) for k, v in (files or {}).items()}), _dump(context),
                    cost, currency, now, now,
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
            now = _iso(self._clock())
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

    def advance(self, job_id: str, state: LedgerState | str, **fields: Any) -> JobRow:
        """Move a submitted job forward (running, completed, downloaded, conformed, placed).

        ``fields``: ``files`` and ``context`` (merged into the stored ones), ``request``,
        ``progress``, ``cost_estimate``. Illegal moves raise JobStateError.
        """
        target = _S(state)
        with self._write() as conn:
            row = self._fetch(conn, job_id)
            if target not in _ADVANCE.get(row.state, frozenset()):
                raise self._illegal(row, target)
            columns = self._field_columns(row, fields)
            columns["state"] = target.value
            if PIPELINE_ORDER.index(target) >= PIPELINE_ORDER.index(row.goal):
                columns["finished_at"] = _iso(self._clock())
            return self._set(conn, row, columns)

    def update(self, job_id: str, **fields: Any) -> JobRow:
        """Change stored fields (same names as :meth:`advance`) without changing the state."""
        with self._write() as conn:
            row = self._fetch(conn, job_id)
            return self._set(conn, row, self._field_columns(row, fields))

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
                "finished_at": _iso(self._clock()),
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

    def list(
        self,
        states: Iterable[LedgerState | str] | None = None,
        limit: int | None = None,
    ) -> builtins.list[JobRow]:
        """Rows, newest first, optionally only in ``states`` and at most ``limit``."""
        sql = "SELECT * FROM jobs"
        args: builtins.list[Any] = []
        if states is not None:
            wanted = [_S(s).value for s in states]
            sql += f" WHERE state IN ({', '.join('?' for _ in wanted)})"
            args.extend(wanted)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self._query(sql, args)

    def interrupted(self) -> builtins.list[JobRow]:
        """Rows that are neither failed nor at their goal, oldest first (the resume order)."""
        rows = self._query(
            "SELECT * FROM jobs WHERE state NOT IN (?, ?) ORDER BY created_at, id",
            (_S.PLACED.value, _S.FAILED.value),
        )
        return [row for row in rows if not row.finished]

    def takes(self, take_group: str) -> builtins.list[JobRow]:
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
                (_iso(since),),
            ).fetchall()
        return sum((Decimal(r[0]) for r in records), Decimal(0))
