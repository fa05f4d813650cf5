"""``batch``, ``extend``, ``remix`` and ``takes``: the editor actions built on ``generate``.

Why together: each chooses shots differently (markers, a clip's out point, a finished job, a
take number) and then reuses the same prepare -> generate -> place path, so a crash in any of
them is finished by ``stillmotion jobs resume`` the same way.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stillmotion.cli.console import console, err_console
from stillmotion.cli.generate_commands import (
    cli_settings,
    clip_summary,
    outcome_summary,
    parse_size_option,
    print_result,
)
from stillmotion.cli.options import (
    AssumeDfOpt,
    BaseUrlOpt,
    BudgetOpt,
    JsonOpt,
    LedgerOpt,
    ModelOpt,
    NewTakeOpt,
    NoAudioOpt,
    NoCredentialsOpt,
    OutputOpt,
    OverwriteOpt,
    PresetOpt,
    ProviderOpt,
    SecondsOpt,
    SizeOpt,
    typed_playhead,
)
from stillmotion.cli.reading import reads_timeline
from stillmotion.errors import ConfigError, StillmotionError, TimelineError
from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.providers import open_provider
from stillmotion.jobs.records import JobFiles

if TYPE_CHECKING:
    from stillmotion.jobs.pipeline import GeneratedClip
    from stillmotion.jobs.shots import Shot
    from stillmotion.settings import Settings
    from stillmotion.timeline.generated import GeneratedClip as PlacedGenerated


def _batch(shots: list[Shot], settings: Settings, concurrency: int, quiet: bool,
           output: Path, timeline_path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Generate every shot (``concurrency`` at a time), then place all on one new timeline."""
    from stillmotion.cli.pipeline_progress import pipeline_progress
    from stillmotion.jobs import cost
    from stillmotion.jobs.pipeline import generate, plan_shot
    from stillmotion.jobs.placers import place_clip
    from stillmotion.timeline.io import read_timeline, write_timeline

    failures: list[str] = []
    done: list[tuple[Shot, GeneratedClip]] = []
    with Ledger(settings.ledger_path) as ledger:
        plans = [plan_shot(s.request, s.target, settings, ledger) for s in shots]
        fresh = [p.estimate for s, p in zip(shots, plans, strict=True)
                 if p.existing is None or s.request.new_take]
        cost.check_budget(fresh, run_budget=settings.budget, daily_budget=settings.daily_budget,
                          ledger=ledger)
        provider_name = shots[0].request.provider or settings.provider
        with open_provider(provider_name, settings) as provider, \
                pipeline_progress(quiet) as events, \
                ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            futures = [
                pool.submit(generate, s.request, s.target, media_dir=s.media_dir,
                            settings=settings, on_event=events, ledger=ledger,
                            context=s.context, budget_reserved=True, provider=provider)
                for s in shots
            ]
            for shot, future in zip(shots, futures, strict=True):
                try:
                    done.append((shot, future.result()))
                except StillmotionError as exc:
                    where = shot.located.record_timecode
                    failures.append(f"marker at {where}: {exc.message}")
                    err_console.print(f"stillmotion: marker at {where}: {exc.message}",
                                      markup=False)
        timeline = read_timeline(timeline_path)
        placed = [(clip, place_clip(timeline, clip, ledger=ledger, context=shot.context))
                  for shot, clip in done]
        written = write_timeline(timeline, output, overwrite=shots[0].context.overwrite,
                                 source=timeline_path) if placed else None
        for clip, _ in placed:
            ledger.mark_placed(clip.job_id, files=JobFiles(timeline=written))
    return [clip_summary(c, written, p.track_name) for c, p in placed], failures



# A sub-app holding batch, extend, remix and takes; stillmotion.cli merges it into the root app.
app = typer.Typer()

@app.command("batch")
@reads_timeline
def batch_command(
    timeline: Annotated[Path, typer.Argument(help="Timeline file with prompt markers.")],
    from_markers: Annotated[bool, typer.Option(
        "--from-markers", help="One job per marker; prompt = marker name and note.")] = False,
    color: Annotated[str | None, typer.Option(
        "--color", help="Only markers of this colour (e.g. GREEN).")] = None,
    seconds: SecondsOpt = None,
    size: SizeOpt = "auto",
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    base_url: BaseUrlOpt = None,
    preset: PresetOpt = "resolve-dnxhr-hq",
    output: OutputOpt = None,
    media_dir: Path | None = None,  # the first --media-dir (cli.reading)
    ledger: LedgerOpt = None,
    budget: BudgetOpt = None,
    concurrency: Annotated[int, typer.Option(
        "--concurrency", help="Jobs running at once (services allow about two).")] = 2,
    overwrite: OverwriteOpt = False,
    no_audio: NoAudioOpt = False,
    as_json: JsonOpt = False,
    no_credentials: NoCredentialsOpt = False,
) -> None:
    """Generate one clip per marker, concurrently, all placed on one new timeline."""
    from stillmotion.jobs.shots import prepare_shot
    from stillmotion.timeline.io import default_output_path, read_timeline
    from stillmotion.timeline.shots import marker_shots

    if not from_markers:
        raise ConfigError("Say where the prompts are: pass --from-markers.")
    settings = cli_settings(provider=provider, model=model, base_url=base_url,
                            ledger=ledger, budget=budget, no_credentials=no_credentials)
    opened = read_timeline(timeline)
    markers = marker_shots(opened, color=color)
    if not markers:
        which = f" of colour {color}" if color else ""
        raise ConfigError(f"The timeline has no markers{which}; add a marker with the prompt "
                          "as its name or note at each shot.")
    target = output or default_output_path(timeline)
    shots: list[Shot] = []
    for marker in markers:
        if not marker.prompt:
            raise ConfigError(f"The marker at frame {marker.record_frame} has no name or "
                              "note; write the prompt in it.")
        shots.append(prepare_shot(
            timeline, str(marker.record_frame), marker.prompt, output=target,
            media_dir=media_dir, seconds=seconds, size=parse_size_option(size),
            provider=provider, model=model, preset=preset, overwrite=overwrite,
            audio=not no_audio))
    results, failures = _batch(shots, settings, concurrency, as_json, target, timeline)
    if as_json:
        console.print_json(json.dumps({"placed": results, "failed": failures}))
    else:
        for result in results:
            print_result(result, False)
        console.print(f"{len(results)} placed, {len(failures)} failed.", markup=False)
    if failures:
        raise typer.Exit(6 if results else 4)

@app.command("extend")
@reads_timeline
def extend_command(
    timeline: Annotated[Path, typer.Argument(help="Timeline file.")],
    prompt: Annotated[str, typer.Option("--prompt", help="What happens next.")],
    seconds: Annotated[int, typer.Option("--seconds", help="Length to add.")],
    clip: Annotated[str | None, typer.Option("--clip", help="Clip name to extend.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Or: the clip under this playhead.")]
    = None,
    crossfade: Annotated[float, typer.Option(
        "--crossfade", help="Start the extension this many seconds before the out point "
        "(overlap for a dissolve).")] = 0.0,
    size: SizeOpt = "auto",
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    base_url: BaseUrlOpt = None,
    preset: PresetOpt = "resolve-dnxhr-hq",
    output: OutputOpt = None,
    media_dir: Path | None = None,  # the first --media-dir (cli.reading)
    ledger: LedgerOpt = None,
    budget: BudgetOpt = None,
    new_take: NewTakeOpt = False,
    overwrite: OverwriteOpt = False,
    native: Annotated[bool, typer.Option(
        "--native", help="Continue a generated clip's own job with the provider's "
        "extension (Veo 3.1, /v1/videos) instead of a new job from its last frame.")]
    = False,
    no_audio: NoAudioOpt = False,
    assume_df: AssumeDfOpt = False,
    as_json: JsonOpt = False,
    no_credentials: NoCredentialsOpt = False,
) -> None:
    """Continue a clip from its last frame, placed right after its out point."""
    from stillmotion.cli.pipeline_progress import pipeline_progress
    from stillmotion.cli.provider_commands import provider_last_frame
    from stillmotion.jobs import actions
    from stillmotion.timeline.io import read_timeline
    from stillmotion.timeline.locate import playhead_frame
    from stillmotion.timeline.shots import clip_at, clip_by_name
    from stillmotion.timeline.timebase import TimeBase

    if (clip is None) == (at is None):
        raise ConfigError("Name the clip to extend with exactly one of --clip or --at.")
    if crossfade < 0:
        raise ConfigError("--crossfade cannot be negative; give seconds such as 0.5.")
    opened = read_timeline(timeline)
    span = clip_by_name(opened, clip) if clip is not None else \
        clip_at(opened, playhead_frame(opened, typed_playhead(at or "", assume_df)))
    overlap = round(Fraction(crossfade) * TimeBase.of(opened).rate)
    if overlap >= span.end - span.start:
        raise ConfigError(f"A {crossfade} s crossfade is longer than the clip '{span.name}'; "
                          "use a shorter one.")
    settings = cli_settings(provider=provider, model=model, base_url=base_url,
                            ledger=ledger, budget=budget, no_credentials=no_credentials)
    if native:
        if overlap:
            raise ConfigError("--native continues the clip's own video, so it cannot "
                              "overlap it; drop --crossfade.")
        with Ledger(settings.ledger_path) as book, pipeline_progress(as_json) as events:
            outcome = actions.extend_natively(
                timeline, opened, span, prompt, seconds, settings=settings, ledger=book,
                output=output, media_dir=media_dir, overwrite=overwrite, new_take=new_take,
                on_event=events, audio=not no_audio)
        print_result(outcome_summary(outcome), as_json)
        return
    with Ledger(settings.ledger_path) as book, pipeline_progress(as_json) as events:
        outcome = actions.extend_from_last_frame(
            timeline, span, overlap, prompt, seconds, settings=settings, ledger=book,
            on_event=events, output=output, media_dir=media_dir, size=parse_size_option(size),
            provider=provider, model=model, preset=preset, new_take=new_take,
            overwrite=overwrite, image=None if overlap else provider_last_frame(opened, span),
            audio=not no_audio)
    print_result(outcome_summary(outcome), as_json)

@app.command("remix")
@reads_timeline
def remix_command(
    job_id: Annotated[str, typer.Argument(help="A finished job (id, prefix or remote id).")],
    prompt: Annotated[str, typer.Option("--prompt", help="The new prompt.")],
    ledger: LedgerOpt = None,
    budget: BudgetOpt = None,
    base_url: BaseUrlOpt = None,
    output: OutputOpt = None,
    media_dir: Path | None = None,  # the first --media-dir (cli.reading)
    as_json: JsonOpt = False,
    no_credentials: NoCredentialsOpt = False,
) -> None:
    """A new take of a finished job with a new prompt (the service's remix), grouped with
    its takes and shown in the same slot of a new timeline."""
    from stillmotion.cli.pipeline_progress import pipeline_progress
    from stillmotion.jobs import actions

    settings = cli_settings(provider=None, model=None, base_url=base_url, ledger=ledger,
                            budget=budget, no_credentials=no_credentials)
    with Ledger(settings.ledger_path) as book, pipeline_progress(as_json) as events:
        outcome = actions.remix(job_id, prompt, settings=settings, ledger=book, output=output,
                                media_dir=media_dir, on_event=events)
    print_result(outcome_summary(outcome), as_json)

@app.command("takes")
@reads_timeline
def takes_command(
    timeline: Annotated[Path, typer.Argument(help="A timeline stillmotion wrote (.otio).")],
    at: Annotated[str, typer.Option("--at", help="Playhead on the generated clip.")],
    use: Annotated[int | None, typer.Option(
        "--use", help="The take to show (without it: list the slot's takes).")] = None,
    output: OutputOpt = None,
    overwrite: OverwriteOpt = False,
    no_audio: NoAudioOpt = False,
    assume_df: AssumeDfOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Switch which take a generated clip shows (and its sound); writes a new timeline.
    Without --use, list the clip's takes (AI takes and artists' versions) and which is shown."""
    from stillmotion.timeline.io import default_output_path, read_timeline, write_timeline
    from stillmotion.timeline.locate import playhead_frame
    from stillmotion.timeline.takes import generated_at, use_take

    opened = read_timeline(timeline)
    frame = playhead_frame(opened, typed_playhead(at, assume_df))
    if use is None:
        print_slot_takes(generated_at(opened, frame), as_json)
        return
    placed = use_take(opened, frame, use, audio=not no_audio)
    written = write_timeline(opened, output or default_output_path(timeline),
                             overwrite=overwrite, source=timeline)
    console.print(f"Take {use} now shows on \"{placed.track_name}\": {written}", markup=False)


def print_slot_takes(slot: PlacedGenerated, as_json: bool) -> None:
    """The takes of the generated clip ``slot``, the one shown marked with ``*``."""
    from stillmotion.finishing.chain import take_summary

    if slot.metadata is None:
        raise TimelineError(f"The generated clip {slot.clip.name} lost its stillmotion metadata "
                            "in this format, so its takes are unknown; use the .otio timeline "
                            "stillmotion wrote.")
    takes = [take_summary(slot.metadata, t) for t in slot.metadata.takes]
    if as_json:
        print(json.dumps({"clip": str(slot.clip.name), "track": slot.track_name,
                          "takes": takes}, indent=2))
        return
    console.print(f"{slot.clip.name} on \"{slot.track_name}\":", markup=False)
    for take in takes:
        chain = take["chain"]
        origin = f"AI job {take['job_id']}" if chain is None else \
            f"from AI job {chain.get('ai_job')} take {chain.get('ai_take')}, {chain.get('file')}"
        console.print(f"{'*' if take['in_use'] else ' '} {take['take']}  {take['label']}  "
                      f"({origin})  {take['media']}", markup=False)
