"""Find the versions an artist returned and the shot each one belongs to.

Why strict: a version cut into the wrong slot is worse than none, so a file is matched through
the per-shot JSON beside it (the AI job and record frame it was turned over from) or else by
its name's shot; a version matching no shot or two shots is refused with one sentence, never
placed by guess. The plates of the turnover itself (same name as their JSON) are not versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillmotion.errors import MediaError
from stillmotion.finishing.naming import VersionName, parse
from stillmotion.finishing.records import read_shot_record
from stillmotion.media.plates import ImageSequence, find_sequences
from stillmotion.media.probe import MOVIE_SUFFIXES
from stillmotion.timeline.handoff import ShotSlot


@dataclass(frozen=True)
class Version:
    """A returned version: a movie file or an image sequence, and what its name says."""

    label: str
    name: VersionName
    movie: Path | None
    sequence: ImageSequence | None
    record: dict[str, Any] | None

    @property
    def path(self) -> Path:
        """The movie, or the sequence's first frame (what a person looks for)."""
        if self.movie is not None:
            return self.movie
        assert self.sequence is not None
        return self.sequence.path(self.sequence.first)


@dataclass(frozen=True)
class Refusal:
    """A version that is not placed, and why (one sentence)."""

    label: str
    reason: str


def _records(folder: Path) -> list[dict[str, Any]]:
    return [r for r in (read_shot_record(p) for p in sorted(folder.glob("*.json")))
            if r is not None]


def _version(label: str, stem: str, folder: Path, pattern: str, movie: Path | None,
             sequence: ImageSequence | None) -> Version | None:
    records = _records(folder)
    if any(r.get("name") == stem for r in records):
        return None  # the turnover's own plate
    name = parse(pattern, stem)
    if name is None:
        beside = records[0] if len(records) == 1 else None
        if beside is None:
            return None
        name = VersionName(str(beside["shot"]), str(beside.get("task", "")), 0)
    record = next((r for r in records if r.get("shot") == name.shot), None)
    return Version(label, name, movie, sequence, record)


def find_versions(folder: Path, pattern: str) -> tuple[list[Version], list[Refusal]]:
    """Every movie and image sequence under ``folder`` named by ``pattern`` (or with a turnover
    JSON beside it); sequences with a missing frame are refused."""
    versions: list[Version] = []
    refused: list[Refusal] = []
    folders = [folder, *sorted(p for p in folder.rglob("*") if p.is_dir()
                               and not p.name.startswith("."))]
    for place in folders:
        for path in sorted(place.iterdir()):
            if path.is_file() and path.suffix.lower() in MOVIE_SUFFIXES:
                found = _version(path.name, path.stem, place, pattern, path, None)
                if found is not None:
                    versions.append(found)
        try:
            sequences = find_sequences(place)
        except MediaError as exc:
            refused.append(Refusal(place.name, exc.message))
            continue
        for sequence in sequences:
            label = f"{sequence.stem}{sequence.separator}[{sequence.first}-" \
                    f"{sequence.first + sequence.count - 1}]{sequence.suffix}"
            found = _version(label, sequence.stem, place, pattern, None, sequence)
            if found is not None:
                versions.append(found)
    return versions, refused


def match_slot(version: Version, slots: list[ShotSlot]) -> ShotSlot | Refusal:
    """The one slot ``version`` belongs to, or a Refusal saying why there is none."""
    record = version.record
    if record is not None:
        hits = [s for s in slots if s.metadata is not None
                and s.metadata.job_id == record.get("job_id")]
        if len(hits) > 1:
            at = record.get("record", {}).get("in_frame")
            exact = [s for s in hits if s.record_start == at]
            hits = exact if len(exact) == 1 else hits
        what = f"the AI job {record.get('job_id')} of shot {version.name.shot}"
    else:
        hits = [s for s in slots if s.shot == version.name.shot]
        what = f"shot {version.name.shot}"
    if not hits:
        return Refusal(version.label, f"{version.label} is for {what}, which is not on this "
                       "timeline; not placed.")
    if len(hits) > 1:
        names = " and ".join(f"{s.shot} ({s.track_name})" for s in hits)
        return Refusal(version.label, f"{version.label} matches two shots, {names}; not placed "
                       "(remove the duplicate clip or ingest into a timeline with one).")
    return hits[0]
