"""Media commands: probe (and the grab, conform and stitch commands as they land)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stillmotion.cli.console import console
from stillmotion.timecode import format_rate

if TYPE_CHECKING:
    from stillmotion.media.probe import MediaInfo

# A sub-app holding the media commands; stillmotion.cli merges it into the root app.
app = typer.Typer()

@app.command("probe")
def probe_command(
    media: Annotated[Path, typer.Argument(help="Video, audio or image file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    count_frames: Annotated[
        bool, typer.Option("--count-frames", help="Count packets for an exact frame count.")
    ] = False,
) -> None:
    """Show exact stream facts: rate as a fraction, size, colour tags, timecode, audio."""
    from stillmotion.media.probe import probe

    info = probe(media, count_frames=count_frames)
    if as_json:
        console.print_json(json.dumps(info.to_json()))
        return
    _print_info(info)


def _print_info(info: MediaInfo) -> None:
    console.print(f"{info.path}  ({info.container}, {float(info.duration):.3f} s)", markup=False)
    video = info.video
    if video is not None:
        colour = "/".join(str(v or "unknown") for v in
                          (video.color_primaries, video.color_trc, video.colorspace))
        console.print(
            f"video  {video.codec} {video.width}x{video.height} SAR {video.sar.numerator}:"
            f"{video.sar.denominator} {video.pix_fmt} {format_rate(video.rate)} fps, "
            f"time base {format_rate(video.time_base)}, {video.frame_count} frames, "
            f"colour {colour}, range {video.color_range or 'unknown'}",
            markup=False,
        )
        console.print(f"start  {video.start_timecode or '00:00:00:00 (none recorded)'}",
                      markup=False)
    audio = info.audio
    if audio is not None:
        console.print(
            f"audio  {audio.codec} {audio.sample_rate} Hz, {audio.channels} ch "
            f"({audio.layout or 'unknown layout'})",
            markup=False,
        )
    else:
        console.print("audio  none")
