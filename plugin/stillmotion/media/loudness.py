"""Two-pass EBU R128 loudness normalisation of a finished mix with ffmpeg's ``loudnorm``.

Why two passes: one pass of loudnorm compresses dynamically; measuring first (pass 1 prints its
JSON on stderr) and feeding the measurement back with ``linear=true`` applies one constant gain,
which is what a finishing master wants. loudnorm falls back to dynamic mode when that gain would
push the true peak over the ceiling; the result says which mode was used. The picture is copied.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stillmotion.errors import ConfigError, MediaError
from stillmotion.media.ffmpeg import ProgressCallback, media_arg, run

TRUE_PEAK = -1.0
MIN_RANGE = 11
MAX_RANGE = 50
LUFS_LIMITS = (-70.0, -5.0)
# Quieter than this the mix is silence: there is nothing to normalise.
SILENCE_LUFS = -70.0
_JSON_BLOCK = re.compile(r"\{[^{}]*\}", re.DOTALL)


@dataclass(frozen=True)
class LoudnessResult:
    """What normalisation did: the target, the mix as measured, the output, and the mode.

    ``normalization`` is ``linear`` (one gain), ``dynamic`` (loudnorm had to compress to respect
    the true-peak ceiling) or ``skipped`` (the mix is silent).
    """

    target: float
    measured: float
    output: float | None
    normalization: str


@dataclass(frozen=True)
class Measurement:
    """Pass 1 of loudnorm: integrated loudness, true peak, range, gate threshold, offset (dB)."""

    integrated: float
    true_peak: float
    loudness_range: float
    threshold: float
    offset: float


def check_target(lufs: float) -> float:
    """A loudness target loudnorm accepts (-70 to -5 LUFS); ConfigError otherwise."""
    low, high = LUFS_LIMITS
    if not (math.isfinite(lufs) and low <= lufs <= high):
        raise ConfigError(f"Loudness {lufs} LUFS is out of range; give {low:g} to {high:g} "
                          "(e.g. -23 for broadcast, -16 for the web).")
    return float(lufs)


def measure(media: Path, target: float, *, what: str = "Measuring loudness",
            on_progress: ProgressCallback | None = None,
            total_seconds: float | None = None) -> Measurement:
    """Pass 1: loudnorm's measurement of ``media``'s first audio stream."""
    text = run(
        ["-i", media_arg(media), "-map", "0:a:0", "-af",
         f"loudnorm=I={target}:TP={TRUE_PEAK}:LRA={MIN_RANGE}:print_format=json",
         "-f", "null", "-"],
        output=media, capture_stderr=True, what=what, on_progress=on_progress,
        total_seconds=total_seconds,
    )
    data = _report(text, media)
    return Measurement(
        integrated=_number(data, "input_i", media),
        true_peak=_number(data, "input_tp", media),
        loudness_range=_number(data, "input_lra", media),
        threshold=_number(data, "input_thresh", media),
        offset=_number(data, "target_offset", media),
    )


def normalise(
    mix: Path,
    output: Path,
    target: float,
    *,
    audio_args: Sequence[str],
    extra_args: Sequence[str] = (),
    after: Sequence[str] = (),
    on_measure: ProgressCallback | None = None,
    on_apply: ProgressCallback | None = None,
    total_seconds: float | None = None,
) -> LoudnessResult:
    """Measure ``mix``, then write ``output`` with its picture copied and its sound normalised.

    ``audio_args`` encode the normalised sound; ``after`` are audio filters run after loudnorm
    (which works at 192 kHz internally, so it is always resampled back to 48 kHz first).
    """
    measured = measure(mix, target, on_progress=on_measure, total_seconds=total_seconds)
    silent = not math.isfinite(measured.integrated) or measured.integrated <= SILENCE_LUFS
    chain: list[str] = []
    if not silent:
        lra = min(MAX_RANGE, max(MIN_RANGE, math.ceil(measured.loudness_range)))
        chain.append(
            f"loudnorm=I={target}:TP={TRUE_PEAK}:LRA={lra}"
            f":measured_I={measured.integrated}:measured_TP={measured.true_peak}"
            f":measured_LRA={measured.loudness_range}:measured_thresh={measured.threshold}"
            f":offset={measured.offset}:linear=true:print_format=json"
        )
    chain += ["aresample=48000", *after]
    text = run(
        ["-i", media_arg(mix), "-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy",
         "-af", ",".join(chain), *audio_args, *extra_args, "-y", media_arg(output)],
        output=output, capture_stderr=True, what="Normalising loudness",
        on_progress=on_apply, total_seconds=total_seconds,
    )
    if silent:
        return LoudnessResult(target, measured.integrated, None, "skipped")
    data = _report(text, mix)
    return LoudnessResult(
        target=target,
        measured=measured.integrated,
        output=_number(data, "output_i", mix),
        normalization=str(data.get("normalization_type", "unknown")),
    )


def _report(text: str, media: Path) -> dict[str, object]:
    """The last loudnorm JSON block in ffmpeg's stderr."""
    for block in reversed(_JSON_BLOCK.findall(text)):
        try:
            data = json.loads(block)
        except ValueError:
            continue
        if isinstance(data, dict) and "input_i" in data:
            return data
    raise MediaError(f"Measuring the loudness of {media.name} gave no result; check that it has "
                     "a readable audio stream.", path=media)


def _number(data: dict[str, object], key: str, media: Path) -> float:
    try:
        return float(str(data[key]))
    except (KeyError, ValueError) as exc:
        raise MediaError(f"The loudness report for {media.name} lacks {key}; the ffmpeg build "
                         "may be too old.", path=media) from exc
