"""What each provider and model accepts (sizes, durations, defaults), checked before any request.

Why before sending: a refused create still costs a round trip, and on some gateways money; and
``--size auto`` / the default seconds must be chosen from what the model really accepts. Facts
from ../shared/reference/video-job-apis.md: sora-2 takes only the two 720p sizes, sora-2-pro adds
1024p and 1080p, seconds are 4/8/12 (the guide adds 16 and 20). The local ``preview`` model takes
any even size and 1-20 s so previews can match the timeline exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from stillmotion.errors import ConfigError
from stillmotion.timecode import format_size

SIZES_720P = ((1280, 720), (720, 1280))
SIZES_PRO = (*SIZES_720P, (1792, 1024), (1024, 1792), (1920, 1080), (1080, 1920))


@dataclass(frozen=True)
class ModelCapability:
    """One model's accepted shapes and durations; ``sizes`` None means any even size."""

    provider: str
    model: str
    sizes: tuple[tuple[int, int], ...] | None
    seconds: tuple[int, ...]
    default_seconds: int
    first_frame: bool = True
    last_frame: bool = False
    native_extension: bool = False
    audio: bool = False
    max_side: int = 1920


_TABLE: tuple[ModelCapability, ...] = (
    ModelCapability("preview", "preview", None, tuple(range(1, 21)), 4, native_extension=True),
    ModelCapability("preview", "sora-2", SIZES_720P, (4, 8, 12), 4, native_extension=True),
    ModelCapability("preview", "sora-2-pro", SIZES_PRO, (4, 8, 12), 4, native_extension=True),
    ModelCapability("openai", "sora-2", SIZES_720P, (4, 8, 12), 4, native_extension=True,
                    audio=True),
    ModelCapability("openai", "sora-2-pro", SIZES_PRO, (4, 8, 12), 4, native_extension=True,
                    audio=True),
)

DEFAULT_MODEL = {"preview": "preview", "openai": "sora-2"}


def capabilities() -> tuple[ModelCapability, ...]:
    """The whole table, for ``stillmotion providers``."""
    return _TABLE


def lookup(provider: str, model: str | None) -> ModelCapability:
    """The capability row for ``provider``/``model`` (model None: the provider's default).

    Gateways serve models we have no row for: an unknown model on the ``openai`` dialect is
    allowed with the sora-2 limits' durations and any size, since the gateway decides.
    """
    chosen = model or DEFAULT_MODEL.get(provider)
    if chosen is None:
        known = ", ".join(sorted(DEFAULT_MODEL))
        raise ConfigError(f"Unknown provider '{provider}'; choose one of: {known}.")
    for row in _TABLE:
        if row.provider == provider and row.model == chosen:
            return row
    if provider == "openai":
        return ModelCapability("openai", chosen, None, (4, 8, 12, 16, 20), 4)
    models = ", ".join(r.model for r in _TABLE if r.provider == provider)
    raise ConfigError(
        f"The {provider} provider has no model '{chosen}'; choose one of: {models}."
    )


def choose_size(cap: ModelCapability, aspect: Fraction, *, preferred_height: int = 720) -> (
        tuple[int, int]):
    """The accepted size closest in aspect to ``aspect`` (auto size from the timeline)."""
    if cap.sizes is None:
        height = preferred_height
        width = round(height * aspect / 2) * 2
        if width > cap.max_side:
            width = cap.max_side
            height = round(width / aspect / 2) * 2
        return (max(width, 16), max(height, 16))
    return min(cap.sizes, key=lambda s: (abs(Fraction(s[0], s[1]) - aspect), s[0] * s[1]))


def validate(cap: ModelCapability, size: tuple[int, int], seconds: int) -> None:
    """ConfigError when ``size`` or ``seconds`` is not accepted by the model."""
    if cap.sizes is not None and size not in cap.sizes:
        allowed = ", ".join(format_size(s) for s in cap.sizes)
        raise ConfigError(
            f"Size {format_size(size)} is not allowed for {cap.model}; use one of: {allowed}."
        )
    if cap.sizes is None and max(size) > cap.max_side:
        raise ConfigError(
            f"Size {format_size(size)} is too large for {cap.model}; the longest side may be "
            f"{cap.max_side} pixels."
        )
    if seconds not in cap.seconds:
        allowed = ", ".join(str(s) for s in cap.seconds)
        raise ConfigError(
            f"{seconds} s is not allowed for {cap.model}; use one of: {allowed} seconds."
        )


def nearest_seconds(cap: ModelCapability, wanted: Fraction) -> int:
    """The shortest accepted duration covering ``wanted`` (else the longest), e.g. for gap fills."""
    covering = [s for s in cap.seconds if s >= wanted]
    return min(covering) if covering else max(cap.seconds)
