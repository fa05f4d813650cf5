"""Turn generated shots over to finishing: a folder per shot plus the turnover's EDL, OTIO, CSV.

Why: the hybrid workflow's hand-off. Each shot folder holds the plate (the cut plus handles from
the original download, 1001-numbered, record timecode in the headers), the still that was sent
and a JSON of the shot's prompt, job, cost, provenance and timecodes. A shot folder is written
under a hidden temporary name and renamed when complete, so a failed run never leaves a
half-written shot where a good one is expected; everything is planned (and every bad input
refused) before the first frame is written.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stillmotion.errors import ConfigError, MediaError
from stillmotion.files import atomic_write_text
from stillmotion.finishing.naming import DEFAULT_PATTERN, DEFAULT_TASK, check_pattern
from stillmotion.finishing.plan import ShotPlan, drop_frame, plan_turnover
from stillmotion.finishing.records import csv_text, edit_entry, shot_record
from stillmotion.media.credentials import sign_plate
from stillmotion.media.plate_formats import DEFAULT_START_FRAME
from stillmotion.media.plates import (
    FrameCallback,
    PlateFormat,
    check_colour_space,
    check_plate_size,
    plate_files,
    plate_format,
    write_plate,
)
from stillmotion.media.provenance import SigningIdentity
from stillmotion.timeline.handoff import choose_shots, shot_slots, turnover_timeline
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.timebase import TimeBase

EDL_NAME = "turnover.edl"
OTIO_NAME = "turnover.otio"
CSV_NAME = "shots.csv"
STILL_SUFFIX = "_still"

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
    signing: SigningIdentity | None = None  # who signs the plates (None: no credentials)


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


def _still_name(plan: ShotPlan) -> str | None:
    still = plan.files.still
    if still is None or not still.is_file():
        return None
    return f"{plan.name}{STILL_SUFFIX}{still.suffix}"


def _write_shot(plan: ShotPlan, fmt: PlateFormat, record: dict[str, Any], folder: Path,
                on_frames: FrameCallback | None, signing: SigningIdentity | None) -> None:
    """Write one shot folder under a temporary name, then rename it into place."""
    final = folder / plan.name
    temp = folder / f".{plan.name}.partial-{secrets.token_hex(4)}"
    temp.mkdir()
    try:
        plate = record["plate"]
        files = write_plate(
            plan.download, temp, plan.name, fmt, rate=plan.rate, first=plan.plate.first,
            count=plan.plate.count, start_number=plate["first_frame"],
            timecode=plate["timecode"], drop_frame=drop_frame(plan.rate), on_frames=on_frames,
            colour_space=plate["colour_space"])
        if [f.name for f in files] != plate["files"]:
            raise MediaError(f"The plate of {plan.name} was not written as planned; run the "
                             "turnover again.", path=temp)
        plate["credentials"] = sign_plate(files, plan.download, signing,
                                          f"turned over as a {fmt.name} plate")
        if record["still"] is not None and plan.files.still is not None:
            shutil.copyfile(plan.files.still, temp / record["still"])
        atomic_write_text(temp / f"{plan.name}.json", _json(record))
        _swap_in(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _json(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def turnover(request: TurnoverRequest, *, on_shot: ShotCallback | None = None,
             on_frames: FrameCallback | None = None) -> TurnoverResult:
    """Turn the chosen generated shots of ``request.timeline`` over into ``request.output``."""
    fmt = plate_format(request.format)
    colour = check_colour_space(request.colour_space, fmt)
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
    records = []
    for plan in plans:
        check_plate_size(fmt, plan.size, plan.download)
        files = plate_files(fmt, plan.name, plan.plate.count, request.start_frame)
        records.append(shot_record(plan, fmt, request.start_frame, colour, files,
                                   _still_name(plan), timeline=request.timeline))
    edit = turnover_timeline(f"{opened.name} turnover", timebase.rate,
                             timebase.start_frame(opened),
                             [edit_entry(p, r, folder, fmt)
                              for p, r in zip(plans, records, strict=True)])
    created = not folder.exists()
    folder.mkdir(exist_ok=True)
    try:
        return _write_all(plans, records, edit, fmt, folder, on_shot, on_frames, request.signing)
    finally:
        if created and not any(folder.iterdir()):
            folder.rmdir()


def _write_all(plans: list[ShotPlan], records: list[dict[str, Any]], edit: Any,
               fmt: PlateFormat, folder: Path, on_shot: ShotCallback | None,
               on_frames: FrameCallback | None,
               signing: SigningIdentity | None) -> TurnoverResult:
    result = TurnoverResult(folder=folder)
    for index, (plan, record) in enumerate(zip(plans, records, strict=True)):
        if on_shot is not None:
            on_shot(index, len(plans), plan.name)
        _write_shot(plan, fmt, record, folder, on_frames, signing)
        result.shots.append(record)
        result.notes += [n for n in (plan.source_note(), plan.clamp_note()) if n]
        if record["still"] is None:
            result.notes.append(f"{plan.name}: the still that was sent is not in the ledger, so "
                                "the folder has no still.")
    result.otio = write_timeline(edit, folder / OTIO_NAME, overwrite=True)
    result.edl = write_timeline(edit, folder / EDL_NAME, overwrite=True)
    result.csv = folder / CSV_NAME
    atomic_write_text(result.csv, csv_text(result.shots))
    return result
