"""A camera path as one ffmpeg ``perspective`` filter whose corners are evaluated every frame.

Why perspective and not zoompan or crop: zoompan and crop place the window on whole pixels, so
a slow move stair-steps (still for a few frames, then a one-pixel jump). ``perspective`` with
``eval=frame`` samples the source at any real position (1/256 pixel), so zoom and centre follow
the plan continuously. Its ``sense=source`` corners are exactly the window's corners.

The expressions mirror :meth:`stillmotion.preview.path.CameraPath.at` term by term: the value
at the start plus, for every moving segment, its change times the eased share of the segment
already played (0 before it, 1 after it), zoom in log space, the orbit lift as a
4 s (1 - s) bump, the centre kept inside the image. ``in`` is perspective's input frame number,
which counts from 1, so frame n shows t = (in - 1) / fps.
"""

from __future__ import annotations

import math

from stillmotion.media.ffmpeg import filter_arg
from stillmotion.preview.path import CameraPath, Segment


def camera_filter(path: CameraPath, fps: int, *, cubic: bool = True) -> str:
    """The ``perspective=...`` filter (option values escaped) that plays ``path`` at ``fps``."""
    clock = f"((in-1)/{fps})"
    first = path.segments[0].first
    moving = [segment for segment in path.segments if segment.moving]
    zoom_terms = _terms([(math.log(s.last.zoom / s.first.zoom), 0.0, s) for s in moving], clock)
    x_terms = _terms([(s.last.cx - s.first.cx, 0.0, s) for s in moving], clock)
    y_terms = _terms([(s.last.cy - s.first.cy, s.arc, s) for s in moving], clock)
    zoom = f"({_number(first.zoom)}*exp(0{zoom_terms}))"
    cx = f"({_number(first.cx)}{x_terms})"
    cy = f"({_number(first.cy)}{y_terms})"

    def edge(centre: str, size: str, sign: str) -> str:
        # Register 0 holds the zoom, 1 the centre kept inside the image.
        return (f"st(0,{zoom});st(1,clip({centre},0.5/ld(0),1-0.5/ld(0)));"
                f"{size}*(ld(1){sign}0.5/ld(0))")

    left, right = edge(cx, "W", "-"), edge(cx, "W", "+")
    top, bottom = edge(cy, "H", "-"), edge(cy, "H", "+")
    corners = {"x0": left, "y0": top, "x1": right, "y1": top,
               "x2": left, "y2": bottom, "x3": right, "y3": bottom}
    options = ":".join(f"{name}={filter_arg(value)}" for name, value in corners.items())
    interpolation = "cubic" if cubic else "linear"
    return f"perspective={options}:interpolation={interpolation}:sense=source:eval=frame"


def _terms(terms: list[tuple[float, float, Segment]], clock: str) -> str:
    """``+(sum)`` of ``change*s + 4*lift*s*(1-s)`` per segment, s the eased share at ``clock``.

    Segments that do not change this value are left out; the sum is nested as a balanced tree
    because ffmpeg's expression parser refuses long flat chains (about 80 terms).
    """
    parts = []
    for change, lift, segment in terms:
        if abs(change) < 1e-12 and abs(lift) < 1e-12:
            continue
        start = _number(float(segment.start))
        length = _number(float(segment.end - segment.start))
        share = f"clip(({clock}-{start})/{length},0,1)"
        bump = f"+({_number(4.0 * lift)})*ld(3)*(1-ld(3))" if lift else ""
        parts.append(f"(st(2,{share});st(3,ld(2)*ld(2)*(3-2*ld(2)));"
                     f"({_number(change)})*ld(3){bump})")
    return f"+{_balanced(parts)}" if parts else ""


def _balanced(parts: list[str]) -> str:
    """``(a+b)`` nested pairwise, so n terms are only log2(n) parentheses deep."""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return f"({_balanced(parts[:middle])}+{_balanced(parts[middle:])})"


def _number(value: float) -> str:
    """Fixed-point text (no exponent) precise to 1e-12, what ffmpeg's parser reads exactly."""
    text = f"{value:.12f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
