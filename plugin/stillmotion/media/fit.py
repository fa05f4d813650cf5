"""How a picture is fitted to an exact WxH: the ffmpeg filter chain for each fit mode.

Why one module: grabbing a reference still, conforming a clip and stitching a master must fit
pictures identically, so a frame grabbed for a job and the conformed clip line up.

Modes:
- ``crop``: scale to cover the target, cut the overflow at ``anchor`` (centre by default);
  conform calls this ``fill``.
- ``pad``: scale to fit inside, black bars (letterbox/pillarbox); conform calls this ``letterbox``.
- ``stretch``: scale to the exact size, ignoring aspect (the grab command's ``fill``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from stillmotion.errors import ConfigError

FitMode = Literal["crop", "pad", "stretch"]
Anchor = Literal["center", "top", "bottom", "left", "right"]

# Names users type, per command, mapped onto the three modes.
_ALIASES: dict[str, FitMode] = {
    "crop": "crop",
    "fill": "crop",
    "cover": "crop",
    "pad": "pad",
    "letterbox": "pad",
    "pillarbox": "pad",
    "contain": "pad",
    "stretch": "stretch",
}

_CROP_POSITION = {
    "center": ("(iw-ow)/2", "(ih-oh)/2"),
    "top": ("(iw-ow)/2", "0"),
    "bottom": ("(iw-ow)/2", "ih-oh"),
    "left": ("0", "(ih-oh)/2"),
    "right": ("iw-ow", "(ih-oh)/2"),
}


def parse_fit(name: str, *, allowed: tuple[str, ...] | None = None) -> FitMode:
    """The fit mode for a user's word; ConfigError naming the choices otherwise."""
    key = name.strip().lower()
    if key not in _ALIASES or (allowed is not None and key not in allowed):
        choices = ", ".join(allowed or tuple(_ALIASES))
        raise ConfigError(f"Unknown fit '{name}'; choose one of: {choices}.")
    return _ALIASES[key]


def fit_filters(
    size: tuple[int, int],
    mode: FitMode,
    anchor: Anchor = "center",
    *,
    sar: Fraction = Fraction(1),
    flags: str = "lanczos",
    out_sar: Fraction = Fraction(1),
) -> list[str]:
    """Filters that turn any picture into exactly ``size`` with square pixels (``out_sar`` 1).

    A source with non-square pixels (``sar`` != 1) is first scaled to its display shape; the
    chain ends in ``setsar=1`` so a conformed stream never carries the source's SAR. An
    anamorphic output (``out_sar`` != 1: ``size`` is the stored size of, say, 1440x1080 at 4/3)
    is fitted at its display size (1920x1080), then squeezed to ``size`` and tagged ``out_sar``,
    so it shows undistorted where the timeline's own anamorphic media does.
    """
    width, height = size
    scale_flags = f":flags={flags}" if flags else ""
    if out_sar != 1:
        display = (max(2, round(width * out_sar / 2) * 2), height)
        return [*fit_filters(display, mode, anchor, sar=sar, flags=flags),
                f"scale={width}:{height}{scale_flags}",
                f"setsar={out_sar.numerator}/{out_sar.denominator}"]
    square = [] if sar == 1 else ["scale=trunc(iw*sar/2)*2:ih", "setsar=1"]
    if mode == "stretch":
        return [f"scale={width}:{height}{scale_flags}", "setsar=1"]
    if mode == "pad":
        return [*square,
            f"scale={width}:{height}:force_original_aspect_ratio=decrease"
            f":force_divisible_by=2{scale_flags}",
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black",
            "setsar=1",
        ]
    x, y = _CROP_POSITION[anchor]
    return [
        *square,
        f"scale={width}:{height}:force_original_aspect_ratio=increase{scale_flags}",
        f"crop={width}:{height}:{x}:{y}",
        "setsar=1",
    ]
