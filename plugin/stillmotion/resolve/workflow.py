"""Generate at the playhead on a live Resolve: grab, run the pipeline, import, place, tag, restore.

Why three phases: the grab and the placement talk to Resolve and must run on the script's main
(UI) thread, while the pipeline waits minutes on a remote job and must not (the dialog runs it in
a worker thread). :func:`generate_at_playhead` runs the three in a row for scripts and tests.
Nothing on the timeline changes before the generated clip exists; every change after that is
undone if a later step fails, and the editor's page, playhead and bin are put back either way.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from stillmotion.errors import ConfigError, TimelineError
from stillmotion.jobs.records import JobContext
from stillmotion.resolve.placement import is_ai_track
from stillmotion.resolve.placing import PlacedClip, place_generated
from stillmotion.resolve.protocol import Resolve
from stillmotion.resolve.restore import users_view
from stillmotion.resolve.session import ResolveSession
from stillmotion.resolve.shot import Shot
from stillmotion.resolve.still import (
    GRAB_ROUTES,
    ai_tracks_hidden,
    export_viewer_still,
    grab_source_still,
    source_frame,
)
from stillmotion.resolve.takes import first_take_still, same_shot_slot, take_target
from stillmotion.settings import Settings, load_settings

if TYPE_CHECKING:
    from stillmotion.jobs.pipeline import ConformSpec, GeneratedClip, PipelineEvent, ShotRequest

# Re-exported: the front end's callers import the shot and its placing from the workflow.
__all__ = ["GenerateFn", "PlacedClip", "Shot", "capture_shot", "default_media_dir",
           "generate_at_playhead", "media_root", "place_generated", "run_pipeline", "safe_name",
           "shot_request"]


class GenerateFn(Protocol):
    """The pipeline's ``generate`` (stillmotion.jobs.pipeline), injectable for tests."""

    def __call__(
        self, request: ShotRequest, conform: ConformSpec, *, media_dir: Path,
        settings: Settings | None = None,
        on_event: Callable[[PipelineEvent], None] | None = None,
        context: JobContext | None = None,
    ) -> GeneratedClip: ...


def generate_at_playhead(
    resolve: Resolve,
    *,
    prompt: str,
    seconds: int | None = None,
    size: tuple[int, int] | None = None,
    provider: str | None = None,
    grab: str = "viewer",
    settings: Settings | None = None,
    model: str | None = None,
    new_take: bool = False,
    media_dir: Path | None = None,
    on_event: Callable[[PipelineEvent], None] | None = None,
    generate: GenerateFn | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    audio: bool = True,
) -> PlacedClip:
    """Generate a clip from the frame under the playhead and place it there (or add a take);
    its sound goes under it, linked, unless ``audio`` is False or the clip is silent."""
    config = settings if settings is not None else load_settings()
    shot = capture_shot(resolve, grab=grab, new_take=new_take, settings=config, sleep=sleep,
                        clock=clock)
    clip = run_pipeline(shot, prompt=prompt, seconds=seconds, size=size, provider=provider,
                        model=model, settings=config, media_dir=media_dir, on_event=on_event,
                        generate=generate, no_audio=not audio)
    return place_generated(resolve, shot, clip, settings=config, audio=audio)


def capture_shot(
    resolve: Resolve,
    *,
    grab: str = "viewer",
    new_take: bool = False,
    settings: Settings,
    record_frame: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Shot:
    """Find the shot under the playhead (or at ``record_frame``) and take its still (Resolve
    calls: main thread).

    Generated clips over the shot do not stop the viewer route: their tracks are switched off for
    the export. A generated clip of the same shot over the playhead is the slot the new clip goes
    into as a take when their spans match (:func:`place_generated`).
    """
    if grab not in GRAB_ROUTES:
        raise ConfigError(f"Unknown grab route '{grab}'; choose one of: {', '.join(GRAB_ROUTES)}.")
    session = ResolveSession(resolve)
    project = session.project()
    timeline = session.timeline(project)
    clk = session.clock(timeline)
    with users_view(session, timeline, clk):
        playhead = session.playhead(timeline, clk) if record_frame is None else record_frame
        label = clk.to_text(playhead)
        tracks = session.video_tracks(timeline)
        under = session.items_at(timeline, playhead, tracks=tracks)
        shots = [(track, item) for track, item in under if not is_ai_track(track.name)]
        if not shots:
            raise TimelineError(
                f"No enabled video clip is under the playhead at {label}; move the playhead "
                "onto a shot and try again."
            )
        source_track, item = shots[0]
        clip_name = str(item.GetName())
        take_of = (take_target(under, label) if new_take
                   else same_shot_slot(under, source_track.index, clip_name,
                                       str(timeline.GetName())))
        source = source_frame(session, item, clk, playhead)
        still = _still_path(settings, str(timeline.GetName()), playhead)
        reused = first_take_still(under) if new_take else None
        if reused is not None:
            still, grab = reused, "first take"
        elif grab == "source":
            grab_source_still(source, clip_name, still)
        else:
            with ai_tracks_hidden(session, timeline, tracks, source_track.index):
                export_viewer_still(session, project, timeline, clk, record_frame=playhead,
                                    output=still, sleep=sleep, now=clock)
    return Shot(
        project=str(project.GetName()), timeline=str(timeline.GetName()), clock=clk,
        size=session.size(timeline), playhead=playhead, still=still, grab=grab,
        clip_name=clip_name, source=source, take_of=take_of,
    )


def run_pipeline(
    shot: Shot,
    *,
    prompt: str,
    seconds: int | None = None,
    size: tuple[int, int] | None = None,
    provider: str | None = None,
    model: str | None = None,
    settings: Settings,
    media_dir: Path | None = None,
    on_event: Callable[[PipelineEvent], None] | None = None,
    generate: GenerateFn | None = None,
    no_audio: bool = False,
) -> GeneratedClip:
    """Run the shared pipeline on the still, conformed to the timeline (no Resolve calls).

    Both Resolve paths (the dialog's worker thread, :func:`generate_at_playhead`) come through
    here, so this is where the Resolve front end hands the jobs layer the embedded preview
    server for the default ``preview`` provider. ``no_audio`` is recorded on the job, so a
    resumed job is placed picture only too.
    """
    from stillmotion.jobs import pipeline
    from stillmotion.jobs.providers import embedded_server
    from stillmotion.server import embedded_base_url

    run = generate if generate is not None else pipeline.generate
    request, conform = shot_request(shot, prompt=prompt, seconds=seconds, size=size,
                                    provider=provider, model=model)
    folder = media_dir if media_dir is not None else default_media_dir(settings, shot.project)
    folder.mkdir(parents=True, exist_ok=True)
    with embedded_server(embedded_base_url):
        return run(request, conform, media_dir=folder, settings=settings, on_event=on_event,
                   context=JobContext(no_audio=no_audio))


def shot_request(
    shot: Shot, *, prompt: str, seconds: int | None = None, size: tuple[int, int] | None = None,
    provider: str | None = None, model: str | None = None,
) -> tuple[ShotRequest, ConformSpec]:
    """The pipeline request for a captured shot, and the timeline shape to conform to."""
    from stillmotion.jobs import pipeline

    request = pipeline.ShotRequest(
        image=shot.still, prompt=prompt, seconds=seconds, size=size, provider=provider,
        model=model, new_take=shot.take_of is not None and shot.take_of.required,
        take_group=shot.take_of.take_group if shot.take_of else None, source=shot.provenance(),
    )
    return request, pipeline.ConformSpec(rate=shot.clock.rate, size=shot.size)



def media_root(settings: Settings) -> Path:
    """The folder of generated clips for Resolve projects (Resolve projects have no folder)."""
    return settings.data_dir / "resolve"


def default_media_dir(settings: Settings, project: str) -> Path:
    """Where generated clips of one Resolve project are kept."""
    return media_root(settings) / safe_name(project)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "untitled"


def _still_path(settings: Settings, timeline: str, playhead: int) -> Path:
    folder = settings.cache_dir / "resolve-stills"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{safe_name(timeline)}-{playhead}-{secrets.token_hex(3)}.png"


