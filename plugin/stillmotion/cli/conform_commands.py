"""``stillmotion conform``: turn one clip into a finishing master (preset, size, rate, BT.709)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer

from stillmotion.cli.console import console, err_console
from stillmotion.cli.options import (
    FitOpt,
    FpsOpt,
    MasterOutputOpt,
    MasterPresetOpt,
    MasterSizeOpt,
    NoCredentialsOpt,
    RatePolicyOpt,
    ReplaceOutOpt,
)
from stillmotion.files import check_output
from stillmotion.media.presets import DEFAULT_PRESET
from stillmotion.timecode import parse_rate, parse_size


def size_option(text: str | None) -> tuple[int, int] | None:
    """The --size value as (width, height), or None when not given."""
    return parse_size(text) if text is not None else None


def rate_option(text: str | None) -> Fraction | None:
    """The --fps value as an exact rate, or None when not given."""
    return parse_rate(text) if text is not None else None



# A sub-app holding the conform command; stillmotion.cli merges it into the root app.
app = typer.Typer()

@app.command("conform")
def conform_command(
    media: Annotated[Path, typer.Argument(metavar="INPUT", help="Clip to conform.")],
    output: MasterOutputOpt,
    preset: MasterPresetOpt = DEFAULT_PRESET,
    size: MasterSizeOpt = None,
    fps: FpsOpt = None,
    fit: FitOpt = "letterbox",
    rate_policy: RatePolicyOpt = "fps",
    overwrite: ReplaceOutOpt = False,
    no_credentials: NoCredentialsOpt = False,
) -> None:
    """Conform a clip to a finishing codec, size and rate with BT.709 tags and 48 kHz sound.

    The default preset (DNxHR HQ + PCM in .mov) opens in DaVinci Resolve on every platform.
    A clip without sound gets a silent stereo track. The output carries Content Credentials
    naming the input as its origin (AI-generated when the input's own credentials say so).
    """
    from stillmotion.cli.progress import progress_bar
    from stillmotion.media.conform import conform
    from stillmotion.media.credentials import signed_derivative, transcode_recipe
    from stillmotion.settings import load_settings

    settings = load_settings(credentials=False if no_credentials else None)
    # The final name is checked here: the conform itself writes a sibling that is signed onto it.
    target = check_output(output, inputs=[media], overwrite=overwrite)
    recipe = transcode_recipe(media, f"conformed to {preset}")
    with signed_derivative(target, media, recipe, settings,
                           lambda note: err_console.print(note, markup=False)) as unsigned, \
            progress_bar("Conforming") as update:
        conform(media, unsigned, preset=preset, size=size_option(size), rate=rate_option(fps),
                fit=fit, rate_policy=rate_policy, overwrite=True, on_progress=update)
    console.print(str(target), markup=False)
