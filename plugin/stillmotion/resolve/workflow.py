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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from stillmotion.errors import ConfigError, ResolveOperationError, TimelineError
from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.records import JobContext, ResolveSpot, SourceFacts
from stillmotion.resolve.placement import Slot, add_take, is_ai_track, place_clip
from stillmotion.resolve.protocol import MediaPoolItem, Resolve, TimelineItem
from stillmotion.resolve.restore import Rollback, undo_on_failure, users_view
from stillmotion.resolve.session import ResolveSession, TimelineClock
from stillmotion.resolve.sound import place_sound
from stillmotion.resolve.still import (
    GRAB_ROUTES,
    SourceFrame,
    ai_tracks_hidden,
    export_viewer_still,
    grab_source_still,
    source_frame,
)
from stillmotion.resolve.takes import (
    META,
    TakeTarget,
    first_take_still,
    same_shot_slot,
    take_slot,
    take_target,
)
from stillmotion.settings import Settings, load_settings

if TYPE_CHECKING:
    from stillmotion.jobs.pipeline import ConformSpec, GeneratedClip, PipelineEvent, ShotRequest

AI_BIN = "AI Generated"
CLIP_COLOR = "Violet"
MARKER_COLOR = "Purple"


class GenerateFn(Protocol):
    """The pipeline's ``generate`` (stillmotion.jobs.pipeline), injectable for tests."""

    def __call__(
        self, request: ShotRequest, conform: ConformSpec, *, media_dir: Path,
        settings: Settings | None = None,
        on_event: Callable[[PipelineEvent], None] | None = None,
    ) -> GeneratedClip: ...


@dataclass(frozen=True)
class Shot:
    """What was under the playhead when the still was taken, and the still itself."""

    project: str
    timeline: str
    clock: TimelineClock
    size: tuple[int, int]
    playhead: int
    still: Path
    grab: str
    clip_name: str
    source: SourceFrame | None
    take_of: TakeTarget | None = None

    @property
    def timecode(self) -> str:
        return self.clock.to_text(self.playhead)

    def provenance(self) -> SourceFacts:
        """What the ledger keeps about where the still came from (enough to place it again)."""
        return SourceFacts(
            host="resolve", project=self.project, timeline=self.timeline,
            timecode=self.timecode, record_frame=self.playhead, grab=self.grab,
            clip=self.clip_name, still=str(self.still),
            media=str(self.source.media) if self.source else None,
            frame=self.source.frame if self.source else None,
        )


@dataclass(frozen=True)
class PlacedClip:
    """The generated clip as placed: where it went and how it was tagged."""

    clip: GeneratedClip
    timeline: str
    track_index: int
    track_name: str
    new_track: bool
    record_frame: int
    timecode: str
    duration: int
    take: int | None = None
    marker_frame: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    sound_track: int | None = None  # the audio track holding the linked sound (None: none)


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
                        generate=generate)
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
) -> GeneratedClip:
    """Run the shared pipeline on the still, conformed to the timeline (no Resolve calls).

    Both Resolve paths (the dialog's worker thread, :func:`generate_at_playhead`) come through
    here, so this is where the Resolve front end hands the jobs layer the embedded preview
    server for the default ``preview`` provider.
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
        return run(request, conform, media_dir=folder, settings=settings, on_event=on_event)


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


def place_generated(
    resolve: Resolve, shot: Shot, clip: GeneratedClip, *, settings: Settings, save: bool = True,
    audio: bool = True,
) -> PlacedClip:
    """Import the clip into the AI bin, place it (or add a take), tag it, save (main thread).

    All of it is one group: a failure part-way undoes every edit. Background tasks are paused
    first where the build can (autosave mid-edit breaks scripts); ``save=False`` leaves the one
    save at the end to a caller placing several clips. A new clip with sound gets it on an
    audio track, linked (unless ``audio`` is False): a failure there undoes the picture too.
    The ledger row then moves to ``placed`` with where it went, so ``stillmotion jobs`` shows it.
    """
    session = ResolveSession(resolve)
    project = session.project()
    timeline = session.timeline(project)
    now = (str(project.GetName()), str(timeline.GetName()))
    if now != (shot.project, shot.timeline):
        raise TimelineError(
            f"The current timeline changed from '{shot.timeline}' to '{now[1]}' while "
            f"generating; the clip is saved at {clip.conformed}: switch back and import it by "
            "hand."
        )
    media_pool = session.media_pool(project)
    clk = shot.clock
    session.quiet_background()
    with users_view(session, timeline, clk, media_pool):
        folder = session.bin(media_pool, AI_BIN)
        session.require(
            media_pool.SetCurrentFolder(folder), "SetCurrentFolder",
            f"Resolve did not open the '{AI_BIN}' bin", "select it by hand and try again",
        )
        imported = session.require(
            media_pool.ImportMedia([str(clip.conformed)]), "ImportMedia",
            f"Resolve did not import {clip.conformed.name}",
            f"check that Resolve can read {clip.conformed.parent}, then import it by hand",
        )
        media_item = imported[0]
        frames = _frames_of(session, media_item, clip)
        metadata = _tag_media(session, media_item, clip, shot)
        sound_track = None
        with undo_on_failure(Rollback()) as rollback:
            slot_item = take_slot(session, timeline, clk, shot.take_of, shot.playhead, frames,
                                  clip.job_id)
            if slot_item is None:
                slot, item = place_clip(
                    session, media_pool, timeline, clk, media_item, record_frame=shot.playhead,
                    frames=frames, rollback=rollback,
                )
                take = None
                marker_frame = 0
                if audio and clip.sound:
                    sound_track = place_sound(session, media_pool, timeline, clk, media_item,
                                              picture=item, slot=slot,
                                              rollback=rollback).track_index
            else:
                target, item = slot_item
                take = add_take(session, item, media_item, frames=frames, rollback=rollback)
                duration = int(item.GetDuration())
                name = str(timeline.GetTrackName("video", target.track_index))
                slot = Slot(target.track_index, name, False, target.record_frame, duration)
                marker_frame = min(take - 1, duration - 1)
            _mark(session, item, clip, marker_frame, rollback)
    if save:
        session.save_project()
    placed = PlacedClip(
        clip=clip, timeline=shot.timeline, track_index=slot.track_index,
        track_name=slot.track_name,
        new_track=slot.new_track, record_frame=slot.record_frame,
        timecode=clk.to_text(slot.record_frame), duration=slot.duration, take=take,
        marker_frame=marker_frame, metadata=metadata, sound_track=sound_track,
    )
    _record_placement(settings, shot, placed)
    return placed


def _record_placement(settings: Settings, shot: Shot, placed: PlacedClip) -> None:
    where = ResolveSpot(project=shot.project, timeline=shot.timeline, track=placed.track_index,
                        record_frame=placed.record_frame, timecode=placed.timecode,
                        take=placed.take, sound_track=placed.sound_track)
    with Ledger(settings.ledger_path) as ledger:
        ledger.mark_placed(placed.clip.job_id, context=JobContext(resolve=where))


def media_root(settings: Settings) -> Path:
    """The folder of generated clips for Resolve projects (Resolve projects have no folder)."""
    return settings.data_dir / "resolve"


def default_media_dir(settings: Settings, project: str) -> Path:
    """Where generated clips of one Resolve project are kept."""
    return media_root(settings) / _safe_name(project)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "untitled"


def _still_path(settings: Settings, timeline: str, playhead: int) -> Path:
    folder = settings.cache_dir / "resolve-stills"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{_safe_name(timeline)}-{playhead}-{secrets.token_hex(3)}.png"


def _frames_of(session: ResolveSession, media_item: MediaPoolItem, clip: GeneratedClip) -> int:
    """The imported clip's frame count as Resolve sees it; must match the conformed file's."""
    text = session.require(
        media_item.GetClipProperty("Frames"), "GetClipProperty", "Resolve did not report the "
        "imported clip's length", "check the clip in the media pool",
    )
    try:
        frames = int(str(text).strip())
    except ValueError:
        frames = -1
    if frames != clip.frames:
        raise ResolveOperationError(
            f"Resolve reads {text} frames in {clip.conformed.name}, which has {clip.frames}; "
            "re-import it by hand.", operation="GetClipProperty",
        )
    return frames


def _tag_media(
    session: ResolveSession, media_item: MediaPoolItem, clip: GeneratedClip, shot: Shot
) -> dict[str, str]:
    """Provenance on the media pool item: third-party keys plus a readable Comments line."""
    values: dict[str, Any] = {
        "job_id": clip.job_id, "remote_id": clip.remote_id, "provider": clip.provider,
        "model": clip.model, "prompt": clip.prompt, "seconds": clip.seconds,
        "cost": clip.cost, "preview": clip.preview, "take": clip.take,
        "take_group": clip.take_group, "original": clip.original, "created_at": clip.created_at,
        "source_timeline": shot.timeline, "source_timecode": shot.timecode,
        "source_clip": shot.clip_name, "grab": shot.grab, "still": shot.still,
        "source_media": shot.source.media if shot.source else "",
        "source_frame": shot.source.frame if shot.source else "",
    }
    metadata = {META + key: str(value) for key, value in values.items()}
    session.require(
        media_item.SetThirdPartyMetadata(metadata), "SetThirdPartyMetadata",
        "Resolve did not store the clip's provenance", "try again",
    )
    comment = (f"stillmotion {clip.provider}/{clip.model} take {clip.take}, job {clip.job_id}: "
               f"{clip.prompt}")
    session.require(
        media_item.SetMetadata({"Comments": comment, "Keywords": "stillmotion, AI generated"}),
        "SetMetadata", "Resolve did not store the clip's comments", "try again",
    )
    return metadata


def _mark(
    session: ResolveSession, item: TimelineItem, clip: GeneratedClip, frame: int,
    rollback: Rollback,
) -> None:
    """Clip colour, then a marker whose customData is the job id (the last change made)."""
    previous = str(item.GetClipColor() or "")
    session.require(
        item.SetClipColor(CLIP_COLOR), "SetClipColor", "Resolve did not colour the clip",
        "try again",
    )
    rollback.add("the clip colour", lambda: item.SetClipColor(previous) if previous else True)
    session.require(
        item.AddMarker(frame, MARKER_COLOR, f"stillmotion take {clip.take}", clip.prompt, 1,
                       clip.job_id),
        "AddMarker", "Resolve did not add the job marker", "try again",
    )
