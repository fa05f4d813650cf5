"""Trim and stitch: join frame-exact pieces of clips (and black gaps) into one conformed master.

Why one entry point for both joins: identical intra-only masters (DNxHR/ProRes with the same
codec, size, pixel format, SAR, rate, time base and audio) are joined by stream copy in a
fraction of a second (:mod:`.stitch_copy`); anything else goes through ONE ffmpeg filter graph
(:mod:`.stitch_graph`). A copy join is only tried when every probe fact matches and its result
is checked exactly; any doubt falls back to the graph. The pieces and their frame numbering are
in :mod:`.segments`; the optional loudness pass in :mod:`.loudness`.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from stillmotion.errors import ConfigError
from stillmotion.files import atomic_path, check_output
from stillmotion.media import loudness
from stillmotion.media.conform import (
    AUDIO_RATE,
    DEFAULT_PRESET,
    check_frames,
    final_audio_filters,
    get_preset,
    make_target,
    render_graph,
)
from stillmotion.media.ffmpeg import Progress, ProgressCallback
from stillmotion.media.probe import probe
from stillmotion.media.segments import Segment, crossfade_frames, plan_part
from stillmotion.media.stitch_copy import CopyMismatch, copy_join, copy_refusal
from stillmotion.media.stitch_graph import build_graph

JoinMethod = Literal["copy", "graph"]
# The lossless sound of an intermediate mix that is normalised afterwards.
_MIX_AUDIO = ("-c:a", "pcm_s24le", "-ar", str(AUDIO_RATE), "-ac", "2")


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
    parts = [plan_part(segment, infos, target) for segment in segments]
    fade = crossfade_frames(crossfade, parts, target)
    total = sum(part.frames for part in parts) - fade * (len(parts) - 1)
    refusal = copy_refusal(parts, target, fade)
    stages = _Stages(on_progress, total / target.rate, 3 if target_loudness is not None else 1)
    with atomic_path(target_path) as temp, _workdir(target_path) as work:
        join_to = work / "mix.mov" if target_loudness is not None else temp
        audio = _MIX_AUDIO if target_loudness is not None else None
        method: JoinMethod = "graph"
        if refusal is None:
            try:
                copy_join(parts, target, join_to, work, total, stages.stage(0))
                method = "copy"
            except CopyMismatch as exc:
                refusal = exc.message
                join_to.unlink(missing_ok=True)
        if method == "graph":
            inputs, graph = build_graph(parts, target, fade)
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
