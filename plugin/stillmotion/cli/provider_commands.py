"""``providers`` (what each provider and model accepts, and whether its key is set),
and ``fill-gap`` (a clip from the last frame before a gap to the first frame after it; the
job itself is :func:`stillmotion.jobs.actions.fill_gap`).

Why together: both rest on the capability table. ``providers`` prints it; ``fill-gap`` needs a
model that takes a last frame and picks the generated length from it: the shortest accepted
duration covering the gap, the placed clip then trimmed to the gap's exact frame count (the rest
of the conformed file stays behind it as handle).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stillmotion.api import capabilities
from stillmotion.api.capabilities import ModelCapability
from stillmotion.api.providers.base import last_frame_beside
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.cli.console import console, err_console
from stillmotion.cli.generate_commands import (
    cli_settings,
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
    SizeOpt,
    typed_playhead,
)
from stillmotion.cli.reading import reads_timeline
from stillmotion.errors import ConfigError, StillmotionError
from stillmotion.jobs import cost
from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.providers import KEY_VARIABLES, PROVIDERS, key_variable_set
from stillmotion.timecode import format_size

if TYPE_CHECKING:  # the timelines (OTIO), the catalogues and the jobs are imported when used
    from stillmotion.settings import Settings
    from stillmotion.timeline.gaps import GapSpan
    from stillmotion.timeline.shots import ClipSpan

_WIRE = {"veo": "aspectRatio+resolution", "runway": "ratio", "fal": "follows the still",
         "openrouter": "resolution+aspect_ratio", "kling": "mode std/pro, follows the still",
         "seedance": "resolution+ratio", "wan": "resolution, follows the still"}


def _shape(provider: str, size: tuple[int, int]) -> str:
    """A size as the provider's wire spells it."""
    if provider == "veo":
        return f"{capabilities.aspect_ratio(size)} {capabilities.resolution(size)}"
    if provider == "runway":
        return capabilities.pixel_ratio(size)
    if provider == "openrouter":
        return " ".join(capabilities.shape_words(size))
    if provider == "kling":
        return f"{capabilities.kling_mode(size)} {format_size(size)}"
    if provider == "seedance":
        return f"{capabilities.tier(size)} {capabilities.ratio_word(size)}"
    if provider == "wan":
        return f"{capabilities.tier(size).upper()} {format_size(size)}"
    return format_size(size)


def _durations(seconds: tuple[int, ...] | list[int]) -> str:
    """``4/6/8``, or ``1-20`` for a run of consecutive seconds."""
    values = list(seconds)
    if len(values) > 3 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return "/".join(str(s) for s in values)


def _price(cap: ModelCapability, settings_prices: dict[str, float]) -> str:
    size = capabilities.choose_size(cap, Fraction(16, 9))
    try:
        estimate = cost.estimate(cap.provider, cap.model, size, 1, prices=settings_prices,
                                 declared=cap.prices, declared_by=cap.source)
    except StillmotionError:
        return "unpriced"
    mark = " (est.)" if estimate.is_estimate else ""
    return f"{cost.format_money(estimate.per_second)}/s at {format_size(size)}{mark}"


def _row(cap: ModelCapability, prices: dict[str, float]) -> dict[str, Any]:
    sizes = None if cap.sizes is None else [
        {"size": format_size(s), "wire": _shape(cap.provider, s),
         "seconds": list(cap.seconds_at(s))} for s in cap.sizes]
    return {
        "model": cap.model, "default": capabilities.DEFAULT_MODEL.get(cap.provider) == cap.model,
        "sizes": sizes, "seconds": list(cap.seconds), "default_seconds": cap.default_seconds,
        "first_frame": cap.first_frame, "last_frame": cap.last_frame,
        "native_extension": cap.native_extension, "audio": cap.audio,
        "price": _price(cap, prices), "source": cap.source,
    }


def _catalogue_state(name: str, settings: Settings) -> str | None:
    """``cached`` / ``not read yet`` for a dialect with a model catalogue, else None."""
    from stillmotion.api import model_rows

    if not model_rows.has_catalogue(name):
        return None
    return "cached" if model_rows.cached_catalogue(name, settings) is not None else \
        "not read yet"


def providers_table(settings: Settings) -> list[dict[str, Any]]:
    """Every provider with its key variables (set or not, never the value) and its model rows
    (built-in, from the settings' models table, or from a cached vendor catalogue)."""
    from stillmotion.api import model_rows

    table = []
    for name in PROVIDERS:
        variables = KEY_VARIABLES.get(name, ())
        found = key_variable_set(name)
        pair = DIALECTS[name].pair if name in DIALECTS else None
        whole = found is not None and (pair is None or bool(os.environ.get(pair)))
        table.append({
            "provider": name,
            "key_variables": list(variables),
            "key_pair": pair,
            "key_set": whole if variables else None,
            "key_from": found,
            "root": DIALECTS[name].root if name in DIALECTS else None,
            "shape_on_wire": _WIRE.get(name, "WxH"),
            "catalogue": _catalogue_state(name, settings),
            "model_required": name in capabilities.NO_DEFAULT_MODEL,
            "models": [_row(c, settings.prices) for c in model_rows.known_rows(name, settings)],
        })
    return table


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def print_providers(table: list[dict[str, Any]]) -> None:
    """The table for people: one block per provider, one line per model."""
    for entry in table:
        variables = entry["key_variables"]
        if not variables:
            key = "no key needed"
        else:
            state = f"set ({entry['key_from']})" if entry["key_set"] else "NOT set"
            pair = f" + {entry['key_pair']}" if entry["key_pair"] else ""
            key = f"key {' or '.join(variables)}{pair}: {state}"
        root = f"; root {entry['root']}" if entry["root"] else ""
        listed = f"; model catalogue {entry['catalogue']}" if entry["catalogue"] else ""
        if entry["model_required"]:
            listed += "; no default model: name one with --model"
        console.print(f"{entry['provider']}: {key}{root}; shape sent as "
                      f"{entry['shape_on_wire']}{listed}", markup=False)
        if not entry["models"]:
            console.print("  no models listed: name one with --model (and declare it in the "
                          "settings' models table)", markup=False)
        for model in entry["models"]:
            mark = " (default)" if model["default"] else ""
            if model["sizes"] is None:
                sizes = "any even size"
            else:
                sizes = ", ".join(
                    f"{s['size']}" + (f" [{s['wire']}]" if s["wire"] != s["size"] else "")
                    + ("" if s["seconds"] == model["seconds"] else
                       f" ({_durations(s['seconds'])} s only)")
                    for s in model["sizes"])
            seconds = _durations(model["seconds"])
            console.print(
                f"  {model['model']}{mark}: {seconds} s; {sizes}; first frame "
                f"{_yes(model['first_frame'])}, last frame {_yes(model['last_frame'])}, "
                f"native extension {_yes(model['native_extension'])}, audio "
                f"{_yes(model['audio'])}; {model['price']}; from {model['source']}",
                markup=False)


def last_frame_model(provider: str, model: str | None,
                     settings: Settings) -> tuple[ModelCapability, str | None]:
    """The row fill-gap uses, and a note when it is not the provider's default.

    A model the user named must take a last frame (else ConfigError naming those that do); with
    none named, the provider's default is used when it takes one, else the provider's first
    model that does (Runway's gen4.5 takes none: its Veo 3.1 models do), said in the note.
    """
    from stillmotion.api import model_rows

    cap = model_rows.find(provider, model, settings)
    if cap.last_frame:
        return cap, None
    takers = [r for r in model_rows.known_rows(provider, settings) if r.last_frame]
    if model is None and takers:
        pick = min(takers, key=lambda r: _price_rank(r, settings))
        return pick, (f"fill-gap uses {provider} {pick.model}: the default {cap.model} takes "
                      "no last frame.")
    names = ", ".join(f"{c.provider} {c.model}" for c in capabilities.capabilities()
                      if c.last_frame)
    raise ConfigError(f"fill-gap needs a model that takes a last frame, and {provider} "
                      f"{cap.model} does not; use one of: {names}.")


def _price_rank(row: ModelCapability, settings: Settings) -> tuple[int, Decimal]:
    """Cheapest first (unpriced last), so the pick never costs more than it must."""
    try:
        per_second = cost.estimate(row.provider, row.model, None, row.default_seconds,
                                   prices=settings.prices, declared=row.prices).per_second
    except ConfigError:
        return (1, Decimal(0))
    return (0, per_second)


def gap_seconds(cap: ModelCapability, gap: GapSpan, rate: Fraction,
                size: tuple[int, int] | None) -> int:
    """The shortest duration ``cap`` takes that covers the gap; ConfigError when none does."""
    wanted = Fraction(gap.frames) / rate
    seconds = capabilities.nearest_seconds(cap, wanted, size)
    if seconds < wanted:
        raise ConfigError(
            f"The gap is {float(wanted):.2f} s ({gap.frames} frames), longer than the "
            f"{seconds} s {cap.model} makes at most; close part of the gap or fill it in two "
            "steps.")
    return seconds


def provider_last_frame(opened: Any, span: ClipSpan) -> Path | None:
    """The provider's own last frame of the generated clip ``span`` (Seedance's
    ``return_last_frame``), when the clip shows its video to the end: an extend chain then
    continues from the exact frame the vendor rendered rather than one decoded back from the
    conformed file. None for any other clip."""
    from stillmotion.jobs import actions

    found = actions.generated_at(opened, span)
    if found is None or found.metadata is None or not found.metadata.original_file:
        return None
    shown = found.clip.source_range
    whole = getattr(found.clip.media_reference, "available_range", None)
    if shown is None or whole is None \
            or shown.end_time_exclusive() != whole.end_time_exclusive():
        return None
    still = last_frame_beside(Path(found.metadata.original_file))
    return still if still.is_file() else None


# A sub-app holding ``providers`` and ``fill-gap``; stillmotion.cli merges it into the root app.
app = typer.Typer()

@app.command("providers")
def providers_command(as_json: JsonOpt = False, base_url: BaseUrlOpt = None) -> None:
    """List providers and models: sizes, durations, first/last frame, extension, audio,
    price, where each row comes from (built-in, catalogue, settings), and whether each
    provider's key variable is set (never the key). ``--base-url`` names the API whose
    cached catalogue to show (OpenRouter's own by default); nothing is read from the network."""
    settings = cli_settings(provider=None, model=None, base_url=base_url, ledger=None,
                            budget=None)
    table = providers_table(settings)
    if as_json:
        console.print_json(json.dumps(table))
        return
    print_providers(table)

@app.command("fill-gap")
@reads_timeline
def fill_gap_command(
    timeline: Annotated[Path, typer.Argument(help="Timeline file with a gap between two "
                                             "clips.")],
    at: Annotated[str, typer.Option("--at", help="Playhead inside the gap (record "
                                    "timecode or frame number).")],
    prompt: Annotated[str, typer.Option("--prompt", help="What happens in between.")],
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    size: SizeOpt = "auto",
    preset: PresetOpt = "resolve-dnxhr-hq",
    output: OutputOpt = None,
    media_dir: Path | None = None,  # the first --media-dir (cli.reading)
    ledger: LedgerOpt = None,
    budget: BudgetOpt = None,
    new_take: NewTakeOpt = False,
    overwrite: OverwriteOpt = False,
    no_audio: NoAudioOpt = False,
    assume_df: AssumeDfOpt = False,
    as_json: JsonOpt = False,
    no_credentials: NoCredentialsOpt = False,
) -> None:
    """Fill a gap: a clip from the last frame before it to the first frame after it,
    generated at the nearest length the model takes and trimmed to the gap exactly."""
    from stillmotion.cli.pipeline_progress import pipeline_progress
    from stillmotion.jobs import actions
    from stillmotion.timeline.gaps import gap_at
    from stillmotion.timeline.io import read_timeline
    from stillmotion.timeline.locate import playhead_frame
    from stillmotion.timeline.timebase import TimeBase

    timeline_path = timeline
    settings = cli_settings(provider=provider, model=model, base_url=base_url,
                            ledger=ledger, budget=budget, no_credentials=no_credentials)
    chosen = provider or settings.provider
    cap, note = last_frame_model(chosen, model or settings.model, settings)
    if note:
        err_console.print(note)
    opened = read_timeline(timeline_path)
    gap = gap_at(opened, playhead_frame(opened, typed_playhead(at, assume_df)), label=at)
    explicit = parse_size_option(size)
    seconds = gap_seconds(cap, gap, TimeBase.of(opened).rate, explicit)
    with Ledger(settings.ledger_path) as book, pipeline_progress(as_json) as events:
        outcome = actions.fill_gap(
            timeline_path, opened, gap, prompt, seconds, settings=settings, ledger=book,
            on_event=events, output=output, media_dir=media_dir, size=explicit,
            provider=chosen, model=cap.model, preset=preset, new_take=new_take,
            overwrite=overwrite, audio=not no_audio)
    assert outcome.placed is not None
    summary = outcome_summary(outcome)
    summary.update({"model_note": note, "gap_start": gap.start, "gap_frames": gap.frames,
                    "placed_frames": outcome.placed.duration_frames,
                    "record_start": outcome.placed.record_start_frame})
    print_result(summary, as_json)
