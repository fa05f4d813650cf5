"""``stillmotion turnover`` and ``stillmotion ingest``: the finishing loop on the command line.

Why a module of their own: they hand generated shots to artists and take their versions back;
the work is in :mod:`stillmotion.finishing`, here are the flags, a progress bar over shots and
frames, and the plain report (notes on clamped handles, versions not placed).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stillmotion.cli.console import console, err_console
from stillmotion.cli.options import (
    JsonOpt,
    LedgerOpt,
    NoAudioOpt,
    NoCredentialsOpt,
    OutputOpt,
    OverwriteOpt,
)
from stillmotion.cli.reading import reads_timeline
from stillmotion.errors import ConfigError
from stillmotion.finishing.naming import DEFAULT_PATTERN, DEFAULT_TASK
from stillmotion.media.plate_formats import DEFAULT_START_FRAME, PLATE_FORMATS

if TYPE_CHECKING:  # the turnover machinery (OTIO, ffmpeg, c2pa) is imported when it runs
    from stillmotion.finishing.turnover import ShotCallback
    from stillmotion.media.plates import FrameCallback

app = typer.Typer()

FORMAT_HELP = "Plate format: " + "; ".join(
    f"{name} = {fmt.description}" for name, fmt in PLATE_FORMATS.items()) + "."


@contextlib.contextmanager
def shots_and_frames(description: str, quiet: bool) -> Iterator[
        tuple[ShotCallback, FrameCallback]]:
    """Two bars on stderr, shots (or versions) and the current one's frames; quiet off a
    terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err_console, transient=True,
                  disable=quiet or not err_console.is_terminal) as bar:
        shots = bar.add_task(description, total=None)
        frames = bar.add_task("frames", total=None)

        def on_shot(index: int, total: int, name: str) -> None:
            bar.update(shots, completed=index, total=total, description=f"{description} {name}")
            bar.update(frames, completed=0, total=None)

        def on_frames(done: int, total: int) -> None:
            bar.update(frames, completed=done, total=total)

        yield on_shot, on_frames


@app.command("turnover")
@reads_timeline
def turnover_command(
    timeline: Annotated[Path, typer.Argument(help="A timeline stillmotion wrote (.otio).")],
    handles: Annotated[int, typer.Option("--handles", help="Frames of handle each side.")],
    plate_format: Annotated[str, typer.Option("--format", metavar="FORMAT", help=FORMAT_HELP)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Turnover folder to write.")],
    track: Annotated[list[str] | None, typer.Option(
        "--track", help="Only generated clips on this track (repeatable; default: all).")] = None,
    shots: Annotated[str | None, typer.Option(
        "--shots", metavar="MARKER_COLOR", help="Only clips carrying a marker of this colour.")
    ] = None,
    all_shots: Annotated[bool, typer.Option("--all", help="Every generated clip (default).")
                         ] = False,
    name: Annotated[str, typer.Option("--name", help="Shot folder and file names.")
                    ] = DEFAULT_PATTERN,
    task: Annotated[str, typer.Option("--task", help="The {task} in names.")] = DEFAULT_TASK,
    version: Annotated[int, typer.Option("--version", help="The {version} in names.")] = 1,
    colour_space: Annotated[str, typer.Option(
        "--colour-space", help="Plate colour space: rec709 (the generated picture as it "
        "is), rec2020, or acescg (linear AP1, EXR only).")
    ] = "rec709",
    start_frame: Annotated[int, typer.Option(
        "--start-frame", help="First frame number of image sequences.")] = DEFAULT_START_FRAME,
    overwrite: OverwriteOpt = False,
    ledger: LedgerOpt = None,
    as_json: JsonOpt = False,
    no_credentials: NoCredentialsOpt = False,
) -> None:
    """Turn generated shots over to finishing: per shot a plate with handles, the still that
    was sent and a JSON; for the whole turnover an OTIO file, a CMX 3600 EDL and a CSV.

    Movie plates carry Content Credentials; EXR and DPX frames get a sidecar <frame>.c2pa each.
    """
    from stillmotion.finishing.turnover import TurnoverRequest, turnover
    from stillmotion.media.credentials import chosen_identity
    from stillmotion.settings import load_settings

    if shots is not None and all_shots:
        raise ConfigError("Give --shots MARKER_COLOR or --all, not both.")
    settings = load_settings(ledger=ledger, credentials=False if no_credentials else None)
    request = TurnoverRequest(
        timeline=timeline, output=output, handles=handles, format=plate_format,
        tracks=tuple(track or ()), marker_colour=shots, pattern=name, task=task,
        version=version, colour_space=colour_space, start_frame=start_frame,
        overwrite=overwrite, ledger=settings.ledger_path, signing=chosen_identity(settings))
    with shots_and_frames("Turnover", as_json) as (on_shot, on_frames):
        result = turnover(request, on_shot=on_shot, on_frames=on_frames)
    if as_json:
        print(json.dumps({"folder": str(result.folder), "edl": str(result.edl),
                          "otio": str(result.otio), "csv": str(result.csv),
                          "notes": result.notes, "shots": result.shots}, indent=2))
        return
    for note in result.notes:
        err_console.print(f"stillmotion: {note}", markup=False, highlight=False)
    console.print(f"Turned over {len(result.shots)} shot(s) to {result.folder}", markup=False)
    for record in result.shots:
        plate = record["plate"]
        console.print(f"  {record['name']}: {plate['frames']} frames {plate['first_frame']}-"
                      f"{plate['last_frame']} (cut {plate['cut_first_frame']}-"
                      f"{plate['cut_last_frame']}) at {record['record']['in']}", markup=False)


@app.command("ingest")
@reads_timeline
def ingest_command(
    timeline: Annotated[Path, typer.Argument(help="The timeline the shots were turned over from.")],
    folder: Annotated[Path, typer.Argument(help="Folder with the returned versions.")],
    output: OutputOpt = None,
    name: Annotated[str, typer.Option("--name", help="The turnover's name pattern.")
                    ] = DEFAULT_PATTERN,
    handles: Annotated[int, typer.Option(
        "--handles", help="Handles of versions without their turnover JSON beside them.")] = 8,
    preset: Annotated[str | None, typer.Option(
        "--preset", help="Conform preset (default: the AI take's).")] = None,
    overwrite: OverwriteOpt = False,
    ledger: LedgerOpt = None,
    no_audio: NoAudioOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Place returned versions as new takes in the slots of their shots, handles cut off.

    A version's sound goes under its slot, linked; with --no-audio the picture only (the AI
    take's sound is removed while the version is shown either way)."""
    from stillmotion.finishing.ingest import IngestRequest, ingest
    from stillmotion.settings import load_settings

    settings = load_settings(ledger=ledger)
    with shots_and_frames("Ingest", as_json) as (on_version, on_frames):
        result = ingest(IngestRequest(
            timeline=timeline, folder=folder, output=output, pattern=name, handles=handles,
            preset=preset, ledger=settings.ledger_path, overwrite=overwrite,
            audio=not no_audio),
            on_version=on_version, on_frames=on_frames)
    if as_json:
        print(json.dumps({"timeline": str(result.timeline) if result.timeline else None,
                          "placed": result.placed, "warnings": result.warnings,
                          "refused": [r.reason for r in result.refused]}, indent=2))
    else:
        for line in [*result.warnings, *(r.reason for r in result.refused)]:
            err_console.print(f"stillmotion: {line}", markup=False, highlight=False)
        for placed in result.placed:
            console.print(f"{placed['version']} -> {placed['shot']} take {placed['take']} on "
                          f"\"{placed['track']}\"", markup=False)
        if result.timeline is not None:
            console.print(f"Wrote {result.timeline}", markup=False)
    if result.timeline is None:
        raise typer.Exit(8)
