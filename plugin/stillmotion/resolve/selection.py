"""Generate for the selected clips (Resolve 21.0.4+) or for markers: many shots in one pass.

Why this shape: Resolve calls must stay on the script's (UI) thread while the jobs wait minutes
on a service. So every still is taken first, on this thread, one shot after another (playhead
at a marker inside the clip, else at its middle); then the jobs run concurrently in a thread
pool, and each finished clip is placed here as soon as it is ready, as its own group of edits
(a failure undoes that clip's edits only). One shot failing is reported while the others are
placed; the project is saved once at the end. Which shots: ``Timeline.GetSelectedClips()`` where
the build has it (the version table decides, never ``hasattr``), else, or when a marker colour
is asked for, the timeline markers (of that colour).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stillmotion.errors import ConfigError, StillmotionError, TimelineError
from stillmotion.jobs import cost
from stillmotion.jobs.ledger import Ledger
from stillmotion.resolve.protocol import Resolve, Timeline, TimelineItem
from stillmotion.resolve.session import ResolveSession, TimelineClock
from stillmotion.resolve.workflow import (
    GenerateFn,
    PlacedClip,
    Shot,
    capture_shot,
    place_generated,
    run_pipeline,
    shot_request,
)
from stillmotion.settings import Settings, load_settings
from stillmotion.timeline.shots import MarkerShot

if TYPE_CHECKING:
    from stillmotion.jobs.pipeline import ConformSpec, GeneratedClip, PipelineEvent, ShotRequest

CONCURRENCY = 3
SELECTION = "Timeline.GetSelectedClips"


@dataclass(frozen=True)
class Target:
    """One shot to generate: where the playhead goes, how to name it, its own prompt if any."""

    record_frame: int
    label: str
    prompt: str = ""


@dataclass(frozen=True)
class ShotFailure:
    """A shot that was not placed, and the one sentence saying why."""

    label: str
    error: BaseException

    @property
    def message(self) -> str:
        if isinstance(self.error, StillmotionError):
            return f"{self.label}: {self.error.message}"
        return f"{self.label}: unexpected {type(self.error).__name__} ({self.error})"


class PlacedClips(list[PlacedClip]):
    """The clips placed, in the order they finished, plus the shots that failed."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[ShotFailure] = []


def targets(session: ResolveSession, timeline: Timeline, clock: TimelineClock, *,
            marker_color: str | None) -> list[Target]:
    """The selected clips (21.0.4+, no colour asked), else the markers (of ``marker_color``)."""
    markers = _markers(session, timeline, clock)
    if marker_color is None and session.supports(SELECTION):
        found: list[Target] = []
        for item in _selected(session, timeline):
            start, length = int(item.GetStart()), int(item.GetDuration())
            inside = [frame for frame, _ in markers if start <= frame < start + length]
            frame = inside[0] if inside else start + length // 2
            if all(t.record_frame != frame for t in found):
                found.append(Target(frame, f"{item.GetName()} at {clock.to_text(frame)}"))
        return found
    wanted = (marker_color or "").strip().lower()
    return [Target(frame, f"marker at {clock.to_text(frame)}", text)
            for frame, info in markers
            if not wanted or str(info.get("color", "")).lower() == wanted
            for text in [_marker_text(info)]]


def _selected(session: ResolveSession, timeline: Timeline) -> list[TimelineItem]:
    found = session.read(
        timeline.GetSelectedClips(), "GetSelectedClips", "Resolve did not list the selected "
        "clips", "select the clips in the Edit page again",
    )
    items = list(found.values()) if isinstance(found, dict) else list(found)
    return sorted(items, key=lambda item: int(item.GetStart()))


def _markers(session: ResolveSession, timeline: Timeline,
             clock: TimelineClock) -> list[tuple[int, dict[str, Any]]]:
    """Timeline markers as (absolute record frame, info), in time order."""
    found = session.read(
        timeline.GetMarkers(), "GetMarkers", "Resolve did not list the timeline markers",
        "reopen the timeline and try again",
    )
    return sorted((clock.start_frame + int(frame), dict(info)) for frame, info in found.items())


def _marker_text(info: dict[str, Any]) -> str:
    """The marker's prompt, joined as the CLI's batch joins name and note."""
    return MarkerShot(0, str(info.get("name") or ""), str(info.get("note") or ""), "").prompt


@dataclass
class SelectionRun:
    """Jobs in flight for captured shots; :meth:`place_ready` places the finished ones.

    Build it with :func:`start_selection`; call :meth:`place_ready` on the Resolve (UI) thread.
    """

    resolve: Resolve
    settings: Settings
    pool: ThreadPoolExecutor | None
    pending: dict[Future[GeneratedClip], tuple[Target, Shot]]
    placed: PlacedClips
    on_placed: Callable[[str, PlacedClip], None] | None = None
    on_failure: Callable[[ShotFailure], None] | None = None
    saved: bool = False
    audio: bool = True  # False: picture only ("No audio")

    def place_ready(self, *, block: bool) -> bool:
        """Place every finished job (waiting for at least one when ``block``); True while jobs
        are still running. The project is saved once, after the last placement."""
        if self.pending:
            ready, _ = wait(list(self.pending), timeout=None if block else 0,
                            return_when="FIRST_COMPLETED")
            for future in [f for f in self.pending if f in ready]:
                target, shot = self.pending.pop(future)
                self._place(target, shot, future)
        if self.pending:
            return True
        if self.pool is not None:
            self.pool.shutdown(wait=False)
        if self.placed and not self.saved:
            self.saved = True
            ResolveSession(self.resolve).save_project()
        return False

    def _place(self, target: Target, shot: Shot, future: Future[GeneratedClip]) -> None:
        try:
            placed = place_generated(self.resolve, shot, future.result(), settings=self.settings,
                                     save=False, audio=self.audio)
        except Exception as exc:  # one shot's failure must not lose the others' finished jobs
            self.fail(ShotFailure(target.label, exc))
            return
        self.placed.append(placed)
        if self.on_placed is not None:
            self.on_placed(target.label, placed)

    def fail(self, failure: ShotFailure) -> None:
        self.placed.failures.append(failure)
        if self.on_failure is not None:
            self.on_failure(failure)


def start_selection(
    resolve: Resolve,
    *,
    prompt: str,
    seconds: int | None = None,
    provider: str | None = None,
    marker_color: str | None = None,
    size: tuple[int, int] | None = None,
    model: str | None = None,
    grab: str = "viewer",
    settings: Settings,
    concurrency: int = CONCURRENCY,
    media_dir: Path | None = None,
    on_event: Callable[[str, PipelineEvent], None] | None = None,
    on_placed: Callable[[str, PlacedClip], None] | None = None,
    on_failure: Callable[[ShotFailure], None] | None = None,
    generate: GenerateFn | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    audio: bool = True,
) -> SelectionRun:
    """Take every shot's still here, check the whole run against the budget, submit the jobs
    (``audio`` False: each clip's picture only)."""
    session = ResolveSession(resolve)
    timeline = session.timeline(session.project())
    clk = session.clock(timeline)
    found = targets(session, timeline, clk, marker_color=marker_color)
    if not found:
        if marker_color is None and session.supports(SELECTION):
            raise TimelineError("No clips are selected; select the shots in the Edit page (or "
                                "choose a marker colour) and try again.")
        kind = "markers" if marker_color is None else f"{marker_color} markers"
        raise TimelineError(f"The timeline has no {kind}; add markers on the shots (or choose "
                            "another colour) and try again.")
    placed = PlacedClips()
    run = SelectionRun(resolve, settings, None, {}, placed, on_placed, on_failure, audio=audio)
    shots: list[tuple[Target, Shot, str]] = []
    for target in found:
        text = prompt.strip() or target.prompt
        try:
            if not text:
                raise ConfigError("The prompt is empty and the marker has no name or note; "
                                  "write a prompt.")
            shots.append((target, capture_shot(resolve, grab=grab, settings=settings,
                                               record_frame=target.record_frame, sleep=sleep,
                                               clock=clock), text))
        except Exception as exc:  # reported with the others; the remaining shots still run
            run.fail(ShotFailure(target.label, exc))
    _check_budget([shot_request(shot, prompt=text, seconds=seconds, size=size,
                                provider=provider, model=model) for _, shot, text in shots],
                  settings)
    run.pool = ThreadPoolExecutor(max_workers=max(1, concurrency),
                                  thread_name_prefix="stillmotion")
    for target, shot, text in shots:
        def events(event: PipelineEvent, label: str = target.label) -> None:
            if on_event is not None:
                on_event(label, event)

        future = run.pool.submit(run_pipeline, shot, prompt=text, seconds=seconds, size=size,
                                 provider=provider, model=model, settings=settings,
                                 media_dir=media_dir, on_event=events, generate=generate,
                                 no_audio=not audio)
        run.pending[future] = (target, shot)
    return run


def _check_budget(requests: list[tuple[ShotRequest, ConformSpec]], settings: Settings) -> None:
    """Refuse the whole run before anything is sent when its total passes a budget."""
    from stillmotion.jobs.pipeline import plan_shot

    if not requests or (settings.budget is None and settings.daily_budget is None):
        return
    with Ledger(settings.ledger_path) as ledger:
        plans = [plan_shot(request, target, settings, ledger) for request, target in requests]
        cost.check_budget([p.estimate for p in plans if p.existing is None],
                          run_budget=settings.budget, daily_budget=settings.daily_budget,
                          ledger=ledger)


def generate_for_selection(
    resolve: Resolve,
    *,
    prompt: str,
    seconds: int | None = None,
    provider: str | None = None,
    marker_color: str | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> PlacedClips:
    """One clip per selected clip (Resolve 21.0.4+) or per marker (of ``marker_color``), each
    placed at its own shot as it finishes; failures are in ``.failures``.

    ``options`` are :func:`start_selection`'s (size, model, grab, concurrency, media_dir,
    on_event, on_placed, on_failure, generate, sleep, clock, audio). When no shot could be
    placed the first failure is raised, so a script never mistakes a failed run for an empty
    one.
    """
    config = settings if settings is not None else load_settings()
    run = start_selection(resolve, prompt=prompt, seconds=seconds, provider=provider,
                          marker_color=marker_color, settings=config, **options)
    while run.place_ready(block=True):
        pass
    if not run.placed and run.placed.failures:
        raise run.placed.failures[0].error
    return run.placed
