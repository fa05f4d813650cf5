"""``stillmotion generate``: the main job on a timeline file, and its dry run.

Why one command module per editor action: generate, batch, extend, remix and takes share the
option set of :mod:`stillmotion.cli.options` (provider, model, base URL, ledger, budget) but
differ in how they choose the shot.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stillmotion.cli.console import console, err_console
from stillmotion.cli.options import (
    AssumeDfOpt,
    BaseUrlOpt,
    BudgetOpt,
    JsonOpt,
    LedgerOpt,
    ModelOpt,
    NoAudioOpt,
    NoCredentialsOpt,
    OutputOpt,
    PresetOpt,
    SecondsOpt,
    SizeOpt,
    WebhookPortOpt,
    typed_playhead,
)
from stillmotion.cli.reading import reads_timeline
from stillmotion.errors import ConfigError
from stillmotion.timecode import format_size, parse_size

if TYPE_CHECKING:  # the job machinery is imported by the functions that run it
    from stillmotion.jobs.actions import Outcome
    from stillmotion.jobs.choices import ModelChoice
    from stillmotion.jobs.multi import MultiResult
    from stillmotion.jobs.pipeline import Clock, GeneratedClip
    from stillmotion.jobs.shots import Shot
    from stillmotion.settings import Settings


def cli_settings(*, provider: str | None, model: str | None, base_url: str | None,
                 ledger: Path | None, budget: float | None,
                 no_credentials: bool = False) -> Settings:
    """Settings from the environment with this command's options on top."""
    from stillmotion.settings import load_settings

    return load_settings(provider=provider, model=model, base_url=base_url, ledger=ledger,
                         budget=budget, credentials=False if no_credentials else None)


def parse_size_option(text: str) -> tuple[int, int] | None:
    """``auto`` (None: chosen from the timeline) or an exact WxH."""
    return None if text.strip().lower() == "auto" else parse_size(text)


def clip_summary(clip: GeneratedClip, timeline: Path | None, track: str | None) -> dict[str, Any]:
    """What a script wants to know about a generated, placed clip."""
    from stillmotion.media.credentials import credentials_line

    return {
        "job_id": clip.job_id, "remote_id": clip.remote_id, "provider": clip.provider,
        "model": clip.model, "take": clip.take, "seconds": clip.seconds,
        "size": format_size(clip.size), "frames": clip.frames,
        "conformed": str(clip.conformed), "original": str(clip.original),
        "cost_estimate": str(clip.cost), "preview": clip.preview, "reused": clip.reused,
        "timeline": str(timeline) if timeline else None, "track": track,
        "credentials": credentials_line(clip.conformed),
    }


def print_result(summary: dict[str, Any], as_json: bool) -> None:
    """JSON for scripts, or a few plain lines for people."""
    from stillmotion.jobs.cost import format_money

    if as_json:
        console.print_json(json.dumps(summary))
        return
    reused = " (already generated: reused, nothing sent)" if summary["reused"] else ""
    console.print(f"Job {summary['job_id']} take {summary['take']}{reused}", markup=False)
    console.print(f"  clip      {summary['conformed']}", markup=False)
    console.print(f"  original  {summary['original']}", markup=False)
    console.print(f"  credentials  {summary['credentials']}", markup=False)
    if summary.get("timeline"):
        console.print(f"  timeline  {summary['timeline']}  (track \"{summary['track']}\")",
                      markup=False)
    console.print(f"  cost      {format_money(Decimal(summary['cost_estimate']))} estimated",
                  markup=False)


def outcome_summary(outcome: Outcome) -> dict[str, Any]:
    """The summary of a generated clip, placed on a timeline file or not."""
    return clip_summary(outcome.clip, outcome.written,
                        outcome.placed.track_name if outcome.placed else None)


def run_prepared(shot: Shot, settings: Settings, *, quiet: bool,
                 clock: Clock | None = None) -> dict[str, Any]:
    """Generate, conform, place and write one prepared shot; returns its summary."""
    from stillmotion.cli.pipeline_progress import pipeline_progress
    from stillmotion.jobs.ledger import Ledger
    from stillmotion.jobs.pipeline import run_shot
    from stillmotion.jobs.placers import OtioPlacer

    with Ledger(settings.ledger_path) as ledger, pipeline_progress(quiet) as events:
        clip, (placed, written) = run_shot(shot, OtioPlacer(shot.context), settings=settings,
                                           ledger=ledger, on_event=events, clock=clock)
    return clip_summary(clip, written, placed.track_name)


def dry_run(shot: Shot, settings: Settings, as_json: bool, *, overwrite: bool = False) -> None:
    """Show exactly what would be sent, and send nothing (no ledger row either); an existing
    output is reported, not refused (``overwrite``: the real run would replace it)."""
    from stillmotion.jobs.ledger import Ledger
    from stillmotion.jobs.pipeline import plan_shot
    from stillmotion.media.frames import fit_image

    with Ledger(settings.ledger_path) as ledger:
        plan = plan_shot(shot.request, shot.target, settings, ledger)
    fitted = shot.media_dir / "stills" / f"{plan.request_hash[:12]}_{format_size(plan.size)}.png"
    if not fitted.exists():
        fit_image(plan.image, fitted, plan.size, fit="crop")
    existing = plan.existing
    summary = {
        "dry_run": True, "provider": plan.provider, "model": plan.model,
        "size": format_size(plan.size), "seconds": plan.seconds, "prompt": plan.prompt,
        "image": str(fitted), "source_frame": shot.located.source_frame_index,
        "source_media": str(shot.located.media_path),
        "estimate": str(plan.estimate.amount), "estimate_text": str(plan.estimate),
        "already_in_ledger": existing.id if existing else None,
        "output": str(shot.output),
        "output_exists": shot.output.exists(),
    }
    if as_json:
        console.print_json(json.dumps(summary))
        return
    console.print("Dry run: nothing was sent.", markup=False)
    for key in ("provider", "model", "size", "seconds", "image", "source_media", "output"):
        console.print(f"  {key:<13} {summary[key]}", markup=False)
    if summary["output_exists"] and not overwrite:
        console.print("  The output exists: a real run needs --overwrite or another -o.",
                      markup=False)
    console.print(f"  {'source_frame':<13} {summary['source_frame']}", markup=False)
    console.print(f"  {'prompt':<13} {plan.prompt}", markup=False)
    console.print(f"  {'estimate':<13} {plan.estimate}", markup=False)
    if existing is not None:
        console.print(f"  This request is already job {existing.id} ({existing.state.value}); "
                      "running it would reuse that job (add --new-take for another).",
                      markup=False)


def print_takes(result: MultiResult, as_json: bool) -> None:
    """Every finished take of a several-model run, then its failures (exit non-zero after)."""
    takes = [{**clip_summary(o.clip, result.timeline, o.placed.track_name if o.placed else None),
              "choice": o.choice.label} for o in result.outcomes if o.clip is not None]
    failed = [{"choice": o.choice.label, "error": o.error.message} for o in result.failures
              if o.error is not None]
    if as_json:
        console.print_json(json.dumps({"timeline": str(result.timeline) if result.timeline
                                       else None, "takes": takes, "failed": failed}))
    else:
        for take in takes:
            print_result(take, False)
            console.print(f"  model     {take['provider']} {take['model']}", markup=False)
    errors = [(o.choice.label, o.error) for o in result.failures if o.error is not None]
    for label, error in errors[1:]:
        err_console.print(f"stillmotion: {label}: {error.message}", markup=False,
                          highlight=False)
    if errors:  # the first failure ends the command with its own exit code
        label, error = errors[0]
        placed = f"the other takes were placed in {result.timeline}" if result.timeline \
            else "no take finished"
        error.message = f"{label}: {error.message} ({placed})"
        raise error


def several_models(shot: Shot, choices: list[ModelChoice], settings: Settings, *,
                   dry: bool, as_json: bool) -> None:
    """``generate`` with two or more ``--provider`` choices (see :mod:`stillmotion.jobs.multi`)."""
    from stillmotion.jobs.multi import run_models, shots_for

    if dry:
        shots, single = shots_for(shot, choices, settings)
        for each in shots:
            dry_run(each, single, as_json)
        return
    print_takes(run_models(shot, choices, settings), as_json)


# A sub-app holding ``generate``; stillmotion.cli merges it into the root app.
app = typer.Typer()

@app.command("generate")
@reads_timeline
def generate_command(
    timeline: Annotated[Path, typer.Argument(help="Timeline file (.otio, .xml, .fcpxml, "
                                             ".edl, .kdenlive, .otioz).")],
    at: Annotated[str, typer.Option("--at", help="Playhead: record timecode as the NLE "
                                    "shows it (01:00:10:05, ';' for drop frame) or a frame "
                                    "number from the timeline start.")],
    prompt: Annotated[str, typer.Option("--prompt", help="The shot prompt.")],
    seconds: SecondsOpt = None,
    size: SizeOpt = "auto",
    model: ModelOpt = None,
    providers: Annotated[list[str] | None, typer.Option(
        "--provider", help="preview (default, local, free), openai (a /v1/videos gateway), veo, "
        "runway, fal or openrouter, optionally with a model (runway:gen4.5); repeat it to run "
        "several models on the same still at once, placed as takes of one slot.")] = None,
    base_url: BaseUrlOpt = None,
    preset: PresetOpt = "resolve-dnxhr-hq",
    output: OutputOpt = None,
    media_dir: Path | None = None,  # the first --media-dir (cli.reading)
    ledger: LedgerOpt = None,
    budget: BudgetOpt = None,
    dry_run_flag: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be sent and the estimate; send nothing.")] = False,
    new_take: Annotated[bool, typer.Option(
        "--new-take", help="Generate again even if this exact request was done.")] = False,
    for_app: Annotated[str | None, typer.Option(
        "--for", help="Shape the output for an application: resolve.")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace the output timeline if it exists.")] = False,
    image: Annotated[Path | None, typer.Option(
        "--image", help="Send this still (e.g. a graded export) instead of the source "
        "frame.")] = None,
    webhook_port: WebhookPortOpt = None,
    no_audio: NoAudioOpt = False,
    assume_df: AssumeDfOpt = False,
    as_json: JsonOpt = False,
    no_credentials: NoCredentialsOpt = False,
) -> None:
    """Generate a clip from the frame under the playhead and place it on "AI Generated"."""
    from stillmotion.cli.webhook_wait import webhook_clock
    from stillmotion.jobs.choices import parse_choices
    from stillmotion.jobs.shots import prepare_shot

    if for_app not in (None, "resolve"):
        raise ConfigError(f"Unknown --for '{for_app}'; the only choice is resolve.")
    choices = parse_choices(providers or [])
    provider = choices[0].provider if len(choices) == 1 else None
    if len(choices) == 1 and choices[0].model:
        if model and model != choices[0].model:
            raise ConfigError(f"Two models are named ({choices[0].model} and {model}); give "
                              "one, with --provider P:MODEL or --model.")
        model = choices[0].model
    if len(choices) > 1 and (model or webhook_port):
        raise ConfigError("With several --provider choices, name each model as --provider "
                          "P:MODEL (not --model), and wait without --webhook-port.")
    settings = cli_settings(provider=provider, model=model, base_url=base_url,
                            ledger=ledger, budget=budget, no_credentials=no_credentials)
    shot = prepare_shot(timeline, typed_playhead(at, assume_df), prompt, output=output,
                        media_dir=media_dir,
                        seconds=seconds, size=parse_size_option(size), provider=provider,
                        model=model, preset=preset, new_take=new_take,
                        # A dry run writes no timeline: an existing output must not hide
                        # the errors and the plan it is run to show (reported below instead).
                        overwrite=overwrite or dry_run_flag,
                        for_resolve=for_app == "resolve", image=image, audio=not no_audio)
    if len(choices) > 1:
        several_models(shot, choices, settings, dry=dry_run_flag, as_json=as_json)
        return
    if dry_run_flag:
        dry_run(shot, settings, as_json, overwrite=overwrite)
        return
    with webhook_clock(webhook_port, settings.webhook_fallback) as clock:
        print_result(run_prepared(shot, settings, quiet=as_json, clock=clock), as_json)
