"""How a source's YUV is to be read: its colour matrix and range, with the players' defaults.

Why one place: the still a job is generated from (frames) and the clip conformed back
(conform) must read the same source the same way, or the generated clip's colours would not
match the shot it continues.
"""

from __future__ import annotations

from stillmotion.media.probe import VideoFacts

# swscale matrix names by the colour-space tag a probe reports.
_MATRIX = {
    "bt709": "bt709",
    "smpte170m": "bt601",
    "bt470bg": "bt601",
    "bt2020nc": "bt2020",
    "bt2020c": "bt2020",
    "smpte240m": "smpte240m",
}


def source_matrix(video: VideoFacts) -> str:
    """The tagged matrix, else BT.709 above SD sizes and BT.601 at SD (untagged convention)."""
    matrix = _MATRIX.get(video.colorspace or "")
    if matrix is None:
        matrix = "bt709" if video.width > 1024 or video.height > 576 else "bt601"
    return matrix


def source_range(video: VideoFacts) -> str:
    """``pc`` (full) or ``tv`` (limited): the tag, else full for 'yuvj' formats and JPEG."""
    if video.color_range in ("pc", "tv"):
        return video.color_range
    full = (video.pix_fmt or "").startswith("yuvj") or video.codec == "mjpeg"
    return "pc" if full else "tv"
