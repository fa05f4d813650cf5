"""Put an imported clip on the timeline at a record frame, and prove it is really there.

Why so careful: ``AppendToTimeline`` onto an occupied span is silently dropped yet may still
return an item, sources disagree on whether ``endFrame`` is inclusive, and a rate mismatch floors
the duration. So the clip goes on the track the one track rule picks (``timeline/tracks.py``,
shared with the OTIO placer: an enabled, unlocked "AI Generated" track free over the whole span
and not hidden by a clip above; a new track on top when none is), the track is re-read after
the append, and the placed duration is compared with the clip's frame count: one frame short
means ``endFrame`` is exclusive in this Resolve, so the item is removed and placed again with
the other convention. New takes go onto an
existing generated item with ``AddTake`` and are verified the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stillmotion.errors import ResolveOperationError, TimelineError
from stillmotion.resolve.protocol import MediaPool, MediaPoolItem, Timeline, TimelineItem
from stillmotion.resolve.restore import Rollback
from stillmotion.resolve.session import VIDEO, ResolveSession, TimelineClock, span_is_free
from stillmotion.timeline.tracks import AI_TRACK_NAME, TrackView, is_ai_name
from stillmotion.timeline.tracks import choose_track as choose_rule

AI_TRACK = AI_TRACK_NAME
VIDEO_ONLY = 1  # AppendToTimeline mediaType: picture only (the sound is placed on its own)
AUDIO_ONLY = 2


@dataclass(frozen=True)
class Slot:
    """Where a clip went: track, first record frame, placed duration in timeline frames."""

    track_index: int
    track_name: str
    new_track: bool
    record_frame: int
    duration: int


def is_ai_track(name: str) -> bool:
    """Whether a track is one of ours ("AI Generated", "AI Generated 2" …)."""
    return is_ai_name(name)


def track_views(
    session: ResolveSession, timeline: Timeline, start: int, end: int
) -> list[TrackView]:
    """The video tracks (V1 first) as the track rule sees them over record frames [start, end).

    Every item on an enabled track counts as showing: the calls stillmotion uses do not tell a
    disabled clip, and taking it as visible can only add a track too many, never hide the clip.
    """
    views = []
    for track in session.video_tracks(timeline):
        busy = not span_is_free(session.items(timeline, track.index), start, end)
        views.append(TrackView(
            name=track.name, enabled=track.enabled,
            locked=bool(timeline.GetIsTrackLocked(VIDEO, track.index)),
            busy=busy, shows=busy and track.enabled,
        ))
    return views


def choose_track(
    session: ResolveSession, timeline: Timeline, start: int, end: int, rollback: Rollback
) -> tuple[int, str, bool]:
    """The track for record frames ``[start, end)`` by the one track rule
    (:mod:`stillmotion.timeline.tracks`); returns (1-based index, name, newly added).

    A new track is added on top (``AddTrack`` can add nowhere else), which is above every track
    that would hide the clip, and named; the addition is recorded in ``rollback``.
    """
    views = track_views(session, timeline, start, end)
    choice = choose_rule(views)
    if choice.index is not None:
        return choice.index + 1, views[choice.index].name, False
    session.require(
        timeline.AddTrack(VIDEO), "AddTrack", "Resolve did not add a video track",
        "add one by hand and try again",
    )
    index = int(session.read(
        timeline.GetTrackCount(VIDEO), "GetTrackCount", "Resolve did not count the video "
        "tracks", "check the timeline",
    ))
    if index != len(views) + 1:
        raise ResolveOperationError(
            f"Resolve reports {index} video tracks after adding one to {len(views)}; check the "
            "timeline and try again.", operation="AddTrack",
        )
    rollback.add(f"the new track V{index}", lambda: timeline.DeleteTrack(VIDEO, index))
    name = str(choice.new_name)
    session.require(
        timeline.SetTrackName(VIDEO, index, name), "SetTrackName",
        f"Resolve did not name track V{index} '{name}'", "try again",
    )
    return index, name, True


def place_clip(
    session: ResolveSession,
    media_pool: MediaPool,
    timeline: Timeline,
    clock: TimelineClock,
    media_item: MediaPoolItem,
    *,
    record_frame: int,
    frames: int,
    rollback: Rollback,
) -> tuple[Slot, TimelineItem]:
    """Append ``frames`` frames of ``media_item`` at ``record_frame`` on a free AI track.

    Every change is recorded in ``rollback``; the caller undoes them if a later step fails.
    """
    index, name, new = choose_track(session, timeline, record_frame, record_frame + frames,
                                    rollback)
    item, duration = append_verified(
        session, media_pool, timeline, media_item, kind=VIDEO, index=index,
        record_frame=record_frame, frames=frames, rollback=rollback,
        where=f"track V{index} at {clock.to_text(record_frame)}",
    )
    return Slot(index, name, new, record_frame, duration), item


def track_items(session: ResolveSession, timeline: Timeline, kind: str,
                index: int) -> list[TimelineItem]:
    """The items on track ``index`` of ``kind`` ("video" or "audio"; [] for an empty track)."""
    return list(session.read(
        timeline.GetItemListInTrack(kind, index), "GetItemListInTrack",
        f"Resolve did not list the clips on track {kind[0].upper()}{index}",
        "reopen the timeline and try again",
    ))


def append_verified(
    session: ResolveSession,
    media_pool: MediaPool,
    timeline: Timeline,
    media_item: MediaPoolItem,
    *,
    kind: str,
    index: int,
    record_frame: int,
    frames: int,
    rollback: Rollback,
    where: str,
    start_frame: int = 0,
) -> tuple[TimelineItem, int]:
    """Append ``frames`` frames of ``media_item`` from source frame ``start_frame`` on track
    ``index`` of ``kind`` (picture only on video tracks, sound only on audio tracks) and prove
    it is there: (item, duration).

    Public tools pass ``endFrame = frames - 1`` (an inclusive end); one frame short means it is
    exclusive in this Resolve, so the item is removed and appended again the other way.
    """
    path = media_item.GetClipProperty("File Path")
    media_type = VIDEO_ONLY if kind == VIDEO else AUDIO_ONLY

    def append(end_frame: int) -> TimelineItem:
        info: dict[str, Any] = {
            "mediaPoolItem": media_item, "startFrame": start_frame,
            "endFrame": start_frame + end_frame,
            "trackIndex": index, "recordFrame": record_frame, "mediaType": media_type,
        }
        before = len(track_items(session, timeline, kind, index))
        session.require(
            media_pool.AppendToTimeline([info]), "AppendToTimeline",
            f"Resolve did not place the clip on {where}",
            f"it is in the '{AI_TRACK}' bin: drag it onto the timeline by hand",
        )
        # Ours only if the track gained an item, starting here, showing our file: an item that
        # was already there must never be taken for ours (and later deleted by the rollback).
        after = track_items(session, timeline, kind, index)
        placed = next((item for item in after if int(item.GetStart()) == record_frame
                       and _shows(item, path)), None)
        if placed is None or len(after) != before + 1:
            raise ResolveOperationError(
                f"Resolve reported placing the clip on {where} but the track does not hold it "
                f"(the span was taken); the clip is in the '{AI_TRACK}' bin: place it by hand.",
                operation="AppendToTimeline",
            )
        rollback.add(f"the clip on {where}", lambda: timeline.DeleteClips([placed]))
        return placed

    item = append(frames - 1)
    duration = int(item.GetDuration())
    if duration == frames - 1:
        rollback.undo_last()
        item = append(frames)
        duration = int(item.GetDuration())
    if duration != frames:
        raise ResolveOperationError(
            f"Resolve placed {duration} frames on {where} instead of the clip's {frames}; its "
            f"rate ({media_item.GetClipProperty('FPS')}) must match the timeline's, so conform "
            "it again.", operation="AppendToTimeline",
        )
    return item, duration


def generated_item(
    session: ResolveSession, timeline: Timeline, clock: TimelineClock, track_index: int,
    record_frame: int,
) -> TimelineItem:
    """The generated item that starts at ``record_frame`` on ``track_index`` (for a new take)."""
    if track_index <= int(session.read(timeline.GetTrackCount(VIDEO), "GetTrackCount",
                                       "Resolve did not count the video tracks",
                                       "check the timeline")):
        for item in session.items(timeline, track_index):
            if int(item.GetStart()) == record_frame:
                return item
    raise TimelineError(
        f"The generated clip at {clock.to_text(record_frame)} on track V{track_index} is gone; "
        "generate a new clip instead of a take."
    )


def add_take(
    session: ResolveSession,
    item: TimelineItem,
    media_item: MediaPoolItem,
    *,
    frames: int,
    rollback: Rollback,
) -> int:
    """Add ``media_item`` as a new take of ``item``, select it and return its 1-based index.

    The first ``AddTake`` turns the item into a take selector holding the old clip as take 1.
    """
    before = int(session.read(item.GetTakesCount(), "GetTakesCount", "Resolve did not count "
                              "the takes", "try again"))
    selected = int(item.GetSelectedTakeIndex() or 0) if before else 0
    session.require(
        item.AddTake(media_item, 0, frames - 1), "AddTake",
        f"Resolve did not add the take to {item.GetName()}",
        f"the clip is in the '{AI_TRACK}' bin: add it as a take by hand",
    )
    index = max(before, 1) + 1

    def undo() -> bool:
        if before:
            return bool(item.DeleteTakeByIndex(index) and item.SelectTakeByIndex(selected))
        # Back to take 1 first where Resolve allows it (a failed select is not fatal here:
        # deleting the selected take falls back to take 1), then back to a plain clip.
        item.SelectTakeByIndex(1)
        return bool(item.DeleteTakeByIndex(index) and item.GetSelectedTakeIndex() == 1
                    and item.FinalizeTake())

    rollback.add(f"take {index} of {item.GetName()}", undo)
    count = int(item.GetTakesCount() or 0)
    if count != index:
        raise ResolveOperationError(
            f"Resolve reports {count} takes on {item.GetName()} after adding take {index}; "
            "check the take selector.", operation="AddTake",
        )
    session.require(
        item.SelectTakeByIndex(index), "SelectTakeByIndex",
        f"Resolve did not select take {index} of {item.GetName()}", "select it by hand",
    )
    if not _shows(item, media_item.GetClipProperty("File Path")):
        raise ResolveOperationError(
            f"Resolve selected take {index} of {item.GetName()} but it does not show the new "
            "clip; check the take selector.", operation="SelectTakeByIndex",
        )
    return index


def _shows(item: TimelineItem, path: str) -> bool:
    """Whether ``item`` plays the media file ``path``."""
    media = item.GetMediaPoolItem()
    return media is not None and media.GetClipProperty("File Path") == path
