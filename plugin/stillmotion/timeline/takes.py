"""Switch which take a placed generated clip shows, in the slot it already occupies.

Why in place: a new take of a shot, or ``stillmotion takes --use N``, must change what the
editor sees at that spot without stacking another track or moving anything. The slot's length
never grows (that could cover the next item); a shorter take leaves a gap after it.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.media.probe import probe
from stillmotion.media.sound import file_has_sound
from stillmotion.timecode import parse_rate
from stillmotion.timeline.generated import GeneratedClip, find_generated_clips
from stillmotion.timeline.metadata import GeneratedClipMetadata, TakeRecord, write_metadata
from stillmotion.timeline.place import PlacedClip, build_clip, completed_metadata, marker_for
from stillmotion.timeline.sound import sync_sound
from stillmotion.timeline.timebase import TimeBase, same_timecode_base, whole


def generated_under(timeline: Any, frame: int) -> GeneratedClip | None:
    """The top-most generated clip covering timeline-relative ``frame``, or None."""
    hits = [g for g in find_generated_clips(timeline)
            if g.record_start_frame <= frame < g.record_start_frame + g.duration_frames]
    return hits[-1] if hits else None


def generated_at(timeline: Any, frame: int) -> GeneratedClip:
    """The top-most generated clip covering timeline-relative ``frame``; TimelineError if none."""
    found = generated_under(timeline, frame)
    if found is None:
        raise TimelineError(
            "There is no generated clip under the playhead; park it on a clip of an "
            "\"AI Generated\" track."
        )
    return found


def switch_take(
    existing: GeneratedClip,
    timeline: Any,
    *,
    media_path: Path,
    duration_frames: int,
    rate: Fraction,
    metadata: GeneratedClipMetadata,
    original_path: Path | None,
    media_in: int = 0,
) -> PlacedClip:
    """Replace the clip ``existing`` with one showing ``media_path``, in the same slot.

    ``media_in`` is the take's first frame shown (a take trimmed by the editor keeps its
    in-point when switched back to; see :data:`TAKE_IN_KEY`).
    """
    timebase = TimeBase.of(timeline)
    track = timeline.tracks[existing.track_index]
    old = existing.clip
    media_rate = parse_rate(rate)
    length = duration_frames
    if not same_timecode_base(media_rate, timebase.rate):
        length = max(1, round(Fraction(duration_frames) * timebase.rate / media_rate))
    media_in = max(0, min(media_in, length - 1))
    shown = min(length - media_in, existing.duration_frames)
    original_frames = original_rate = None
    if original_path is not None and original_path.exists():
        facts = probe(original_path).require_video()
        original_frames, original_rate = facts.frame_count, facts.rate
    like = str(old.media_reference.target_url) if hasattr(
        old.media_reference, "target_url") else None
    clip = build_clip(
        timebase, f"{str(old.name).rsplit(' take ', 1)[0]} take {metadata.take}",
        media=media_path, media_rate=media_rate, media_start=0, frames=duration_frames,
        like=like, original=original_path, original_frames=original_frames,
        original_rate=original_rate,
    )
    if shown < length:
        start = clip.source_range.start_time
        clip.source_range = otio.opentime.TimeRange(
            otio.opentime.RationalTime(start.value + media_in, start.rate),
            otio.opentime.RationalTime(shown, clip.source_range.duration.rate),
        )
    index = list(track).index(old)
    del track[index]
    track.insert(index, clip)
    if shown < existing.duration_frames:
        track.insert(index + 1, otio.schema.Gap(
            source_range=timebase.span(0, existing.duration_frames - shown)))
    full = completed_metadata(metadata, media_path, original_path)
    write_metadata(clip, full)
    clip.markers.append(marker_for(clip, full))
    return PlacedClip(
        track_name=str(track.name), track_index=existing.track_index, clip=clip,
        record_range=timebase.span(existing.record_start_frame, shown),
        record_start_frame=existing.record_start_frame, duration_frames=shown,
        created_track=False,
    )


def use_take(timeline: Any, frame: int, take: int, *, audio: bool = True) -> PlacedClip:
    """Show take ``take`` of the generated clip under ``frame`` (``stillmotion takes --use``).

    The sound linked to the old take goes; the new take's sound is placed and linked unless
    ``audio`` is False or the take is silent (a take recorded before sound facts were kept is
    measured)."""
    existing = generated_at(timeline, frame)
    metadata = existing.metadata
    if metadata is None:
        raise TimelineError(
            f"The generated clip {existing.clip.name} lost its stillmotion metadata in this "
            "format, so its takes are unknown; use the .otio timeline stillmotion wrote."
        )
    chosen = next((t for t in metadata.takes if t.take == take), None)
    if chosen is None:
        numbers = ", ".join(str(t.take) for t in metadata.takes) or "none"
        raise TimelineError(f"This shot has no take {take}; its takes are: {numbers}.")
    media = Path(chosen.media)
    facts = probe(media).require_video()
    updated = as_shown(remember_shown(metadata), chosen)
    placed = switch_take(existing, timeline, media_path=media,
                         duration_frames=facts.frame_count, rate=facts.rate, metadata=updated,
                         original_path=Path(chosen.original) if chosen.original else None,
                         media_in=take_in(metadata, take))
    sync_sound(timeline, placed, old_link=metadata.link_id,
               sound=audio and file_has_sound(media, chosen.sound))
    return placed


TAKE_IN_KEY = "take_in"
"""Metadata key (take number as text -> first media frame shown) of takes the editor trimmed."""

FINISHING_KEY = "finishing"
"""Metadata key (take number as text -> where an artist's version came from), written and read
by :mod:`stillmotion.finishing.chain`; named here because a new take must keep it."""

SLOT_TABLES = (TAKE_IN_KEY, FINISHING_KEY)
"""The metadata tables that describe the slot's takes (not the take shown): kept by a new take."""


SLOT_FIELDS = frozenset({"source_clip", "source_timecode", "source_frame", "source_media",
                         "take", "take_group", "takes", "link_id", "version"})
"""The metadata fields that belong to the slot (where the shot is, which takes it has, the
sound linked to it); every other field and ``extra`` key but :data:`SLOT_TABLES` is the shown
take's own (job, prompt, remote id, provenance, sound facts, crossfade …)."""


def take_facts(metadata: GeneratedClipMetadata) -> dict[str, Any]:
    """The shown take's own part of ``metadata`` (JSON-plain, ``extra`` keys at top level)."""
    return {key: value for key, value in metadata.to_dict().items()
            if key not in SLOT_FIELDS and key not in SLOT_TABLES}


def remember_shown(metadata: GeneratedClipMetadata) -> GeneratedClipMetadata:
    """``metadata`` with the shown take's record holding :func:`take_facts`, so a switch away
    and back shows that take's own facts again."""
    facts = take_facts(metadata)
    return dataclasses.replace(metadata, takes=tuple(
        dataclasses.replace(t, facts=facts) if t.take == metadata.take else t
        for t in metadata.takes))


def as_shown(slot: GeneratedClipMetadata, record: TakeRecord) -> GeneratedClipMetadata:
    """The metadata of the slot ``slot`` showing take ``record``: the slot's own fields and
    tables, and the take's facts from its record only. Why: a field the record does not know
    stays unset; taking it from the take shown before would credit one job with another's
    remote id, provenance or sound."""
    data = {key: value for key, value in slot.to_dict().items()
            if key in SLOT_FIELDS or key in SLOT_TABLES}
    data.update(record.facts)
    data.update(take=record.take, job_id=record.job_id, conformed_file=record.media,
                original_file=record.original)
    known = {"prompt": record.prompt, "provider": record.provider, "model": record.model,
             "created_at": record.created_at, "cost_estimate": record.cost_estimate}
    data.update({key: value for key, value in known.items() if value not in ("", None)})
    for required in ("prompt", "provider", "model"):
        data.setdefault(required, "")
    return GeneratedClipMetadata.from_dict(data)


def take_in(metadata: GeneratedClipMetadata, take: int) -> int:
    """The recorded in-point of ``take`` (0 when none was recorded)."""
    table = metadata.extra.get(TAKE_IN_KEY)
    value = table.get(str(take)) if isinstance(table, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def media_in_of(clip: Any, timebase: TimeBase) -> int:
    """First media frame ``clip`` shows: source start minus the reference's available start."""
    start = clip.source_range.start_time if clip.source_range is not None else None
    if start is None:
        return 0
    available = getattr(clip.media_reference, "available_range", None)
    origin = available.start_time if available is not None else otio.opentime.RationalTime(
        0, start.rate)
    return whole(timebase.frames(start) - timebase.frames(origin))


def keep_trim(metadata: GeneratedClipMetadata, shown_in: int) -> dict[str, Any]:
    """``metadata.extra`` with the in-point of the take shown (``shown_in``) recorded, so
    switching back to it later shows the editor's trim again."""
    extra = dict(metadata.extra)
    if shown_in != take_in(metadata, metadata.take):
        extra[TAKE_IN_KEY] = {**dict(extra.get(TAKE_IN_KEY) or {}), str(metadata.take): shown_in}
    return extra


def next_take_number(metadata: GeneratedClipMetadata) -> int:
    """The number a take added to this slot gets."""
    return max([t.take for t in metadata.takes] + [metadata.take]) + 1


def with_slot_takes(slot: GeneratedClipMetadata, fresh: GeneratedClipMetadata, *,
                    shown_in: int) -> GeneratedClipMetadata:
    """``fresh`` (a generated take's metadata, its takes read from the ledger) as a take of the
    slot whose metadata is ``slot``.

    Why: the ledger knows only its own jobs. Every take the slot lists stays, with its number,
    in its order, and an AI take is refreshed from the ledger's record of it; an artist's
    version (same AI job, other media) or a take from another ledger stays as it is. The
    ledger's takes of jobs the slot does not list follow, numbered on. The slot's tables
    (:data:`SLOT_TABLES`) are kept and the trim of the take shown until now is recorded.
    """
    slot = remember_shown(slot)
    by_media = {(t.job_id, t.media): t for t in fresh.takes}
    listed = {t.job_id for t in slot.takes}
    takes = [dataclasses.replace(by_media[(t.job_id, t.media)], take=t.take,
                                 facts=t.facts or by_media[(t.job_id, t.media)].facts)
             if (t.job_id, t.media) in by_media else t for t in slot.takes]
    number = max((t.take for t in takes), default=0) + 1
    for record in fresh.takes:
        if record.job_id not in listed:
            takes.append(dataclasses.replace(record, take=number))
            number += 1
    kept = keep_trim(slot, shown_in)
    artists = kept.get(FINISHING_KEY)
    mine = [t for t in takes if t.job_id == fresh.job_id
            and not (isinstance(artists, dict) and str(t.take) in artists)]
    shown = next((t for t in mine if t.media == fresh.conformed_file), mine[0] if mine else None)
    extra = {**fresh.extra, **{k: kept[k] for k in SLOT_TABLES if k in kept}}
    return remember_shown(dataclasses.replace(
        fresh, takes=tuple(takes), extra=extra,
        take=shown.take if shown is not None else fresh.take))
