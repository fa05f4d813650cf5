"""Bring artists' versions back: each one cut to its shot's cut and placed as a new take.

Why: after a turnover the editor gets ``sh010_comp_v002`` back and wants it where the AI clip
was, without relinking by hand. A version is matched to its slot (:mod:`versions`), its handles
are cut off (the head handle the turnover wrote, from the JSON beside it or recomputed from the
original download), it is conformed to the timeline (rate, size, preset of the AI take) and
switched in as a new take of the slot, so ``stillmotion takes --use 1`` goes back to the AI
take. The metadata keeps the chain: the AI job it came from, the turnover shot, the version.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from stillmotion.errors import ConfigError, MediaError, StillmotionError, TimelineError
from stillmotion.files import check_output
from stillmotion.finishing.chain import ai_take, artist_chain, with_chain
from stillmotion.finishing.naming import DEFAULT_PATTERN, check_pattern
from stillmotion.finishing.plan import plan_shot
from stillmotion.finishing.sources import job_files, require_metadata
from stillmotion.finishing.versions import Refusal, Version, find_versions, match_slot
from stillmotion.jobs.placers import next_free_name
from stillmotion.jobs.shots import media_dir_for
from stillmotion.media.conform import DEFAULT_PRESET, conform, get_preset
from stillmotion.media.ffmpeg import Progress
from stillmotion.media.plates import FrameCallback, extract_frames, sequence_to_movie
from stillmotion.media.probe import probe
from stillmotion.media.sound import file_has_sound
from stillmotion.timeline.handoff import ShotSlot, shot_slots
from stillmotion.timeline.io import default_output_path, read_timeline, write_timeline
from stillmotion.timeline.metadata import TakeRecord, utc_now_text
from stillmotion.timeline.place import completed_metadata
from stillmotion.timeline.sound import sync_sound
from stillmotion.timeline.takes import (
    as_shown,
    keep_trim,
    next_take_number,
    remember_shown,
    switch_take,
    take_facts,
)
from stillmotion.timeline.timebase import TimeBase, rate_text


@dataclass(frozen=True)
class IngestRequest:
    """What to ingest where."""

    timeline: Path
    folder: Path
    output: Path | None = None
    pattern: str = DEFAULT_PATTERN
    handles: int = 8
    preset: str | None = None
    ledger: Path | None = None
    overwrite: bool = False
    audio: bool = True  # False (``--no-audio``): picture only, the AI sound still goes


@dataclass
class IngestResult:
    """The new timeline, the takes placed, warnings and the versions refused."""

    timeline: Path | None = None
    placed: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


@dataclass(frozen=True)
class _Cut:
    head: int
    duration: int
    plate_frames: int


def _cut_of(version: Version, slot: ShotSlot, request: IngestRequest, rate: Fraction) -> _Cut:
    """Where the cut sits in the version: the turnover's JSON says, else the same plate rule."""
    record = version.record
    if record is not None and isinstance(record.get("plate"), dict):
        plate = record["plate"]
        cut = _Cut(int(plate["head_handle"]), int(record["record"]["frames"]),
                   int(plate["frames"]))
        metadata = slot.metadata
        if metadata is None or artist_chain(metadata, metadata.take) is not None:
            return cut  # an artist's take is shown: the cut is the turnover's
        # the editor may have re-trimmed the AI clip since: follow the slot as it is now
        head = cut.head + slot.media_in - int(record["source"]["in_frame"])
        if head < 0 or head + slot.duration > cut.plate_frames:
            raise MediaError(
                f"the cut of {slot.shot} now uses frames outside the plate it was turned over "
                "with; turn the shot over again.")
        return _Cut(head, slot.duration, cut.plate_frames)
    plan = plan_shot(slot, rate=rate, handles=request.handles, ledger=request.ledger,
                     pattern=DEFAULT_PATTERN, task="comp", version=1)
    return _Cut(plan.plate.head, slot.duration, plan.plate.count)


def _frames_and_rate(version: Version, rate: Fraction) -> tuple[int, Fraction]:
    if version.sequence is not None:
        return version.sequence.count, rate
    assert version.movie is not None
    facts = probe(version.movie).require_video()
    return facts.frame_count, facts.rate


def _conform_cut(version: Version, cut: _Cut, output: Path, *, rate: Fraction,
                 size: tuple[int, int], preset: str, work: Path,
                 on_frames: FrameCallback | None) -> Path:
    """The cut frames of ``version``, every one kept, conformed to the timeline."""
    if version.sequence is not None:
        source = sequence_to_movie(version.sequence, work / "sequence.mov", rate)
    else:
        assert version.movie is not None
        source = version.movie
    frames = extract_frames(source, work / "cut.mov", cut.head, cut.duration, sound=True)

    def progress(event: Progress) -> None:
        if on_frames is not None:
            on_frames(cut.duration if event.done else min(event.frame, cut.duration),
                      cut.duration)

    return conform(frames, output, preset=preset, size=size, rate=rate, rate_policy="retime",
                   on_progress=progress)


def _target(slot: ShotSlot, request: IngestRequest) -> tuple[tuple[int, int], str]:
    """Size and preset of the AI take: the job's conform settings, else its conformed file."""
    metadata = require_metadata(slot.metadata, slot.clip_name, slot.generated.problem)
    spec = job_files(request.ledger, metadata).conform
    preset = request.preset or (spec.preset if spec is not None else DEFAULT_PRESET)
    if spec is not None:
        return spec.size, preset
    return probe(Path(slot.media_path)).require_video().size, preset


def _place(version: Version, slot: ShotSlot, timeline: Any, media: Path, cut: _Cut,
           rate: Fraction, *, audio: bool = True) -> dict[str, Any]:
    """Switch the slot to ``version`` (conformed as ``media``); its sound goes under the slot
    unless ``audio`` is False, and the AI take's sound goes either way."""
    metadata = completed_metadata(
        require_metadata(slot.metadata, slot.clip_name, slot.generated.problem),
        Path(slot.media_path), None)
    number = next_take_number(metadata)
    record = version.record or {}
    now = utc_now_text()
    chain = {
        "kind": "artist-version", "ai_job": metadata.job_id,
        "ai_take": int(record.get("take") or ai_take(metadata)),
        "provider": metadata.provider, "model": metadata.model,
        "turnover_shot": version.name.shot, "turnover_name": record.get("name"),
        "turnover_timeline": record.get("timeline"), "task": version.name.task,
        "version": version.name.version, "file": str(version.path),
        "handles_removed": [cut.head, cut.plate_frames - cut.head - cut.duration],
        "ingested_at": now,
    }
    slot_meta = dataclasses.replace(
        remember_shown(metadata), extra=with_chain(keep_trim(metadata, slot.media_in), number,
                                                   chain))
    sound = file_has_sound(media)  # the version's own sound over the cut, or none
    # the version keeps the AI job's facts (its chain), but not the AI file's sound facts
    facts = {k: v for k, v in take_facts(metadata).items() if k != "audio"}
    take = TakeRecord(take=number, job_id=metadata.job_id, media=str(media),
                      original=str(version.path), prompt=metadata.prompt,
                      created_at=now, cost_estimate=None, sound=sound, facts=facts)
    updated = as_shown(dataclasses.replace(slot_meta, takes=(*slot_meta.takes, take)), take)
    placed = switch_take(slot.generated, timeline, media_path=media,
                         duration_frames=cut.duration, rate=rate, metadata=updated,
                         original_path=version.movie)
    # the slot's sound is the version's: the AI take's goes (back with `takes --use`)
    sync_sound(timeline, placed, old_link=metadata.link_id, sound=audio and sound)
    return {"version": version.label, "shot": slot.shot, "take": number,
            "sound": audio and sound,
            "track": placed.track_name, "record_start": slot.record_start,
            "frames": placed.duration_frames, "media": str(media), "ai_job": metadata.job_id}


def _prepare(version: Version, slot: ShotSlot, request: IngestRequest, rate: Fraction,
             media_dir: Path, warnings: list[str],
             on_frames: FrameCallback | None) -> tuple[Path, _Cut] | Refusal:
    """The version's cut conformed into ``media_dir``, or why it cannot cover the cut."""
    cut = _cut_of(version, slot, request, rate)
    count, version_rate = _frames_and_rate(version, rate)
    if count < cut.head + cut.duration:
        return Refusal(version.label, (
            f"{version.label} has {count} frames but the cut of {version.name.shot} needs "
            f"{cut.head + cut.duration} ({cut.head} handle + {cut.duration} cut); not placed."))
    if count != cut.plate_frames:
        warnings.append(f"{version.label} has {count} frames instead of the plate's "
                        f"{cut.plate_frames}; its first frame is taken as the plate's first.")
    if version_rate != rate:
        warnings.append(f"{version.label} is at {rate_text(version_rate)} fps; its frames are "
                        f"taken one for one at the timeline's {rate_text(rate)}.")
    size, preset = _target(slot, request)
    media_dir.mkdir(parents=True, exist_ok=True)
    media = media_dir / f"{version.label.split('.')[0]}{get_preset(preset).extension}"
    media = next_free_name(media) if media.exists() else media
    with tempfile.TemporaryDirectory(prefix="stillmotion-ingest-") as work:
        _conform_cut(version, cut, media, rate=rate, size=size, preset=preset,
                     work=Path(work), on_frames=on_frames)
    return media, cut


def ingest(request: IngestRequest, *, on_version: Callable[[int, int, str], None] | None = None,
           on_frames: FrameCallback | None = None) -> IngestResult:
    """Place every version found in ``request.folder`` on ``request.timeline`` as a new take;
    the new timeline is written only when at least one version was placed."""
    check_pattern(request.pattern)
    if request.preset is not None:
        get_preset(request.preset)
    if not request.folder.is_dir():
        raise ConfigError(f"The versions folder {request.folder} does not exist.")
    output = check_output(request.output or default_output_path(request.timeline),
                          inputs=[request.timeline], overwrite=request.overwrite)
    opened = read_timeline(request.timeline)
    rate = TimeBase.of(opened).rate
    slots = shot_slots(opened)
    versions, refused = find_versions(request.folder, request.pattern)
    result = IngestResult(refused=list(refused))
    if not versions and not refused:
        raise TimelineError(f"There are no versions named like {request.pattern} (or with a "
                            f"turnover JSON beside them) in {request.folder}.")
    media_dir = media_dir_for(output, None)  # where generate puts its clips
    for index, version in enumerate(versions):
        if on_version is not None:
            on_version(index, len(versions), version.label)
        found = match_slot(version, slots)
        if isinstance(found, Refusal):
            result.refused.append(found)
            continue
        try:
            prepared = _prepare(version, found, request, rate, media_dir, result.warnings,
                                on_frames)
        except StillmotionError as exc:
            prepared = Refusal(version.label, f"{version.label}: {exc.message}")
        if isinstance(prepared, Refusal):
            result.refused.append(prepared)
            continue
        media, cut = prepared
        result.placed.append(_place(version, found, opened, media, cut, rate,
                                    audio=request.audio))
        slots = shot_slots(opened)  # the placed take is a new clip object in the slot
    if result.placed:
        result.timeline = write_timeline(opened, output, overwrite=request.overwrite,
                                         source=request.timeline)
    return result

