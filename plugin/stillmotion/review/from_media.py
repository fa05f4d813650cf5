"""Gather a review from a media folder: ledger rows that point into it, else file names.

Why both: the ledger knows each file's shot (take group), prompt, cost and provenance, and the
timeline its job last wrote tells which take is shown and how to switch; a folder copied from
another machine has no ledger, so the pipeline's file names (``<job>_take<N>.mov``,
``_original.mp4``, ``_first_frame.png``) still group its files by job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stillmotion.errors import ConfigError, StillmotionError
from stillmotion.jobs.ledger import JobRow
from stillmotion.jobs.records import SourceFacts
from stillmotion.media.probe import MOVIE_SUFFIXES
from stillmotion.review.from_timeline import PlacedShot, placed_shots
from stillmotion.review.model import Review, Shot, SourceStill, Take
from stillmotion.review.rows import (
    PIPELINE_NAME,
    LedgerIndex,
    file_provenance,
    group_of,
    has_media,
    row_numbers,
    source_of_row,
    take_from_row,
)


def review_media_dir(folder: Path, ledger: LedgerIndex) -> Review:
    """The review of the generated media in ``folder`` (not its sub-folders)."""
    if not folder.is_dir():
        raise ConfigError(f"The media folder {folder} does not exist; give the folder the "
                          "generated clips were written to (--media-dir of generate).")
    root = folder.resolve()
    rows = [row for row in ledger.by_job.values() if has_media(row) and _points_into(row, root)]
    groups: dict[str, list[JobRow]] = {}
    for row in rows:
        groups.setdefault(group_of(row), []).append(row)
    timelines = _TimelineCache()
    shots = [_ledger_shot(key, members, ledger, timelines) for key, members in groups.items()]
    claimed = {p.resolve() for row in rows for p in row.files.paths()}
    shots += _file_name_shots(root, claimed)
    notes = [] if ledger.path else [
        "No job ledger was found, so takes are grouped by file name only and prompts and costs "
        "are unknown; pass --ledger to read them."]
    notes += timelines.problems
    return Review(title=f"Takes in {folder.name or folder}", origin=f"media folder {root}",
                  shots=tuple(shots), notes=tuple(notes))


def _points_into(row: JobRow, root: Path) -> bool:
    files = row.files
    return any(path.resolve().is_relative_to(root)
               for path in (files.download, files.conformed, files.image) if path is not None)


@dataclass
class _TimelineCache:
    """Timeline files read once each; a file that cannot be read is noted, not fatal."""

    shots: dict[Path, list[PlacedShot]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def placed(self, path: Path, take_group: str) -> PlacedShot | None:
        if path not in self.shots:
            try:
                self.shots[path] = placed_shots(path)
            except StillmotionError as exc:
                self.shots[path] = []
                self.problems.append(f"Could not read the timeline {path}: {exc.message}")
        return next((p for p in self.shots[path] if p.clip.metadata is not None
                     and p.clip.metadata.take_group == take_group), None)


def _ledger_shot(key: str, members: list[JobRow], ledger: LedgerIndex,
                 timelines: _TimelineCache) -> Shot:
    """A shot of the rows of one take group found in the folder."""
    placed = _latest_placement(key, ledger.group(key), timelines)
    if placed is not None and placed.clip.metadata is not None:
        metadata = placed.clip.metadata
        numbers = {t.job_id: t.take for t in metadata.takes} or {metadata.job_id: metadata.take}
        in_use = metadata.job_id
    else:
        numbers, in_use = row_numbers(ledger.group(key)), ""
    takes: list[Take] = []
    for row in members:
        notes: tuple[str, ...] = ()
        if placed is not None and row.id not in numbers:
            notes = ("Not on the latest timeline of this shot; place it with generate or remix "
                     "first.",)
        takes.append(take_from_row(row, numbers.get(row.id), in_use=row.id == in_use,
                                   notes=notes))
    first = members[0]
    source = first.request.source or SourceFacts()
    label = " · ".join(str(p) for p in (
        source.clip, source.timecode and f"source {source.timecode}",
        source.frame is not None and f"frame {source.frame}",
        source.media and Path(source.media).name) if p)
    notes = (f"Shown on {placed.timeline.name}.",) if placed is not None else (
        "No timeline of this shot was found, so no take can be switched here.",)
    return Shot(
        key=key, title=source.clip or f"Shot {key[:8]}", takes=tuple(takes),
        source=next((s for s in map(source_of_row, members) if s is not None), None),
        source_label=label,
        record_timecode=placed.record_timecode if placed is not None
        else source.record_timecode or "",
        switch=placed.switch if placed is not None else None, notes=notes,
    )


def _latest_placement(key: str, rows: list[JobRow],
                      timelines: _TimelineCache) -> PlacedShot | None:
    """The shot on the newest existing timeline a row of this group was placed on."""
    paths = {row.files.timeline for row in rows if row.files.timeline is not None}
    existing = sorted((p for p in paths if p.is_file()), key=lambda p: p.stat().st_mtime,
                      reverse=True)
    for path in existing:
        placed = timelines.placed(path, key)
        if placed is not None:
            return placed
    return None


def _file_name_shots(root: Path, claimed: set[Path]) -> list[Shot]:
    """One shot per job whose files follow the pipeline's names but have no ledger row."""
    jobs: dict[tuple[str, int], dict[str, Path]] = {}
    for path in sorted(root.iterdir()):
        match = PIPELINE_NAME.match(path.name)
        if match is None or path.name.startswith(".") or not path.is_file() \
                or path.resolve() in claimed:
            continue
        kind = match["kind"] or "conformed"
        if kind != "_first_frame" and path.suffix.lower() not in MOVIE_SUFFIXES:
            continue
        jobs.setdefault((match["job"], int(match["take"])), {})[kind] = path
    shots = []
    for (job, number), files in jobs.items():
        if "conformed" not in files and "_original" not in files:
            continue
        provenance, preview = file_provenance(files.get("_original"))
        take = Take(job_id=job, number=number, prompt="", preview=preview,
                    provenance=provenance, conformed=files.get("conformed"),
                    original=files.get("_original"),
                    notes=("No ledger row: prompt, cost and service are unknown.",))
        still = files.get("_first_frame")
        shots.append(Shot(key=f"file-{job}-{number}", title=f"Job {job}", takes=(take,),
                          source=SourceStill(still) if still else None,
                          source_label="first frame sent" if still else "",
                          notes=("Found by file name only.",)))
    return shots
