"""The Generate dialog's controller: what the window does, without the window.

Why apart from the UIManager window (:mod:`stillmotion.resolve.ui`): UIManager exists only
inside Resolve, so everything the dialog decides (the request, validation, the estimate,
progress and error text, the threading) lives in :class:`GenerateDialog`, tested with a
recording view. Resolve calls (grab, placement) run on the UI thread; the pipeline, which waits
minutes on a remote job, runs in a worker thread whose events a UIManager timer drains through
:meth:`GenerateDialog.poll`. "Generate for selected clips" runs one job per selected clip (or
marker) the same way, concurrently, with one progress line per shot, placing each as it ends.
The job machinery (pipeline, ffmpeg, PyAV, OTIO, c2pa) is imported by the method that starts a
job, on the UI thread, so the window opens without loading it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from stillmotion.errors import StillmotionError
from stillmotion.resolve.form import (
    FormValues,
    GenerateArgs,
    build_args,
    error_text,
    event_text,
    handoff_args,
    summary_text,
)
from stillmotion.resolve.protocol import Resolve
from stillmotion.resolve.session import ResolveSession
from stillmotion.settings import Settings, load_settings

if TYPE_CHECKING:  # the job machinery is imported by the method that starts a job
    from stillmotion.finishing.ingest import IngestResult
    from stillmotion.finishing.turnover import TurnoverResult
    from stillmotion.jobs.ledger import JobRow
    from stillmotion.jobs.multi import TakeOutcome
    from stillmotion.jobs.pipeline import GeneratedClip, PipelineEvent
    from stillmotion.resolve.handoff import IngestedVersions
    from stillmotion.resolve.models import ModelTake
    from stillmotion.resolve.resume import ResumedJobs
    from stillmotion.resolve.selection import SelectionRun, ShotFailure
    from stillmotion.resolve.workflow import GenerateFn, PlacedClip, Shot


class DialogView(Protocol):
    """What the controller needs from a window."""

    def values(self) -> FormValues: ...
    def show_summary(self, text: str) -> None: ...
    def show_status(self, text: str) -> None: ...
    def show_error(self, text: str) -> None: ...
    def set_busy(self, busy: bool) -> None: ...


@dataclass
class _Job:
    """One run in a worker thread (generate, two models, resume): ``work`` there, then
    ``finish`` with its result on the UI thread (the Resolve calls), giving the status line."""

    work: Callable[[queue.Queue[PipelineEvent]], Any]
    finish: Callable[[Any], str]
    events: queue.Queue[PipelineEvent] = field(default_factory=queue.Queue)
    thread: threading.Thread | None = None
    result: Any = None
    error: BaseException | None = None


@dataclass
class _Batch:
    """A "Generate for selected clips" run: its jobs and the latest line for each shot."""

    run: SelectionRun
    events: queue.Queue[tuple[str, str]]
    lines: dict[str, str]


class GenerateDialog:
    """Dialog logic: estimate on every edit, grab then pipeline in a worker, then place."""

    def __init__(
        self,
        resolve: Resolve,
        view: DialogView,
        *,
        settings: Settings | None = None,
        generate: GenerateFn | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resolve = resolve
        self.view = view
        self.settings = settings if settings is not None else load_settings()
        self.generate = generate
        self.sleep = sleep
        self.clock = clock
        self.job: _Job | None = None
        self.batch: _Batch | None = None
        self.placed: PlacedClip | None = None
        self.takes: list[ModelTake] = []  # the last two-model run, one per model
        self.resumed: ResumedJobs | None = None
        self.ingested: IngestedVersions | None = None

    @property
    def busy(self) -> bool:
        return self.job is not None or self.batch is not None

    def timeline_size(self) -> tuple[int, int]:
        session = ResolveSession(self.resolve)
        return session.size(session.timeline(session.project()))

    def refresh(self) -> GenerateArgs | None:
        """Re-validate the fields and show the estimate, or the one-sentence problem."""
        try:
            args = build_args(self.view.values(), timeline_size=self.timeline_size(),
                              settings=self.settings)
        except StillmotionError as exc:
            self.view.show_error(exc.message)
            return None
        self.view.show_summary(summary_text(args))
        return args

    def start(self) -> bool:
        """Generate clicked: validate, grab the still here, then run the pipeline in a worker."""
        from stillmotion.resolve.workflow import capture_shot, place_generated, run_pipeline

        if self.busy:
            return False
        args = self.refresh()
        if args is None:
            return False
        try:
            self.view.show_status("Taking the still under the playhead")
            shot = capture_shot(self.resolve, grab=args.grab, new_take=args.new_take,
                                settings=self.settings, sleep=self.sleep, clock=self.clock)
        except Exception as exc:
            self.view.show_error(error_text(exc))
            return False
        if args.second is not None:
            return self._run(*self._models(args, shot))

        def work(events: queue.Queue[PipelineEvent]) -> GeneratedClip:
            return run_pipeline(
                shot, prompt=args.prompt, seconds=args.seconds, size=args.size,
                provider=args.provider, model=args.model, settings=self.settings,
                on_event=events.put, generate=self.generate, no_audio=args.no_audio,
            )

        def finish(clip: GeneratedClip) -> str:
            self.placed = place_generated(self.resolve, shot, clip, settings=self.settings,
                                          audio=not args.no_audio)
            estimate = args.estimate
            return (f"P{_placed_text(self.placed)[1:]}: {self.placed.duration} frames, "
                    f"estimated {estimate.amount} {estimate.currency}.")

        return self._run(work, finish)

    def _models(self, args: GenerateArgs, shot: Shot) -> tuple[
            Callable[[queue.Queue[PipelineEvent]], list[TakeOutcome]],
            Callable[[list[TakeOutcome]], str]]:
        """Both models on the shot's still (worker), then their takes in one slot (UI)."""
        from stillmotion.resolve.models import place_models, run_models

        def work(events: queue.Queue[PipelineEvent]) -> list[TakeOutcome]:
            return run_models(shot, args.choices, prompt=args.prompt,
                              seconds=args.asked_seconds, size=args.asked_size,
                              settings=self.settings, no_audio=args.no_audio,
                              on_event=events.put)

        def finish(outcomes: list[TakeOutcome]) -> str:
            self.takes = place_models(self.resolve, shot, outcomes, settings=self.settings,
                                      audio=not args.no_audio)
            return "\n".join(f"{take.choice.label}: {_take_text(take)}" for take in self.takes)

        return work, finish

    def start_resume(self) -> bool:
        """Resume jobs clicked: this project's interrupted jobs are finished in a worker (never
        sent again) and placed here through the Resolve placer."""
        from stillmotion.resolve.resume import ResumedJobs, finish_jobs, place_jobs, project_rows

        if self.busy:
            return False
        result = ResumedJobs()
        try:
            rows = project_rows(self.resolve, self.settings)
        except Exception as exc:
            self.view.show_error(error_text(exc))
            return False
        self.view.show_status(f"Resuming {len(rows)} job(s) of this project")

        def finish(ready: list[JobRow]) -> str:
            self.resumed = place_jobs(self.resolve, ready, self.settings, result)
            return self.resumed.text()

        return self._run(lambda _events: finish_jobs(rows, self.settings, result), finish)

    def start_turnover(self) -> bool:
        """Turn over clicked: export the timeline here, write the plates in a worker."""
        from stillmotion.finishing.turnover import turnover
        from stillmotion.resolve.handoff import export_timeline, turnover_request

        if self.busy:
            return False
        try:
            handoff = handoff_args(self.view.values(), ingest=False)
            exported = export_timeline(self.resolve, self.settings)
        except Exception as exc:
            self.view.show_error(error_text(exc))
            return False
        request = turnover_request(exported, handoff.folder, settings=self.settings,
                                   handles=handoff.handles, format=handoff.format)
        self.view.show_status(f"Turning the AI shots over into {handoff.folder}")

        def finish(result: TurnoverResult) -> str:
            return "\n".join([f"Turned over {len(result.shots)} shot(s) into {result.folder}",
                              *result.notes])

        return self._run(lambda _events: turnover(request), finish)

    def start_ingest(self) -> bool:
        """Ingest clicked: export here, match and conform the versions in a worker, then add
        each as a take of its slot here."""
        from stillmotion.resolve.handoff import conform_versions, export_timeline, place_versions

        if self.busy:
            return False
        try:
            handoff = handoff_args(self.view.values(), ingest=True)
            project = str(ResolveSession(self.resolve).project().GetName())
            exported = export_timeline(self.resolve, self.settings)
        except Exception as exc:
            self.view.show_error(error_text(exc))
            return False
        self.view.show_status(f"Ingesting the versions in {handoff.folder}")

        def work(_events: queue.Queue[PipelineEvent]) -> IngestResult:
            return conform_versions(exported, handoff.folder, project=project,
                                    settings=self.settings, handles=handoff.handles)

        def finish(found: IngestResult) -> str:
            self.ingested = place_versions(self.resolve, found)
            return self.ingested.text()

        return self._run(work, finish)

    def _run(self, work: Callable[[queue.Queue[PipelineEvent]], Any],
             finish: Callable[[Any], str]) -> bool:
        job = _Job(work, finish)

        def body() -> None:
            try:
                job.result = job.work(job.events)
            except BaseException as exc:  # reported on the UI thread by poll()
                job.error = exc

        job.thread = threading.Thread(target=body, name="stillmotion-generate", daemon=True)
        self.job = job
        self.view.set_busy(True)
        job.thread.start()
        return True

    def start_selection(self) -> bool:
        """Generate for selected clips clicked: take every shot's still here, then run the jobs
        concurrently; :meth:`poll` places each as it finishes."""
        from stillmotion.resolve.selection import start_selection

        if self.busy:
            return False
        args = self.refresh()
        if args is None:
            return False
        events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.view.show_status("Taking the stills of the selected clips")
        try:
            run = start_selection(
                self.resolve, prompt=args.prompt, seconds=args.seconds, size=args.size,
                provider=args.provider, model=args.model, grab=args.grab,
                marker_color=args.marker_color, settings=self.settings,
                on_event=lambda label, event: events.put((label, event_text(event))),
                generate=self.generate, sleep=self.sleep, clock=self.clock,
                audio=not args.no_audio,
            )
        except Exception as exc:
            self.view.show_error(error_text(exc))
            return False
        batch = _Batch(run, events, {target.label: "waiting"
                                     for target, _ in run.pending.values()})
        run.on_placed = lambda label, placed: batch.lines.__setitem__(label, _placed_text(placed))
        run.on_failure = lambda failure: batch.lines.__setitem__(failure.label,
                                                                 _failure_text(failure))
        for failure in run.placed.failures:
            batch.lines[failure.label] = _failure_text(failure)
        self.batch = batch
        self.view.set_busy(True)
        self.view.show_status(_lines_text(batch.lines))
        return True

    def _poll_batch(self, batch: _Batch) -> bool:
        """Show each shot's latest line and place the jobs that finished (UI thread)."""
        while True:
            try:
                label, text = batch.events.get_nowait()
            except queue.Empty:
                break
            batch.lines[label] = text
        try:
            running = batch.run.place_ready(block=False)
        except Exception as exc:  # the final save
            running = False
            batch.lines["project"] = f"Not done: {error_text(exc)}"
        if running:
            self.view.show_status(_lines_text(batch.lines))
            return True
        self.batch = None
        self.view.set_busy(False)
        placed, failed = len(batch.run.placed), len(batch.run.placed.failures)
        summary = f"Placed {placed} of {placed + failed} clips" + (
            f"; {failed} not done" if failed else "")
        self.view.show_status(_lines_text({**batch.lines, "Done": summary}))
        return False

    def poll(self) -> bool:
        """Timer tick on the UI thread: show progress; when the worker ends, place the clip.

        Returns True while a job is still running.
        """
        if self.batch is not None:
            return self._poll_batch(self.batch)
        job = self.job
        if job is None:
            return False
        while True:
            try:
                self.view.show_status(event_text(job.events.get_nowait()))
            except queue.Empty:
                break
        if job.thread is not None and job.thread.is_alive():
            return True
        self.job = None
        self.view.set_busy(False)
        if job.error is not None:
            self.view.show_error(error_text(job.error))
            return False
        try:
            text = job.finish(job.result)
        except Exception as exc:
            self.view.show_error(error_text(exc))
            return False
        self.view.show_status(text)
        return False


def _placed_text(placed: PlacedClip) -> str:
    """Where a clip went, for the status line ("placed job … at 01:00:00:12 on …")."""
    where = (f"as take {placed.take}" if placed.take
             else f"on {placed.track_name} (V{placed.track_index})")
    return f"placed job {placed.clip.job_id} at {placed.timecode} {where}"


def _take_text(take: ModelTake) -> str:
    if take.placed is not None:
        return _placed_text(take.placed)
    return f"Not done: {error_text(take.error or RuntimeError('no clip'))}"


def _failure_text(failure: ShotFailure) -> str:
    return f"Not done: {error_text(failure.error)}"


def _lines_text(lines: dict[str, str]) -> str:
    """One progress line per shot."""
    return "\n".join(f"{label}: {text}" for label, text in lines.items())
