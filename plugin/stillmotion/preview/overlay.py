"""What the preview engine draws over pictures: the PREVIEW mark and the no-image backdrop.

Why a fixed mark box: a preview must never pass for a generated take, so every frame carries a
visible mark in a box whose pixel rectangle is known (:func:`mark_rect`). Knowing it lets an
extension erase the old mark from a preview's last frame before animating it (else the burnt-in
mark would drift with the camera), and lets tests mask it. Text needs a font file; without one
the mark is a striking red-and-white box instead.
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

from stillmotion.media.ffmpeg import filter_arg

MARK_TEXT = "PREVIEW"
# Bold sans fonts first (the mark), any sans after; the first one that exists is used.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
_FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts",
                 "~/.local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")
# "PREVIEW" in a bold sans is about 5 em wide; the box leaves room for wider faces.
_MARK_EMS = 5.6


@functools.lru_cache(maxsize=1)
def find_font() -> Path | None:
    """A TrueType/OpenType font on this system (known places first), or None."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    for folder in _FONT_FOLDERS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        fonts = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".ttf", ".otf"))
        sans = [p for p in fonts if "sans" in p.name.lower()]
        if sans or fonts:
            return (sans or fonts)[0]
    return None


def mark_font_size(size: tuple[int, int]) -> int:
    """The mark's font size: a fourteenth of the height, narrower on portrait frames."""
    width, height = size
    return max(8, round(min(height / 14, width / 22)))


def mark_rect(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x, y, w, h) in pixels of the mark box in the top-left corner of a ``size`` frame."""
    width, height = size
    font = mark_font_size(size)
    pad = max(2, font // 3)
    margin = max(2, round(min(width, height) * 0.025))
    return (margin, margin, round(font * _MARK_EMS) + 2 * pad, font + 2 * pad)


def mark_filters(size: tuple[int, int], font: Path | None) -> list[str]:
    """Filters drawing the mark on a ``size`` frame: text in a dark box, or a red box."""
    x, y, w, h = mark_rect(size)
    if font is None:
        line = max(1, h // 8)
        return [
            f"drawbox=x={x}:y={y}:w={w}:h={h}:color=red@0.85:t=fill",
            f"drawbox=x={x + line}:y={y + line}:w={w - 2 * line}:h={h - 2 * line}"
            f":color=white@0.9:t={line}",
        ]
    return [
        f"drawbox=x={x}:y={y}:w={w}:h={h}:color=black@0.55:t=fill",
        f"drawtext=fontfile={filter_arg(str(font))}:text={MARK_TEXT}"
        f":fontsize={mark_font_size(size)}:fontcolor=white@0.92"
        f":x={x}+({w}-text_w)/2:y={y}+({h}-text_h)/2",
    ]


def erase_mark_filter(size: tuple[int, int]) -> str:
    """``delogo`` over the mark box of a ``size`` frame (fills it from its surroundings)."""
    width, height = size
    x, y, w, h = mark_rect(size)
    x0, y0 = max(1, x - 1), max(1, y - 1)
    x1, y1 = min(width - 2, x + w + 1), min(height - 2, y + h + 1)
    return f"delogo=x={x0}:y={y0}:w={x1 - x0}:h={y1 - y0}"


def backdrop_source(size: tuple[int, int]) -> str:
    """A lavfi source for the no-image backdrop: a diagonal three-colour gradient."""
    width, height = size
    return (f"gradients=s={width}x{height}:n=3:c0=0x1b2838:c1=0x3d5a80:c2=0x98707a"
            f":x0=0:y0=0:x1={width}:y1={height}:speed=0:seed=1")


def backdrop_filters(size: tuple[int, int], font: Path | None, text_file: Path | None) -> list[
        str]:
    """A faint grid (so camera moves show) and the prompt text centred, when a font exists."""
    width, height = size
    chain = [f"drawgrid=w={max(8, width // 8)}:h={max(8, height // 8)}:t=1:c=white@0.12"]
    if font is not None and text_file is not None:
        font_size = backdrop_font_size(size)
        chain.append(
            f"drawtext=fontfile={filter_arg(str(font))}:textfile={filter_arg(str(text_file))}"
            f":expansion=none:fontsize={font_size}:fontcolor=white@0.95"
            f":line_spacing={max(2, font_size // 3)}:box=1:boxcolor=black@0.35"
            f":boxborderw={max(2, font_size // 2)}:x=(w-text_w)/2:y=(h-text_h)/2"
        )
    return chain


def backdrop_font_size(size: tuple[int, int]) -> int:
    """The prompt text's font size on the backdrop."""
    width, height = size
    return max(9, round(min(height / 16, width / 24)))


def wrap_prompt(prompt: str, size: tuple[int, int]) -> str:
    """The prompt wrapped to the backdrop's width, cut with an ellipsis where it overflows."""
    width, height = size
    font_size = backdrop_font_size(size)
    columns = max(8, int(width * 0.84 / (font_size * 0.6)))
    rows = max(1, int(height * 0.7 / (font_size * 1.4)))
    lines = textwrap.wrap(" ".join(prompt.split()), columns) or [""]
    if len(lines) > rows:
        lines = lines[:rows]
        lines[-1] = lines[-1][: max(1, columns - 2)].rstrip() + " …"
    return "\n".join(lines)
