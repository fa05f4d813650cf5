"""``stillmotion stitch --timeline T [--track NAME]``: render a timeline's tracks into one master.

Why beside the stitch command rather than in it: the timeline path goes through the render plan
of :mod:`stillmotion.timeline.render` (flattened stack or chosen tracks, gaps as black and
silence, the timeline's own dissolves and speed changes), which shares nothing with the clip
list but the output options.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from stillmotion.cli.conform_commands import rate_option, size_option
from stillmotion.cli.console import err_console
from stillmotion.errors import ConfigError

if TYPE_CHECKING:
    from stillmotion.media.provenance import SigningIdentity
    from stillmotion.media.stitch import StitchResult

TIMELINE_HELP = ("Render this timeline (.otio, .xml, .fcpxml, .edl, .kdenlive) instead of a clip "
                 "list: the enabled video tracks stacked (top-most clip wins) with the audio "
                 "tracks mixed, or only the --track ones; gaps are black and silent.")
TRACK_HELP = ("With --timeline: a track to render, by name ('AI Generated') or number (V2, A1); "
              "repeat for several. Video tracks without audio tracks keep their clips' sound.")


def stitch_from_timeline(
    timeline: Path,
    tracks: Sequence[str],
    inputs: Sequence[str],
    output: Path,
    *,
    preset: str,
    size: str | None,
    fps: str | None,
    fit: str,
    rate_policy: str,
    crossfade: str | None,
    loudnorm: str | None,
    overwrite: bool,
    identity: SigningIdentity | None,
) -> tuple[StitchResult, str]:
    """Check the options that only apply to clip lists, then render ``timeline`` to ``output``
    signed as a master with ``identity``; returns the result and the line about its
    credentials."""
    from stillmotion.cli.progress import progress_bar
    from stillmotion.timeline.io import read_timeline
    from stillmotion.timeline.render import render_timeline

    if inputs:
        raise ConfigError("Give either clips to stitch or --timeline, not both.")
    if crossfade is not None or loudnorm is not None or rate_policy.strip().lower() != "fps":
        raise ConfigError("--crossfade, --loudnorm and --rate-policy apply to clip lists; a "
                          "timeline is rendered with its own dissolves and speeds.")
    notes: list[str] = []
    with progress_bar("Rendering") as update:
        result = render_timeline(
            read_timeline(timeline), output, preset=preset, size=size_option(size),
            rate=rate_option(fps), tracks=list(tracks) or None,
            base_dir=Path(timeline).expanduser().absolute().parent, fit=fit,
            overwrite=overwrite, on_progress=update, on_warning=_warn, identity=identity,
            on_note=notes.append)
    return result, "".join(notes)


def _warn(sentence: str) -> None:
    err_console.print(f"stillmotion: warning: {sentence}", markup=False, highlight=False)
