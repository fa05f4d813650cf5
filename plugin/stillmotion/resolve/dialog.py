"""The Generate dialog's controller: what the window does, without the window.

Why apart from the UIManager window (:mod:`stillmotion.resolve.ui`): UIManager exists only
inside Resolve, so everything the dialog decides (the request, validation, the estimate,
progress and error text, the threading) lives in :class:`GenerateDialog`, tested with a
recording view. Resolve calls (grab, placement) run on the UI thread; the pipeline, which waits
minutes on a remote job, runs in a worker thread whose events a UIManager timer drains through
:meth:`GenerateDialog.poll`. "Generate for selected clips" runs one job per selected clip (or
marker) the same way, concurrently, with one progress line per shot, placing each as it ends.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from stillmotion.errors import StillmotionError
from stillmotion.resolve.form import (
    FormValues,
    GenerateArgs,
    build_args,
    error_text,
    event_text,
    summary_text,
)
from stillmotion.resolve.protocol import Resolve
from stillmotion.resolve.selection import SelectionRun, ShotFailure, start_selection
from stillmotion.resolve.session import ResolveSession
from stillmotion.resolve.workflow import (
    GenerateFn,
    PlacedClip,
    Shot,
    capture_shot,
    place_generated,
    run_pipeline,
)
from stillmotion.settings import Settings, load_settings

if TYPE_CHECKING:
    from stillmotion.jobs.pipeline import GeneratedClip, PipelineEvent


class DialogView(Protocol):
    """What the controller needs from a window."""

    def values(self) -> FormValues: ...
    def show_summary(self, text: str) -> None: ...
    def show_status(self, text: str) -> None: ...
    def show_error(self, text: str) -> None: ...
    def set_busy(self, busy: bool) -> None: ...


@dataclass
class _Job:
    """One generation in flight: the shot (UI thread), the worker's result or error."""

    args: GenerateArgs
    shot: Shot
    events: queue.Queue[PipelineEvent]
    thread: threading.Thread
    clip: GeneratedClip | None = None
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
        events: queue.Queue[PipelineEvent] = queue.Queue()
        thread = threading.Thread(target=self._work, name="stillmotion-generate", daemon=True)
        self.job = _Job(args, shot, events, thread)
        self.view.set_busy(True)
        thread.start()
        return True

    def _work(self) -> None:
        job = self.job
        assert job is not None
        try:
            job.clip = run_pipeline(
                job.shot, prompt=job.args.prompt, seconds=job.args.seconds, size=job.args.size,
                provider=job.args.provider, model=job.args.model, settings=self.settings,
                on_event=job.events.put, generate=self.generate,
            )
        except BaseException as exc:  # reported on the UI thread by poll()
            job.error = exc

    def start_selection(self) -> bool:
        """Generate for selected clips clicked: take every shot's still here, then run the jobs
        concurrently; :meth:`poll` places each as it finishes."""
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
        if job.thread.is_alive():
            return True
        self.job = None
        self.view.set_busy(False)
        if job.error is not None or job.clip is None:
            self.view.show_error(error_text(job.error or RuntimeError("no clip")))
            return False
        try:
            self.placed = place_generated(self.resolve, job.shot, job.clip,
                                          settings=self.settings)
        except Exception as exc:
            self.view.show_error(error_text(exc))
            return False
        estimate = job.args.estimate
        self.view.show_status(
            f"P{_placed_text(self.placed)[1:]}: {self.placed.duration} frames, estimated "
            f"{estimate.amount} {estimate.currency}."
        )
        return False


def _placed_text(placed: PlacedClip) -> str:
    """Where a clip went, for the status line ("placed job … at 01:00:00:12 on …")."""
    where = (f"as take {placed.take}" if placed.take
             else f"on {placed.track_name} (V{placed.track_index})")
    return f"placed job {placed.clip.job_id} at {placed.timecode} {where}"


def _failure_text(failure: ShotFailure) -> str:
    return f"Not done: {error_text(failure.error)}"


def _lines_text(lines: dict[str, str]) -> str:
    """One progress line per shot."""
    return "\n".join(f"{label}: {text}" for label, text in lines.items())
