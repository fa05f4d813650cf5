"""Exact stills from media: one frame by index, seconds or timecode, the last frame, thumbnails.

Why: the reference image sent to a video job must be exactly the frame under the playhead, at
exactly the provider's size, with the colours a viewer shows. So a frame is picked by index (the
seconds and timecode selectors are turned into an index first, honouring the media's own start
timecode, drop frame included) and found by its presentation time in the stream's own clock (the
stream's start time, which MPEG-TS/PS put on the PCR clock, plus index / rate; edit lists and
B-frame reordering are applied by the demuxer and decoder before timestamps are compared: the
rule of :mod:`stillmotion.media.seek`, which the renderers cut by too). ffmpeg keeps those
timestamps (``-copyts``), seeks before the frame and keeps only the decoded picture whose
timestamp lies within half a frame of it; a seek that lands past the frame's keyframe
(MPEG-TS/PS have no index, so ffmpeg's timestamp search can) yields nothing and is retried
further back, down to decoding from the first frame. The picture is converted to RGB with an
explicit matrix and range (swscale's silent default is BT.601, wrong for untagged HD), fitted
with :mod:`stillmotion.media.fit`, and written atomically in the format the extension names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from stillmotion.errors import ConfigError, MediaError
from stillmotion.files import atomic_path, check_output
from stillmotion.media.colour import source_matrix, source_range
from stillmotion.media.ffmpeg import media_arg, run, seconds_arg
from stillmotion.media.fit import Anchor, FitMode, fit_filters, parse_fit
from stillmotion.media.probe import MediaInfo, VideoFacts, is_yuv_format, probe
from stillmotion.media.seek import frame_window, input_args, seek_candidates
from stillmotion.timecode import Timecode

ImageKind = Literal["png", "jpeg", "webp"]

IMAGE_SUFFIXES: dict[str, ImageKind] = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".webp": "webp",
}
# The grab command's fit words: its "fill" is a stretch (see media/fit.py), unlike conform's.
GRAB_FITS = ("crop", "pad", "fill", "stretch", "letterbox")
ANCHORS: tuple[Anchor, ...] = ("center", "top", "bottom", "left", "right")
DEFAULT_THUMBNAIL_WIDTH = 320
# How far before the end of file the last-frame grab starts decoding (the reference's 0.5 s).
LAST_FRAME_WINDOW = Fraction(1, 2)

# Probe colourspace names -> swscale matrix names.
# Full-precision chroma and rounding in the YUV->RGB step: without them swscale converts at 8 bits
# (a "16-bit" PNG of 8-bit video held only multiples of 257) and less accurately.
_EXACT_RGB = "accurate_rnd+full_chroma_int+full_chroma_inp"
_ENCODE: dict[ImageKind, list[str]] = {
    "png": ["-c:v", "png"],
    "jpeg": ["-c:v", "mjpeg", "-q:v", "2"],
    "webp": ["-c:v", "libwebp", "-lossless", "0", "-quality", "90"],
}


def frame_index_for_seconds(info: MediaInfo, seconds: Fraction) -> int:
    """The index of the frame shown at ``seconds`` from the media's first frame.

    That is floor(seconds x rate): a time inside a frame's display interval picks that frame.
    ConfigError when the time is negative or at/after the end.
    """
    video = info.require_video()
    time = Fraction(seconds)
    last_time = Fraction(video.frame_count) / video.rate
    if time < 0 or time >= last_time:
        raise ConfigError(
            f"{seconds_arg(time)} s is outside {info.path.name}; give seconds from 0 to under "
            f"{seconds_arg(last_time)} (frames 0-{video.frame_count - 1})."
        )
    return math.floor(time * video.rate)


def frame_index_for_timecode(info: MediaInfo, timecode: str) -> int:
    """The index of the frame labelled ``timecode`` in the media's own timecode.

    The media's start timecode is frame 0 (01:00:00:05 on a clip starting at 01:00:00:00 is
    frame 5); drop-frame media count drop-frame labels. A label before the start or after the
    end is a ConfigError naming the clip's first and last timecodes; a clip that crosses
    midnight is followed into the next day.
    """
    video = info.require_video()
    clock = Timecode(video.rate, video.drop_frame)
    text = timecode.strip()
    if not video.drop_frame and text.rstrip("0123456789")[-1:] in (";", ","):
        raise ConfigError(
            f"{info.path.name} has non-drop-frame timecode; write '{timecode}' with ':' before "
            "the frames."
        )
    day = clock.to_frames("24:00:00:00")
    first = video.start_frame
    last = first + video.frame_count - 1
    index = clock.to_frames(text) - first
    if index < 0 and last >= day:
        index += day  # the clip runs past midnight: small labels are in the next day
    if index < 0 or index >= video.frame_count:
        where = "before the start" if index < 0 else "past the end"
        raise ConfigError(
            f"Timecode {text} is {where} of {info.path.name}; give one from "
            f"{clock.to_text(first % day)} to {clock.to_text(last % day)}."
        )
    return index


def grab_frame(
    media: Path,
    output: Path,
    *,
    frame: int | None = None,
    seconds: Fraction | None = None,
    timecode: str | None = None,
    size: tuple[int, int] | None = None,
    fit: str = "crop",
    anchor: str = "center",
    sixteen_bit: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write one exact frame of ``media`` to ``output`` (.png, .jpg/.jpeg or .webp).

    Exactly one of ``frame`` (0-based index), ``seconds`` (from the first frame) or ``timecode``
    (the media's own timecode) selects it. ``size`` fits it to an exact WxH by ``fit`` (crop,
    pad or fill = stretch) at ``anchor``; ``sixteen_bit`` writes a 48-bit RGB PNG. Returns the
    absolute output path.
    """
    chosen = [name for name, value in
              (("frame", frame), ("seconds", seconds), ("timecode", timecode)) if value is not None]
    if len(chosen) != 1:
        raise ConfigError("Choose the frame with exactly one of a frame index, seconds or a "
                          "timecode.")
    target = check_output(output, inputs=[media], overwrite=overwrite)
    kind = image_kind(output, sixteen_bit=sixteen_bit)
    fit_chain = _fit_chain(size, fit, anchor)
    info = probe(media)
    video = info.require_video()
    if frame is not None:
        index = _check_index(info, frame)
    elif seconds is not None:
        index = frame_index_for_seconds(info, seconds)
    else:
        assert timecode is not None
        index = frame_index_for_timecode(info, timecode)
    _write_still(
        frame_passes(info, index), info=info, fit=fit_chain(video), target=target, kind=kind,
        sixteen_bit=sixteen_bit, what=f"Grabbing frame {index} of {info.path.name}",
    )
    return target


@dataclass(frozen=True)
class DecodePass:
    """One ffmpeg decode that may yield the wanted picture: input options and picking filters."""

    inputs: list[str]
    pick: list[str]


def frame_passes(info: MediaInfo, index: int) -> list[DecodePass]:
    """The decodes that find frame ``index`` by its presentation time, cheapest first.

    The seeks and the time window are :mod:`stillmotion.media.seek`'s (the renderers cut by the
    same rule). Every seeking pass keeps only a picture inside the frame's window and stops
    decoding just after it, so a seek that lands too late yields nothing rather than a wrong
    frame. The last pass decodes from the first frame and keeps the first picture from the
    window on (with variable frame rate, the next picture shown when none falls in it).
    """
    window = frame_window(info.require_video(), index)
    passes = [DecodePass(input_args(info, seek), [window.stop(), window.select()])
              for seek in seek_candidates(info, index)]
    passes.append(DecodePass(input_args(info, None), [window.from_since()]))
    return passes


def last_frame(
    media: Path,
    output: Path,
    *,
    size: tuple[int, int] | None = None,
    fit: str = "crop",
    anchor: str = "center",
    sixteen_bit: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write the last decodable frame of ``media`` (for extending a clip from its end).

    Decodes from half a second before the end of file (``-sseof``, widened by any audio that
    runs past the picture) and keeps the final picture (``-update 1``), so it holds even when
    the container's frame count is wrong.
    """
    target = check_output(output, inputs=[media], overwrite=overwrite)
    kind = image_kind(output, sixteen_bit=sixteen_bit)
    fit_chain = _fit_chain(size, fit, anchor)
    info = probe(media)
    video = info.require_video()
    window = LAST_FRAME_WINDOW + max(Fraction(0), info.duration - video.duration)
    _write_still(
        [DecodePass(["-sseof", "-" + seconds_arg(window), "-i", media_arg(media)], [])], info=info,
        fit=fit_chain(video), target=target, kind=kind, sixteen_bit=sixteen_bit,
        what=f"Grabbing the last frame of {info.path.name}",
        single=False,
    )
    return target


def thumbnail(
    media: Path,
    output: Path,
    *,
    width: int = DEFAULT_THUMBNAIL_WIDTH,
    frame: int | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a small still ``width`` pixels wide (the middle frame unless ``frame`` is given).

    The height keeps the picture's display aspect (even, for any later video use); the format
    follows the extension (WebP or JPEG keep review pages light).
    """
    if not 16 <= width <= 8192:
        raise ConfigError(f"Thumbnail width {width} is out of range; give 16 to 8192 pixels.")
    video = probe(media).require_video()
    display_width = Fraction(video.width) * video.sar
    height = max(2, round(width * video.height / display_width / 2) * 2)
    index = video.frame_count // 2 if frame is None else frame
    return grab_frame(media, output, frame=index, size=(width, height), fit="stretch",
                      overwrite=overwrite)


def fit_image(
    image: Path,
    output: Path,
    size: tuple[int, int],
    *,
    fit: str = "crop",
    anchor: str = "center",
    overwrite: bool = False,
    sixteen_bit: bool = False,
) -> Path:
    """Fit an existing still (e.g. a Resolve export) to exactly ``size`` by crop, pad or fill."""
    target = check_output(output, inputs=[image], overwrite=overwrite)
    kind = image_kind(output, sixteen_bit=sixteen_bit)
    fit_chain = _fit_chain(size, fit, anchor)
    info = probe(image)
    video = info.require_video()
    _write_still(
        [DecodePass(["-i", media_arg(image)], [])], info=info, fit=fit_chain(video),
        target=target, kind=kind, sixteen_bit=sixteen_bit, what=f"Fitting {info.path.name}",
    )
    return target


def image_kind(output: Path, *, sixteen_bit: bool = False) -> ImageKind:
    """The still format an output name asks for; ConfigError for other extensions."""
    kind = IMAGE_SUFFIXES.get(Path(output).suffix.lower())
    if kind is None:
        raise ConfigError(
            f"Cannot write a still to {Path(output).name}; end the name in .png, .jpg or .webp."
        )
    if sixteen_bit and kind != "png":
        raise ConfigError("16-bit stills need a .png output; change the extension or drop 16-bit.")
    return kind


def grab_fit_mode(name: str) -> FitMode:
    """The fit mode for the grab command's words (its ``fill`` stretches to the exact size)."""
    if name.strip().lower() == "fill":
        return "stretch"
    return parse_fit(name, allowed=GRAB_FITS)


def parse_anchor(name: str) -> Anchor:
    """An anchor word (``centre`` accepted); ConfigError naming the choices otherwise."""
    key = name.strip().lower().replace("centre", "center")
    for anchor in ANCHORS:
        if key == anchor:
            return anchor
    raise ConfigError(f"Unknown anchor '{name}'; choose one of: {', '.join(ANCHORS)}.")


def _fit_chain(
    size: tuple[int, int] | None, fit: str, anchor: str
) -> _FitChain:
    """Validate the fit request up front (before any work) and return the chain builder."""
    mode = grab_fit_mode(fit)
    where = parse_anchor(anchor)
    if size is not None:
        width, height = size
        if not (1 <= width <= 16384 and 1 <= height <= 16384):
            raise ConfigError(f"Size {width}x{height} is out of range; give 1 to 16384 pixels.")
    return _FitChain(size, mode, where)


class _FitChain:
    """The fit filters for a given source (its SAR is only known after probing)."""

    def __init__(self, size: tuple[int, int] | None, mode: FitMode, anchor: Anchor) -> None:
        self.size = size
        self.mode = mode
        self.anchor = anchor

    def __call__(self, video: VideoFacts) -> list[str]:
        if self.size is not None:
            return fit_filters(self.size, self.mode, self.anchor, sar=video.sar)
        if video.sar != 1:
            # No size asked: still show non-square pixels at their display shape.
            display = (max(1, round(video.width * video.sar)), video.height)
            return fit_filters(display, "stretch")
        return []


def _check_index(info: MediaInfo, index: int) -> int:
    video = info.require_video()
    if not 0 <= index < video.frame_count:
        raise ConfigError(
            f"Frame {index} is out of range for {info.path.name}; give a frame from 0 to "
            f"{video.frame_count - 1}."
        )
    return index


def _rgb_filters(video: VideoFacts, sixteen_bit: bool) -> list[str]:
    """Turn decoded pictures into full-range RGB with the source's own matrix, explicitly.

    Untagged YUV is read as BT.709 above SD sizes and BT.601 at SD (the players' convention),
    limited range unless the format is a full-range 'yuvj' one or a JPEG.
    """
    rgb = "rgb48be" if sixteen_bit else "rgb24"
    if video.pix_fmt is None or not is_yuv_format(video.pix_fmt):
        return [f"format={rgb}"]
    matrix = source_matrix(video)
    in_range = source_range(video)
    return [
        f"scale=in_color_matrix={matrix}:in_range={in_range}:out_range=pc:flags={_EXACT_RGB}",
        f"format={rgb}",
    ]


def _encoder_filters(kind: ImageKind, sixteen_bit: bool) -> list[str]:
    """The encoder's own pixel format, converted explicitly (JPEG is BT.601 full range)."""
    if kind == "jpeg":
        return ["scale=out_color_matrix=bt601:out_range=pc", "format=yuvj444p"]
    if kind == "webp":
        return ["format=bgra"]
    return ["format=rgb48be" if sixteen_bit else "format=rgb24"]


def _write_still(
    passes: list[DecodePass],
    *,
    info: MediaInfo,
    fit: list[str],
    target: Path,
    kind: ImageKind,
    sixteen_bit: bool,
    what: str,
    single: bool = True,
) -> None:
    """Run the decode passes in turn into a temporary sibling of ``target`` until one gives a
    picture, then rename it; MediaError when none does.

    ``single`` stops after one picture; otherwise every decoded picture overwrites the image
    and the last one stays (the last-frame grab).
    """
    video = info.require_video()
    chain = [*_rgb_filters(video, sixteen_bit), *fit, *_encoder_filters(kind, sixteen_bit)]
    with atomic_path(target) as temp:
        for attempt in passes:
            args = [
                *attempt.inputs,
                "-map", "0:v:0", "-an", "-sn", "-dn",
                "-vf", ",".join([*attempt.pick, *chain]),
                *(["-frames:v", "1"] if single else []),
                *_ENCODE[kind],
                "-fps_mode", "passthrough",
                "-f", "image2", "-update", "1", "-y", media_arg(temp),
            ]
            run(args, output=target, what=what)
            if temp.exists() and temp.stat().st_size > 0:
                return
        temp.unlink(missing_ok=True)
        raise MediaError(
            f"{what} gave no picture; {info.path.name} may be truncated or damaged: "
            "re-export or re-download it.",
            path=info.path,
        )
