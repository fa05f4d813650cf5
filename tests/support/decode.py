"""Reference pictures for frame tests: decode frames by counting, read stills as RGB.

Why: a grabbed still is checked against an independent path (PyAV decoding every frame from the
start, no seeking, no ffmpeg command line), and its RGB is checked against the source's luma
through the matrix the grab claims to use, so a wrong frame, matrix or range shows up as a number.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import av
import numpy as np

# Luma weights (Kr, Kg, Kb) of the matrices stills are decoded with.
LUMA_WEIGHTS = {
    "bt709": (0.2126, 0.7152, 0.0722),
    "bt601": (0.299, 0.587, 0.114),
}


def decoded_lumas(path: Path, indices: Iterable[int]) -> dict[int, np.ndarray]:
    """Full-range luma (0-255) of the wanted frames of an 8-bit limited-range YUV video.

    Frames are counted while decoding from the start, so the index is the decode order and
    nothing depends on timestamps or seeking.
    """
    wanted = set(indices)
    found: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number in wanted:
                plane = frame.planes[0]
                raw = np.frombuffer(bytes(plane), dtype=np.uint8)
                rows = raw.reshape(plane.height, plane.line_size)[:, : plane.width]
                found[number] = (rows.astype(np.float64) - 16.0) * 255.0 / 219.0
            if len(found) == len(wanted):
                break
    missing = wanted - set(found)
    if missing:
        raise IndexError(f"{path} has no frames {sorted(missing)}")
    return found


def decoded_frame_count(path: Path) -> int:
    """How many frames decode from ``path`` (every frame, no container metadata)."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def image_pixels(path: Path) -> np.ndarray:
    """An image's RGB pixels as stored: uint8 (H, W, 3), or uint16 for 16-bit images."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        if frame.format.name in ("rgb48be", "rgb48le", "rgba64be", "rgba64le"):
            return np.asarray(frame.to_ndarray(format="rgb48le"))
        return np.asarray(frame.to_ndarray(format="rgb24"))


def image_rgb(path: Path) -> np.ndarray:
    """An image's pixels as an (H, W, 3) float array on a 0-255 scale (16-bit PNGs too)."""
    pixels = image_pixels(path)
    scale = 257.0 if pixels.dtype == np.uint16 else 1.0
    return pixels.astype(np.float64) / scale


def luma_from_rgb(rgb: np.ndarray, matrix: str) -> np.ndarray:
    """Full-range luma of RGB pixels with the given matrix's weights."""
    kr, kg, kb = LUMA_WEIGHTS[matrix]
    return np.asarray(kr * rgb[..., 0] + kg * rgb[..., 1] + kb * rgb[..., 2])


def luma_error(luma: np.ndarray, reference: np.ndarray) -> float:
    """Mean absolute difference of two luma pictures (reference clipped to 0-255)."""
    return float(np.abs(luma - np.clip(reference, 0.0, 255.0)).mean())
