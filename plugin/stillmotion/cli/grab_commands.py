"""``stillmotion grab``: write one exact frame of a clip as a still, optionally fitted to a size."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer

from stillmotion.cli.console import console
from stillmotion.errors import ConfigError
from stillmotion.timecode import parse_size

# A sub-app holding the grab command; stillmotion.cli merges it into the root app.
app = typer.Typer()

@app.command("grab")
def grab_command(
    *,
    media: Annotated[Path, typer.Argument(help="Video file to take the frame from.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="OUT",
                     help="Still to write: .png, .jpg/.jpeg or .webp."),
    ] = None,
    frame: Annotated[
        str | None, typer.Option("--frame", metavar="N", help="Frame index, 0 = first.")
    ] = None,
    timecode: Annotated[
        str | None,
        typer.Option("--timecode", metavar="TC",
                     help="The media's own timecode, HH:MM:SS:FF (;FF for drop frame)."),
    ] = None,
    seconds: Annotated[
        str | None,
        typer.Option("--seconds", metavar="S",
                     help="Time from the first frame: 1.5 or 1001/1000."),
    ] = None,
    size: Annotated[
        str | None, typer.Option("--size", metavar="WxH", help="Fit to exactly this size.")
    ] = None,
    fit: Annotated[
        str, typer.Option("--fit", help="crop (fill the size, cut the overflow), pad "
                          "(letterbox/pillarbox) or fill (stretch).")
    ] = "crop",
    anchor: Annotated[
        str, typer.Option("--anchor", help="What crop keeps: center, top, bottom, left, right.")
    ] = "center",
    sixteen_bit: Annotated[
        bool, typer.Option("--16bit", help="16 bits per channel (48-bit RGB PNG).")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace OUT if it exists.")
    ] = False,
) -> None:
    """Write one exact frame (by index, timecode or seconds) as PNG, JPEG or WebP."""
    from stillmotion.media.frames import grab_frame

    selectors = [value for value in (frame, timecode, seconds) if value is not None]
    if len(selectors) != 1:
        raise ConfigError("Give exactly one of --frame, --timecode or --seconds.")
    if output is None:
        raise ConfigError("Give the still to write with -o OUT (.png, .jpg or .webp).")
    written = grab_frame(
        media,
        output,
        frame=_parse_frame(frame) if frame is not None else None,
        seconds=_parse_seconds(seconds) if seconds is not None else None,
        timecode=timecode,
        size=parse_size(size) if size is not None else None,
        fit=fit,
        anchor=anchor,
        sixteen_bit=sixteen_bit,
        overwrite=overwrite,
    )
    console.print(str(written), markup=False)


def _parse_frame(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError as exc:
        raise ConfigError(
            f"'{text}' is not a frame index; give a whole number, 0 = first."
        ) from exc


def _parse_seconds(text: str) -> Fraction:
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError) as exc:
        raise ConfigError(
            f"'{text}' is not a time in seconds; write it as 1.5 or 1001/1000."
        ) from exc
