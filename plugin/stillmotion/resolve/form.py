"""The Generate dialog's logic without any UI: fields -> request, validation, estimate, messages.

Why apart from the window: UIManager exists only inside Resolve, but turning what the editor typed
into a valid request (five-part prompt, provider/model limits, auto size from the timeline's
aspect, price) is where mistakes cost money, so it is plain code tested without Resolve. A
model's limits and price come from :func:`stillmotion.api.model_rows.find`, the one rule the
CLI and the pipeline use, so models the user declared (settings ``models``, STILLMOTION_MODELS)
and catalogue models are offered and priced here exactly as they will be sent.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from stillmotion.api import capabilities, model_rows
from stillmotion.errors import ConfigError, StillmotionError
from stillmotion.jobs import cost
from stillmotion.jobs.choices import ModelChoice, parse_choices
from stillmotion.jobs.providers import PROVIDERS
from stillmotion.media.plate_formats import PLATE_FORMATS
from stillmotion.prompt import ShotPrompt, lint
from stillmotion.resolve.still import GRAB_ROUTES
from stillmotion.settings import Settings
from stillmotion.timecode import format_size, parse_size

if TYPE_CHECKING:  # the dialog opens without the job machinery; the worker thread loads it
    from stillmotion.jobs.pipeline import PipelineEvent

PARTS = ("framing", "action", "timing", "lighting", "audio")
AUTO = "auto"
# Resolve's marker colours (Blackmagic's scripting README), for "Generate for selected clips".
MARKER_COLORS = ("Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose",
                 "Lavender", "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream")


@dataclass(frozen=True)
class FormValues:
    """The dialog's fields as typed (text), before any validation."""

    prompt: str = ""
    framing: str = ""
    action: str = ""
    timing: str = ""
    lighting: str = ""
    audio: str = ""
    keep: str = ""  # items separated by ';'
    avoid: str = ""
    provider: str = ""
    model: str = ""
    seconds: str = ""
    size: str = AUTO
    grab: str = "viewer"
    new_take: bool = False
    marker_color: str = ""  # empty: the selected clips (Resolve 21.0.4+), else every marker
    no_audio: bool = False  # place the picture only, even when the clip has sound
    second: str = ""  # an optional second "provider[:model]", run on the same still
    handoff_folder: str = ""  # turnover: the folder to write; ingest: the versions' folder
    handles: str = "8"
    plate_format: str = "prores4444"


@dataclass(frozen=True)
class GenerateArgs:
    """A validated request, everything decided: what generate_at_playhead is called with."""

    prompt: str
    provider: str
    model: str
    seconds: int
    size: tuple[int, int]
    grab: str
    new_take: bool
    estimate: cost.Estimate
    warnings: tuple[str, ...] = ()
    marker_color: str | None = None
    no_audio: bool = False
    second: GenerateArgs | None = None  # the second model, same still, a take of the same slot
    asked_size: tuple[int, int] | None = None  # None: each model's own auto size
    asked_seconds: int | None = None  # None: each model's default length

    @property
    def choices(self) -> list[ModelChoice]:
        """The models this Generate runs, the first one shown."""
        chosen = [ModelChoice(self.provider, self.model)]
        return chosen + (self.second.choices if self.second is not None else [])

    @property
    def total(self) -> Decimal:
        """The estimate of every model together (the budget is checked on this sum)."""
        return self.estimate.amount + (self.second.total if self.second is not None else 0)


def compose_prompt(values: FormValues) -> str:
    """The free prompt, or the five-part prompt rendered; ConfigError when both or neither."""
    parts = {name: getattr(values, name) for name in PARTS}
    lists = {name: tuple(getattr(values, name).split(";")) for name in ("keep", "avoid")}
    structured = any(text.strip() for text in parts.values()) or any(
        item.strip() for items in lists.values() for item in items)
    if structured and values.prompt.strip():
        raise ConfigError("Write the prompt either in the Prompt box or in the five parts, not "
                          "both; clear one of them.")
    if structured:
        return ShotPrompt(**parts, keep=lists["keep"], avoid=lists["avoid"]).render()
    if not values.prompt.strip():
        raise ConfigError("The prompt is empty; describe the shot and its camera move.")
    return values.prompt.strip()


def build_args(values: FormValues, *, timeline_size: tuple[int, int],
               settings: Settings) -> GenerateArgs:
    """Validate the fields against each model's limits and price the jobs."""
    prompt = compose_prompt(values)
    provider = values.provider.strip() or settings.provider
    model = values.model.strip() or (settings.model if provider == settings.provider else None)
    first = _model_args(prompt, provider, model, values, timeline_size, settings)
    if not values.second.strip():
        return first
    label = f"{first.provider}:{first.model}"
    _, other = parse_choices([label, values.second])
    if other.provider == first.provider and (other.model or _default(other, settings)) == \
            first.model:
        raise ConfigError(f"The second model is the first one again ({label}); choose another "
                          "model, or tick New take for another take of the same one.")
    second = _model_args(prompt, other.provider, other.model, values, timeline_size, settings)
    return dataclasses.replace(first, second=second)


def _model_args(prompt: str, provider: str, model: str | None, values: FormValues,
                timeline_size: tuple[int, int], settings: Settings) -> GenerateArgs:
    """One model's validated shape and estimate, from the same rows the pipeline plans with."""
    if provider not in PROVIDERS:
        raise ConfigError(f"Unknown provider '{provider}'; choose one of: {', '.join(PROVIDERS)}.")
    cap = model_rows.find(provider, model, settings)
    size = auto_size(values.size, cap, timeline_size, settings)
    asked = _seconds(values.seconds)
    seconds = asked if asked is not None else cap.default_seconds
    capabilities.validate(cap, size, seconds)
    if values.grab not in GRAB_ROUTES:
        raise ConfigError(f"Unknown grab route '{values.grab}'; choose one of: "
                          f"{', '.join(GRAB_ROUTES)}.")
    estimate = cost.estimate(provider, cap.model, size, seconds, prices=settings.prices,
                             declared=cap.prices, declared_by=cap.source)
    warnings = tuple(w.message for w in lint(prompt, seconds))
    explicit = values.size.strip() and values.size.strip().lower() != AUTO
    return GenerateArgs(prompt, provider, cap.model, seconds, size, values.grab,
                        values.new_take, estimate, warnings, _marker_color(values.marker_color),
                        no_audio=values.no_audio, asked_size=size if explicit else None,
                        asked_seconds=asked)


def model_names(provider: str, settings: Settings) -> list[str]:
    """The models the dialog offers for ``provider``: the user's declared rows, ours, then the
    cached catalogue (:func:`stillmotion.api.model_rows.known_rows`, no network); first the
    settings' model (when it is this provider's), else the provider's default."""
    if provider not in PROVIDERS:
        return []
    names = [row.model for row in model_rows.known_rows(provider, settings)]
    first = (settings.model if provider == settings.provider else None) \
        or capabilities.DEFAULT_MODEL.get(provider)
    if first and first not in names:
        names.append(first)
    return sorted(names, key=lambda name: name != first)


def _default(choice: ModelChoice, settings: Settings) -> str | None:
    return model_rows.find(choice.provider, None, settings).model


@dataclass(frozen=True)
class HandoffArgs:
    """The turnover / ingest fields, checked: the folder, handle frames, plate format."""

    folder: Path
    handles: int
    format: str


def handoff_args(values: FormValues, *, ingest: bool) -> HandoffArgs:
    """Check the hand-off fields; ConfigError in one sentence (ingest needs an existing
    folder of versions, turnover a folder to create)."""
    text = values.handoff_folder.strip()
    if not text:
        raise ConfigError("Type the hand-off folder: where the turnover goes, or where the "
                          "artists' versions are.")
    folder = Path(text).expanduser()
    if ingest and not folder.is_dir():
        raise ConfigError(f"The versions folder {folder} does not exist.")
    try:
        handles = int(values.handles.strip() or "8")
    except ValueError:
        raise ConfigError(f"'{values.handles}' is not a whole number of handle frames; type "
                          "e.g. 8.") from None
    if handles < 0:
        raise ConfigError("Handles must be 0 frames or more.")
    fmt = values.plate_format.strip().lower() or "prores4444"
    if fmt not in PLATE_FORMATS:
        raise ConfigError(f"Unknown plate format '{fmt}'; choose one of: "
                          f"{', '.join(PLATE_FORMATS)}.")
    return HandoffArgs(folder, handles, fmt)


def _marker_color(text: str) -> str | None:
    if not text.strip():
        return None
    for color in MARKER_COLORS:
        if color.lower() == text.strip().lower():
            return color
    raise ConfigError(f"'{text.strip()}' is not a Resolve marker colour; choose one of: "
                      f"{', '.join(MARKER_COLORS)}, or leave it empty for the selected clips.")


def auto_size(text: str, cap: capabilities.ModelCapability, timeline_size: tuple[int, int],
              settings: Settings) -> tuple[int, int]:
    """An explicit WxH, or (auto) the settings' size, else the allowed size nearest the
    timeline's aspect, exactly as the pipeline would choose it."""
    if text.strip() and text.strip().lower() != AUTO:
        return parse_size(text)
    if settings.size and settings.size != AUTO:
        return parse_size(settings.size)
    return capabilities.choose_size(cap, Fraction(*timeline_size))


def _seconds(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(f"'{text}' is not a whole number of seconds; type e.g. 4.") from None


def summary_text(args: GenerateArgs) -> str:
    """The line above the Generate button: shape, estimate (and the total of both models) and
    the first prompt warning."""
    line = (f"{args.provider}/{args.model}, {format_size(args.size)}, {args.seconds} s: "
            f"estimated {args.estimate}")
    if args.second is not None:
        other = args.second
        line += (f"; and {other.provider}/{other.model}, {format_size(other.size)}, "
                 f"{other.seconds} s: estimated {other.estimate}; "
                 f"{cost.format_money(args.total)} in total")
    return f"{line}. Note: {args.warnings[0]}" if args.warnings else line


def event_text(event: PipelineEvent) -> str:
    """One progress line for a pipeline event."""
    if event.fraction is None:
        return event.message
    return f"{event.message} ({round(event.fraction * 100)} %)"


def error_text(error: BaseException) -> str:
    """One sentence for the editor: our errors say what to do; anything else is a bug report."""
    if isinstance(error, StillmotionError):
        return error.message
    return (f"stillmotion hit an unexpected {type(error).__name__} ({error}); the details are in "
            "Resolve's Console (Workspace > Console).")
