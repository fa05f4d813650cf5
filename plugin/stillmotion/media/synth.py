"""Synthetic clips with burnt-in frame numbers, for the demo and for frame-accuracy tests.

Why a code and not only text: every frame carries its index twice, as large drawn digits for a
person and as a 16-cell black/white band a test can read back after scaling, padding, cropping
or lossy coding. Cell 0 is always white and cell 15 always black (guards); cells 1..14 hold the
frame index in binary, least significant bit first. No media is committed: it is rendered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stillmotion.files import atomic_path
from stillmotion.media.ffmpeg import filter_arg, media_arg, run
from stillmotion.timecode import format_rate

CODE_CELLS = 16
CODE_BITS = 14
# The band's place as fractions of the picture: x from 10 % to 90 %, y from 40 % to 60 %.
CODE_X0, CODE_X1 = 0.10, 0.90
CODE_Y0, CODE_Y1 = 0.40, 0.60
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


@dataclass(frozen=True)
class ClipSpec:
    """What to render: size, exact rate, frame count, audio and an optional start timecode."""

    width: int
    height: int
    rate: Fraction
    frames: int
    audio_rate: int | None = 48000
    start_timecode: str | None = None
    codec: str = "h264"
    label: str = ""


def code_band_filters(width: int, height: int) -> list[str]:
    """drawbox filters that paint the frame-index band; each bit cell is enabled by ``n``."""
    x0, x1 = round(width * CODE_X0), round(width * CODE_X1)
    y0, y1 = round(height * CODE_Y0), round(height * CODE_Y1)
    cell = (x1 - x0) / CODE_CELLS
    filters = [f"drawbox=x={x0}:y={y0}:w={x1 - x0}:h={y1 - y0}:color=black:t=fill"]

    def box(index: int, enable: str | None) -> str:
        left = round(x0 + index * cell)
        right = round(x0 + (index + 1) * cell)
        spec = f"drawbox=x={left}:y={y0}:w={right - left}:h={y1 - y0}:color=white:t=fill"
        if enable is not None:
            spec += ":enable=" + filter_arg(enable)
        return spec

    filters.append(box(0, None))
    for bit in range(CODE_BITS):
        filters.append(box(bit + 1, f"eq(mod(floor(n/{2**bit}),2),1)"))
    return filters


def _text_filter(width: int, height: int, label: str) -> str | None:
    font = next((f for f in _FONT_CANDIDATES if Path(f).exists()), None)
    if font is None:
        return None
    size = max(12, height // 8)
    text = (label + " " if label else "") + "%{frame_num}"
    return (
        f"drawtext=fontfile={filter_arg(font)}:text={filter_arg(text)}:fontsize={size}"
        f":fontcolor=white:box=1:boxcolor=black@0.6:x=(w-tw)/2:y=h*0.08"
    )


_CODECS = {
    "h264": ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-crf", "18"],
    "dnxhr_hq": ["-c:v", "dnxhd", "-profile:v", "dnxhr_hq", "-pix_fmt", "yuv422p"],
    "mjpeg": ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p"],
}


def render_clip(path: Path, spec: ClipSpec, *, exe: str | None = None) -> Path:
    """Render ``spec`` to ``path`` (extension picks the container); returns the path."""
    rate = format_rate(spec.rate)
    seconds = Fraction(spec.frames) / spec.rate
    chain = [*code_band_filters(spec.width, spec.height)]
    text = _text_filter(spec.width, spec.height, spec.label)
    if text:
        chain.append(text)
    args = [
        "-f", "lavfi",
        "-i", f"testsrc2=size={spec.width}x{spec.height}:rate={rate}",
    ]
    if spec.audio_rate:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={spec.audio_rate}"]
    args += ["-vf", ",".join(chain), "-frames:v", str(spec.frames)]
    args += _CODECS[spec.codec]
    if spec.audio_rate:
        audio_codec = ["-c:a", "aac", "-b:a", "128k"] if spec.codec == "h264" else [
            "-c:a", "pcm_s16le"]
        args += [*audio_codec, "-ac", "2", "-t", f"{float(seconds):.6f}"]
    if spec.start_timecode:
        args += ["-timecode", spec.start_timecode]
    with atomic_path(path) as temp:
        run([*args, "-y", media_arg(temp)], output=path, what="test clip render")
    return path
