"""Conform: turn any clip into a finishing master of one preset, size, rate and colour tagging.

Why: generated clips arrive as H.264/AAC at odd sizes and 30 fps, while the timeline wants (say)
1920x1080 at 24000/1001 in a codec DaVinci Resolve can decode on every platform (DNxHR or ProRes
with PCM audio; Resolve on Linux decodes neither H.264 nor AAC). The per-clip filter chain built
here is the one every join reuses (stitch, and later the timeline renderer), in the order the
ffmpeg reference gives: fit (scale + pad or crop) -> setsar=1 -> rate -> pixel format ->
``setparams`` pinning BT.709 (on ffmpeg >= 7.1 the ``-color_*`` output options alone are
overridden by frame properties).

Rate policies:
- ``fps`` (default, editorial): keeps the duration; the ``fps`` filter drops or repeats frames.
  Output frame k shows source frame max{i : round(i * dst / src) <= k} (halves round up).
- ``retime``: keeps every frame; timestamps are scaled (``setpts``) and audio is re-timed with
  ``atempo``, so the duration changes by src/dst and timeline durations must be recomputed.

Audio is always 48 kHz stereo of exactly the picture's length (padded or cut to the sample); a
clip without audio gets a silent track, so every master can be joined without special cases.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from stillmotion.errors import ConfigError, MediaError
from stillmotion.files import atomic_path, check_output
from stillmotion.media.colour import source_matrix, source_range
from stillmotion.media.ffmpeg import ProgressCallback, media_arg, run
from stillmotion.media.fit import FitMode, fit_filters, parse_fit
from stillmotion.media.presets import AUDIO_RATE, DEFAULT_PRESET, PRESETS, Preset, get_preset
from stillmotion.media.probe import VideoFacts, is_yuv_format, probe
from stillmotion.timecode import format_rate

# The presets live in stillmotion.media.presets (light enough for the command line's help);
# the modules that conform with them import them from here, with the chain that uses them.
__all__ = [
    "AUDIO_LAYOUT", "AUDIO_RATE", "COLOUR_OPTIONS", "COLOUR_TAGS", "CONFORM_FITS",
    "DEFAULT_PRESET", "PRESETS", "RATE_POLICIES", "ConformTarget", "Preset", "RatePolicy",
    "audio_chain", "check_frames", "colour_filters", "conform", "encode_args",
    "final_audio_filters", "get_preset", "make_target", "output_frames", "output_samples",
    "parse_rate_policy", "rate_filters", "render_graph", "round_half_up", "silent_audio",
    "video_chain",
]
RatePolicy = Literal["fps", "retime"]
RATE_POLICIES: tuple[RatePolicy, ...] = ("fps", "retime")
CONFORM_FITS = ("letterbox", "fill")
AUDIO_LAYOUT = "stereo"
COLOUR_TAGS = "color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
COLOUR_OPTIONS = (
    "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
    "-color_range", "tv",
)
# atempo accepts factors in this range; larger changes are chained.
_ATEMPO_MIN, _ATEMPO_MAX = Fraction(1, 2), Fraction(100)


def parse_rate_policy(name: str) -> RatePolicy:
    """``fps`` or ``retime``; ConfigError naming both otherwise."""
    key = name.strip().lower()
    for policy in RATE_POLICIES:
        if key == policy:
            return policy
    raise ConfigError(f"Unknown rate policy '{name}'; choose fps (keep duration) or retime "
                      "(keep every frame).")


@dataclass(frozen=True)
class ConformTarget:
    """What every conformed stream of one output shares: size, exact rate, fit, policy, preset."""

    size: tuple[int, int]
    rate: Fraction
    fit: FitMode
    rate_policy: RatePolicy
    preset: Preset
    # The output's pixel aspect: 1, or the timeline media's when it is anamorphic (``size`` is
    # then the stored size and the picture is fitted at its display size; see media/fit.py).
    sar: Fraction = Fraction(1)

    @property
    def samples_per_frame(self) -> Fraction:
        """Audio samples per output frame (2002 at 24000/1001; not whole at 30000/1001)."""
        return AUDIO_RATE / self.rate


def make_target(
    source: VideoFacts | None,
    *,
    preset: str | Preset = DEFAULT_PRESET,
    size: tuple[int, int] | None = None,
    rate: Fraction | None = None,
    fit: str = "letterbox",
    rate_policy: str = "fps",
    sar: Fraction = Fraction(1),
) -> ConformTarget:
    """Validate a conform request; size and rate default to ``source``'s when not given."""
    chosen = preset if isinstance(preset, Preset) else get_preset(preset)
    mode = parse_fit(fit, allowed=CONFORM_FITS)
    policy = parse_rate_policy(rate_policy)
    if size is None or rate is None:
        if source is None:
            raise ConfigError("Give both a size and a frame rate: there is no clip to copy "
                              "them from.")
        size = size or _even_display_size(source)
        rate = rate or source.rate
    chosen.check_size(size)
    if sar <= 0:
        raise ConfigError(f"Pixel aspect {sar} is not usable; give a positive ratio such as 4/3.")
    return ConformTarget(size=size, rate=Fraction(rate), fit=mode, rate_policy=policy,
                         preset=chosen, sar=Fraction(sar))


def _even_display_size(video: VideoFacts) -> tuple[int, int]:
    """The source's display size (non-square pixels widened), rounded to even sides."""
    width = max(2, round(video.width * video.sar / 2) * 2)
    return (int(width), max(2, video.height // 2 * 2))


def output_frames(source_frames: int, source_rate: Fraction, target: ConformTarget) -> int:
    """How many frames ``source_frames`` at ``source_rate`` become under the target's policy."""
    if target.rate_policy == "retime" or source_rate == target.rate:
        return source_frames
    return round_half_up(source_frames * target.rate / source_rate)


def output_samples(frames: int, target: ConformTarget) -> int:
    """Audio samples (48 kHz) lasting exactly ``frames`` output frames, to the nearest sample."""
    return round_half_up(frames * target.samples_per_frame)


def round_half_up(value: Fraction) -> int:
    """Round to the nearest integer, halves up (ffmpeg's AV_ROUND_NEAR_INF for positives)."""
    return math.floor(value + Fraction(1, 2))


def video_chain(video: VideoFacts, target: ConformTarget) -> list[str]:
    """The per-clip video filters: start at 0, fit, square pixels, rate, colour, format, tags.

    The input must already be trimmed to the frames wanted (trim comes first in the chain).
    """
    return [
        "setpts=PTS-STARTPTS",
        *fit_filters(target.size, target.fit, sar=video.sar, out_sar=target.sar),
        *rate_filters(video.rate, target),
        *colour_filters(video),
        f"format={target.preset.pix_fmt}",
        f"setparams={COLOUR_TAGS}",
    ]


def rate_filters(source_rate: Fraction, target: ConformTarget) -> list[str]:
    """``fps=`` (keep duration) or scaled timestamps then ``fps=`` (keep every frame)."""
    fps = f"fps={format_rate(target.rate)}"
    if target.rate_policy == "retime" and source_rate != target.rate:
        ratio = source_rate / target.rate
        return [f"setpts=PTS*{ratio.numerator}/{ratio.denominator}", fps]
    return [fps]


def colour_filters(video: VideoFacts) -> list[str]:
    """Convert to BT.709 limited range when the source is something else.

    Untagged YUV is read as BT.709 above SD sizes and BT.601 at SD (the players' convention);
    RGB sources get an explicit BT.709 matrix (swscale's silent default is BT.601).
    """
    if video.pix_fmt is None or not is_yuv_format(video.pix_fmt):
        return ["scale=out_color_matrix=bt709:out_range=tv"]
    matrix = source_matrix(video)
    in_range = source_range(video)
    if matrix == "bt709" and in_range == "tv":
        return []
    return [f"scale=in_color_matrix={matrix}:out_color_matrix=bt709:in_range={in_range}"
            ":out_range=tv"]


def audio_chain(source_rate: Fraction, target: ConformTarget, samples: int) -> list[str]:
    """The per-clip audio filters: start at 0, 48 kHz stereo, re-time, exactly ``samples`` long.

    The input must already be trimmed to the clip's span; ``samples`` comes from
    :func:`output_samples` so sound and picture end on the same frame.
    """
    chain = [
        "asetpts=PTS-STARTPTS",
        f"aresample={AUDIO_RATE}",
        f"aformat=sample_fmts=fltp:sample_rates={AUDIO_RATE}:channel_layouts={AUDIO_LAYOUT}",
    ]
    if target.rate_policy == "retime" and source_rate != target.rate:
        chain += [f"atempo={float(factor)!r}" for factor in
                  _atempo_factors(target.rate / source_rate)]
    return [*chain, f"apad=whole_len={samples}", f"atrim=end_sample={samples}"]


def silent_audio(samples: int) -> str:
    """A silent 48 kHz stereo source of exactly ``samples`` (for clips without audio, gaps)."""
    return (f"anullsrc=r={AUDIO_RATE}:cl={AUDIO_LAYOUT},"
            f"aformat=sample_fmts=fltp,atrim=end_sample={samples}")


def _atempo_factors(tempo: Fraction) -> list[Fraction]:
    """Split a tempo change into factors atempo accepts (0.5 to 100 each)."""
    factors: list[Fraction] = []
    while tempo < _ATEMPO_MIN:
        factors.append(_ATEMPO_MIN)
        tempo /= _ATEMPO_MIN
    while tempo > _ATEMPO_MAX:
        factors.append(_ATEMPO_MAX)
        tempo /= _ATEMPO_MAX
    return [*factors, tempo]


def final_audio_filters(target: ConformTarget) -> list[str]:
    """Filters on the finished mix: one audio packet per frame where that is a whole number.

    Why: with sample counts that match frames, a later stream-copy join of these masters can
    cut audio exactly where it cuts picture (the concat demuxer cuts on packets).
    """
    per_frame = target.samples_per_frame
    if per_frame.denominator != 1:
        return ["anull"]
    return [f"asetnsamples=n={per_frame.numerator}:p=0"]


def encode_args(target: ConformTarget, *, audio_args: Sequence[str] | None = None) -> list[str]:
    """Encoder, pixel format, pinned BT.709 tags, audio and muxer options for ``target``.

    ``audio_args`` replaces the preset's audio (an intermediate mix keeps lossless PCM).
    """
    preset = target.preset
    return [
        *preset.video_args, "-pix_fmt", preset.pix_fmt, *COLOUR_OPTIONS,
        *(preset.audio_args if audio_args is None else audio_args),
        *preset.muxer_args,
    ]


def render_graph(
    inputs: Sequence[str],
    graph: str,
    target: ConformTarget,
    output: Path,
    *,
    frames: int,
    audio_args: Sequence[str] | None = None,
    extra_args: Sequence[str] = (),
    on_progress: ProgressCallback | None = None,
    what: str,
) -> None:
    """Run one filter graph (outputs ``[v]`` and ``[a]``) into ``output`` and check its frames.

    The graph goes through a file (``-/filter_complex``; ffmpeg 9 removed
    ``-filter_complex_script``) so any number of inputs fits on the command line. MediaError when
    the written picture does not hold exactly ``frames`` frames (e.g. a truncated input).
    """
    with tempfile.TemporaryDirectory(prefix="stillmotion-graph-") as work:
        script = Path(work) / "graph.txt"
        script.write_text(graph, encoding="utf-8")
        run(
            [*inputs, "-/filter_complex", media_arg(script), "-map", "[v]", "-map", "[a]",
             *encode_args(target, audio_args=audio_args), *extra_args, "-y", media_arg(output)],
            output=output,
            total_seconds=float(frames / target.rate),
            on_progress=on_progress,
            what=what,
        )
    check_frames(output, frames, what=what)


def check_frames(path: Path, expected: int, *, what: str) -> None:
    """MediaError unless ``path``'s picture has exactly ``expected`` frames.

    The count comes from the container's index (MOV/MP4 list every frame), so checking a
    master of gigabytes does not read it again.
    """
    got = probe(path).require_video().frame_count
    if got != expected:
        raise MediaError(
            f"{what} wrote {got} frames instead of {expected}; an input may be truncated or "
            "damaged: re-export or re-download it.",
            path=path,
        )


def conform(
    input: Path,
    output: Path,
    *,
    preset: str = DEFAULT_PRESET,
    size: tuple[int, int] | None = None,
    rate: Fraction | None = None,
    fit: str = "letterbox",
    rate_policy: str = "fps",
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
    sar: Fraction = Fraction(1),
) -> Path:
    """Conform ``input`` into ``output`` in ``preset`` at ``size`` and ``rate`` (default: source).

    ``fit`` is ``letterbox`` (pad) or ``fill`` (crop); ``rate_policy`` ``fps`` or ``retime``;
    ``sar`` the output's pixel aspect (an anamorphic timeline's: ``size`` is then its stored
    size). The source's start timecode is kept when the rate does not change. Returns the
    absolute output.
    """
    chosen = get_preset(preset)
    chosen.check_output_name(output)
    target_path = check_output(output, inputs=[input], overwrite=overwrite)
    info = probe(input)
    video = info.require_video()
    target = make_target(video, preset=chosen, size=size, rate=rate, fit=fit,
                         rate_policy=rate_policy, sar=sar)
    frames = output_frames(video.frame_count, video.rate, target)
    samples = output_samples(frames, target)
    vchain = ",".join(video_chain(video, target))
    if info.audio is not None:
        audio = f"[0:a:0]{','.join(audio_chain(video.rate, target, samples))}"
    else:
        audio = silent_audio(samples)
    graph = (f"[0:v:0]{vchain}[v];\n{audio},{','.join(final_audio_filters(target))}[a]\n")
    keep_timecode = video.start_timecode is not None and target.rate == video.rate
    timecode = ["-timecode", video.start_timecode] if keep_timecode and video.start_timecode else []
    with atomic_path(target_path) as temp:
        render_graph(
            ["-i", media_arg(info.path)], graph, target, temp, frames=frames,
            extra_args=timecode, on_progress=on_progress,
            what=f"Conforming {info.path.name}",
        )
    return target_path
