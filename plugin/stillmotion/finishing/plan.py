"""Plan a turnover before writing anything: each shot's job files, plate range and timecodes.

Why a plan first: every bad input (no generated clips, a missing original download, a name
two shots share) must be found before the first plate is written, so a refused turnover leaves
nothing behind; and ingest recomputes the same plate range to cut the handles off a version.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from stillmotion.errors import ConfigError, MediaError, TimelineError
from stillmotion.finishing.chain import ai_take, artist_chain
from stillmotion.finishing.naming import VersionName, render
from stillmotion.finishing.sources import JobFiles, job_files, require_metadata
from stillmotion.media.plates import frames_after_rate
from stillmotion.media.probe import probe
from stillmotion.timecode import Timecode, supports_drop_frame
from stillmotion.timeline.handoff import ShotSlot
from stillmotion.timeline.metadata import GeneratedClipMetadata


@dataclass(frozen=True)
class PlateRange:
    """Frames of the original (counted at the timeline rate) a plate holds, and its handles."""

    first: int
    count: int
    head: int
    tail: int
    requested: int

    @property
    def clamped(self) -> bool:
        return self.head < self.requested or self.tail < self.requested


def plate_range(media_in: int, duration: int, handles: int, available: int,
                *, shot: str = "", source: str = "") -> PlateRange:
    """The cut ``media_in`` .. ``media_in + duration`` plus up to ``handles`` frames each side,
    clamped to the ``available`` frames; MediaError when the cut itself is not all there."""
    if handles < 0:
        raise ConfigError(f"--handles must be 0 or more, not {handles}.")
    if media_in < 0 or media_in + duration > available:
        raise MediaError(
            f"The cut of {shot} uses frames {media_in}-{media_in + duration - 1} but the "
            f"original {source} has only {available} at the timeline rate; regenerate the shot.")
    head = min(handles, media_in)
    tail = min(handles, available - media_in - duration)
    return PlateRange(media_in - head, head + duration + tail, head, tail, handles)


@dataclass(frozen=True)
class ShotPlan:
    """Everything needed to write one shot's folder."""

    slot: ShotSlot
    metadata: GeneratedClipMetadata
    files: JobFiles
    download: Path
    name: str
    version: VersionName
    plate: PlateRange
    rate: Fraction
    available: int
    size: tuple[int, int]

    @property
    def shot(self) -> str:
        return self.slot.shot

    def source_note(self) -> str | None:
        """One sentence when the plate comes from the conformed clip, else None."""
        if self.download == self.files.download:
            return None
        return (f"{self.name}: the original download is missing (it was at "
                f"{self.files.download}), so the plate is taken from the conformed clip "
                f"{self.download}.")

    def clamp_note(self) -> str | None:
        """One sentence when the handles had to be shortened, else None."""
        if not self.plate.clamped:
            return None
        return (f"{self.name}: the original has {self.plate.head} frames before and "
                f"{self.plate.tail} after the cut, so the handles are {self.plate.head}+"
                f"{self.plate.tail} instead of {self.plate.requested}+{self.plate.requested}.")


def original_of(slot: ShotSlot, ledger: Path | None) -> tuple[GeneratedClipMetadata, JobFiles,
                                                               Path]:
    """A shot's metadata, job files and the file its plate is taken from: the original
    download, or when that is gone the conformed clip (same frames at the timeline rate);
    MediaError saying where the download was when neither is there."""
    metadata = require_metadata(slot.metadata, slot.clip_name, slot.generated.problem)
    if artist_chain(metadata, metadata.take) is not None:
        raise TimelineError(
            f"Shot {slot.shot} shows an artist's version (take {metadata.take}); show its AI "
            f"take again (`stillmotion takes --use {ai_take(metadata)}`) to turn it over.")
    files = job_files(ledger, metadata)
    if files.download is not None and files.download.is_file():
        return metadata, files, files.download
    if files.conformed is not None:
        return metadata, files, files.conformed
    if files.download is None:
        raise MediaError(
            f"Shot {slot.shot} ({slot.clip_name}) has no original download on record (job "
            f"{metadata.job_id}); regenerate it or pass --ledger with the ledger that made it.")
    raise MediaError(
        f"The original download of shot {slot.shot} ({slot.clip_name}) is missing: it was "
        f"at {files.download}; put it back there (or regenerate the shot) and run again.",
        path=files.download)


def plan_shot(slot: ShotSlot, *, rate: Fraction, handles: int, ledger: Path | None,
              pattern: str, task: str, version: int) -> ShotPlan:
    """Plan one shot (see :func:`original_of` and :func:`plate_range`)."""
    metadata, files, download = original_of(slot, ledger)
    video = probe(download).require_video()
    available = frames_after_rate(video, rate)
    plate = plate_range(slot.media_in, slot.duration, handles, available, shot=slot.shot,
                        source=download.name)
    named = VersionName(slot.shot, task, version)
    return ShotPlan(slot, metadata, files, download, render(pattern, named), named, plate,
                    rate, available, video.size)


def plan_turnover(slots: list[ShotSlot], *, rate: Fraction, handles: int, ledger: Path | None,
                  pattern: str, task: str, version: int) -> list[ShotPlan]:
    """Plans for every slot (names differ: the pattern must hold {shot})."""
    return [plan_shot(s, rate=rate, handles=handles, ledger=ledger, pattern=pattern, task=task,
                      version=version) for s in slots]


def drop_frame(rate: Fraction) -> bool:
    """Timecodes at 29.97 and 59.94 are drop-frame, as OTIO's EDL writer labels them."""
    return supports_drop_frame(rate)


def timecodes(plan: ShotPlan) -> dict[str, Any]:
    """Record and source timecodes of the cut and the plate's first frame."""
    clock = Timecode(plan.rate, drop_frame=drop_frame(plan.rate))
    slot = plan.slot
    return {
        "record_in": clock.to_text(slot.record_start),
        "record_out": clock.to_text(slot.record_start + slot.duration),
        "plate_in": clock.to_text(slot.record_start - plan.plate.head),
        "source_in": clock.to_text(slot.media_in),
        "source_out": clock.to_text(slot.media_in + slot.duration),
    }
