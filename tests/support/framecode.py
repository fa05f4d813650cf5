"""Read the burnt-in frame index (see stillmotion.media.synth) back from a decoded picture.

Why: frame accuracy is asserted on pixels, so every test that grabs, trims, conforms or stitches
can say which source frame it got, even after scaling, letterboxing, cropping or lossy coding.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from stillmotion.media import synth


def luma_of_image(path: Path) -> np.ndarray:
    """The first picture of an image or video file as a 2-D luma array (0-255)."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return np.asarray(frame.to_ndarray(format="gray"), dtype=np.float64)


def luma_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a video as luma arrays (for short clips only)."""
    with av.open(str(path)) as container:
        return [np.asarray(f.to_ndarray(format="gray"), dtype=np.float64)
                for f in container.decode(video=0)]


def read_code(
    luma: np.ndarray, rect: tuple[float, float, float, float] | None = None
) -> int | None:
    """The frame index in ``luma``; ``rect`` = (x, y, w, h) of the source picture inside it.

    Returns None when the guard cells do not read as white/black (no code there).
    """
    height, width = luma.shape
    x, y, w, h = rect if rect is not None else (0.0, 0.0, float(width), float(height))
    band_x0 = x + w * synth.CODE_X0
    cell = w * (synth.CODE_X1 - synth.CODE_X0) / synth.CODE_CELLS
    y0 = y + h * synth.CODE_Y0
    y1 = y + h * synth.CODE_Y1
    rows = _middle(y0, y1)

    def level(index: int) -> float:
        left = band_x0 + index * cell
        return float(luma[rows, _middle(left, left + cell)].mean())

    levels = [level(i) for i in range(synth.CODE_CELLS)]
    if levels[0] < 160 or levels[-1] > 96:
        return None
    value = 0
    for bit in range(synth.CODE_BITS):
        cell_level = levels[bit + 1]
        if 96 < cell_level < 160:
            return None
        if cell_level >= 160:
            value |= 1 << bit
    return value


def _middle(start: float, end: float) -> slice:
    """The central 40 % of a span (at least one pixel), away from edges blurred by coding."""
    first = int(start + (end - start) * 0.3)
    return slice(first, max(int(start + (end - start) * 0.7), first + 1))


def fit_rect(
    src: tuple[int, int], dst: tuple[int, int], fit: str
) -> tuple[float, float, float, float]:
    """Where a ``src``-sized picture lands inside ``dst`` for a letterbox/pad or fill/crop fit."""
    sw, sh = src
    dw, dh = dst
    if fit in ("letterbox", "pad"):
        scale = min(dw / sw, dh / sh)
    elif fit in ("fill", "crop"):
        scale = max(dw / sw, dh / sh)
    else:
        return (0.0, 0.0, float(dw), float(dh))
    w, h = sw * scale, sh * scale
    return ((dw - w) / 2, (dh - h) / 2, w, h)
