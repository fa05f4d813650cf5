"""Measure the camera in rendered preview frames: a still of four soft dots, found again per frame.

Why dots: the centroid of a smooth blob is located to a few hundredths of a pixel, so the zoom
(the dots' spacing) and the window centre (where they sit) can be compared with the plan finely
enough to see a one-pixel stair-step. Dots sit at pixel centres, so a dot at normalised x lies
at pixel x*W - 0.5, the convention the camera's corners use.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from stillmotion.media.ffmpeg import media_arg, run

DOTS = ((0.35, 0.35), (0.65, 0.35), (0.35, 0.65), (0.65, 0.65))
DOT_SIGMA = 4.0  # pixels (variance 2*sigma^2 = 32 in the geq exponent)


def render_dot_still(path: Path, size: tuple[int, int]) -> Path:
    """Write a black PNG of ``size`` with the four dots (white Gaussian blobs)."""
    width, height = size
    terms = "+".join(
        f"exp(-((X-{x * width - 0.5})^2+(Y-{y * height - 0.5})^2)/{2 * DOT_SIGMA**2})"
        for x, y in DOTS
    )
    value = f"255*({terms})"
    run(["-f", "lavfi", "-i", f"color=black:s={width}x{height},format=rgb24,"
         f"geq=r={value}:g={value}:b={value}", "-frames:v", "1", "-y", media_arg(path)],
        output=path, what="dot still")
    return path


def luma_frames(path: Path) -> list[np.ndarray]:
    """Every frame's luma as a float array."""
    with av.open(str(path)) as container:
        return [np.asarray(f.to_ndarray(format="gray"), dtype=np.float64)
                for f in container.decode(video=0)]


def rgb_frame(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` as an (H, W, 3) float RGB array."""
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number == index:
                return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.float64)
    raise IndexError(index)


def dot_centroids(luma: np.ndarray, mask: tuple[int, int, int, int]) -> np.ndarray:
    """(4, 2) pixel centroids of the dots, one per frame quadrant; ``mask`` (x, y, w, h) ignored."""
    height, width = luma.shape
    picture = np.clip(luma - 24.0, 0.0, None)
    x, y, w, h = mask
    picture[: y + h + 2, : x + w + 2] = 0.0
    found = []
    for px, py in DOTS:
        cols = slice(0, width // 2) if px < 0.5 else slice(width // 2, width)
        rows = slice(0, height // 2) if py < 0.5 else slice(height // 2, height)
        part = picture[rows, cols]
        yy, xx = np.mgrid[rows, cols]
        weight = part.sum()
        found.append(((part * xx).sum() / weight, (part * yy).sum() / weight))
    return np.array(found)


def measure_camera(
    luma: np.ndarray, mask: tuple[int, int, int, int]
) -> tuple[float, float, float]:
    """(zoom, cx, cy) of the window a frame shows, from the dots' spacing and position."""
    height, width = luma.shape
    dots = dot_centroids(luma, mask)
    span_x = ((dots[1, 0] - dots[0, 0]) + (dots[3, 0] - dots[2, 0])) / 2 / (0.3 * width)
    span_y = ((dots[2, 1] - dots[0, 1]) + (dots[3, 1] - dots[1, 1])) / 2 / (0.3 * height)
    zoom = (span_x + span_y) / 2
    # Output pixel q of a point p: (q + 0.5) / W - 0.5 = (p - c) * zoom.
    cx = float(np.mean([DOTS[i][0] - ((dots[i, 0] + 0.5) / width - 0.5) / zoom
                        for i in range(4)]))
    cy = float(np.mean([DOTS[i][1] - ((dots[i, 1] + 0.5) / height - 0.5) / zoom
                        for i in range(4)]))
    return (float(zoom), cx, cy)
