"""Long edits rendered in parts: a graph never opens more than the input limit, and the parts
joined show and sound exactly as one graph would.

The sample edit (support.render_media) has cuts, a dissolve, a gap, a 2x clip, a clip on a
higher track and two summed audio tracks; rendered with a limit of a few inputs it is cut into
several parts, some of them inside the audio tracks' clips and the tone. Every frame outside the
dissolve must carry the code the one-graph render carries, and the sound must have the same
exact sample count and the same level in each stretch.
"""

from __future__ import annotations

import stat
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from stillmotion.errors import ConfigError
from stillmotion.media.assemble import assemble
from stillmotion.media.assembly import Assembly, Blank, Show, SourceSpan, cut, split
from stillmotion.media.conform import conform
from stillmotion.media.ffmpeg import ffmpeg_exe
from stillmotion.media.probe import probe
from stillmotion.timeline.render import plan_timeline
from support.conform_media import audio_peak, audio_samples
from support.framecode import fit_rect, luma_frames, read_code
from support.render_media import clip, make_media, sample_edit, track

SIZE = (320, 180)
SAMPLES_PER_FRAME = 2000  # 48000 / 24
WINDOW = range(26, 38)  # the dissolve: blended frames carry no readable code


def code(luma: np.ndarray) -> int | None:
    return read_code(luma, fit_rect((16, 9), SIZE, "letterbox"))


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("parts_media"))


class InputCounts:
    """Puts a wrapper in front of ffmpeg (STILLMOTION_FFMPEG) that logs how many inputs each
    ffmpeg process is given: every ffmpeg the render starts, whichever module starts it."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log = folder / "inputs.log"
        wrapper = folder / "counting-ffmpeg"
        wrapper.write_text(
            "#!/bin/sh\nn=0\nfor a in \"$@\"; do [ \"$a\" = -i ] && n=$((n+1)); done\n"
            f'echo $n >> "{self.log}"\nexec "{ffmpeg_exe()}" "$@"\n', encoding="utf-8")
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setenv("STILLMOTION_FFMPEG", str(wrapper))

    @property
    def inputs(self) -> list[int]:
        """Inputs of each ffmpeg run that read anything (``-version`` checks left out)."""
        counts = [int(n) for n in self.log.read_text().split()] if self.log.exists() else []
        return [n for n in counts if n > 0]


@pytest.fixture(scope="module")
def whole_and_parts(
    media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, list[int]]:
    folder = tmp_path_factory.mktemp("parts_out")
    edit = plan_timeline(sample_edit(media))
    whole = assemble(edit, folder / "whole.mov", size=SIZE).path
    with pytest.MonkeyPatch.context() as monkeypatch:
        counts = InputCounts(folder, monkeypatch)
        parts = assemble(edit, folder / "parts.mov", size=SIZE, max_inputs=4).path
    return whole, parts, counts.inputs


def test_each_part_graph_opens_at_most_the_limit(
    whole_and_parts: tuple[Path, Path, list[int]],
) -> None:
    sizes = whole_and_parts[2]
    assert len(sizes) >= 3 and max(sizes) <= 4


def test_parts_hold_the_same_frames_and_samples_as_one_graph(
    whole_and_parts: tuple[Path, Path, list[int]],
) -> None:
    whole, parts, _ = whole_and_parts
    assert probe(parts).require_video().frame_count == 90
    assert audio_samples(parts) == audio_samples(whole) == 90 * SAMPLES_PER_FRAME
    got = [code(luma) for luma in luma_frames(parts)]
    want = [code(luma) for luma in luma_frames(whole)]
    outside = [n for n in range(90) if n not in WINDOW]
    assert [got[n] for n in outside] == [want[n] for n in outside]
    assert got[25] == 31 and got[66] == 11  # spelled out on both sides of two edits


def test_parts_sound_as_one_graph_in_every_stretch(
    whole_and_parts: tuple[Path, Path, list[int]]
) -> None:
    whole, parts, _ = whole_and_parts
    for first, end in ((0, 20), (20, 30), (30, 60), (60, 90)):
        low, high = first * SAMPLES_PER_FRAME + 200, end * SAMPLES_PER_FRAME - 200
        assert audio_peak(parts, low, high) == pytest.approx(audio_peak(whole, low, high),
                                                             abs=0.01)


def test_forty_cuts_render_in_parts_frame_exact(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forty cuts of one clip with a limit of 6 inputs: the render runs in parts of at most 6
    inputs and lasts exactly the edit, each cut starting on its own source frame."""
    items = [clip(f"shot{n}", media["a24.mp4"], n % 40, 3) for n in range(40)]
    timeline = otio.schema.Timeline(name="long")
    timeline.tracks.append(track("V1", items))
    edit = plan_timeline(timeline)
    counts = InputCounts(tmp_path, monkeypatch)
    output = assemble(edit, tmp_path / "long.mp4", size=SIZE, max_inputs=6,
                      preset="h264-web").path
    assert len(counts.inputs) >= 7 and max(counts.inputs) <= 6
    codes = [code(luma) for luma in luma_frames(output)]
    assert len(codes) == 120
    assert [codes[3 * n] for n in range(40)] == [n % 40 for n in range(40)]


def test_a_limit_below_one_shot_is_refused(media: dict[str, Path], tmp_path: Path) -> None:
    edit = plan_timeline(sample_edit(media))
    with pytest.raises(ConfigError, match="more than 1 ffmpeg inputs"):
        assemble(edit, tmp_path / "x.mov", size=SIZE, max_inputs=1)
    assert list(tmp_path.iterdir()) == []


def test_split_keeps_every_layer_as_long_as_the_picture() -> None:
    span = SourceSpan(Path("a.mov"), 10, Fraction(24), Fraction(24))
    edit = Assembly(Fraction(24), (Show(span, 0, 5), Blank(3), Show(span, 4, 6)),
                    sound=((Show(span, 0, 14),),))
    parts = split(edit, [5, 8])
    assert [p.frames for p in parts] == [5, 3, 6]
    assert [sum(e.frames for e in p.sound[0]) for p in parts if p.sound] == [5, 3, 6]
    assert parts[2].sound is not None
    assert parts[2].sound[0] == (Show(span, 8, 6),)
    assert cut(Show(span, 2, 6), 4) == (Show(span, 2, 4), Show(span, 6, 2))


@pytest.mark.parametrize("source", ["h264", "dnxhr"])
def test_forty_plain_cuts_stitch_in_groups(
    source: str, media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain cuts into an intra-only master go through stitch, in groups of at most the limit:
    by graph from H.264 sources, by stream copy from masters already in the master's format."""
    clip_path = media["a24.mp4"]
    if source == "dnxhr":
        clip_path = conform(clip_path, tmp_path / "a24_dnxhr.mov", size=SIZE)
    items = [clip(f"shot{n}", clip_path, n % 40, 3) for n in range(40)]
    timeline = otio.schema.Timeline(name="long")
    timeline.tracks.append(track("V1", items))
    counts = InputCounts(tmp_path, monkeypatch)
    result = assemble(plan_timeline(timeline), tmp_path / "long.mov", size=SIZE, max_inputs=6)
    assert result.method == ("copy" if source == "dnxhr" else "graph")
    assert max(counts.inputs) <= 6
    codes = [code(luma) for luma in luma_frames(result.path)]
    assert len(codes) == 120
    assert [codes[3 * n] for n in range(40)] == [n % 40 for n in range(40)]
