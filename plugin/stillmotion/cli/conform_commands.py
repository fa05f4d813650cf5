"""``stillmotion conform``: turn one clip into a finishing master (preset, size, rate, BT.709)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer

from stillmotion.cli.console import console
from stillmotion.cli.progress import progress_bar
from stillmotion.media.conform import DEFAULT_PRESET, PRESETS, conform
from stillmotion.timecode import parse_rate, parse_size

PRESET_HELP = "Finishing format: " + "; ".join(
    f"{name} = {preset.description}" for name, preset in PRESETS.items()
) + "."
SIZE_HELP = "Output size WIDTHxHEIGHT, e.g. 1920x1080 (default: the first clip's)."
FPS_HELP = "Output rate: 24, 25, 30000/1001, 23.976 … (default: the first clip's)."
FIT_HELP = "letterbox (fit inside, black bars) or fill (cover the size, crop the overflow)."
RATE_POLICY_HELP = ("fps keeps the duration (drops or repeats frames); retime keeps every frame "
                    "and changes the duration (sound re-timed to match).")


def size_option(text: str | None) -> tuple[int, int] | None:
    """The --size value as (width, height), or None when not given."""
    return parse_size(text) if text is not None else None


def rate_option(text: str | None) -> Fraction | None:
    """The --fps value as an exact rate, or None when not given."""
    return parse_rate(text) if text is not None else None


def register(app: typer.Typer) -> None:
    """Add the conform command to ``app``."""

    @app.command("conform")
    def conform_command(
        media: Annotated[Path, typer.Argument(metavar="INPUT", help="Clip to conform.")],
        output: Annotated[
            Path, typer.Option("-o", "--output", metavar="OUT",
                               help="Master to write (.mov; .mp4 or .mov for h264-web).")
        ],
        preset: Annotated[
            str, typer.Option("--preset", metavar="NAME", help=PRESET_HELP)
        ] = DEFAULT_PRESET,
        size: Annotated[
            str | None, typer.Option("--size", metavar="WxH", help=SIZE_HELP)
        ] = None,
        fps: Annotated[str | None, typer.Option("--fps", metavar="RATE", help=FPS_HELP)] = None,
        fit: Annotated[str, typer.Option("--fit", metavar="MODE", help=FIT_HELP)] = "letterbox",
        rate_policy: Annotated[
            str, typer.Option("--rate-policy", metavar="POLICY", help=RATE_POLICY_HELP)
        ] = "fps",
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help="Replace OUT if it exists.")
        ] = False,
    ) -> None:
        """Conform a clip to a finishing codec, size and rate with BT.709 tags and 48 kHz sound.

        The default preset (DNxHR HQ + PCM in .mov) opens in DaVinci Resolve on every platform.
        A clip without sound gets a silent stereo track.
        """
        with progress_bar("Conforming") as update:
            written = conform(
                media, output, preset=preset, size=size_option(size), rate=rate_option(fps),
                fit=fit, rate_policy=rate_policy, overwrite=overwrite, on_progress=update,
            )
        console.print(str(written), markup=False)
