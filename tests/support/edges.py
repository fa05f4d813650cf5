"""Compare a preview's edge frame with the still it must match, leaving out the PREVIEW mark.

Why the mark is left out: the engine keeps its mark on every frame, the edges included (see
stillmotion.preview.render), so "the edge is the still" is measured everywhere else. The mark's
box is known for the size the preview was rendered at and is scaled into the frame measured
(after a conform to another size), with a pixel of margin for the scaler's spread.
"""

from __future__ import annotations

import math

import numpy as np

from stillmotion.preview.overlay import mark_rect


def mark_box(rendered: tuple[int, int], shown: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixels covering the mark of a ``rendered``-size preview shown at
    ``shown`` size."""
    x, y, w, h = mark_rect(rendered)
    sx, sy = shown[0] / rendered[0], shown[1] / rendered[1]
    return (max(0, math.floor(x * sx) - 1), max(0, math.floor(y * sy) - 1),
            math.ceil((x + w) * sx) + 1, math.ceil((y + h) * sy) + 1)


def mad_outside(picture: np.ndarray, still: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mean absolute luma difference of two same-sized pictures outside ``box``."""
    x0, y0, x1, y1 = box
    keep = np.ones(picture.shape, dtype=bool)
    keep[y0:y1, x0:x1] = False
    return float(np.abs(picture - still)[keep].mean())
