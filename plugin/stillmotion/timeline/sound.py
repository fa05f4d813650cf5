"""Put a generated clip's sound on an "AI Generated" audio track, linked to its picture.

Why a clip of its own: an editor expects the dialogue, effects and ambience a service returns
under the picture on an audio track, where stitch, render and turnover mix it; inside the media
file it is lost. The sound clip plays the same conformed file over the same source range and
record frames as the picture clip, carries the same ``metadata["stillmotion"]`` block, and both
blocks hold one ``link_id``, so switching takes (or any tool) finds and moves the pair together.

The audio track follows the one track rule of :mod:`stillmotion.timeline.tracks` over the audio
tracks (through :func:`stillmotion.timeline.place.target_track`): the lowest "AI Generated[ N]"
audio track that is enabled, unlocked and free over the span, else a new one. Sound never hides
sound, so no audio track counts as covering another. Silent generations (no stream, or our
silent fill, or digital silence) place no sound clip: the caller says which with ``sound``.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any

import opentimelineio as otio

from stillmotion.timeline.edit import put_in_gap
from stillmotion.timeline.metadata import METADATA_NAMESPACE, read_metadata, write_metadata
from stillmotion.timeline.place import PlacedClip, target_track
from stillmotion.timeline.timebase import TimeBase

AUDIO = otio.schema.TrackKind.Audio
SOUND_SUFFIX = " sound"  # a sound clip is named after its picture clip plus this


@dataclass(frozen=True)
class PlacedSound:
    """Where the sound of a generated clip went (record frames timeline-relative)."""

    track_name: str
    track_index: int
    clip: Any
    record_start_frame: int
    duration_frames: int
    link_id: str
    created_track: bool


def new_link_id() -> str:
    """A fresh id joining one picture clip to its sound clip."""
    return uuid.uuid4().hex


def place_sound(timeline: Any, picture: PlacedClip, *, link_id: str | None = None) -> PlacedSound:
    """Place the sound of the picture clip ``picture`` (already placed) and link the two.

    The sound clip copies the picture clip's media references, source range, metadata and
    marker; ``link_id`` (a new one when None) is written into both metadata blocks.
    """
    timebase = TimeBase.of(timeline)
    start, length = picture.record_start_frame, picture.duration_frames
    link = link_id or new_link_id()
    _set_link(picture.clip, link)
    clip = copy.deepcopy(picture.clip)
    clip.name = f"{picture.clip.name}{SOUND_SUFFIX}"
    track, created = target_track(timeline, timebase, start, start + length, None, kind=AUDIO)
    put_in_gap(track, timebase, clip, start, length)
    index = next(i for i, t in enumerate(timeline.tracks) if t is track)
    return PlacedSound(str(track.name), index, clip, start, length, link, created)


def _set_link(clip: Any, link: str) -> None:
    metadata = read_metadata(clip)
    if metadata is not None:
        write_metadata(clip, dataclasses.replace(metadata, link_id=link))


def link_of(clip: Any) -> str:
    """The link id in ``clip``'s stillmotion block ("" when none)."""
    block = clip.metadata.get(METADATA_NAMESPACE) if clip.metadata is not None else None
    return str(block.get("link_id") or "") if block is not None else ""


def linked_sound(timeline: Any, link_id: str) -> list[tuple[Any, int]]:
    """The sound clips joined to ``link_id``: (audio track, index of the clip in it)."""
    if not link_id:
        return []
    found = []
    for track in timeline.tracks:
        if not isinstance(track, otio.schema.Track) or track.kind != AUDIO:
            continue
        found += [(track, index) for index, child in enumerate(track)
                  if isinstance(child, otio.schema.Clip) and link_of(child) == link_id]
    return found


def placed_with_sound(timeline: Any, picture: Any) -> bool:
    """Whether the generated picture clip ``picture`` was placed with its sound: a sound clip
    on an audio track shares its link id (the one rule every writer asks)."""
    return bool(linked_sound(timeline, link_of(picture)))


def remove_sound(timeline: Any, link_id: str) -> int:
    """Replace every sound clip joined to ``link_id`` by a gap of its length (nothing after it
    moves); returns how many were removed."""
    removed = linked_sound(timeline, link_id)
    for track, index in reversed(removed):
        duration = track[index].duration()
        del track[index]
        track.insert(index, otio.schema.Gap(source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, duration.rate), duration)))
    return len(removed)


def sync_sound(timeline: Any, picture: PlacedClip, *, old_link: str, sound: bool) -> \
        PlacedSound | None:
    """After a take switch: the old take's sound goes, the new take's sound (if any) comes,
    linked under the old link id when there was one (a silent take holds no link)."""
    remove_sound(timeline, old_link)
    if not sound:
        _set_link(picture.clip, "")
        return None
    return place_sound(timeline, picture, link_id=old_link or None)
