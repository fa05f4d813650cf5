"""Turn generated shots over to finishing: a folder per shot plus the turnover's EDL, OTIO, CSV.

Why: the hybrid workflow's hand-off. Each shot folder holds the plate (the cut plus handles from
the original download, 1001-numbered, record timecode in the headers), the still that was sent
and a JSON of the shot's prompt, job, cost, provenance and timecodes. A shot folder is written
under a hidden temporary name and renamed when complete, so a failed run never leaves a
half-written shot where a good one is expected; everything is planned (and every bad input
refused) before the first frame is written.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stillmotion.errors import ConfigError
from stillmotion.files import atomic_write_text
from stillmotion.finishing.naming import DEFAULT_PATTERN, DEFAULT_TASK, check_pattern
from stillmotion.finishing.plan import ShotPlan, drop_frame, plan_turnover, timecodes
from stillmotion.finishing.records import csv_text, edit_entry, shot_record
from stillmotion.media.plates import (
    FrameCallback,
    PlateFormat,
    check_colour_space,
    plate_format,
    write_plate,
)
from stillmotion.timeline.handoff import choose_shots, shot_slots, turnover_timeline
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.timebase import TimeBase

EDL_NAME = "turnover.edl"
OTIO_NAME = "turnover.otio"
CSV_NAME = "shots.csv"
STILL_SUFFIX = "_still"
DEFAULT_START_FRAME = 1001

ShotCallback = Callable[[int, int, str], None]
"""A shot starts: (index from 0, shot count, shot folder name)."""


@dataclass(frozen=True)
class TurnoverRequest:
    """What to turn over and how."""

    timeline: Path
    output: Path
    handles: int
    format: str
    tracks: Sequence[str] = ()
    marker_colour: str | None = None
    pattern: str = DEFAULT_PATTERN
    task: str = DEFAULT_TASK
    version: int = 1
    colour_space: str = "rec709"
    start_frame: int = DEFAULT_START_FRAME
    overwrite: bool = False
    ledger: Path | None = None


@dataclass
class TurnoverResult:
    """What was written, and the notes (clamped handles, missing stills) for the user."""

    folder: Path
    shots: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    edl: Path | None = None
    otio: Path | None = None
    csv: Path | None = None


def _check_output(folder: Path, overwrite: bool) -> Path:
    target = folder.expanduser().absolute()
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file; give -o a folder for the turnover.")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ConfigError(f"The turnover folder {target} already exists; choose another -o "
                          "or pass --overwrite to replace its shots.")
    if not target.parent.is_dir():
        raise ConfigError(f"The folder {target.parent} does not exist; create it first.")
    return target


def _swap_in(temp: Path, final: Path) -> None:
    """Rename the finished ``temp`` folder onto ``final`` (an old one is moved aside first)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{secrets.token_hex(4)}")
        final.rename(old)
    temp.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_shot(plan: ShotPlan, fmt: PlateFormat, request: TurnoverRequest, folder: Path,
                on_frames: FrameCallback | None) -> dict[str, Any]:
    final = folder / plan.name
    temp = folder / f".{plan.name}.partial-{secrets.token_hex(4)}"
    temp.mkdir()
    try:
        files = write_plate(
            plan.download, temp, plan.name, fmt, rate=plan.rate, first=plan.plate.first,
            count=plan.plate.count, start_number=request.start_frame,
            timecode=_plate_timecode(plan), drop_frame=drop_frame(plan.rate),
            on_frames=on_frames)
        still = None
        if plan.files.still is not None and plan.files.still.is_file():
            still = f"{plan.name}{STILL_SUFFIX}{plan.files.still.suffix}"
            shutil.copyfile(plan.files.still, temp / still)
        record = shot_record(plan, fmt, request.start_frame, request.colour_space,
                             [f.name for f in files], still, timeline=request.timeline)
        atomic_write_text(temp / f"{plan.name}.json", _json(record))
        _swap_in(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return record


def _plate_timecode(plan: ShotPlan) -> str:
    return str(timecodes(plan)["plate_in"])


def _json(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def turnover(request: TurnoverRequest, *, on_shot: ShotCallback | None = None,
             on_frames: FrameCallback | None = None) -> TurnoverResult:
    """Turn the chosen generated shots of ``request.timeline`` over into ``request.output``."""
    fmt = plate_format(request.format)
    colour = check_colour_space(request.colour_space)
    check_pattern(request.pattern)
    if request.start_frame < 0:
        raise ConfigError(f"--start-frame must be 0 or more, not {request.start_frame}.")
    folder = _check_output(request.output, request.overwrite)
    opened = read_timeline(request.timeline)
    timebase = TimeBase.of(opened)
    slots = choose_shots(shot_slots(opened), tracks=request.tracks,
                         marker_colour=request.marker_colour)
    plans = plan_turnover(slots, rate=timebase.rate, handles=request.handles,
                          ledger=request.ledger, pattern=request.pattern, task=request.task,
                          version=request.version)
    folder.mkdir(exist_ok=True)
    result = TurnoverResult(folder=folder)
    request = _with_colour(request, colour)
    for index, plan in enumerate(plans):
        if on_shot is not None:
            on_shot(index, len(plans), plan.name)
        result.shots.append(_write_shot(plan, fmt, request, folder, on_frames))
        note = plan.clamp_note()
        if note:
            result.notes.append(note)
        if plan.files.still is None or not plan.files.still.is_file():
            result.notes.append(f"{plan.name}: the still that was sent is not in the ledger, so "
                                "the folder has no still.")
    entries = [edit_entry(plan, record, folder, fmt)
               for plan, record in zip(plans, result.shots, strict=True)]
    edit = turnover_timeline(f"{opened.name} turnover", timebase.rate,
                             timebase.start_frame(opened), entries)
    result.otio = write_timeline(edit, folder / OTIO_NAME, overwrite=True)
    result.edl = write_timeline(edit, folder / EDL_NAME, overwrite=True)
    result.csv = folder / CSV_NAME
    atomic_write_text(result.csv, csv_text(result.shots))
    return result


def _with_colour(request: TurnoverRequest, colour: str) -> TurnoverRequest:
    return dataclasses.replace(request, colour_space=colour)
