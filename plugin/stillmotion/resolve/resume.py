"""Resume this Resolve project's unfinished jobs and place them on the live timeline.

Why in the Resolve front end: a job started from the dialog whose script stopped (Resolve quit,
a modal dialog, a crash) after the service finished is paid for but not on the timeline.
``stillmotion jobs resume`` outside Resolve cannot reach the live timeline; here the ledger's
rows of this project are finished by the same story the CLI uses
(:func:`stillmotion.jobs.pipeline.resume_job`, which never sends a create again and leaves an
ambiguous ``submitting`` row to the editor's decision) and placed through
:class:`~stillmotion.resolve.placer.ResolvePlacer` at the record frame each row recorded. A row
of another timeline of the project is finished (downloaded, conformed) and left for when that
timeline is open. Like generating, the waiting half (:func:`finish_jobs`) may run in a worker
thread and the placing half (:func:`place_jobs`) runs on the UI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from stillmotion.errors import StillmotionError
from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState
from stillmotion.jobs.pipeline import drive, resume_job
from stillmotion.resolve.placer import ResolvePlacer
from stillmotion.resolve.protocol import Resolve
from stillmotion.resolve.session import ResolveSession
from stillmotion.settings import Settings


@dataclass
class ResumedJobs:
    """What resuming did: rows placed, rows finished but left for another timeline, failures."""

    placed: list[JobRow] = field(default_factory=list)
    waiting: list[JobRow] = field(default_factory=list)
    failures: list[tuple[str, StillmotionError]] = field(default_factory=list)

    def text(self) -> str:
        """One line per outcome, for the dialog's status."""
        lines = [f"placed job {row.id} from {row.provider}" for row in self.placed]
        lines += [f"job {row.id} is ready: open timeline '{_timeline(row)}' and resume again "
                  "to place it" for row in self.waiting]
        lines += [f"job {job_id} not done: {error.message}" for job_id, error in self.failures]
        return "\n".join(lines) or "Nothing to resume in this project."


def project_rows(resolve: Resolve, settings: Settings) -> list[JobRow]:
    """The interrupted rows (not failed, not at their goal) that this Resolve project made,
    oldest first (UI thread: it asks Resolve for the project's name)."""
    session = ResolveSession(resolve)
    project = str(session.project().GetName())
    with Ledger(settings.ledger_path) as ledger:
        rows = ledger.interrupted()
    return [row for row in rows if row.request.source is not None
            and row.request.source.host == "resolve" and row.request.source.project == project]


def finish_jobs(rows: Sequence[JobRow], settings: Settings,
                result: ResumedJobs) -> list[JobRow]:
    """Take each row as far as ``conformed`` (no Resolve calls; may wait on the services).

    Returns the rows now ready to place; a row that cannot go on is a failure in ``result``.
    """
    from stillmotion.jobs.providers import embedded_server
    from stillmotion.server import embedded_base_url

    ready = []
    with embedded_server(embedded_base_url), Ledger(settings.ledger_path) as ledger:
        for row in rows:
            try:
                clip = drive(row, settings, ledger=ledger)
            except StillmotionError as exc:
                result.failures.append((row.id, exc))
                continue
            ready.append(ledger.get(clip.job_id))
    return ready


def place_jobs(resolve: Resolve, rows: Sequence[JobRow], settings: Settings,
               result: ResumedJobs) -> ResumedJobs:
    """Place each conformed row of the current timeline through the Resolve placer (UI
    thread), one undoable group each; the project is saved once at the end."""
    placer = ResolvePlacer(resolve, settings, save=False)
    with Ledger(settings.ledger_path) as ledger:
        for row in rows:
            try:
                done = resume_job(row, settings, ledger=ledger, placers=[placer])
            except StillmotionError as exc:
                result.failures.append((row.id, exc))
                continue
            if done.state is LedgerState.PLACED:
                result.placed.append(done)
            else:
                result.waiting.append(done)
    if result.placed:
        ResolveSession(resolve).save_project()
    return result


def resume_jobs(resolve: Resolve, *, settings: Settings) -> ResumedJobs:
    """Finish and place this project's interrupted jobs (scripts and tests; the dialog runs
    the two halves on their threads)."""
    result = ResumedJobs()
    ready = finish_jobs(project_rows(resolve, settings), settings, result)
    return place_jobs(resolve, ready, settings, result)


def _timeline(row: JobRow) -> str:
    source = row.request.source
    return (source.timeline or "") if source is not None else ""
