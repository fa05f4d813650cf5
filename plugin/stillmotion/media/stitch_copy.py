"""The stream-copy join: identical intra-only masters joined by the concat demuxer, checked.

Why so careful: the concat demuxer does not check its inputs (joining unlike files "succeeds" and
writes a broken master), so :func:`copy_refusal` allows a copy only when every probe fact
matches, and :func:`copy_join` checks the result frame for frame and sample for sample, raising
:class:`CopyMismatch` (the caller then uses the filter graph) at any doubt.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from stillmotion.errors import StillmotionError
from stillmotion.media.conform import AUDIO_RATE, ConformTarget
from stillmotion.media.ffmpeg import ProgressCallback, media_arg, run
from stillmotion.media.probe import MediaInfo, audio_duration, probe
from stillmotion.media.seek import frame_time
from stillmotion.media.segments import Part
from stillmotion.timecode import format_rate


class CopyMismatch(StillmotionError):
    """A stream-copy join did not come out exact; the graph join is used instead."""


def copy_refusal(parts: Sequence[Part], target: ConformTarget, fade: int) -> str | None:
    """Why these parts cannot be joined by stream copy into ``target``, or None if they can."""
    preset = target.preset
    if not preset.intra_only:
        return f"preset {preset.name} is not intra-only"
    if fade:
        return "crossfades need re-encoding"
    for part in parts:
        if part.info is None:
            return "gaps need re-encoding"
        video, sound = part.info.require_video(), part.info.audio
        name = part.info.path.name
        if (video.codec, video.profile, video.pix_fmt) != (preset.codec, preset.profile,
                                                          preset.pix_fmt):
            return f"{name} is not {preset.name}"
        if video.size != target.size or video.sar != 1:
            return f"{name} is not {target.size[0]}x{target.size[1]} with square pixels"
        if video.rate != target.rate:
            return f"{name} is not {format_rate(target.rate)} fps"
        if (video.color_primaries, video.color_trc, video.colorspace, video.color_range) != (
            "bt709", "bt709", "bt709", "tv"
        ):
            return f"{name} is not tagged BT.709"
        if sound is None or (sound.codec, sound.sample_rate, sound.channels) != (
            preset.audio_codec, AUDIO_RATE, 2
        ):
            return f"{name} does not have {preset.audio_codec} 48 kHz stereo sound"
        if "\n" in str(part.info.path) or "\r" in str(part.info.path):
            return f"{name} has a line break in its path"
    signatures = {_signature(part.info) for part in parts if part.info is not None}
    if len(signatures) > 1:
        return "the clips' streams differ (codec, size, format, rate, time base or sound)"
    return None


def _signature(info: MediaInfo) -> tuple[object, ...]:
    video = info.require_video()
    sound = info.audio
    return (
        video.codec, video.profile, video.width, video.height, video.pix_fmt, video.sar,
        video.rate, video.time_base, video.color_primaries, video.color_trc, video.colorspace,
        video.color_range,
        None if sound is None else (sound.codec, sound.sample_rate, sound.channels, sound.layout),
    )


def copy_join(
    parts: Sequence[Part],
    target: ConformTarget,
    output: Path,
    work: Path,
    frames: int,
    on_progress: ProgressCallback | None,
) -> None:
    """Join by the concat demuxer and ``-c copy``, then check frames and samples exactly.

    In and out points are written in microseconds rounded inwards (in up, out down) so the frame
    at the cut is neither lost nor doubled; sound is exact when each master carries one audio
    packet per frame (stillmotion's masters do), and is checked either way.
    """
    samples = 0
    lines = ["ffconcat version 1.0"]
    for part in parts:
        assert part.info is not None
        video = part.info.require_video()
        whole = part.first == 0 and part.count == video.frame_count
        length = audio_duration(part.info.path) or Fraction(0)
        if whole:
            if abs(length - video.duration) * 2 > 1 / video.rate:
                raise CopyMismatch(f"{part.info.path.name} has sound and picture of different "
                                    "lengths")
            part_samples = length * AUDIO_RATE
        else:
            part_samples = part.count * target.samples_per_frame
        if part_samples.denominator != 1:
            raise CopyMismatch("the cut does not fall on a whole audio sample")
        samples += int(part_samples)
        lines.append(f"file {_quote('file:' + str(part.info.path.absolute()))}")
        if not whole:
            # The concat demuxer's points are in the file's own clock, as the grab's times.
            start, end = frame_time(video, part.first), frame_time(video, part.first + part.count)
            lines.append(f"inpoint {_micros(start, up=True)}us")
            lines.append(f"outpoint {_micros(end, up=False)}us")
    listing = work / "join.ffconcat"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run(
        ["-f", "concat", "-safe", "0", "-i", media_arg(listing), "-map", "0:v:0",
         "-map", "0:a:0", "-c", "copy", *target.preset.muxer_args, "-y", media_arg(output)],
        output=output, total_seconds=float(frames / target.rate), on_progress=on_progress,
        what="Joining by stream copy",
    )
    got_frames = probe(output).require_video().frame_count
    got_samples = (audio_duration(output) or Fraction(0)) * AUDIO_RATE
    if got_frames != frames or got_samples != samples:
        raise CopyMismatch(
            f"the stream copy gave {got_frames} frames and {got_samples} samples instead of "
            f"{frames} and {samples}"
        )


def _micros(seconds: Fraction, *, up: bool) -> int:
    scaled = seconds * 1_000_000
    whole = scaled.numerator // scaled.denominator
    return whole + (1 if up and scaled.denominator != 1 else 0)


def _quote(text: str) -> str:
    """A single-quoted ffconcat string (a quote inside is closed, escaped and reopened)."""
    return "'" + text.replace("'", "'\\''") + "'"
