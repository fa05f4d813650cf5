"""Gather a review from a timeline: each generated clip is a shot, its metadata lists the takes.

Why the ledger as well: the clip's metadata describes the take it shows in full but the other
takes only briefly (job, files, prompt, cost), and takes made after the timeline was written are
not on it at all; the ledger fills in provider, model, size and provenance and adds those takes,
without a ``--use`` number, since the timeline cannot show them yet.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from stillmotion.errors import TimelineError
from stillmotion.finishing.chain import artist_chain, version_label
from stillmotion.review.model import Review, Shot, SourceStill, SwitchCommand, Take
from stillmotion.review.rows import (
    LedgerIndex,
    file_provenance,
    has_media,
    source_of_row,
    take_from_file,
    take_from_row,
    to_decimal,
)
from stillmotion.timecode import Timecode, supports_drop_frame
from stillmotion.timeline.generated import GeneratedClip, find_generated_clips
from stillmotion.timeline.io import read_timeline
from stillmotion.timeline.media import local_path
from stillmotion.timeline.metadata import GeneratedClipMetadata, TakeRecord
from stillmotion.timeline.timebase import TimeBase


@dataclasses.dataclass(frozen=True)
class PlacedShot:
    """A generated clip found on a timeline file, with its record timecode (start included)."""

    timeline: Path
    clip: GeneratedClip
    record_timecode: str

    @property
    def switch(self) -> SwitchCommand:
        return SwitchCommand(self.timeline, self.record_timecode)


def placed_shots(path: Path) -> list[PlacedShot]:
    """Every generated clip on the timeline file ``path``, in record order."""
    timeline = read_timeline(path)
    timebase = TimeBase.of(timeline)
    start = timebase.start_frame(timeline)
    clock = Timecode(timebase.rate, supports_drop_frame(timebase.rate))
    found = sorted(find_generated_clips(timeline),
                   key=lambda g: (g.record_start_frame, g.track_index))
    return [PlacedShot(path.absolute(), g, clock.to_text(start + g.record_start_frame))
            for g in found]


def review_timeline(path: Path, ledger: LedgerIndex) -> Review:
    """The review of every generated clip on the timeline file ``path``."""
    shots: list[Shot] = []
    for index, placed in enumerate(placed_shots(path), start=1):
        shot = shot_of_placed(placed, ledger, index)
        if any(s.key == shot.key for s in shots):  # the same shot placed twice
            shot = dataclasses.replace(shot, key=f"{shot.key}-{index}")
        shots.append(shot)
    notes = () if ledger.path else (
        "No job ledger was found, so takes other than the one shown carry only what the "
        "timeline recorded; pass --ledger to add provider, model and provenance.",)
    return Review(title=f"Takes on {path.name}", origin=f"timeline {path.absolute()}",
                  shots=tuple(shots), notes=notes)


def shot_of_placed(placed: PlacedShot, ledger: LedgerIndex, index: int) -> Shot:
    """One shot from a placed generated clip, its takes enriched from the ledger."""
    generated = placed.clip
    metadata = generated.metadata
    if metadata is None:
        return _bare_shot(placed, ledger, index)
    base = placed.timeline.parent
    records = metadata.takes or (TakeRecord(
        take=metadata.take, job_id=metadata.job_id, media=metadata.conformed_file or "",
        original=metadata.original_file, prompt=metadata.prompt,
        created_at=metadata.created_at, cost_estimate=metadata.cost_estimate),)
    takes = [_take_of_record(record, metadata, ledger, base) for record in records]
    listed = {record.job_id for record in records}
    later = [row for row in ledger.group(metadata.take_group)
             if row.id not in listed and has_media(row)]
    takes += [take_from_row(row, None, notes=(
        "Not on this timeline yet (made after it was written); open the timeline the "
        "generation wrote to switch to it.",)) for row in later]
    rows = [ledger.by_job[r.job_id] for r in records if r.job_id in ledger.by_job]
    source = next((s for s in map(source_of_row, rows) if s is not None), None) or \
        _metadata_source(metadata)
    return Shot(
        key=metadata.take_group, title=f"{metadata.source_clip or generated.clip.name}",
        takes=tuple(takes), source=source, source_label=_source_label(metadata),
        record_timecode=placed.record_timecode, switch=placed.switch,
        notes=(f"On track \"{generated.track_name}\".",) if generated.track_name else (),
    )


def _take_of_record(record: TakeRecord, metadata: GeneratedClipMetadata, ledger: LedgerIndex,
                    base: Path) -> Take:
    in_use = record.job_id == metadata.job_id and record.take == metadata.take
    row = ledger.by_job.get(record.job_id)
    conformed = _local(record.media, base)
    original = _local(record.original, base)
    artist = artist_chain(metadata, record.take)
    if artist is not None:
        return _artist_take(record, artist, metadata, conformed, original, in_use)
    if row is not None:
        take = take_from_row(row, record.take, in_use=in_use)
        return dataclasses.replace(take, prompt=record.prompt or take.prompt,
                                   conformed=conformed or take.conformed,
                                   original=original or take.original)
    provenance: dict[str, Any] = dict(metadata.extra.get("provenance") or {}) if in_use else {}
    preview = metadata.preview if in_use else None
    if not provenance:
        provenance, preview = file_provenance(original)
    return Take(
        job_id=record.job_id, number=record.take, prompt=record.prompt or "",
        provider=metadata.provider, model=metadata.model, seconds=metadata.seconds or None,
        size=metadata.size, cost_estimate=to_decimal(record.cost_estimate),
        currency=metadata.currency, preview=preview, provenance=provenance,
        conformed=conformed, original=original,
        remote_id=str(metadata.extra.get("remote_id") or "") if in_use else "",
        created_at=record.created_at, in_use=in_use,
        notes=() if ledger.path is None else ("This job is not in the ledger.",),
    )


def _artist_take(record: TakeRecord, chain: dict[str, Any], metadata: GeneratedClipMetadata,
                 conformed: Path | None, original: Path | None, in_use: bool) -> Take:
    """An artist's version shown beside the AI takes, with the chain it came through."""
    label = version_label(chain)
    return Take(
        job_id=record.job_id, number=record.take, prompt=record.prompt or metadata.prompt,
        provider="artist", model=label, cost_estimate=None, currency=metadata.currency,
        preview=False, provenance=dict(chain), conformed=conformed, original=original,
        created_at=record.created_at, in_use=in_use,
        notes=(f"Artist version {Path(str(chain.get('file') or '')).name} of shot "
               f"{chain.get('turnover_shot')}, made from AI job {chain.get('ai_job')} take "
               f"{chain.get('ai_take')}.",),
    )


def _bare_shot(placed: PlacedShot, ledger: LedgerIndex, index: int) -> Shot:
    """A generated clip whose metadata the format dropped: its media, and why little is known."""
    clip = placed.clip
    notes = [clip.problem or "The stillmotion metadata is missing."]
    media: Path | None = None
    try:
        media = local_path(clip.clip, base_dir=placed.timeline.parent)
    except TimelineError as exc:
        notes.append(exc.message)
    take = Take(job_id="", number=None, prompt="", in_use=True, notes=tuple(notes)) \
        if media is None else take_from_file(media, ledger, in_use=True, notes=tuple(notes))
    return Shot(key=f"clip-{index}", title=str(clip.clip.name), takes=(take,),
                record_timecode=placed.record_timecode,
                notes=("Its takes are unknown: review the .otio timeline stillmotion wrote.",))


def _metadata_source(metadata: GeneratedClipMetadata) -> SourceStill | None:
    media = Path(metadata.source_media) if metadata.source_media else None
    if media is None or metadata.source_frame is None or not media.is_file():
        return None
    return SourceStill(media, metadata.source_frame)


def _source_label(metadata: GeneratedClipMetadata) -> str:
    parts = [metadata.source_clip]
    if metadata.source_timecode:
        parts.append(f"source {metadata.source_timecode}")
    if metadata.source_frame is not None:
        parts.append(f"frame {metadata.source_frame}")
    if metadata.source_media:
        parts.append(Path(metadata.source_media).name)
    return " · ".join(p for p in parts if p)


def _local(value: str | None, base: Path) -> Path | None:
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else base / path
