"""The job state machine: states, legal moves, and a job row as the ledger returns it.

States (column ``state``)::

    prepared -> submitting -> submitted -> running -> completed -> downloaded -> conformed -> placed
                                      \\______________________/
    any state that is not final (placed, failed) -> failed, with a reason

- ``prepared``: the request hash is claimed; nothing has been sent.
- ``submitting``: committed BEFORE the create call. Create is not idempotent and has no
  idempotency key, so a row that stays here (stillmotion stopped between the create call and
  ``Ledger.record_submitted``) is ambiguous: the service may hold, and bill, a job whose id
  we never saw. Such a row is NEVER submitted again automatically: ``stillmotion jobs resume``
  reports that it needs a decision — look at the provider's dashboard, then
  ``stillmotion jobs resume ID --resubmit`` sends it again (``Ledger.mark_submitting`` with
  ``resubmit=True``), or ``stillmotion jobs forget ID`` drops it. A create that failed in a way
  that proves nothing was accepted (an HTTP 4xx answer) should be recorded with ``Ledger.fail``.
- ``submitted``: the service gave a remote id; from here on nothing is ever created again, resume
  only polls, downloads, conforms and places. ``submitted -> completed`` is legal because a fast
  job may be complete at the first poll; ``running -> running`` records progress.
- Each row has a ``goal`` (``placed`` by default; ``downloaded`` or ``conformed`` for a run without
  a timeline): a row that reached its goal, or failed, is finished and is not resumed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from stillmotion.jobs.records import JobContext, JobFiles, JobRequest


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
# Forward moves through Ledger.advance(); submitting/submitted/failed have their own methods.
ADVANCE: dict[LedgerState, frozenset[LedgerState]] = {
    _S.SUBMITTED: frozenset({_S.RUNNING, _S.COMPLETED}),
    _S.RUNNING: frozenset({_S.RUNNING, _S.COMPLETED}),
    _S.COMPLETED: frozenset({_S.DOWNLOADED}),
    _S.DOWNLOADED: frozenset({_S.CONFORMED}),
    _S.CONFORMED: frozenset({_S.PLACED}),
}


def reaches(state: LedgerState, goal: LedgerState) -> bool:
    """``state`` is at or past ``goal`` along the pipeline."""
    return PIPELINE_ORDER.index(state) >= PIPELINE_ORDER.index(goal)


@dataclass(frozen=True)
class JobRow:
    """One job as stored; ``request``/``files``/``context`` are typed records."""

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
    request: JobRequest
    files: JobFiles
    context: JobContext
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
        return self.state is _S.FAILED or reaches(self.state, self.goal)

    @property
    def may_be_billed(self) -> bool:
        """The service may hold a paid job for this row that nobody has collected yet."""
        return self.state in BILLABLE_IN_FLIGHT

    @property
    def group(self) -> str:
        """The take group (the pipeline's own default, the hash's head, when none was given)."""
        return self.take_group or self.request_hash[:16]

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
            "request": self.request.to_json(), "files": self.files.to_json(),
            "context": self.context.to_json(),
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
