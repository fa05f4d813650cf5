"""Shot prompts: a five-part model (framing, action, timing, lighting, audio) and a linter.

Why: video models follow prompts that say what the frame is, what moves, how the camera moves
and for how long, how it is lit and what is heard; vague verbs ("animate it") and impossible
timing waste paid jobs. :class:`ShotPrompt` writes such a prompt, one labelled line per part,
and :func:`lint` checks any prompt text before it is sent. Camera verbs and durations are read
by :mod:`stillmotion.moves`, the same parser the preview engine animates, so the linter
and the preview always agree. Camera moves belong in the timing part: the other labelled parts
describe the scene ("Action: she tilts her head up" is not a camera tilt).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, field_validator

from stillmotion.errors import ConfigError
from stillmotion.moves import parse_beats, schedule

MAX_PROMPT_CHARS = 32000
MIN_BEAT_SECONDS = Fraction(1, 2)

_PARTS = (("framing", "Framing"), ("action", "Action"), ("timing", "Timing"),
          ("lighting", "Lighting"), ("audio", "Audio"))
_LISTS = (("keep", "Keep"), ("avoid", "Avoid"))
_LABEL_ALIASES = {"camera": "timing", "light": "lighting", "sound": "audio", "shot": "framing"}
_LABEL = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*)$")
_VAGUE = re.compile(
    r"\b(?:animate|animates|animating|make\s+(?:it|this|them|the\s+\w+)\s+move|"
    r"bring\s+(?:it|this|them|the\s+\w+(?:\s+\w+)?)?\s*to\s+life|brings?\s+to\s+life|"
    r"come[s]?\s+(?:alive|to\s+life)|add\s+(?:some\s+)?(?:motion|movement)|"
    r"make\s+(?:it|this)\s+(?:dynamic|cinematic|alive))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LintWarning:
    """One problem found in a prompt: a stable ``code`` and one sentence saying what to do."""

    code: str
    message: str


class ShotPrompt(BaseModel):
    """A prompt in five parts plus what to keep and what to avoid; empty parts are left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    framing: str = ""
    action: str = ""
    timing: str = ""
    lighting: str = ""
    audio: str = ""
    keep: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()

    @field_validator("framing", "action", "timing", "lighting", "audio")
    @classmethod
    def _one_line(cls, value: str) -> str:
        """Parts are single lines (the rendered prompt has one line per part)."""
        return " ".join(value.split())

    @field_validator("keep", "avoid")
    @classmethod
    def _items(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """List items are single lines without the ';' that separates them; blanks dropped."""
        items = (" ".join(item.replace(";", ",").split()) for item in value)
        return tuple(item for item in items if item)

    def render(self) -> str:
        """The prompt text, ``Label: part.`` per line; ConfigError when empty or too long."""
        lines = [f"{label}: {_sentence(getattr(self, name))}"
                 for name, label in _PARTS if getattr(self, name)]
        lines += [f"{label}: {'; '.join(getattr(self, name))}."
                  for name, label in _LISTS if getattr(self, name)]
        return validate_prompt("\n".join(lines))

    @classmethod
    def from_text(cls, text: str) -> ShotPrompt:
        """Read ``Label: part`` lines back (unlabelled lines join the action)."""
        fields: dict[str, list[str]] = {}
        known = {name for name, _ in (*_PARTS, *_LISTS)}
        for line in text.splitlines():
            match = _LABEL.match(line)
            label = match.group(1).lower() if match else ""
            name = _LABEL_ALIASES.get(label, label)
            if match and name in known:
                fields.setdefault(name, []).append(match.group(2).strip())
            elif line.strip():
                fields.setdefault("action", []).append(line.strip())
        values: dict[str, object] = {}
        for name, parts in fields.items():
            if name in ("keep", "avoid"):
                values[name] = tuple(item.strip() for part in parts
                                     for item in part.rstrip(".").split(";"))
            else:
                values[name] = " ".join(part.rstrip(".") for part in parts if part)
        return cls.model_validate(values)


def validate_prompt(text: str) -> str:
    """``text`` itself when it can be sent: not blank and at most 32000 characters."""
    if not text.strip():
        raise ConfigError("The prompt is empty; describe the shot and its camera move.")
    if len(text) > MAX_PROMPT_CHARS:
        raise ConfigError(
            f"The prompt has {len(text)} characters, more than the {MAX_PROMPT_CHARS} allowed; "
            "shorten it."
        )
    return text


def lint(text: str, seconds: Fraction | int) -> list[LintWarning]:
    """Warnings about ``text`` as a prompt for a ``seconds`` long clip (empty list: fine).

    Checks vague verbs, a missing camera move, moves that undo each other in one beat, more
    beats than the length holds (under half a second each) and durations past the clip's end.
    ConfigError for an empty or over-long prompt or a length that is not positive.
    """
    validate_prompt(text)
    total = Fraction(seconds)
    if total <= 0:
        raise ConfigError(f"The clip length must be more than 0 seconds, not {seconds}.")
    warnings = [
        LintWarning("vague_verb",
                    f"'{match.group(0)}' does not say what moves; name the motion (e.g. "
                    "'steam rises from the cup') and a camera move (e.g. 'slow dolly in "
                    "over 2 s').")
        for match in _VAGUE.finditer(_without_lists(text))
    ]
    beats = parse_beats(text)
    if not beats:
        warnings.append(LintWarning(
            "no_camera_move",
            "No camera move is named, so the shot's motion is left to chance; add one such as "
            "'static', 'slow dolly in over 2 s' or 'pan left 1.5 s'.",
        ))
    for beat in beats:
        for first, second in beat.conflicts:
            warnings.append(LintWarning(
                "conflicting_moves",
                f"'{beat.text}' asks for {first.label} and {second.label} at once; put 'then' "
                "between them or drop one.",
            ))
    limit = int(total / MIN_BEAT_SECONDS)
    if len(beats) > limit:
        warnings.append(LintWarning(
            "too_many_beats",
            f"{len(beats)} camera beats do not fit in {_seconds(total)} s; keep each at least "
            f"{_seconds(MIN_BEAT_SECONDS)} s (at most {limit} beats) or ask for a longer clip.",
        ))
    laid = schedule(beats, total)
    if laid.overrun > 0:
        warnings.append(LintWarning(
            "durations_overrun",
            f"The beats' durations add up to {_seconds(total + laid.overrun)} s, more than the "
            f"{_seconds(total)} s clip; shorten them or ask for a longer clip.",
        ))
    for cut in laid.clipped:
        warnings.append(LintWarning(
            "beat_clipped",
            f"'{cut.text}' is cut to {_seconds(cut.duration)} s by the end of the clip; "
            "shorten the beats before it.",
        ))
    for spec in laid.dropped:
        warnings.append(LintWarning(
            "beat_dropped",
            f"'{spec.text}' gets no time in a {_seconds(total)} s clip; shorten the beats "
            "before it or remove it.",
        ))
    if len(beats) <= limit:
        for short in laid.beats:
            if not short.implied and short.duration < MIN_BEAT_SECONDS:
                warnings.append(LintWarning(
                    "beat_too_short",
                    f"'{short.text}' lasts only {_seconds(short.duration)} s; give it at least "
                    f"{_seconds(MIN_BEAT_SECONDS)} s.",
                ))
    return warnings


def _without_lists(text: str) -> str:
    """``text`` without its Keep:/Avoid: lines (their words are not requests for motion)."""
    kept = []
    for line in text.splitlines():
        match = _LABEL.match(line)
        if match is None or match.group(1).lower() not in ("keep", "avoid", "negative"):
            kept.append(line)
    return "\n".join(kept)


def _sentence(part: str) -> str:
    """A part ending in one full stop (or its own ! or ?)."""
    return part if part.endswith((".", "!", "?")) else part + "."


def _seconds(value: Fraction) -> str:
    """Seconds for a message: whole numbers plain, others to two decimals."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.2f}".rstrip("0").rstrip(".")
