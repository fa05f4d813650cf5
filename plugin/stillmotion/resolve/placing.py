"""Land a generated clip on the live Resolve timeline: import it, place it or add it as a take,
tag it, link its sound, record where it went.

Why apart from the workflow: placing runs on the UI thread after the pipeline, for one shot
(:func:`~stillmotion.resolve.workflow.generate_at_playhead`), for many (selection, several
models) and after a crash (:class:`~stillmotion.resolve.placer.ResolvePlacer`); all of them
place through :func:`place_generated`, so one rule decides track, take and sound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stillmotion.errors import ResolveOperationError, TimelineError
from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.records import JobContext, ResolveSpot
from stillmotion.resolve.placement import Slot, add_take, place_clip
from stillmotion.resolve.protocol import MediaPoolItem, Resolve, TimelineItem
from stillmotion.resolve.restore import Rollback, undo_on_failure, users_view
from stillmotion.resolve.session import ResolveSession
from stillmotion.resolve.shot import Shot
from stillmotion.resolve.sound import place_sound
from stillmotion.resolve.take_sound import follow_take, shown_file
from stillmotion.resolve.takes import META, take_slot
from stillmotion.settings import Settings

if TYPE_CHECKING:
    from stillmotion.jobs.pipeline import GeneratedClip

AI_BIN = "AI Generated"
CLIP_COLOR = "Violet"
MARKER_COLOR = "Purple"


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
                shown = shown_file(item)
                take = add_take(session, item, media_item, frames=frames, rollback=rollback)
                duration = int(item.GetDuration())
                name = str(timeline.GetTrackName("video", target.track_index))
                slot = Slot(target.track_index, name, False, target.record_frame, duration)
                marker_frame = min(take - 1, duration - 1)
                sound_track = follow_take(session, media_pool, timeline, clk, media_item,
                                          picture=item, shown=shown, slot=slot,
                                          frames=frames,
                                          sound=audio and clip.sound, rollback=rollback)
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
        item.AddMarker(frame, MARKER_COLOR,
                       f"stillmotion take {clip.take} ({clip.provider} {clip.model})",
                       clip.prompt, 1, clip.job_id),
        "AddMarker", "Resolve did not add the job marker", "try again",
    )

