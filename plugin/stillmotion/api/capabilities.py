"""What each provider and model accepts (sizes, durations, defaults), checked before any request.

Why before sending: a refused create still costs a round trip, and on some gateways money; and
``--size auto`` / the default seconds must be chosen from what the model really accepts. Facts
from ../shared/reference/video-job-apis.md: sora-2 takes only the two 720p sizes, sora-2-pro adds
1024p and 1080p, seconds are 4/8/12 (the guide adds 16 and 20). The local ``preview`` model takes
any even size and 1-20 s so previews can match the timeline exactly.

The vendor dialects do not take WxH: Veo takes an aspect ratio plus a resolution (16:9 or 9:16 at
720p, 1080p or 4k; 4, 6 or 8 s, but 1080p and 4k only at 8 s; Veo 3.1 Lite stops at 1080p and
takes no last frame), Runway a pixel ratio such as ``1280:720`` (gen4.5: 2-10 s, first frame only;
its last-frame models are the Veo 3.1 ones it serves, ``veo3.1`` and ``veo3.1_fast``, per
Runway's OpenAPI spec as shipped in its ``runwayml`` SDK, July 2026), fal whatever each hosted
model takes. Their rows list the sizes those shapes stand for, so a still is fitted to exactly
what the model renders and ``--size auto`` works alike for every provider; :func:`aspect_ratio`,
:func:`resolution` and :func:`pixel_ratio` turn a size back into the wire words. A retired model
(:data:`RETIRED`) is refused naming its replacement.
Kling, Seedance and Wan take a resolution tier and follow the still's shape
(:func:`tier`): Kling's std mode renders 720p and pro 1080p (kling-v3 3-15 s with a last
frame; kling-v2-6 5 or 10 s, its last frame in pro mode only, so not offered, and its
sound in pro mode only, so promised at the 1080p sizes alone), Seedance 2.0
480p/720p/1080p for 4-15 s, Wan 2.7 720P/1080P for 2-15 s.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from stillmotion.errors import ConfigError
from stillmotion.timecode import format_size

SIZES_720P = ((1280, 720), (720, 1280))
SIZES_PRO = (*SIZES_720P, (1792, 1024), (1024, 1792), (1920, 1080), (1080, 1920))
SIZES_1080P = ((1920, 1080), (1080, 1920))
SIZES_4K = ((3840, 2160), (2160, 3840))
SIZES_VEO_31 = (*SIZES_720P, *SIZES_1080P, *SIZES_4K)
SIZES_RUNWAY_GEN4 = (*SIZES_720P, (1104, 832), (832, 1104), (960, 960), (1584, 672))
SIZES_RUNWAY_VEO = (*SIZES_720P, *SIZES_1080P)
SIZES_KLING = (*SIZES_720P, (960, 960))
SIZES_KLING_PRO = ((1920, 1080), (1080, 1920), (1440, 1440))
SIZES_SEEDANCE = ((864, 480), (480, 864), (640, 640), *SIZES_720P, (960, 960), *SIZES_1080P,
                  (1440, 1440))
SIZES_WAN = (*SIZES_720P, (960, 960), *SIZES_1080P, (1440, 1440))
EIGHT_ONLY = tuple((size, (8,)) for size in (*SIZES_1080P, *SIZES_4K))
EIGHT_ONLY_1080P = EIGHT_ONLY[:len(SIZES_1080P)]
BUILT_IN, CATALOGUE, SETTINGS = "built-in", "catalogue", "settings"


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
    audio_sizes: tuple[tuple[int, int], ...] = ()
    """Where only some sizes make sound, those sizes (kling-v2-6: its pro mode's 1080p ones;
    std renders silent); empty: every size does when ``audio``. Read through :meth:`audio_at`."""
    max_side: int = 1920
    size_seconds: tuple[tuple[tuple[int, int], tuple[int, ...]], ...] = ()
    """Sizes that take fewer durations than ``seconds`` (Veo: 1080p and 4k only at 8 s)."""
    source: str = BUILT_IN
    """Where the row comes from: built-in (this table), catalogue (the vendor's model list,
    e.g. OpenRouter's ``/videos/models``) or settings (the user's ``models`` table)."""
    prices: tuple[tuple[str, str], ...] = ()
    """Prices that came with the row: (price key as in jobs/cost.py, dollars per second)."""

    def audio_at(self, size: tuple[int, int]) -> bool:
        """Whether the model makes sound at ``size``: the one rule for the job's promise
        (``jobs show``, the clip's metadata) and for the sound switch a dialect sends."""
        return self.audio and (not self.audio_sizes or size in self.audio_sizes)

    def seconds_at(self, size: tuple[int, int] | None) -> tuple[int, ...]:
        """The durations accepted at ``size`` (all of ``seconds`` when it has no rule)."""
        for rule_size, allowed in self.size_seconds:
            if rule_size == size:
                return allowed
        return self.seconds


_TABLE: tuple[ModelCapability, ...] = (
    # The local preview engine renders every model with a sound bed the prompt chooses
    # (stillmotion.preview.audio): it promises sound as the vendors' audio models do.
    ModelCapability("preview", "preview", None, tuple(range(1, 21)), 4, native_extension=True,
                    audio=True),
    ModelCapability("preview", "sora-2", SIZES_720P, (4, 8, 12), 4, native_extension=True,
                    audio=True),
    ModelCapability("preview", "sora-2-pro", SIZES_PRO, (4, 8, 12), 4, native_extension=True,
                    audio=True),
    ModelCapability("openai", "sora-2", SIZES_720P, (4, 8, 12), 4, native_extension=True,
                    audio=True),
    ModelCapability("openai", "sora-2-pro", SIZES_PRO, (4, 8, 12), 4, native_extension=True,
                    audio=True),
    ModelCapability("veo", "veo-3.1-generate-preview", SIZES_VEO_31, (4, 6, 8), 8,
                    last_frame=True, native_extension=True, audio=True, max_side=3840,
                    size_seconds=EIGHT_ONLY),
    ModelCapability("veo", "veo-3.1-fast-generate-preview", SIZES_VEO_31, (4, 6, 8), 8,
                    last_frame=True, native_extension=True, audio=True, max_side=3840,
                    size_seconds=EIGHT_ONLY),
    ModelCapability("veo", "veo-3.1-lite-generate-preview", (*SIZES_720P, *SIZES_1080P),
                    (4, 6, 8), 8, audio=True, size_seconds=EIGHT_ONLY_1080P),
    ModelCapability("veo", "veo-3.0-generate-001", (*SIZES_720P, *SIZES_1080P), (8,), 8,
                    audio=True),
    ModelCapability("veo", "veo-3.0-fast-generate-001", (*SIZES_720P, *SIZES_1080P), (8,), 8,
                    audio=True),
    ModelCapability("veo", "veo-2.0-generate-001", SIZES_720P, (5, 6, 7, 8), 8),
    ModelCapability("runway", "gen4.5", SIZES_RUNWAY_GEN4, tuple(range(2, 11)), 5),
    ModelCapability("runway", "gen4_turbo", SIZES_RUNWAY_GEN4, (5, 10), 5),
    ModelCapability("runway", "veo3.1", SIZES_RUNWAY_VEO, (4, 6, 8), 8, last_frame=True,
                    audio=True),
    ModelCapability("runway", "veo3.1_fast", SIZES_RUNWAY_VEO, (4, 6, 8), 8, last_frame=True,
                    audio=True),
    ModelCapability("fal", "fal-ai/kling-video/v2.1/standard/image-to-video", SIZES_KLING,
                    (5, 10), 5),
    ModelCapability("fal", "fal-ai/kling-video/v2.1/pro/image-to-video", SIZES_KLING,
                    (5, 10), 5, last_frame=True),
    ModelCapability("fal", "fal-ai/kling-video/v2.1/master/image-to-video", SIZES_KLING,
                    (5, 10), 5),
    # fal's current image-to-video models (fields and limits from fal's model pages, 2026-12).
    ModelCapability("fal", "fal-ai/kling-video/v2.6/pro/image-to-video", SIZES_KLING,
                    (5, 10), 5, last_frame=True, audio=True),
    ModelCapability("fal", "fal-ai/kling-video/v3/pro/image-to-video", SIZES_KLING,
                    tuple(range(3, 16)), 5, last_frame=True, audio=True),
    ModelCapability("fal", "fal-ai/wan/v2.7/image-to-video", (*SIZES_720P, *SIZES_1080P),
                    tuple(range(2, 16)), 5, last_frame=True),
    ModelCapability("fal", "bytedance/seedance-2.0/image-to-video",
                    (*SIZES_720P, *SIZES_1080P), tuple(range(4, 16)), 5, last_frame=True,
                    audio=True),
    ModelCapability("fal", "bytedance/seedance-2.0/fast/image-to-video", SIZES_720P,
                    tuple(range(4, 16)), 5, last_frame=True, audio=True),
    ModelCapability("fal", "fal-ai/veo3.1/image-to-video", (*SIZES_720P, *SIZES_1080P),
                    (4, 6, 8), 8, audio=True),
    ModelCapability("fal", "fal-ai/veo3.1/fast/image-to-video", (*SIZES_720P, *SIZES_1080P),
                    (4, 6, 8), 8, audio=True),
    ModelCapability("fal", "fal-ai/veo3.1/fast/first-last-frame-to-video",
                    (*SIZES_720P, *SIZES_1080P), (4, 6, 8), 8, last_frame=True, audio=True),
    ModelCapability("fal", "fal-ai/ltx-2/image-to-video", ((1920, 1080),), (6, 8, 10), 6,
                    audio=True),
    ModelCapability("kling", "kling-v3", (*SIZES_KLING, *SIZES_KLING_PRO), tuple(range(3, 16)),
                    5, last_frame=True, audio=True),
    ModelCapability("kling", "kling-v2-6", (*SIZES_KLING, *SIZES_KLING_PRO), (5, 10), 5,
                    audio=True, audio_sizes=SIZES_KLING_PRO),
    ModelCapability("seedance", "dreamina-seedance-2-0-260128", SIZES_SEEDANCE,
                    tuple(range(4, 16)), 5, last_frame=True, audio=True),
    ModelCapability("wan", "wan2.7-i2v", SIZES_WAN, tuple(range(2, 16)), 5, last_frame=True,
                    audio=True),
    # OpenRouter: the two Veo 3.1 rows we know; any other model comes from its catalogue.
    ModelCapability("openrouter", "google/veo-3.1", (*SIZES_720P, *SIZES_1080P), (4, 6, 8), 8,
                    last_frame=True, audio=True),
    ModelCapability("openrouter", "google/veo-3.1-fast", (*SIZES_720P, *SIZES_1080P),
                    (4, 6, 8), 8, last_frame=True, audio=True),
)

DEFAULT_MODEL = {
    "preview": "preview", "veo": "veo-3.1-fast-generate-preview",
    "runway": "gen4.5", "fal": "fal-ai/kling-video/v2.1/standard/image-to-video",
    "kling": "kling-v3", "seedance": "dreamina-seedance-2-0-260128", "wan": "wan2.7-i2v",
    "openrouter": "google/veo-3.1-fast",
}
"""Each provider's model when none is chosen. The /v1/videos gateways (``openai``) have none:
OpenAI's sora-2 models were shut down on 2026-09-24 and every gateway serves its own names."""

NO_DEFAULT_MODEL = {
    "openai": "the openai provider has no default model (OpenAI's sora-2 models were shut down "
              "on 2026-09-24)",
}
"""Providers that need a model named, and why (said when none is)."""

RETIRED = {
    ("runway", "gen3a_turbo"): "Runway retired gen3a_turbo on 2026-07-30; use gen4.5 (or, for a "
                               "last frame, veo3.1_fast).",
}
"""Models their vendor shut down: asking for one says what replaced it."""

GATEWAY_ROW = "gateway"
"""Source of the permissive row for a /v1/videos gateway model nobody described."""


def capabilities() -> tuple[ModelCapability, ...]:
    """The whole table, for ``stillmotion providers``."""
    return _TABLE


def lookup(provider: str, model: str | None,
           extra: tuple[ModelCapability, ...] = ()) -> ModelCapability:
    """The capability row for ``provider``/``model`` (model None: the provider's default).

    ``extra`` rows (the user's ``models`` table, a vendor catalogue) are looked at first, so a
    user may also correct one of ours. Gateways serve models we have no row for: an unknown
    model on the ``openai`` dialect is allowed with the /v1/videos durations and any size,
    since the gateway decides (its price must still be known: the budget guard refuses an
    unpriced model).
    """
    chosen = model or DEFAULT_MODEL.get(provider)
    if chosen is None:
        if provider in NO_DEFAULT_MODEL:
            why = NO_DEFAULT_MODEL[provider]
            raise ConfigError(f"{why[:1].upper()}{why[1:]}; choose your gateway's model with "
                              "--model, STILLMOTION_MODEL or model in the settings file.")
        known = ", ".join(sorted({*DEFAULT_MODEL, *NO_DEFAULT_MODEL}))
        raise ConfigError(f"Unknown provider '{provider}'; choose one of: {known}.")
    for row in (*extra, *_TABLE):
        if row.provider == provider and row.model == chosen:
            return row
    if (provider, chosen) in RETIRED:
        raise ConfigError(RETIRED[provider, chosen])
    if provider == "openai":
        return ModelCapability("openai", chosen, None, (4, 8, 12, 16, 20), 4,
                               source=GATEWAY_ROW)
    models = ", ".join(dict.fromkeys(r.model for r in (*_TABLE, *extra)
                                     if r.provider == provider))
    raise ConfigError(
        f"The {provider} provider has no model '{chosen}'; choose one of: {models}, or "
        f"declare its sizes, durations and price in the settings' models table."
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


def validate(cap: ModelCapability, size: tuple[int, int], seconds: int, *,
             last_frame: bool = False) -> None:
    """ConfigError when ``size``, ``seconds`` or a last frame is not accepted by the model."""
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
    at_size = cap.seconds_at(size)
    if seconds not in at_size:
        allowed = ", ".join(str(s) for s in at_size)
        raise ConfigError(
            f"At {format_size(size)}, {cap.model} takes only {allowed} s, not {seconds} s; "
            "choose a smaller size or that length."
        )
    if not cap.first_frame:
        raise ConfigError(
            f"The {cap.provider} model {cap.model} cannot start from a still (it takes no "
            "first frame); choose an image-to-video model."
        )
    if last_frame and not cap.last_frame:
        takers = ", ".join(f"{r.provider} {r.model}" for r in _TABLE if r.last_frame)
        raise ConfigError(
            f"The {cap.provider} model {cap.model} cannot take a last frame; use one that can "
            f"({takers})."
        )


def nearest_seconds(cap: ModelCapability, wanted: Fraction,
                    size: tuple[int, int] | None = None) -> int:
    """The shortest accepted duration covering ``wanted`` (else the longest), e.g. for gap fills;
    with ``size``, only the durations that size takes."""
    allowed = cap.seconds_at(size)
    covering = [s for s in allowed if s >= wanted]
    return min(covering) if covering else max(allowed)


def aspect_ratio(size: tuple[int, int]) -> str:
    """``1280x720`` -> ``16:9`` (Veo's ``aspectRatio``, fal's ``aspect_ratio``)."""
    divisor = math.gcd(*size)
    return f"{size[0] // divisor}:{size[1] // divisor}"


def resolution(size: tuple[int, int]) -> str:
    """``1280x720`` -> ``720p``, ``1920x1080`` -> ``1080p``, ``3840x2160`` -> ``4k`` (Veo)."""
    short = min(size)
    return "4k" if short >= 2160 else f"{short}p"


def tier(size: tuple[int, int]) -> str:
    """``1280x720`` -> ``720p`` (also 960x960), ``1920x1080`` -> ``1080p``, ``864x480`` ->
    ``480p``: the resolution tier of a size (Seedance ``resolution``, Wan ``720P``, Kling's
    std/pro mode). Square sizes count by their pixels: 960x960 is 720p, 1440x1440 1080p."""
    if size[0] == size[1]:
        return "1080p" if size[0] >= 1440 else "720p" if size[0] >= 960 else "480p"
    return f"{min(size)}p"


RATIO_WORDS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9")
"""The aspect ratios Seedance names (Kling and Wan follow the still's own shape)."""


def ratio_word(size: tuple[int, int]) -> str:
    """The ratio word closest to ``size`` (864x480 is 16:9 to Seedance)."""
    shape = Fraction(*size)
    return min(RATIO_WORDS, key=lambda r: abs(Fraction(*map(int, r.split(":"))) - shape))


def kling_mode(size: tuple[int, int]) -> str:
    """Kling's mode for a size: ``pro`` renders 1080p, ``std`` 720p."""
    return "pro" if tier(size) == "1080p" else "std"


def pixel_ratio(size: tuple[int, int]) -> str:
    """``1280x720`` -> ``1280:720`` (Runway's ``ratio``)."""
    return f"{size[0]}:{size[1]}"


ASPECT_WORDS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21")
"""Aspect ratios a vendor may name (OpenRouter's ``supported_aspect_ratios``, user tables)."""
_NAMED_RESOLUTIONS = {"4k": 2160, "2k": 1440, "1k": 1080}


def short_side(resolution_word: str) -> int | None:
    """``720p`` -> 720, ``4K`` -> 2160; None for a word that names no pixel height."""
    word = resolution_word.strip().lower()
    if word in _NAMED_RESOLUTIONS:
        return _NAMED_RESOLUTIONS[word]
    digits = word.removesuffix("p")
    return int(digits) if digits.isdigit() and word.endswith("p") else None


def size_for(resolution_word: str, aspect: str) -> tuple[int, int] | None:
    """The pixel size a resolution and aspect ratio stand for (``720p``, ``16:9`` ->
    1280x720; even sides), or None when either word is not understood."""
    short = short_side(resolution_word)
    width_part, _, height_part = aspect.partition(":")
    if short is None or not (width_part.isdigit() and height_part.isdigit()) \
            or not int(width_part) or not int(height_part):
        return None
    ratio = Fraction(int(width_part), int(height_part))
    long_side = round(short * max(ratio, 1 / ratio) / 2) * 2
    return (long_side, short) if ratio >= 1 else (short, long_side)


def sizes_for(resolutions: Iterable[str], aspects: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Every size a set of resolution and aspect words stands for (unknown words skipped)."""
    found = (size_for(r, a) for r in resolutions for a in list(aspects))
    return tuple(dict.fromkeys(s for s in found if s is not None))


def shape_words(size: tuple[int, int]) -> tuple[str, str]:
    """(resolution, aspect ratio) words of a size :func:`size_for` made: 1280x720 -> 720p,
    16:9 (the inverse, so a row's sizes go back on the wire as the vendor named them)."""
    short = min(size)
    word = "4K" if short == 2160 else f"{short}p"
    for aspect in ASPECT_WORDS:
        if size_for(word, aspect) == size:
            return word, aspect
    return word, aspect_ratio(size)
