"""Render sizes of the tiered dialects (Kling, Seedance, Wan) on ``stillmotion serve``.

Why a table of its own: these vendors take a resolution tier (Kling's std/pro mode, Seedance's
``480p``/``720p``/``1080p``, Wan's ``720P``/``1080P``) and an aspect ratio (Seedance's
``ratio``) or the still's own shape (Kling, Wan), never pixels. The double renders at the pixel
size each pair stands for, written here once for the three routers; the client's capability
rows list the same sizes, and the golden-payload tests hold both to the vendors' words.
"""

from __future__ import annotations

from stillmotion.api.capabilities import ratio_word

SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "480p": {"16:9": (864, 480), "9:16": (480, 864), "1:1": (640, 640), "4:3": (736, 544),
             "3:4": (544, 736), "21:9": (992, 432)},
    "720p": {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (960, 960), "4:3": (960, 720),
             "3:4": (720, 960), "21:9": (1680, 720)},
    "1080p": {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1440, 1440),
              "4:3": (1440, 1080), "3:4": (1080, 1440)},
}
"""Pixels per tier and ratio (1080p 21:9 is wider than the preview engine renders)."""


def nearest_ratio(dims: tuple[int, int]) -> str:
    """The ratio name closest to a still's shape (Kling and Wan follow the still)."""
    return ratio_word(dims)


def render_size(tier: str, ratio: str) -> tuple[int, int] | None:
    """The pixel size of ``tier`` at ``ratio``; None when this server cannot render it."""
    return SIZES.get(tier.lower(), {}).get(ratio)
