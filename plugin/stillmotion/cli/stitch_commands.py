"""``stillmotion stitch``: join trimmed clips into one conformed master (copy or one graph)."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer

from stillmotion.cli.conform_commands import rate_option, size_option
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
from stillmotion.cli.reading import reads_timeline
from stillmotion.cli.timeline_stitch import TIMELINE_HELP, TRACK_HELP, stitch_from_timeline
from stillmotion.errors import ConfigError
from stillmotion.files import check_output
from stillmotion.media.presets import DEFAULT_PRESET

INPUT_HELP = ("Clips in order. CLIP takes the whole clip; CLIP@12-96 frames 12 to 96 inclusive "
              "(0 = first frame); CLIP@12- from frame 12 to the end; "
              "CLIP@01:00:00:12-01:00:01:00 by the clip's own timecode, inclusive. Put -- "
              "before inputs whose names start with '-'.")



# A sub-app holding the stitch command; stillmotion.cli merges it into the root app.
app = typer.Typer()

@app.command("stitch")
@reads_timeline
def stitch_command(
    output: MasterOutputOpt,
    preset: MasterPresetOpt = DEFAULT_PRESET,
    size: MasterSizeOpt = None,
    fps: FpsOpt = None,
    fit: FitOpt = "letterbox",
    rate_policy: RatePolicyOpt = "fps",
    crossfade: Annotated[
        str | None,
        typer.Option("--crossfade", metavar="SECONDS",
                     help="Dissolve picture and sound at every join (0.5 or 1/2; rounded to "
                     "whole frames); each join shortens the total by this much."),
    ] = None,
    loudnorm: Annotated[
        str | None,
        typer.Option("--loudnorm", metavar="LUFS",
                     help="Normalise the finished mix to this integrated loudness in two "
                     "passes, e.g. --loudnorm=-23 (broadcast) or --loudnorm=-16 (web)."),
    ] = None,
    overwrite: ReplaceOutOpt = False,
    timeline: Annotated[
        Path | None, typer.Option("--timeline", metavar="TIMELINE", help=TIMELINE_HELP)
    ] = None,
    track: Annotated[
        list[str] | None, typer.Option("--track", metavar="NAME", help=TRACK_HELP)
    ] = None,
    inputs: Annotated[
        list[str] | None, typer.Argument(metavar="IN...", help=INPUT_HELP)
    ] = None,
    no_credentials: NoCredentialsOpt = False,
) -> None:
    """Trim and join clips into one master, frame-exact, in one ffmpeg pass.

    Masters that already match the preset, size and rate (e.g. earlier conform outputs)
    are joined by stream copy in a fraction of a second; anything else is trimmed, fitted,
    re-timed and encoded in one filter graph.
    """
    from stillmotion.cli.progress import progress_bar
    from stillmotion.media.credentials import chosen_identity, signed_master, signing_note
    from stillmotion.media.segments import parse_inputs
    from stillmotion.media.stitch import stitch
    from stillmotion.settings import load_settings

    identity = chosen_identity(load_settings(credentials=False if no_credentials else None))
    if timeline is not None:
        result, note = stitch_from_timeline(
            timeline, track or [], inputs or [], output, preset=preset, size=size, fps=fps,
            fit=fit, rate_policy=rate_policy, crossfade=crossfade, loudnorm=loudnorm,
            overwrite=overwrite, identity=identity,
        )
    else:
        segments = parse_inputs(inputs or [])
        contributors = [s.path for s in segments if s.path is not None]
        final = check_output(output, inputs=contributors, overwrite=overwrite)
        with progress_bar("Stitching") as update, \
                signed_master(final, contributors, identity) as unsigned:
            result = stitch(
                segments, unsigned, preset=preset, size=size_option(size),
                rate=rate_option(fps), fit=fit, rate_policy=rate_policy,
                crossfade=_seconds(crossfade), loudnorm=_lufs(loudnorm),
                overwrite=True, on_progress=update,
            )
        result = dataclasses.replace(result, path=final)
        note = signing_note(identity, final)
    how = "by stream copy" if result.method == "copy" else "in one filter graph"
    if result.method == "graph" and result.copy_refused:
        how += f" (no stream copy: {result.copy_refused})"
    err_console.print(f"{result.frames} frames ({float(result.duration):.3f} s) {how}.",
                      markup=False)
    if result.loudness is not None:
        sound = result.loudness
        level = "unchanged (silent)" if sound.output is None else f"{sound.output:g} LUFS"
        err_console.print(f"loudness {sound.measured:g} LUFS -> {level}, "
                          f"{sound.normalization}", markup=False)
    err_console.print(note, markup=False)
    console.print(str(result.path), markup=False)


def _seconds(text: str | None) -> Fraction | None:
    if text is None:
        return None
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError) as exc:
        raise ConfigError(f"'{text}' is not a number of seconds; write e.g. 0.5 or 1/2.") from exc
    if value <= 0:
        raise ConfigError(f"A crossfade of {text} s is not positive; give e.g. 0.5.")
    return value


def _lufs(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError as exc:
        raise ConfigError(f"'{text}' is not a loudness; write e.g. -23 or -16 (LUFS).") from exc
    if not math.isfinite(value):
        raise ConfigError(f"'{text}' is not a loudness; write e.g. -23 or -16 (LUFS).")
    return value
