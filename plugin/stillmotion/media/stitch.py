"""Trim and stitch: join frame-exact pieces of clips (and black gaps) into one conformed master.

Why one place for both joins: identical intra-only masters (DNxHR/ProRes with the same codec,
size, pixel format, SAR, rate, time base and audio) are joined by the concat demuxer with
``-c copy`` in a fraction of a second; anything else goes through ONE ffmpeg filter graph
(per piece: trim -> the conform chain of :mod:`stillmotion.media.conform` -> concat, or xfade /
acrossfade). The concat demuxer does not check its inputs (joining unlike files "succeeds" and
writes a broken master), so a copy join is only tried when every probe fact matches, its result
is checked frame for frame and sample for sample, and any doubt falls back to the graph.

Frame numbers: a :class:`Segment` counts source frames from 0 at the media's own rate, ``start``
inclusive and ``end`` exclusive (a Python slice). The text form ``clip.mp4@12-96`` is inclusive
at both ends (frames 12 to 96, 85 frames), as editors read it; ``clip.mov@01:00:00:12-01:00:01:00``
uses the media's own timecode (its start timecode is frame 0), also inclusive.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from stillmotion.errors import ConfigError, StillmotionError
from stillmotion.files import atomic_path, check_output
from stillmotion.media import loudness
from stillmotion.media.conform import (
    AUDIO_RATE,
    COLOUR_TAGS,
    DEFAULT_PRESET,
    ConformTarget,
    audio_chain,
    check_frames,
    final_audio_filters,
    get_preset,
    make_target,
    output_frames,
    output_samples,
    render_graph,
    round_half_up,
    silent_audio,
    video_chain,
)
from stillmotion.media.ffmpeg import Progress, ProgressCallback, media_arg, run, seconds_arg
from stillmotion.media.frames import frame_index_for_timecode
from stillmotion.media.probe import MediaInfo, audio_duration, probe
from stillmotion.timecode import format_rate

JoinMethod = Literal["copy", "graph"]
# The lossless sound of an intermediate mix that is normalised afterwards.
_MIX_AUDIO = ("-c:a", "pcm_s24le", "-ar", str(AUDIO_RATE), "-ac", "2")
_TC = r"\d{1,2}[:;.]\d{2}[:;.]\d{2}[:;.,]\d{2,3}"
_FRAME_RANGE = re.compile(r"(\d+)-(\d*)")
_TC_RANGE = re.compile(rf"({_TC})-({_TC})")


@dataclass(frozen=True)
class Segment:
    """One piece of the output: source frames ``start`` (inclusive) to ``end`` (exclusive).

    ``end`` None means to the end of the clip. A gap (``path`` None, see :meth:`gap`) is ``end``
    frames of black picture and silence at the output rate.
    """

    path: Path | None
    start: int = 0
    end: int | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or (self.end is not None and self.end <= self.start):
            raise ConfigError(
                f"Frames {self.start}-{'' if self.end is None else self.end - 1} are not a "
                "range; give the first frame, then a last frame at or after it."
            )

    @classmethod
    def gap(cls, frames: int) -> Segment:
        """``frames`` frames of black and silence (at the output rate)."""
        if frames < 1:
            raise ConfigError(f"A gap of {frames} frames is empty; give at least one frame.")
        return cls(None, 0, frames)

    def describe(self) -> str:
        """The segment as a user wrote it (inclusive frames)."""
        if self.path is None:
            return f"a gap of {self.end} frames"
        if self.start == 0 and self.end is None:
            return self.path.name
        last = "" if self.end is None else str(self.end - 1)
        return f"{self.path.name}@{self.start}-{last}"


@dataclass(frozen=True)
class StitchResult:
    """The written master and how it was made.

    ``method`` is ``copy`` (concat demuxer, streams copied) or ``graph`` (one filter graph,
    re-encoded); ``copy_refused`` says why a copy join was not used when it was not.
    """

    path: Path
    method: JoinMethod
    frames: int
    rate: Fraction
    copy_refused: str | None
    loudness: loudness.LoudnessResult | None

    @property
    def duration(self) -> Fraction:
        return Fraction(self.frames) / self.rate


@dataclass(frozen=True)
class _Part:
    """A planned segment: its probe, the source frames it takes, what it becomes."""

    segment: Segment
    info: MediaInfo | None
    first: int
    count: int
    frames: int
    samples: int


class _CopyMismatch(StillmotionError):
    """A stream-copy join did not come out exact; the graph join is used instead."""


def parse_segment(text: str) -> Segment:
    """Read ``clip.mp4``, ``clip.mp4@12-96``, ``clip.mp4@12-`` or ``clip.mov@TC-TC``.

    Frames and timecodes are inclusive; a timecode is in the media's own timecode (the media is
    probed). Only the last '@' splits, and only when what follows it is a range and the whole
    text is not itself an existing file, so names containing '@' still work.
    """
    head, at, tail = text.rpartition("@")
    frames = _FRAME_RANGE.fullmatch(tail.strip())
    codes = _TC_RANGE.fullmatch(tail.strip())
    whole_exists = Path(text).expanduser().exists() and not Path(head).expanduser().exists()
    if not at or not head or whole_exists or not (frames or codes):
        return Segment(Path(text).expanduser())
    path = Path(head).expanduser()
    if frames:
        start = int(frames.group(1))
        end = int(frames.group(2)) + 1 if frames.group(2) else None
        return Segment(path, start, end)
    assert codes is not None
    info = probe(path)
    first = frame_index_for_timecode(info, codes.group(1))
    last = frame_index_for_timecode(info, codes.group(2))
    if last < first:
        raise ConfigError(f"In {text} the end timecode is before the start; give the first "
                          "frame's timecode, then the last frame's.")
    return Segment(path, first, last + 1)


def parse_inputs(texts: Sequence[str]) -> list[Segment]:
    """The command line's input list as segments (one text per input; see parse_segment)."""
    if not texts:
        raise ConfigError("Give at least one input clip to stitch.")
    return [parse_segment(text) for text in texts]


def stitch(
    segments: Sequence[Segment],
    output: Path,
    *,
    preset: str = DEFAULT_PRESET,
    size: tuple[int, int] | None = None,
    rate: Fraction | None = None,
    fit: str = "letterbox",
    rate_policy: str = "fps",
    crossfade: Fraction | None = None,
    loudnorm: float | None = None,
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
) -> StitchResult:
    """Join ``segments`` into ``output`` in ``preset`` at ``size`` and ``rate``.

    Size and rate default to the first clip's. ``crossfade`` (seconds, rounded to whole output
    frames) dissolves picture and sound at every join, shortening the total by one crossfade per
    join; ``loudnorm`` (LUFS) normalises the finished mix in two passes. Nothing is written to
    ``output`` unless the whole job succeeds.
    """
    if not segments:
        raise ConfigError("Give at least one segment to stitch.")
    chosen = get_preset(preset)
    chosen.check_output_name(output)
    target_loudness = loudness.check_target(loudnorm) if loudnorm is not None else None
    paths = [s.path for s in segments if s.path is not None]
    target_path = check_output(output, inputs=paths, overwrite=overwrite)
    infos = {path: probe(path) for path in dict.fromkeys(paths)}
    first_video = infos[paths[0]].require_video() if paths else None
    target = make_target(first_video, preset=chosen, size=size, rate=rate, fit=fit,
                         rate_policy=rate_policy)
    parts = [_plan(segment, infos, target) for segment in segments]
    fade = _crossfade_frames(crossfade, parts, target)
    total = sum(part.frames for part in parts) - fade * (len(parts) - 1)
    refusal = _copy_refusal(parts, target, fade)
    stages = _Stages(on_progress, total / target.rate, 3 if target_loudness is not None else 1)
    with atomic_path(target_path) as temp, _workdir(target_path) as work:
        join_to = work / "mix.mov" if target_loudness is not None else temp
        audio = _MIX_AUDIO if target_loudness is not None else None
        method: JoinMethod = "graph"
        if refusal is None:
            try:
                _copy_join(parts, target, join_to, work, total, stages.stage(0))
                method = "copy"
            except _CopyMismatch as exc:
                refusal = exc.message
                join_to.unlink(missing_ok=True)
        if method == "graph":
            inputs, graph = _build_graph(parts, target, fade)
            render_graph(inputs, graph, target, join_to, frames=total, audio_args=audio,
                         on_progress=stages.stage(0), what=f"Stitching {target_path.name}")
        result = None
        if target_loudness is not None:
            result = loudness.normalise(
                join_to, temp, target_loudness, audio_args=chosen.audio_args,
                extra_args=chosen.muxer_args, after=final_audio_filters(target),
                on_measure=stages.stage(1), on_apply=stages.stage(2),
                total_seconds=float(total / target.rate),
            )
            check_frames(temp, total, what=f"Stitching {target_path.name}")
    return StitchResult(target_path, method, total, target.rate, refusal, result)


@contextlib.contextmanager
def _workdir(output: Path) -> Iterator[Path]:
    """A scratch folder beside the output (an intermediate mix can be as large as the master)."""
    with tempfile.TemporaryDirectory(prefix=f".{output.stem}.work-", dir=output.parent) as work:
        yield Path(work)


def _plan(segment: Segment, infos: dict[Path, MediaInfo], target: ConformTarget) -> _Part:
    if segment.path is None:
        assert segment.end is not None
        return _Part(segment, None, 0, segment.end, segment.end,
                     output_samples(segment.end, target))
    info = infos[segment.path]
    video = info.require_video()
    end = video.frame_count if segment.end is None else segment.end
    if segment.start >= video.frame_count or end > video.frame_count:
        raise ConfigError(
            f"{segment.describe()} is past the end of {info.path.name}; it has frames 0-"
            f"{video.frame_count - 1}."
        )
    count = end - segment.start
    frames = output_frames(count, video.rate, target)
    if frames < 1:
        raise ConfigError(f"{segment.describe()} is shorter than one frame at "
                          f"{format_rate(target.rate)} fps; take more frames.")
    return _Part(segment, info, segment.start, count, frames, output_samples(frames, target))


def _crossfade_frames(
    crossfade: Fraction | None, parts: Sequence[_Part], target: ConformTarget
) -> int:
    """The crossfade in whole output frames; ConfigError if a piece is not longer than it."""
    if crossfade is None or len(parts) < 2:
        return 0
    frames = round_half_up(Fraction(crossfade) * target.rate)
    if frames < 1:
        raise ConfigError(f"A crossfade of {float(crossfade):g} s is shorter than one frame at "
                          f"{format_rate(target.rate)} fps; give a longer one or none.")
    for part in parts:
        if part.frames <= frames:
            raise ConfigError(
                f"{part.segment.describe()} ({part.frames} frames) is not longer than the "
                f"crossfade ({frames} frames); shorten the crossfade or lengthen the piece."
            )
    return frames


def _build_graph(
    parts: Sequence[_Part], target: ConformTarget, fade: int
) -> tuple[list[str], str]:
    """ffmpeg input arguments and one filter graph ending in ``[v]`` and ``[a]``.

    Each clip is opened with an input seek half a frame before its first frame (the first frame
    at or after the seek time comes out) and cut to its frame count with ``trim``, so the cut is
    frame-exact without decoding from the start; its sound is cut to the same span.
    """
    inputs: list[str] = []
    lines: list[str] = []
    tb = 1 / target.rate
    for k, part in enumerate(parts):
        settb = [f"settb={format_rate(tb)}"] if fade else []
        if part.info is None:
            video = [f"color=c=black:s={target.size[0]}x{target.size[1]}"
                     f":r={format_rate(target.rate)}", f"trim=end_frame={part.frames}",
                     "setsar=1", f"format={target.preset.pix_fmt}", f"setparams={COLOUR_TAGS}"]
            lines.append(f"{','.join([*video, *settb])}[v{k}]")
            lines.append(f"{silent_audio(part.samples)}[a{k}]")
            continue
        index = sum(1 for arg in inputs if arg == "-i")
        facts = part.info.require_video()
        seek = (part.first - Fraction(1, 2)) / facts.rate if part.first else Fraction(0)
        if part.first:
            inputs += ["-ss", seconds_arg(seek)]
        inputs += ["-i", media_arg(part.info.path)]
        chain = [f"trim=end_frame={part.count}", *video_chain(facts, target), *settb]
        lines.append(f"[{index}:v:0]{','.join(chain)}[v{k}]")
        if part.info.audio is None:
            lines.append(f"{silent_audio(part.samples)}[a{k}]")
        else:
            start = Fraction(part.first) / facts.rate - seek
            end = Fraction(part.first + part.count) / facts.rate - seek
            cut = f"atrim=start={seconds_arg(start)}:end={seconds_arg(end)}"
            audio = [cut, *audio_chain(facts.rate, target, part.samples)]
            lines.append(f"[{index}:a:0]{','.join(audio)}[a{k}]")
    lines += _join_lines(parts, target, fade)
    return inputs, ";\n".join(lines) + "\n"


def _join_lines(parts: Sequence[_Part], target: ConformTarget, fade: int) -> list[str]:
    final = ",".join(final_audio_filters(target))
    count = len(parts)
    if not fade:
        pads = "".join(f"[v{k}][a{k}]" for k in range(count))
        return [f"{pads}concat=n={count}:v=1:a=1[v][joined]", f"[joined]{final}[a]"]
    lines: list[str] = []
    duration = seconds_arg(Fraction(fade) / target.rate)
    fade_samples = output_samples(fade, target)
    elapsed = 0
    video, audio = "[v0]", "[a0]"
    for k in range(1, count):
        elapsed += parts[k - 1].frames - fade
        offset = seconds_arg(Fraction(elapsed) / target.rate)
        last = k == count - 1
        vout = "[v]" if last else f"[x{k}]"
        aout = "[faded]" if last else f"[y{k}]"
        lines.append(f"{video}[v{k}]xfade=transition=fade:duration={duration}"
                     f":offset={offset}{vout}")
        lines.append(f"{audio}[a{k}]acrossfade=ns={fade_samples}:c1=tri:c2=tri{aout}")
        video, audio = vout, aout
    lines.append(f"[faded]{final}[a]")
    return lines



def _copy_refusal(parts: Sequence[_Part], target: ConformTarget, fade: int) -> str | None:
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


def _copy_join(
    parts: Sequence[_Part],
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
                raise _CopyMismatch(f"{part.info.path.name} has sound and picture of different "
                                    "lengths")
            part_samples = length * AUDIO_RATE
        else:
            part_samples = part.count * target.samples_per_frame
        if part_samples.denominator != 1:
            raise _CopyMismatch("the cut does not fall on a whole audio sample")
        samples += int(part_samples)
        lines.append(f"file {_quote('file:' + str(part.info.path.absolute()))}")
        if not whole:
            lines.append(f"inpoint {_micros(part.first / video.rate, up=True)}us")
            lines.append(f"outpoint {_micros((part.first + part.count) / video.rate, up=False)}us")
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
        raise _CopyMismatch(
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


class _Stages:
    """Map the progress of each ffmpeg pass onto one bar with a known total.

    Why: with loudness normalisation a stitch runs three passes over the same duration; the
    caller sees one report stream that only says ``done`` at the very end.
    """

    def __init__(self, callback: ProgressCallback | None, seconds: Fraction, count: int) -> None:
        self.callback = callback
        self.seconds = float(seconds)
        self.count = count

    def stage(self, index: int) -> ProgressCallback | None:
        callback = self.callback
        if callback is None:
            return None
        offset = index * self.seconds
        total = self.count * self.seconds
        last = index == self.count - 1

        def report(event: Progress) -> None:
            done = event.done and last
            seconds = min(event.seconds, self.seconds) + offset
            if event.done:
                seconds = offset + self.seconds
            callback(Progress(seconds=seconds, total=total, frame=event.frame,
                              speed=event.speed, done=done))

        return report
