"""Rendering OTIO timelines: exact length, the right source frame on both sides of every edit.

Expectations are written out here from the edit's layout (support.render_media.sample_edit) and
the fps rule computed by brute force, never by calling the renderer's own arithmetic.

How the dissolve maps: OTIO's in_offset (4) and out_offset (8) around the cut at record frame 30
make the window [26, 38); xfade runs with offset 0 and duration 12 frames on two 12-frame
streams (A from its source frame 6 + 26 onwards, B started 4 record frames before its in point),
so window frame j is (1 - j/12) A + (j/12) B: frame 26 is pure A, frame 32 an even blend, and
frame 38 is pure B again.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio
import pytest

from stillmotion.cli import run
from stillmotion.errors import ConfigError, TimelineError
from stillmotion.media.conform import conform
from stillmotion.media.ffmpeg import Progress
from stillmotion.media.probe import probe
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.timeline.render import plan_timeline, render_timeline
from support.conform_media import audio_peak, audio_samples
from support.framecode import fit_rect, luma_frames, read_code
from support.render_media import (
    NTSC,
    clip,
    dissolve,
    fps_pick,
    gap,
    make_media,
    rt,
    sample_edit,
    track,
)

SIZE = (320, 180)
SAMPLES_PER_FRAME = 2000  # 48000 / 24
WINDOW = range(26, 38)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("render_media"))


@pytest.fixture(scope="module")
def rendered(
    media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[Progress]]:
    output = tmp_path_factory.mktemp("render_out") / "master.mov"
    events: list[Progress] = []
    otio.adapters.write_to_file(sample_edit(media), str(output),
                                adapter_name="stillmotion_render", size="320x180",
                                on_progress=events.append)
    return output, events


@pytest.fixture(scope="module")
def lumas(rendered: tuple[Path, list[Progress]]) -> list[np.ndarray]:
    return luma_frames(rendered[0])


def expected(record: int) -> int | None:
    """The source frame the edit shows at timeline-relative ``record`` (None: black)."""
    if record < 26:
        return 6 + record  # A, 24 fps on 24, frame for frame
    if 44 <= record < 50:
        return 50 + record - 44  # A on V2 covers B
    if 38 <= record < 54:
        return 12 + fps_pick(record - 30, Fraction(25), Fraction(24))  # B from its anchor at 30
    if 54 <= record < 66:
        return None  # the gap
    return 10 + fps_pick(record - 66, 2 * NTSC, Fraction(24))  # C at 2x


def code(luma: np.ndarray) -> int | None:
    return read_code(luma, fit_rect((16, 9), SIZE, "letterbox"))


def test_master_lasts_exactly_the_timeline(
    media: dict[str, Path], rendered: tuple[Path, list[Progress]], lumas: list[np.ndarray]
) -> None:
    output, events = rendered
    frames = sample_edit(media).duration().rescaled_to(24).value
    assert frames == 90
    video = probe(output).require_video()
    assert (video.frame_count, video.rate, video.size) == (90, Fraction(24), SIZE)
    assert len(lumas) == 90
    assert audio_samples(output) == 90 * SAMPLES_PER_FRAME
    assert events and events[-1].done


def test_every_frame_outside_the_dissolve_shows_the_expected_source_frame(
    lumas: list[np.ndarray],
) -> None:
    got = {n: code(lumas[n]) for n in range(90) if n not in WINDOW}
    want = {n: expected(n) for n in got}
    assert got == want
    # Spelled out on each side of every edit, so a failure reads at a glance.
    sides = {25: 31, 38: 20, 43: 26, 44: 50, 49: 55, 50: 33, 53: 36, 54: None, 65: None,
             66: 11, 67: 13, 89: 68}
    assert {n: got[n] for n in sides} == sides


def test_black_gap_is_black(lumas: list[np.ndarray]) -> None:
    for n in range(54, 66):
        assert float(lumas[n].max()) < 24


def test_dissolve_window_follows_the_in_and_out_offsets(
    media: dict[str, Path], lumas: list[np.ndarray]
) -> None:
    assert code(lumas[26]) == 6 + 26  # first window frame: all outgoing
    a = luma_frames(media["a24.mp4"])[6 + 32]
    b = luma_frames(media["b25.mp4"])[12 + fps_pick(32 - 30, Fraction(25), Fraction(24))]
    middle = lumas[32]
    blend = (a + b) / 2
    assert np.abs(middle - blend).mean() < 3
    assert np.abs(middle - a).mean() > 4 * np.abs(middle - blend).mean()
    assert np.abs(middle - b).mean() > 4 * np.abs(middle - blend).mean()
    assert code(middle) is None  # the code band is grey where the two codes differ


def test_audio_tracks_are_summed_and_gaps_are_silent(
    rendered: tuple[Path, list[Progress]],
) -> None:
    output = rendered[0]

    def peak(first: int, end: int) -> float:
        return audio_peak(output, first * SAMPLES_PER_FRAME + 200, end * SAMPLES_PER_FRAME - 200)

    clip_only, both, tone_only, silence = peak(0, 20), peak(20, 30), peak(30, 60), peak(60, 90)
    assert 0.05 < clip_only < 0.12  # the clips' 1/8 sine, stereo from mono (-3 dB)
    assert 0.15 < tone_only < 0.2  # the tone, twice as loud
    assert both > tone_only + 0.05  # summed, not averaged
    assert silence < 1e-4


def test_a_range_renders_those_record_frames(
    media: dict[str, Path], tmp_path: Path
) -> None:
    output = tmp_path / "part.mov"
    result = render_timeline(sample_edit(media), output, size=SIZE,
                             record_range=otio.opentime.TimeRange(rt(40), rt(30)))
    assert result.frames == 30
    assert [code(luma) for luma in luma_frames(output)] == [expected(40 + k) for k in range(30)]


def test_chosen_tracks_render_alone_with_the_pictures_sound(
    media: dict[str, Path], tmp_path: Path
) -> None:
    edit = sample_edit(media)
    plan = plan_timeline(edit, tracks=["V2"])
    assert plan.sound is None
    assert [type(e).__name__ for e in plan.picture] == ["Blank", "Show", "Blank"]
    assert plan.frames == 44 + 6 + 26 + 5  # V2 ends with its disabled clip
    output = tmp_path / "v2.mov"
    render_timeline(edit, output, tracks="V2", size=SIZE)
    codes = [code(luma) for luma in luma_frames(output)]
    assert codes == [None] * 44 + list(range(50, 56)) + [None] * 31
    sound = 2000
    assert audio_peak(output, 0, 44 * sound - 200) < 1e-4
    assert audio_peak(output, 44 * sound + 200, 50 * sound - 200) > 0.05


def test_same_timecode_base_plays_frame_for_frame(tmp_path: Path) -> None:
    film = render_clip(tmp_path / "film.mov",
                       ClipSpec(320, 180, Fraction(24000, 1001), 30, audio_rate=None))
    edit = otio.schema.Timeline(name="film on 24")
    edit.tracks.append(track("V1", [clip("film", film, 5, 20, rate=24000 / 1001,
                                         duration_rate=24000 / 1001)]))
    output = tmp_path / "film24.mov"
    render_timeline(edit, output)
    assert probe(output).require_video().rate == Fraction(24000, 1001)
    assert [code(luma) for luma in luma_frames(output)] == list(range(5, 25))


def test_intra_only_masters_cut_together_are_joined_by_stream_copy(
    media: dict[str, Path], tmp_path: Path
) -> None:
    one = conform(media["a24.mp4"], tmp_path / "one.mov", size=SIZE, rate=Fraction(24))
    two = conform(media["b25.mp4"], tmp_path / "two.mov", size=SIZE, rate=Fraction(24))
    edit = otio.schema.Timeline(name="masters")
    edit.tracks.append(track("V1", [clip("one", one, 2, 12), clip("two", two, 0, 10)]))
    output = tmp_path / "joined.mov"
    result = render_timeline(edit, output)
    assert (result.method, result.frames) == ("copy", 22)
    two_codes = [code(luma) for luma in luma_frames(two)]
    assert [code(luma) for luma in luma_frames(output)] == list(range(2, 14)) + two_codes[:10]


def test_fades_freeze_frames_and_the_pictures_own_sound(
    media: dict[str, Path], tmp_path: Path
) -> None:
    """No audio tracks: the sound follows the picture, through dissolves and fades too."""
    freeze = clip("freeze", media["a24.mp4"], 20, 6)
    freeze.effects.append(otio.schema.FreezeFrame())
    edit = otio.schema.Timeline(name="fades")
    edit.tracks.append(track("V1", [
        gap(6), dissolve(0, 4), clip("A", media["a24.mp4"], 6, 20), dissolve(3, 3),
        clip("B", media["b25.mp4"], 12, 25, rate=25, duration_rate=25), freeze,
        dissolve(2, 0), gap(4),
    ]))
    output = tmp_path / "fades.mov"
    result = render_timeline(edit, output, size=SIZE)
    assert result.frames == 60
    lumas_ = luma_frames(output)
    codes = [code(luma) for luma in lumas_]
    windows = set(range(6, 10)) | set(range(23, 29)) | set(range(54, 56))

    def want(record: int) -> int | None:
        if record < 6 or record >= 56:
            return None
        if record < 26:
            return record  # A from source 6 placed at record 6
        if record < 50:
            return 12 + fps_pick(record - 26, Fraction(25), Fraction(24))
        return 20  # the freeze frame

    assert {n: codes[n] for n in range(60) if n not in windows} == {
        n: want(n) for n in range(60) if n not in windows}
    assert float(lumas_[6].max()) < 24  # the fade from black starts all black
    assert audio_samples(output) == 60 * SAMPLES_PER_FRAME

    def peak(first: int, end: int) -> float:
        return audio_peak(output, first * SAMPLES_PER_FRAME + 100, end * SAMPLES_PER_FRAME - 100)

    assert peak(0, 6) < 1e-4 and peak(50, 54) < 1e-4 and peak(56, 60) < 1e-4
    assert peak(10, 23) > 0.05 and peak(23, 29) > 0.05 and peak(29, 50) > 0.05


# -- refusals ------------------------------------------------------------------------------------


def _one_track(items: list[Any]) -> Any:
    edit = otio.schema.Timeline(name="bad")
    edit.tracks.append(track("V1", items))
    return edit


def test_offline_media_names_the_clip_and_writes_nothing(tmp_path: Path) -> None:
    edit = _one_track([clip("lost", tmp_path / "gone.mov", 0, 10)])
    with pytest.raises(TimelineError, match="'lost' is offline"):
        render_timeline(edit, tmp_path / "out.mov", size=SIZE)
    assert list(tmp_path.iterdir()) == []


def test_unknown_track_lists_the_tracks(media: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match=r"no track 'Nope'.*V1 'V1'.*A2 'A2'"):
        plan_timeline(sample_edit(media), tracks=["Nope"])


def test_other_transitions_are_refused(media: dict[str, Path]) -> None:
    wipe = dissolve(2, 2)
    wipe.transition_type = otio.schema.TransitionTypes.Custom
    edit = _one_track([clip("A", media["a24.mp4"], 6, 10), wipe,
                       clip("A2", media["a24.mp4"], 30, 10)])
    with pytest.raises(TimelineError, match="not a dissolve"):
        plan_timeline(edit)


def test_dissolve_without_handles_is_refused(media: dict[str, Path]) -> None:
    edit = _one_track([clip("A", media["a24.mp4"], 6, 10), dissolve(4, 0),
                       clip("from zero", media["a24.mp4"], 0, 10)])
    with pytest.raises(TimelineError, match="'from zero' needs frames -4-"):
        plan_timeline(edit)


def test_clip_past_the_end_of_its_media_is_refused(media: dict[str, Path]) -> None:
    edit = _one_track([clip("long", media["a24.mp4"], 50, 20), gap(2)])
    with pytest.raises(TimelineError, match=r"'long' needs frames 50-69 of a24\.mp4"):
        plan_timeline(edit)


# -- stillmotion stitch --timeline -----------------------------------------------------------------


def _ai_timeline(media: dict[str, Path], folder: Path) -> Path:
    edit = otio.schema.Timeline(name="with ai")
    edit.tracks.extend([
        track("V1", [clip("A", media["a24.mp4"], 0, 40)]),
        track("AI Generated", [gap(10), clip("gen", media["b25.mp4"], 0, 25, rate=25,
                                             duration_rate=25)]),
    ])
    path = folder / "cut.otio"
    otio.adapters.write_to_file(edit, str(path))
    return path


def test_stitch_command_renders_one_track_of_a_timeline(
    media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _ai_timeline(media, tmp_path)
    output = tmp_path / "ai master.mov"
    code_ = run(["stitch", "--timeline", str(source), "--track", "AI Generated",
                 "-o", str(output), "--size", "320x180"])
    captured = capsys.readouterr()
    assert code_ == 0, captured.err
    assert captured.out.strip() == str(output)
    assert "34 frames" in captured.err and "gaps need re-encoding" in captured.err
    codes = [code(luma) for luma in luma_frames(output)]
    assert codes == [None] * 10 + [fps_pick(k, Fraction(25), Fraction(24)) for k in range(24)]
    assert audio_samples(output) == 34 * SAMPLES_PER_FRAME
    assert audio_peak(output, 0, 10 * SAMPLES_PER_FRAME - 100) < 1e-4  # the gap is silent
    assert audio_peak(output, 10 * SAMPLES_PER_FRAME + 200, 34 * SAMPLES_PER_FRAME) > 0.05


def test_stitch_command_timeline_mistakes_are_one_line(
    media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _ai_timeline(media, tmp_path)
    output = tmp_path / "out.mov"
    cases = [
        (["--track", "Nope"], "There is no track 'Nope' in the timeline"),
        (["--crossfade", "0.5"], "--crossfade, --loudnorm and --rate-policy apply to clip"),
        ([str(media["a24.mp4"])], "Give either clips to stitch or --timeline, not both."),
    ]
    for extra, message in cases:
        status = run(["stitch", "--timeline", str(source), "-o", str(output), *extra])
        err = capsys.readouterr().err
        assert status == 3
        assert message in err and len(err.strip().splitlines()) == 1
        assert not output.exists()
