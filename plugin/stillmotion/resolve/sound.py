"""Put a generated clip's sound under its picture in Resolve, linked, and prove it is there.

Why like the picture: ``AppendToTimeline`` with ``mediaType`` 2 (audio only) has the same
silent failures as the picture append (an occupied span drops it, ``endFrame`` may be
exclusive), so it goes through the same verified append (:func:`placement.append_verified`):
re-read the track, compare start and duration with the picture's, undo and retry one frame
longer when short. Then ``Timeline.SetClipsLinked`` joins the two, so the editor moves, trims
and deletes them together. Every step is recorded in the caller's rollback, so a failure here
undoes the picture as well.

The track: the audio track named like the picture's video track ("AI Generated", "AI Generated
2" …) when the one track rule (:mod:`stillmotion.timeline.tracks`) finds it usable over the
span; when no audio track has that name, a new stereo one (``AddTrack("audio", "stereo")``:
Blackmagic's README says the sub-type defaults to mono) named like it; otherwise the rule over
all audio tracks (sound never hides sound, so none counts as showing over another).
"""

from __future__ import annotations

from dataclasses import dataclass

from stillmotion.errors import ResolveOperationError
from stillmotion.resolve.placement import Slot, append_verified, track_items
from stillmotion.resolve.protocol import MediaPool, MediaPoolItem, Timeline, TimelineItem
from stillmotion.resolve.restore import Rollback
from stillmotion.resolve.session import ResolveSession, TimelineClock, span_is_free
from stillmotion.timeline.tracks import TrackView, choose_track

AUDIO = "audio"
AUDIO_LAYOUT = "stereo"  # the conform writes 48 kHz stereo


@dataclass(frozen=True)
class SoundSlot:
    """Where the sound went: audio track, its name, whether it was added, frames placed."""

    track_index: int
    track_name: str
    new_track: bool
    record_frame: int
    duration: int


def audio_views(
    session: ResolveSession, timeline: Timeline, start: int, end: int
) -> list[TrackView]:
    """The audio tracks (A1 first) as the track rule sees them over record frames [start, end)."""
    count = int(session.read(timeline.GetTrackCount(AUDIO), "GetTrackCount",
                             "Resolve did not count the audio tracks", "check the timeline"))
    views = []
    for index in range(1, count + 1):
        items = track_items(session, timeline, AUDIO, index)
        views.append(TrackView(
            name=str(timeline.GetTrackName(AUDIO, index) or ""),
            enabled=bool(timeline.GetIsTrackEnabled(AUDIO, index)),
            locked=bool(timeline.GetIsTrackLocked(AUDIO, index)),
            busy=not span_is_free(items, start, end),
        ))
    return views


def choose_audio_track(
    session: ResolveSession, timeline: Timeline, name: str, start: int, end: int,
    rollback: Rollback,
) -> tuple[int, str, bool]:
    """(1-based audio track, its name, newly added) for the sound of a picture on ``name``."""
    views = audio_views(session, timeline, start, end)
    alike = [i for i, view in enumerate(views) if view.name.strip() == name.strip()]
    if alike and choose_track([views[alike[0]]]).index == 0:
        return alike[0] + 1, views[alike[0]].name, False
    choice = choose_track(views)
    if alike and choice.index is not None:
        return choice.index + 1, views[choice.index].name, False
    wanted = name if not alike else str(choice.new_name)
    return _add_track(session, timeline, len(views), wanted, rollback), wanted, True


def _add_track(session: ResolveSession, timeline: Timeline, count: int, name: str,
               rollback: Rollback) -> int:
    session.require(
        timeline.AddTrack(AUDIO, AUDIO_LAYOUT), "AddTrack",
        "Resolve did not add an audio track", "add a stereo audio track by hand and try again",
    )
    index = int(session.read(timeline.GetTrackCount(AUDIO), "GetTrackCount",
                             "Resolve did not count the audio tracks", "check the timeline"))
    if index != count + 1:
        raise ResolveOperationError(
            f"Resolve reports {index} audio tracks after adding one to {count}; check the "
            "timeline and try again.", operation="AddTrack",
        )
    rollback.add(f"the new track A{index}", lambda: timeline.DeleteTrack(AUDIO, index))
    session.require(
        timeline.SetTrackName(AUDIO, index, name), "SetTrackName",
        f"Resolve did not name track A{index} '{name}'", "try again",
    )
    return index


def place_sound(
    session: ResolveSession,
    media_pool: MediaPool,
    timeline: Timeline,
    clock: TimelineClock,
    media_item: MediaPoolItem,
    *,
    picture: TimelineItem,
    slot: Slot,
    rollback: Rollback,
) -> SoundSlot:
    """Append the sound of ``media_item`` under ``picture`` (placed at ``slot``) and link them.

    Verified like the picture: same record frame, the slot's duration, our file on the track.
    """
    start, frames = slot.record_frame, slot.duration
    index, name, new = choose_audio_track(session, timeline, slot.track_name, start,
                                          start + frames, rollback)
    where = f"track A{index} at {clock.to_text(start)}"
    sound, duration = append_verified(
        session, media_pool, timeline, media_item, kind=AUDIO, index=index,
        record_frame=start, frames=frames, rollback=rollback, where=where,
    )
    session.require(
        timeline.SetClipsLinked([picture, sound], True), "SetClipsLinked",
        f"Resolve did not link the sound on {where} to its picture",
        "link them by hand (select both, Clip > Link Clips)",
    )
    held = [item for item in track_items(session, timeline, AUDIO, index)
            if int(item.GetStart()) == start and int(item.GetDuration()) == duration]
    if len(held) != 1 or duration != frames:
        raise ResolveOperationError(
            f"The sound on {where} does not line up with its picture after linking; check the "
            "timeline.", operation="SetClipsLinked",
        )
    return SoundSlot(index, name, new, start, duration)
