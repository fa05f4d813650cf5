"""The still that is sent is the frame the master shows: locate + grab == render, at every rate.

Sources at 24, 25, 29.97, 30, 50 and 59.94 fps sit on timelines at 23.976, 24, 25 and 29.97
(one timeline per rate, every source one clip on it, trimmed so clip edges fall between record
frames, plus a 2x clip, a gap and a freeze frame). Each timeline is rendered once through the
real ``stillmotion_render`` adapter; at a few record frames of every clip (its first, its last
as ``extend`` finds it, and frames where flooring and the fps filter's rounding disagree) and on
both sides of the gap (``fill-gap``), the code burnt into the still grabbed through
``timeline.locate`` + ``media.frames.grab_frame`` equals the code the rendered master shows,
and both equal the rule written out here by brute force:

    record frame k of a clip shows source frame max{i : round_half_up(i / step) <= k}
    counted from the clip's first source frame, step = source frames per record frame.

The render maps frames with ffmpeg's own ``fps`` filter at its default rounding, and the bare
filter is run on the source files as well, so these are the checks that this statement of the
rule is what ffmpeg does.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.frames import grab_frame
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.timeline.gaps import gap_at
from stillmotion.timeline.locate import locate
from stillmotion.timeline.shots import clip_at
from stillmotion.timeline.timebase import same_timecode_base
from support.framecode import luma_frames, luma_of_image, read_code
from support.render_media import fps_pick

R23 = Fraction(24000, 1001)
R2997 = Fraction(30000, 1001)
R5994 = Fraction(60000, 1001)
SOURCE_RATES = (Fraction(24), Fraction(25), R2997, Fraction(30), Fraction(50), R5994)
TIMELINE_RATES = (R23, Fraction(24), Fraction(25), R2997)
FIRST = 3          # every clip starts at source frame 3
SOURCE_FRAMES = 40
GAP = 3


@dataclass(frozen=True)
class Placed:
    """One clip of a test timeline: record frames [start, end) it shows, its source and step."""

    name: str
    media: Path
    step: Fraction
    start: int
    end: int


def _brute(k: int, step: Fraction) -> int:
    """max{i : round_half_up(i / step) <= k} by trying every i (0 for a freeze)."""
    return 0 if step == 0 else fps_pick(k, step, Fraction(1))


def _step(source: Fraction, record: Fraction, speed: Fraction = Fraction(1)) -> Fraction:
    return speed * (1 if same_timecode_base(source, record) else source / record)


def _label(rate: Fraction) -> str:
    return f"{float(rate):.3f}".rstrip("0").rstrip(".").replace(".", "_")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[Fraction, Path]:
    folder = tmp_path_factory.mktemp("sampling_media")
    return {rate: render_clip(folder / f"s{_label(rate)}.mp4",
                              ClipSpec(320, 180, rate, SOURCE_FRAMES, audio_rate=None,
                                       label=_label(rate)))
            for rate in SOURCE_RATES}


def _clip(name: str, media: Path, rate: Fraction, frames: int,
          effect: Any = None) -> Any:
    """``frames`` source frames of ``media`` from FIRST, ranged at the media's own rate (as an
    NLE exports a mixed-rate clip, so its record length is often fractional)."""
    reference = otio.schema.ExternalReference(
        target_url=str(media), available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, float(rate)),
            otio.opentime.RationalTime(SOURCE_FRAMES, float(rate))))
    clip = otio.schema.Clip(name=name, media_reference=reference, source_range=(
        otio.opentime.TimeRange(otio.opentime.RationalTime(FIRST, float(rate)),
                                otio.opentime.RationalTime(frames, float(rate)))))
    if effect is not None:
        clip.effects.append(effect)
    return clip


def build(record: Fraction, sources: dict[Fraction, Path]) -> tuple[Any, list[Placed], int]:
    """The test timeline at ``record`` rate, its clips, and a record frame inside the gap."""
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    placed: list[Placed] = []
    position = Fraction(0)

    def add(name: str, rate: Fraction, step: Fraction, frames: int, effect: Any = None) -> None:
        nonlocal position
        clip = _clip(name, sources[rate], rate, frames, effect)
        length = Fraction(frames) * (1 if same_timecode_base(rate, record) else record / rate)
        track.append(clip)
        placed.append(Placed(name, sources[rate], step, _half_up(position),
                             _half_up(position + length)))
        position += length

    for rate in SOURCE_RATES:
        step = _step(rate, record)
        add(f"s{_label(rate)}", rate, step, int(Fraction(47, 5) * step) + 1)
    fast = _step(R2997, record, Fraction(2))
    add("fast", R2997, fast, int(Fraction(16, 5) * _step(R2997, record)) + 1,
        otio.schema.LinearTimeWarp(time_scalar=2.0))
    gap_start = position
    track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, float(record)),
        otio.opentime.RationalTime(GAP, float(record)))))
    position += GAP
    add("freeze", Fraction(25), Fraction(0), 6, otio.schema.FreezeFrame())
    add("last", Fraction(30), _step(Fraction(30), record), 8)
    timeline = otio.schema.Timeline(name=f"sampling {_label(record)}")
    timeline.global_start_time = otio.opentime.RationalTime(
        86400 if record != 25 else 90000, float(record))
    timeline.tracks.append(track)
    return timeline, placed, _half_up(gap_start) + 1


def _half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def _frames_to_check(clip: Placed) -> Iterator[int]:
    """First and last record frame, and up to two where flooring disagrees with the rule."""
    yield clip.start
    disagree = [f for f in range(clip.start + 1, clip.end - 1)
                if math.floor((f - clip.start) * clip.step) != _brute(f - clip.start, clip.step)]
    yield from disagree[:2]
    if clip.end - 1 > clip.start:
        yield clip.end - 1


@pytest.fixture(scope="module", params=TIMELINE_RATES, ids=_label)
def case(request: pytest.FixtureRequest, sources: dict[Fraction, Path],
         tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[Placed], int, list[Any]]:
    """One timeline, its clips, a frame in its gap and the codes of its rendered frames."""
    timeline, placed, in_gap = build(request.param, sources)
    output = tmp_path_factory.mktemp("sampling_render") / "master.mov"
    otio.adapters.write_to_file(timeline, str(output), adapter_name="stillmotion_render",
                                size="320x180")
    codes = [read_code(luma) for luma in luma_frames(output)]
    return timeline, placed, in_gap, codes


Grabs = dict[tuple[Path, int], "int | None"]


@pytest.fixture(scope="module")
def grabs() -> Grabs:
    """Codes of stills already grabbed (media, frame) -> code, shared across the matrix."""
    return {}


def _still_code(timeline: Any, frame: int, grabs: Grabs, workdir: Path) -> tuple[int | None, str]:
    """The code of the still the generate path sends for record ``frame``, and the clip name."""
    found = locate(timeline, frame)
    key = (found.media_path, found.source_frame_index)
    if key not in grabs:
        still = workdir / f"{found.media_path.stem}-{found.source_frame_index}.png"
        grab_frame(found.media_path, still, frame=found.source_frame_index, overwrite=True)
        grabs[key] = read_code(luma_of_image(still))
    return grabs[key], found.clip_name


def test_the_still_sent_is_the_frame_the_master_shows(
    case: tuple[Any, list[Placed], int, list[Any]], grabs: Grabs, tmp_path: Path
) -> None:
    timeline, placed, _, codes = case
    assert len(codes) == placed[-1].end
    checked = 0
    for clip in placed:
        assert clip_at(timeline, clip.start).end == clip.end   # extend's out point
        for frame in _frames_to_check(clip):
            k = frame - clip.start
            want = FIRST + _brute(k, clip.step)
            still, name = _still_code(timeline, frame, grabs, tmp_path)
            assert (name, still, codes[frame]) == (clip.name, want, want), (clip, frame)
            checked += 1
    assert checked >= 2 * len(placed)


def test_fill_gap_frames_are_the_frames_around_the_gap_in_the_master(
    case: tuple[Any, list[Placed], int, list[Any]], grabs: Grabs, tmp_path: Path
) -> None:
    timeline, placed, in_gap, codes = case
    gap = gap_at(timeline, in_gap, label="the gap")
    before, after = placed[-3], placed[-2]
    assert (gap.start, gap.end) == (before.end, after.start)
    assert codes[gap.start] is None and codes[gap.end - 1] is None     # black
    for frame, clip in ((gap.start - 1, before), (gap.end, after)):
        still, name = _still_code(timeline, frame, grabs, tmp_path)
        assert (name, still, codes[frame]) == (
            clip.name, FIRST + _brute(frame - clip.start, clip.step), codes[frame])
        assert still is not None


@pytest.mark.parametrize(("source", "output"), [(Fraction(30), R23), (Fraction(25), Fraction(24)),
                                               (R5994, Fraction(25)), (Fraction(24), R2997)],
                         ids=["30-23.976", "25-24", "59.94-25", "24-29.97"])
def test_bare_ffmpeg_fps_filter_follows_the_stated_rule(
    sources: dict[Fraction, Path], source: Fraction, output: Fraction, tmp_path: Path
) -> None:
    """ffmpeg's own fps filter (default rounding), without stillmotion's graph: output frame k
    of a file starting at 0 shows max{i : round_half_up(i x output / source) <= k}."""
    out = tmp_path / "fps.mov"
    run(["-i", media_arg(sources[source]), "-vf", f"fps={output.numerator}/{output.denominator}",
         "-c:v", "mjpeg", "-q:v", "3", "-an", "-y", media_arg(out)], output=out, what="fps test")
    codes = [read_code(luma) for luma in luma_frames(out)][:16]
    assert codes == [_brute(k, source / output) for k in range(len(codes))]
    assert len(codes) == 16 and codes != list(range(16))


def test_the_matrix_covers_frames_where_flooring_was_wrong(sources: dict[Fraction, Path]) -> None:
    """Without mixed-rate frames where floor and the fps rule part, the test above proves
    nothing about the bug it guards against (locate used to floor)."""
    parted = [(record, clip.name) for record in TIMELINE_RATES
              for clip in build(record, sources)[1]
              for frame in _frames_to_check(clip)
              if math.floor((frame - clip.start) * clip.step)
              != _brute(frame - clip.start, clip.step)]
    assert len({record for record, _ in parted}) == len(TIMELINE_RATES)
    assert len(parted) >= 20
