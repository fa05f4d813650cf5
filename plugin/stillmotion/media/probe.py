"""Stream facts of a media file through PyAV: exact rates, size, colour, timecode, frame count.

Why PyAV and not ffprobe: the bundled imageio-ffmpeg build ships no ffprobe, and PyAV gives exact
rational rates and time bases. This is the only module that imports ``av``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from stillmotion.errors import ProbeError
from stillmotion.timecode import Timecode, format_rate, supports_drop_frame

# AVColorPrimaries / AVColorTransferCharacteristic / AVColorSpace / AVColorRange names by number.
_PRIMARIES = {1: "bt709", 2: None, 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
              8: "film", 9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432"}
_TRC = {1: "bt709", 2: None, 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m",
        8: "linear", 13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084",
        18: "arib-std-b67"}
_SPACE = {0: "gbr", 1: "bt709", 2: None, 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
          9: "bt2020nc", 10: "bt2020c"}
_RANGE = {0: None, 1: "tv", 2: "pc"}
MOVIE_SUFFIXES = frozenset({".mov", ".mp4", ".m4v", ".mxf", ".webm", ".mkv"})
"""File suffixes read as movies where a folder is searched for them (review, ingest)."""
# PyAV before 19 raises on a tag that is not UTF-8 unless told to ignore it; 19 removed the option
# (open() refuses it) and keeps such bytes as lone surrogates, which _tags drops the same way.
_OPEN_OPTIONS: dict[str, Any] = (
    {"metadata_errors": "ignore"} if int(av.__version__.split(".")[0]) < 19 else {})


@dataclass(frozen=True)
class VideoFacts:
    """The first video stream."""

    codec: str
    profile: str | None
    width: int
    height: int
    sar: Fraction
    pix_fmt: str | None
    rate: Fraction
    time_base: Fraction
    frame_count: int
    duration: Fraction
    color_primaries: str | None
    color_trc: str | None
    colorspace: str | None
    color_range: str | None
    start_timecode: str | None
    # When the first frame is shown, in seconds of the stream's own clock (after edit lists and
    # B-frame reordering): non-zero in MPEG-TS/PS (the PCR clock), zero in most MP4/MOV/MKV.
    start_time: Fraction = Fraction(0)

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def drop_frame(self) -> bool:
        return self.start_timecode is not None and ";" in self.start_timecode

    @property
    def start_frame(self) -> int:
        """The start timecode as a frame count at this stream's rate (0 without a timecode)."""
        if self.start_timecode is None:
            return 0
        return Timecode(self.rate, self.drop_frame).to_frames(self.start_timecode)


@dataclass(frozen=True)
class AudioFacts:
    """The first audio stream."""

    codec: str
    sample_rate: int
    channels: int
    layout: str | None


@dataclass(frozen=True)
class MediaInfo:
    """What stillmotion needs to know about a media file."""

    path: Path
    container: str
    duration: Fraction
    video: VideoFacts | None
    audio: AudioFacts | None
    tags: dict[str, str]
    # The container's start (the earliest stream's), which ffmpeg's input ``-ss`` is counted from.
    start_time: Fraction = Fraction(0)

    def require_video(self) -> VideoFacts:
        """The video stream, or ProbeError naming the file."""
        if self.video is None:
            raise ProbeError(f"{self.path.name} has no video stream; pick a video file.",
                             path=self.path)
        return self.video

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: fractions as exact 'num/den' strings, sizes as 'WxH'."""
        def convert(value: Any) -> Any:
            if isinstance(value, Fraction):
                return format_rate(value)
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            return value

        data: dict[str, Any] = convert(asdict(self))
        if self.video is not None:
            data["video"]["size"] = f"{self.video.width}x{self.video.height}"
            data["video"]["duration_seconds"] = float(self.video.duration)
        data["duration_seconds"] = float(self.duration)
        return data


def probe(path: Path | str, *, count_frames: bool = False) -> MediaInfo:
    """Probe ``path``; ProbeError for a missing, empty, non-media or truncated file.

    ``count_frames`` demuxes every video packet (no decoding) for an exact count even where the
    container's frame count is absent or wrong.
    """
    media = Path(path)
    if not media.exists():
        raise ProbeError(f"{media} does not exist; check the path.", path=media)
    if media.is_dir():
        raise ProbeError(f"{media} is a folder, not a media file.", path=media)
    if media.stat().st_size == 0:
        raise ProbeError(f"{media.name} is empty (0 bytes); re-export or re-download it.",
                         path=media)
    try:
        with av.open(str(media), **_OPEN_OPTIONS) as container:
            return _facts(media, container, count_frames)
    except av.FFmpegError as exc:
        raise ProbeError(
            f"{media.name} is not readable media ({_reason(exc)}); it may be truncated or not a "
            "video: re-export or re-download it.",
            path=media,
        ) from exc


def is_yuv_format(pix_fmt: str) -> bool:
    """Whether ``pix_fmt`` carries chroma planes, so turning it into RGB needs a colour matrix.

    Why here: the answer comes from libav's pixel-format descriptor (PyAV), and gray, palette and
    RGB formats must not be given a YUV matrix or range.
    """
    try:
        described = av.VideoFormat(pix_fmt)
    except (ValueError, av.FFmpegError):
        return False
    return any(component.is_chroma for component in described.components)


def audio_duration(path: Path | str) -> Fraction | None:
    """The first audio stream's exact length; None when the file has no audio stream.

    Why: a stream-copy join must be checked sample for sample (its cuts fall on audio packets),
    and container durations are rounded. PCM with an index (MOV/MP4 sample tables count every
    sample) is read from the index without touching the media data; anything else is the sum
    of its packet durations, which demuxes the whole file.
    """
    media = Path(path)
    try:
        with av.open(str(media), **_OPEN_OPTIONS) as container:
            stream = next((s for s in container.streams.audio), None)
            if stream is None:
                return None
            time_base = Fraction(stream.time_base or Fraction(1, stream.codec_context.sample_rate))
            if stream.codec_context.name.startswith("pcm_") and stream.duration:
                return int(stream.duration) * time_base
            ticks = sum(int(packet.duration or 0) for packet in container.demux(stream)
                        if packet.size)
            return ticks * time_base
    except av.FFmpegError as exc:
        raise ProbeError(
            f"{media.name} is not readable media ({_reason(exc)}); re-export or re-download it.",
            path=media,
        ) from exc


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(":")[-1].strip() or "unknown error"


def _tags(metadata: Any) -> dict[str, str]:
    """Tags as text without the bytes that were not UTF-8 (lone surrogates no encoder accepts)."""
    return {_utf8(k): _utf8(v) for k, v in (metadata or {}).items()}


def _utf8(value: object) -> str:
    return str(value).encode("utf-8", "ignore").decode("utf-8")


def _facts(media: Path, container: Any, count_frames: bool) -> MediaInfo:
    tags = _tags(container.metadata)
    video_stream = next((s for s in container.streams.video), None)
    audio_stream = next((s for s in container.streams.audio), None)
    duration = Fraction(container.duration or 0, 1_000_000)
    start = Fraction(container.start_time or 0, 1_000_000)
    timecode = tags.get("timecode")
    for stream in container.streams:
        timecode = timecode or _tags(stream.metadata).get("timecode")
    video = None
    if video_stream is not None:
        video = _video_facts(container, video_stream, duration, timecode, count_frames, start)
    audio = None
    if audio_stream is not None:
        ctx = audio_stream.codec_context
        layout = getattr(ctx, "layout", None)
        audio = AudioFacts(
            codec=ctx.name,
            sample_rate=int(ctx.sample_rate or 0),
            channels=int(ctx.channels or 0),
            layout=getattr(layout, "name", None),
        )
    if video is None and audio is None:
        raise ProbeError(f"{media.name} has no audio or video streams; it is not media.",
                         path=media)
    return MediaInfo(media, container.format.name, duration, video, audio, tags, start)


def _video_facts(
    container: Any, stream: Any, container_duration: Fraction, timecode: str | None,
    count_frames: bool, container_start: Fraction,
) -> VideoFacts:
    ctx = stream.codec_context
    rate = Fraction(stream.average_rate or stream.guessed_rate or stream.base_rate or 0)
    time_base = Fraction(stream.time_base or 0)
    if stream.duration is not None and time_base:
        duration = stream.duration * time_base
    else:
        duration = container_duration
    start = container_start
    if stream.start_time is not None and time_base:
        start = stream.start_time * time_base
    frames = int(stream.frames or 0)
    if count_frames or frames <= 0 or _hidden_by_edit_list(frames, duration, rate):
        frames = _count_packets(container, stream)
    if not rate and duration:
        rate = Fraction(frames) / duration
    if timecode and ";" not in timecode and supports_drop_frame(rate) and "." in timecode:
        timecode = timecode.replace(".", ";")
    sar = Fraction(stream.sample_aspect_ratio or ctx.sample_aspect_ratio or 1)
    return VideoFacts(
        codec=ctx.name,
        profile=getattr(ctx, "profile", None),
        width=int(ctx.width),
        height=int(ctx.height),
        sar=sar if sar > 0 else Fraction(1),
        pix_fmt=ctx.pix_fmt,
        rate=rate,
        time_base=time_base,
        frame_count=frames,
        duration=duration,
        color_primaries=_PRIMARIES.get(int(ctx.color_primaries or 2)),
        color_trc=_TRC.get(int(ctx.color_trc or 2)),
        colorspace=_SPACE.get(int(ctx.colorspace if ctx.colorspace is not None else 2)),
        color_range=_RANGE.get(int(ctx.color_range or 0)),
        start_timecode=timecode,
        start_time=start,
    )


def _hidden_by_edit_list(frames: int, duration: Fraction, rate: Fraction) -> bool:
    """Whether the container counts more pictures than its stream lasts, as an MP4/MOV edit
    list that hides a trimmed GOP's leading pictures leaves it (the count includes them)."""
    return bool(rate and duration) and frames > round(duration * rate)


def _count_packets(container: Any, stream: Any) -> int:
    """Pictures shown: packets with data that no edit list marks for discarding."""
    count = 0
    container.seek(0)
    for packet in container.demux(stream):
        if packet.size and not packet.is_discard:
            count += 1
    return count
