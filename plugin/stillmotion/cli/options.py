"""The typer options several commands share, defined once so each flag reads the same everywhere.

Why here: ``generate``, ``batch``, ``extend``, ``remix``, ``takes``, ``fill-gap`` and ``review``
take the same job options (provider, model, base URL, ledger, budget, output timeline), and
``conform`` and ``stitch`` the same finishing options (preset, size, rate, fit); a flag's name,
metavar and help live in one alias here and each command only gives its default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stillmotion.media.presets import PRESETS
from stillmotion.timecode import drop_frame_spelling

# -- job options (generate and the editor actions built on it) ---------------------------------

ProviderOpt = Annotated[str | None, typer.Option(
    "--provider", help="preview (default, local, free), openai (a /v1/videos gateway), veo, "
    "runway or fal (`stillmotion providers` lists their models).")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name, e.g. sora-2.")]
BaseUrlOpt = Annotated[str | None, typer.Option(
    "--base-url", help="The service's /v1 URL for preview/openai, or the API root replacing "
    "the vendor's for veo/runway/fal (STILLMOTION_BASE_URL).")]
LedgerOpt = Annotated[Path | None, typer.Option(
    "--ledger", help="Job ledger file (default: in the user data folder).")]
BudgetOpt = Annotated[float | None, typer.Option(
    "--budget", help="Refuse a run estimated above this many dollars (STILLMOTION_BUDGET).")]
SecondsOpt = Annotated[int | None, typer.Option("--seconds", help="Length to generate.")]
SizeOpt = Annotated[str, typer.Option(
    "--size", help="Generated size WxH, or auto (closest allowed to the timeline's aspect).")]
PresetOpt = Annotated[str, typer.Option(
    "--preset", help="Conform preset: resolve-dnxhr-hq, resolve-dnxhr-hqx, prores-hq, h264-web.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON result for scripts.")]
OutputOpt = Annotated[Path | None, typer.Option(
    "-o", "--output", help="New timeline (default: <name>.stillmotion.<ext>).")]
NewTakeOpt = Annotated[bool, typer.Option("--new-take")]
NoAudioOpt = Annotated[bool, typer.Option(
    "--no-audio", help="Place the picture only: the clip's sound stays in its file.")]
NoCredentialsOpt = Annotated[bool, typer.Option(
    "--no-credentials", help="Write no Content Credentials (C2PA manifest) into the media "
    "written (STILLMOTION_CREDENTIALS=false).")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite")]
AssumeDfOpt = Annotated[bool, typer.Option(
    "--assume-df", help="Read a playhead typed with ':' (05:00:30:00) as the drop-frame label "
    "05:00:30;00 on a 29.97/59.94 drop-frame timeline; without it such a playhead is refused.")]


def typed_playhead(at: str, assume_df: bool) -> str:
    """The playhead as the timeline code reads it: ``--assume-df`` respells a ':'-typed
    timecode with ';' (see stillmotion.timeline.locate on why ':' is otherwise refused)."""
    return drop_frame_spelling(at) if assume_df else at

# -- finishing options (conform and stitch) -----------------------------------------------------

PRESET_HELP = "Finishing format: " + "; ".join(
    f"{name} = {preset.description}" for name, preset in PRESETS.items()
) + "."
SIZE_HELP = "Output size WIDTHxHEIGHT, e.g. 1920x1080 (default: the first clip's)."
FPS_HELP = "Output rate: 24, 25, 30000/1001, 23.976 … (default: the first clip's)."
FIT_HELP = "letterbox (fit inside, black bars) or fill (cover the size, crop the overflow)."
RATE_POLICY_HELP = ("fps keeps the duration (drops or repeats frames); retime keeps every frame "
                    "and changes the duration (sound re-timed to match).")

MasterOutputOpt = Annotated[Path, typer.Option(
    "-o", "--output", metavar="OUT", help="Master to write (.mov; .mp4 or .mov for h264-web).")]
MasterPresetOpt = Annotated[str, typer.Option("--preset", metavar="NAME", help=PRESET_HELP)]
MasterSizeOpt = Annotated[str | None, typer.Option("--size", metavar="WxH", help=SIZE_HELP)]
FpsOpt = Annotated[str | None, typer.Option("--fps", metavar="RATE", help=FPS_HELP)]
FitOpt = Annotated[str, typer.Option("--fit", metavar="MODE", help=FIT_HELP)]
RatePolicyOpt = Annotated[
    str, typer.Option("--rate-policy", metavar="POLICY", help=RATE_POLICY_HELP)]
ReplaceOutOpt = Annotated[bool, typer.Option("--overwrite", help="Replace OUT if it exists.")]
WebhookPortOpt = Annotated[int | None, typer.Option(
    "--webhook-port", min=0, max=65535,
    help="Listen on 127.0.0.1:PORT for the service's signed video.completed / video.failed "
    "webhooks (secret in STILLMOTION_WEBHOOK_SECRET) and poll only as a fallback.")]
