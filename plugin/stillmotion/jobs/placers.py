"""Place: the last stage, behind a :class:`Placer` so a job is finished for either front end.

Why a protocol: the OTIO-file front end writes a NEW timeline file (:class:`OtioPlacer`, here);
the Resolve front end puts the clip on the live timeline (``stillmotion.resolve.placer``, above
the jobs layer). ``jobs resume`` hands a conformed row to the first placer that accepts it, and
each placer marks the row ``placed`` with where it went; the row's context holds everything
needed to place again after a crash (input timeline, playhead, output path).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol, TypeVar

from stillmotion.errors import JobError, StillmotionError
from stillmotion.jobs.finished import clip_of
from stillmotion.jobs.ledger import JobRow, Ledger
from stillmotion.jobs.records import JobContext, JobFiles
from stillmotion.jobs.stages import locate_shot
from stillmotion.jobs.values import GeneratedClip
from stillmotion.media.probe import probe
from stillmotion.media.sound import SoundFacts
from stillmotion.timecode import format_rate
from stillmotion.timeline.generated import find_generated_clips
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.locate import Located
from stillmotion.timeline.metadata import GeneratedClipMetadata, TakeRecord
from stillmotion.timeline.place import PlacedClip, place_generated
from stillmotion.timeline.relink import options_from_context, reading_options
from stillmotion.timeline.resolve_shape import make_resolve_shaped
from stillmotion.timeline.sound import place_sound, sync_sound
from stillmotion.timeline.takes import (
    media_in_of,
    remember_shown,
    switch_take,
    take_facts,
    with_slot_takes,
)
from stillmotion.timeline.timebase import TimeBase

Result_co = TypeVar("Result_co", covariant=True)


class Placer(Protocol[Result_co]):
    """Puts a conformed job's clip where its front end shows it, and marks the row placed."""

    def accepts(self, row: JobRow) -> bool:
        """True when this placer knows where ``row``'s clip goes."""
        ...

    def place(self, row: JobRow, clip: GeneratedClip, ledger: Ledger) -> Result_co:
        """Place ``clip`` as ``row`` says; the row ends ``placed`` (or stays placed)."""
        ...


def metadata_for(clip: GeneratedClip, row: JobRow | None, takes: list[JobRow],
                 prompt_parts: dict[str, str] | None = None) -> GeneratedClipMetadata:
    """Our provenance block for a clip, with every finished take of its group.

    Takes are numbered 1, 2, … in the order they were made within the shot's group (the
    ledger's own take number counts repeats of one exact request only).
    """
    finished = [r for r in takes if r.files.conformed is not None or r.id == clip.job_id]
    number = {r.id: index for index, r in enumerate(finished, start=1)}
    records = tuple(
        TakeRecord(take=number[r.id], job_id=r.id,
                   media=str(r.files.conformed or clip.conformed),
                   original=str(r.files.download) if r.files.download else None,
                   prompt=r.prompt, created_at=r.created_at.isoformat(),
                   cost_estimate=float(r.cost_estimate) if r.cost_estimate else None,
                   sound=SoundFacts.recorded_sound(r.context.audio), provider=r.provider,
                   model=r.model or "", facts=_own_facts(r, clip.job_id))
        for r in finished
    )
    source = row.request.source if row is not None else None
    return GeneratedClipMetadata(
        prompt=clip.prompt, provider=clip.provider, model=clip.model, job_id=clip.job_id,
        seconds=float(clip.seconds), size=f"{clip.size[0]}x{clip.size[1]}",
        source_clip=(source.clip if source else None) or "",
        source_timecode=(source.timecode if source else None) or "",
        source_frame=source.frame if source else None,
        source_media=(source.media if source else None) or "",
        prompt_parts=prompt_parts or {}, cost_estimate=float(clip.cost),
        original_file=str(clip.original), conformed_file=str(clip.conformed),
        preview=clip.preview, take=number.get(clip.job_id, len(records) or 1),
        take_group=clip.take_group, takes=records, created_at=clip.created_at,
        extra={"remote_id": clip.remote_id, "provenance": clip.provenance.to_json(),
               "rate": format_rate(clip.rate), **_audio_extra(row)},
    )


def _own_facts(row: JobRow, shown: str) -> dict[str, Any]:
    """Take ``row``'s own facts (remote id, provenance, sound …) for its take record, read
    from the ledger as its own clip's metadata; the shown take's come from the clip itself."""
    if row.id == shown:
        return {}  # recorded by remember_shown once the metadata is complete
    try:
        return take_facts(metadata_for(clip_of(row, reused=True), row, []))
    except StillmotionError:
        return {}  # its files are not recorded (or gone): its facts stay unset


def _audio_extra(row: JobRow | None) -> dict[str, Any]:
    """The clip's sound facts for its metadata: promised by the model, found, loudness."""
    if row is None:
        return {}
    facts = dict(row.context.audio or {})
    if row.context.audio_promised is not None:
        facts["promised"] = row.context.audio_promised
    return {"audio": facts} if facts else {}


def place_on_timeline(
    timeline: Any, at: str, clip: GeneratedClip, metadata: GeneratedClipMetadata, *,
    timeline_path: Path, record_frame: int | None = None, frames: int | None = None,
    tail_seconds: int | None = None, audio: bool = True,
) -> PlacedClip:
    """Put ``clip`` at the playhead; a new take of a shot already placed there replaces the
    shown media of that clip instead of stacking another track. ``frames`` shows only the
    clip's first frames (``fill-gap`` trims to the gap; the rest stays as handle);
    ``tail_seconds`` shows only its last seconds (a native extension holds its source first).
    The clip's sound goes on an AI audio track, linked to the picture, unless ``audio`` is
    False (``--no-audio``) or the clip is silent."""
    sound = audio and clip.sound
    head = 0 if tail_seconds is None else \
        max(0, clip.frames - round(Fraction(tail_seconds) * clip.rate))
    length = clip.frames - head if frames is None else min(clip.frames - head, frames)
    takes = find_generated_clips(timeline) if head == 0 else []  # tails get a slot of their own
    for existing in takes:
        same_group = existing.metadata is not None \
            and existing.metadata.take_group == clip.take_group
        if same_group and existing.metadata is not None:
            slot = with_slot_takes(existing.metadata, metadata, shown_in=media_in_of(
                existing.clip, TimeBase.of(timeline)))
            switched = switch_take(existing, timeline, media_path=clip.conformed,
                                   duration_frames=length, rate=clip.rate, metadata=slot,
                                   original_path=clip.original)
            old_link = existing.metadata.link_id
            sync_sound(timeline, switched, old_link=old_link, sound=sound)
            return switched
    start: Located | int = record_frame if record_frame is not None else \
        locate_shot(timeline, at, timeline_path)
    info = probe(clip.original).require_video()
    placed = place_generated(
        timeline, record_start=start, media_path=clip.conformed, duration_frames=length,
        rate=clip.rate, name=f"AI {metadata.source_clip or 'shot'} take {metadata.take}",
        metadata=metadata, original_path=clip.original, original_frames=info.frame_count,
        original_rate=info.rate, media_start_frame=head,
    )
    if sound:
        place_sound(timeline, placed)
    return placed


def place_clip(timeline: Any, clip: GeneratedClip, *, ledger: Ledger,
               context: JobContext | None = None,
               prompt_parts: dict[str, str] | None = None) -> PlacedClip:
    """Place ``clip`` on an open timeline as ``context`` (default: its row's) says: at the
    playhead or a record frame, maybe trimmed, maybe dissolving in (``extend --crossfade``)."""
    row = ledger.get(clip.job_id)
    context = context if context is not None else row.context
    if context.timeline is None or context.at is None:
        raise JobError(f"Job {row.id} records no timeline file to be placed on; place its "
                       f"clip {clip.conformed} by hand.")
    metadata = metadata_for(clip, row, ledger.takes(clip.take_group), prompt_parts)
    if context.crossfade_frames:
        metadata = dataclasses.replace(metadata, crossfade_frames=context.crossfade_frames)
    metadata = remember_shown(metadata)  # its record keeps its own facts for switching back
    return place_on_timeline(timeline, context.at, clip, metadata,
                             timeline_path=context.timeline, record_frame=context.record_frame,
                             frames=context.place_frames, tail_seconds=context.tail_seconds,
                             audio=not context.no_audio)


def next_free_name(path: Path) -> Path:
    """``cut.stillmotion.otio`` -> ``cut-2.stillmotion.otio`` … the first that does not exist."""
    stem, suffix = path.name.split(".", 1)[0], "".join(path.suffixes)
    number = 2
    while True:
        candidate = path.with_name(f"{stem}-{number}{suffix}") if suffix else \
            path.with_name(f"{path.name}-{number}")
        if not candidate.exists():
            return candidate
        number += 1


class OtioPlacer:
    """Places on a fresh read of the row's input timeline and writes the NEW output file.

    ``context`` is where this run wants the clip (a reused job keeps the row of its first run,
    which may have been placed elsewhere); without it the row's own context is used, and then
    a file that appeared at the output meanwhile is never overwritten (the next free name is
    used), as ``jobs resume`` needs after a crash.
    """

    def __init__(self, context: JobContext | None = None, *,
                 prompt_parts: dict[str, str] | None = None) -> None:
        self.context = context
        self.resumed = context is None
        self.prompt_parts = prompt_parts

    def accepts(self, row: JobRow) -> bool:
        context = self.context or row.context
        return context.timeline is not None and context.output is not None

    def place(self, row: JobRow, clip: GeneratedClip, ledger: Ledger) -> tuple[PlacedClip, Path]:
        placed, written = self.place_all(row, [clip], ledger)
        return placed[0], written

    def place_all(self, row: JobRow, clips: Sequence[GeneratedClip],
                  ledger: Ledger) -> tuple[list[PlacedClip], Path]:
        """Place several clips of one context (``row``'s, or this placer's) in order on one
        read of the input timeline and write it once: the takes of one shot from several
        models (:mod:`stillmotion.jobs.multi`)."""
        context = self.context or row.context
        assert context.timeline is not None and context.output is not None  # accepts(row)
        output = context.output
        if self.resumed and output.exists() and not context.overwrite:
            output = next_free_name(output)
        saved = context.reading.to_json() if context.reading is not None else None
        with reading_options(options_from_context(saved)):  # the run's --rate and relink folders
            timeline = read_timeline(context.timeline)
        placed = [place_clip(timeline, clip, ledger=ledger, context=context,
                             prompt_parts=self.prompt_parts) for clip in clips]
        if context.for_resolve:
            timeline = make_resolve_shaped(timeline, base_dir=context.timeline.parent)
        written = write_timeline(timeline, output, overwrite=context.overwrite,
                                 source=context.timeline)
        for clip in clips:
            ledger.mark_placed(clip.job_id, files=JobFiles(timeline=written))
        return placed, written
