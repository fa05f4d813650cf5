"""Plates for finishing: a frame range of a clip as an EXR/DPX sequence or a 4:4:4 movie.

Why here: a VFX turnover needs the frames of a generated clip that a cut uses, plus handles, in
a finishing format at a known bit depth (EXR half float, DPX 10-bit, ProRes 4444, DNxHR 444 or
HQX), numbered from 1001 and carrying the record timecode. The frames are taken from the
original download through the same ``fps`` rule the conform used, so plate frame ``j`` shows
what the conformed clip's frame ``first + j`` shows, at the original's full quality and size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stillmotion.errors import ConfigError, MediaError
from stillmotion.media.colour import source_matrix, source_range
from stillmotion.media.conform import COLOUR_TAGS, colour_filters, round_half_up
from stillmotion.media.ffmpeg import Progress, media_arg, run
from stillmotion.media.imageheaders import (
    stamp_dpx_colour,
    stamp_exr_chromaticities,
    stamp_timecode,
)
from stillmotion.media.plate_formats import PLATE_FORMATS, PlateFormat, plate_format
from stillmotion.media.platecolour import PlateColour, plate_colour, to_colour_filters
from stillmotion.media.probe import VideoFacts, probe
from stillmotion.timecode import Timecode, format_rate

# The format table lives in stillmotion.media.plate_formats (light enough for help texts and the
# Resolve form); the modules that write plates import it from here, with the writer.
__all__ = [
    "PLATE_FORMATS", "FrameCallback", "ImageSequence", "PlateFormat", "check_colour_space",
    "check_plate_size", "extract_frames", "find_sequences", "frames_after_rate", "plate_files",
    "plate_format", "sequence_name", "sequence_to_movie", "write_plate",
]

FrameCallback = Callable[[int, int], None]
"""Progress in frames: (frames written so far, frames in the plate)."""


def check_colour_space(name: str, fmt: PlateFormat | None = None) -> str:
    """The colour space name, normalised; ConfigError for one stillmotion cannot write, or
    cannot write in ``fmt`` (linear ACEScg is float EXR only)."""
    return plate_colour(name, float_sequence=fmt is None or fmt.pix_fmt.endswith("f32le"),
                        format_name=fmt.name if fmt is not None else "").name


def check_plate_size(fmt: PlateFormat, size: tuple[int, int], source: Path) -> None:
    """ConfigError for a picture the format's encoder refuses (DNxHR needs 256x120)."""
    if size[0] < fmt.min_size[0] or size[1] < fmt.min_size[1]:
        raise ConfigError(
            f"{fmt.name} needs pictures of at least {fmt.min_size[0]}x{fmt.min_size[1]} and "
            f"{source.name} is {size[0]}x{size[1]}; choose exr, dpx or prores4444.")


def plate_files(fmt: PlateFormat, stem: str, count: int, start_number: int) -> list[str]:
    """The names :func:`write_plate` gives the files of a plate."""
    if not fmt.sequence:
        return [f"{stem}{fmt.suffix}"]
    return [f"{sequence_name(stem, start_number + i)}{fmt.suffix}" for i in range(count)]


def frames_after_rate(video: VideoFacts, rate: Fraction) -> int:
    """How many frames ``video`` has once brought to ``rate`` by the ``fps`` rule."""
    if video.rate == rate:
        return video.frame_count
    return round_half_up(video.frame_count * rate / video.rate)


def _picture_filters(video: VideoFacts, fmt: PlateFormat, colour: PlateColour) -> list[str]:
    """Colour conversion into the format's pixels (RGB formats get an explicit matrix); other
    colour spaces than the generated BT.709 go through zscale (:mod:`platecolour`)."""
    if colour.name != "rec709":
        tags = [] if fmt.sequence else [f"setparams={colour.tags}"]
        return [*to_colour_filters(video, colour, fmt.pix_fmt), *tags]
    if fmt.pix_fmt.startswith("gbr"):
        if video.pix_fmt is not None and video.pix_fmt.startswith(("gbr", "rgb", "bgr")):
            return [f"format={fmt.pix_fmt}"]
        return [f"scale=in_color_matrix={source_matrix(video)}:in_range={source_range(video)}",
                f"format={fmt.pix_fmt}"]
    return [*colour_filters(video), f"format={fmt.pix_fmt}", f"setparams={COLOUR_TAGS}"]


def sequence_name(stem: str, number: int) -> str:
    """The file name of frame ``number`` of a sequence: ``stem.1001.exr`` style, 4+ digits."""
    return f"{stem}.{number:04d}"


def write_plate(
    source: Path,
    folder: Path,
    stem: str,
    fmt: PlateFormat,
    *,
    rate: Fraction,
    first: int,
    count: int,
    start_number: int,
    timecode: str,
    drop_frame: bool = False,
    on_frames: FrameCallback | None = None,
    colour_space: str = "rec709",
) -> list[Path]:
    """Write frames ``first`` .. ``first + count - 1`` of ``source`` (counted at ``rate``).

    A sequence is ``folder/stem.NNNN.ext`` from ``start_number``, each frame's header stamped
    with its timecode (``timecode`` is the first frame's) and ``colour_space`` (EXR
    chromaticities, DPX transfer and colorimetric codes); a movie is ``folder/stem.ext`` with a
    timecode track and colour tags. Returns the files written; MediaError if ffmpeg wrote
    another count.
    """
    colour = plate_colour(check_colour_space(colour_space, fmt))
    video = probe(source).require_video()
    check_plate_size(fmt, video.size, source)
    chain = [
        f"fps={format_rate(rate)}",
        f"trim=start_frame={first}:end_frame={first + count}",
        "setpts=PTS-STARTPTS",
        *_picture_filters(video, fmt, colour),
    ]
    if fmt.sequence:
        target = folder / f"{stem}.%04d{fmt.suffix}"
        muxer = ["-start_number", str(start_number), "-f", "image2"]
        tags: list[str] = []
    else:
        target = folder / f"{stem}{fmt.suffix}"
        muxer = ["-timecode", timecode]
        tags = list(colour.options)

    def progress(event: Progress) -> None:
        if on_frames is not None:
            on_frames(count if event.done else min(event.frame, count), count)

    run(["-i", media_arg(source), "-map", "0:v:0", "-vf", ",".join(chain), "-an",
         "-frames:v", str(count), *fmt.codec_args, "-pix_fmt", fmt.pix_fmt, *tags,
         "-r", format_rate(rate), *muxer, "-y", media_arg(target)],
        output=target, total_seconds=float(count / rate), on_progress=progress,
        what=f"Writing the {fmt.name} plate {stem}")
    if not fmt.sequence:
        written = probe(target).require_video().frame_count
        if written != count:
            raise MediaError(f"The plate {target.name} has {written} frames instead of {count}; "
                             "the original download may be damaged: re-download it.",
                             path=target)
        return [target]
    files = [folder / name for name in plate_files(fmt, stem, count, start_number)]
    missing = [f for f in files if not f.exists()]
    if missing:
        raise MediaError(f"The plate {stem} has {count - len(missing)} frames instead of "
                         f"{count}; the original download may be damaged: re-download it.",
                         path=folder)
    clock = Timecode(rate, drop_frame=drop_frame)
    start = clock.to_frames(timecode)
    for index, path in enumerate(files):
        stamp_timecode(path, clock.to_text(start + index))
        if fmt.suffix == ".exr":
            stamp_exr_chromaticities(path, colour.chromaticities)
        else:
            stamp_dpx_colour(path, colour.dpx_code)
    return files


_NUMBERED = re.compile(r"^(?P<stem>.+?)[._](?P<number>\d{3,8})$")


@dataclass(frozen=True)
class ImageSequence:
    """Numbered frames ``stem.NNNN.ext`` in one folder: first number, count and digits."""

    folder: Path
    stem: str
    suffix: str
    first: int
    count: int
    digits: int
    separator: str = "."

    @property
    def pattern(self) -> Path:
        """The ffmpeg ``image2`` pattern for the frames."""
        return self.folder / f"{self.stem}{self.separator}%0{self.digits}d{self.suffix}"

    def path(self, number: int) -> Path:
        return self.folder / f"{self.stem}{self.separator}{number:0{self.digits}d}{self.suffix}"


def find_sequences(folder: Path, suffixes: tuple[str, ...] = (".exr", ".dpx")) -> list[
        ImageSequence]:
    """The image sequences directly in ``folder``; MediaError for one with a missing frame."""
    groups: dict[tuple[str, str, str, int], list[int]] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in suffixes or not path.is_file():
            continue
        match = _NUMBERED.match(path.stem)
        if match is None:
            continue
        sep = path.stem[len(match["stem"])]
        key = (match["stem"], path.suffix, sep, len(match["number"]))
        groups.setdefault(key, []).append(int(match["number"]))
    found: list[ImageSequence] = []
    for (stem, suffix, sep, digits), numbers in sorted(groups.items()):
        numbers.sort()
        if numbers[-1] - numbers[0] + 1 != len(numbers):
            gaps = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
            raise MediaError(f"The image sequence {stem} in {folder} misses frame {gaps[0]}; "
                             "render the missing frames again.", path=folder)
        found.append(ImageSequence(folder, stem, suffix, numbers[0], len(numbers), digits, sep))
    return found


def sequence_to_movie(sequence: ImageSequence, output: Path, rate: Fraction) -> Path:
    """The frames of ``sequence`` as a lossless 16-bit PNG-in-MOV at ``rate``, for conforming.

    Why a movie: every later step (probe, conform, frame checks) reads movies; PNG in MOV keeps
    16 bits per channel and lists every frame in its index.
    """
    run(["-framerate", format_rate(rate), "-start_number", str(sequence.first),
         "-i", media_arg(sequence.pattern), "-frames:v", str(sequence.count),
         "-vf", "format=rgb48be",
         "-c:v", "png", "-y", media_arg(output)],
        output=output, what=f"Reading the image sequence {sequence.stem}")
    return output


def extract_frames(source: Path, output: Path, first: int, count: int, *,
                   sound: bool = False) -> Path:
    """Frames ``first`` .. ``first + count - 1`` of ``source`` (its own frames, no rate change)
    as a lossless 16-bit PNG-in-MOV at the source's rate, for conforming the cut of a version;
    with ``sound``, the source's first audio stream over the same span comes along (PCM)."""
    info = probe(source)
    video = info.require_video()
    audio: list[str] = []
    if sound and info.audio is not None:
        start, length = Fraction(first) / video.rate, Fraction(count) / video.rate
        audio = ["-map", "0:a:0", "-af", f"atrim=start={float(start)!r}:duration="
                 f"{float(length)!r},asetpts=PTS-STARTPTS", "-c:a", "pcm_s24le"]
    run(["-i", media_arg(source), "-map", "0:v:0",
         "-vf", f"trim=start_frame={first}:end_frame={first + count},setpts=PTS-STARTPTS,"
         "format=rgb48be", *(audio or ["-an"]), "-frames:v", str(count), "-c:v", "png",
         "-r", format_rate(video.rate), "-y", media_arg(output)],
        output=output, what=f"Cutting {source.name} to the cut")
    written = probe(output).require_video().frame_count
    if written != count:
        raise MediaError(f"{source.name} gave {written} frames of the cut instead of {count}; "
                         "it may be damaged: export it again.", path=source)
    return output
