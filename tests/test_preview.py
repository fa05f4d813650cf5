"""The preview engine: prompt camera moves, the planned path, and clips rendered along it.

Rendered frames are measured (dot centroids, see support.camera_probe) and compared with the
plan, so a renderer that drifts, stair-steps on whole pixels or moves during a hold fails here.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from stillmotion.errors import ConfigError, ProbeError
from stillmotion.media.ffmpeg import Progress
from stillmotion.media.probe import probe
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.moves import find_moves, parse_beats, parse_duration, schedule
from stillmotion.preview import (
    is_preview,
    plan,
    render_extension,
    render_preview,
    render_spritesheet,
    render_thumbnail,
)
from stillmotion.preview import render as render_module
from stillmotion.preview.audio import wants_ambience
from stillmotion.preview.overlay import mark_rect
from support.camera_probe import luma_frames, measure_camera, render_dot_still, rgb_frame
from support.framecode import read_code

FIVE_BEATS = "Start static 0.5 s, dolly-in 2 s, hold 1 s, pan left 1.5 s"
SIZE = (320, 180)
FPS = 30


@pytest.fixture(scope="module")
def dot_still(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_dot_still(tmp_path_factory.mktemp("still") / "dots.png", SIZE)


@pytest.fixture(scope="module")
def five_beat_clip(dot_still: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("five") / "five.mp4"
    return render_preview(out, prompt=FIVE_BEATS, size=SIZE, seconds=5, image=dot_still)


def audio_samples(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])


# --- reading moves -------------------------------------------------------------------------


def test_five_beat_prompt_gives_exact_beats() -> None:
    laid = schedule(parse_beats(FIVE_BEATS), 5)
    got = [(b.start, b.end, [m.label for m in b.moves]) for b in laid.beats]
    assert got == [
        (Fraction(0), Fraction(1, 2), ["static"]),
        (Fraction(1, 2), Fraction(5, 2), ["dolly in"]),
        (Fraction(5, 2), Fraction(7, 2), ["static"]),
        (Fraction(7, 2), Fraction(5), ["pan left"]),
    ]
    assert all(isinstance(b.start, Fraction) for b in laid.beats)
    assert not laid.clipped and not laid.dropped and laid.overrun == 0


@pytest.mark.parametrize(("text", "seconds"), [
    ("dolly in for 2 s", Fraction(2)), ("pan left over 2 seconds", Fraction(2)),
    ("tilt up 2s", Fraction(2)), ("zoom out 1.5 s", Fraction(3, 2)),
    ("truck right 500 ms", Fraction(1, 2)), ("hold for half a second", Fraction(1, 2)),
    ("orbit for two seconds", Fraction(2)), ("a 3-second push in", Fraction(3)),
    ("pan left", None),
])
def test_durations(text: str, seconds: Fraction | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "labels"), [
    ("slow dolly in, steam rising from the cup, warm light", ["dolly in"]),
    ("the camera pushes in then pulls back", ["dolly in", "dolly out"]),
    ("zooming out, panning to the right", ["zoom out", "pan right"]),
    ("trucks left, tilts down, pedestal up, crane down", ["truck left", "tilt down",
                                                          "pedestal up", "pedestal down"]),
    ("orbit around the cup to the left", ["orbit left"]),
    ("arc right then circle around her", ["orbit right", "orbit right"]),
    ("static shot. Hold on the face", ["static", "static"]),
    ("A woman holds a cup and smiles", []),
    ("without zooming, truck left", ["truck left"]),
    ("Avoid: zoom, fast pans.\nNo tilt", []),
    ("Action: she tilts her head up.\nTiming: pan left 2 s.", ["pan left"]),
    ("a frying pan on a stove", ["pan right"]),  # a known limit: nouns that are verbs
])
def test_camera_verbs(text: str, labels: list[str]) -> None:
    assert [m.label for m in find_moves(text)] == labels


def test_speed_words_scale_the_nearest_move() -> None:
    moves = find_moves("slow dolly in and whip pan left, fast tilt up, very slow zoom out")
    assert [(m.label, m.speed) for m in moves] == [
        ("dolly in", Fraction(1, 2)), ("pan left", Fraction(3)), ("tilt up", Fraction(2)),
        ("zoom out", Fraction(1, 4)),
    ]
    slow, normal = plan("slow dolly in", 2), plan("dolly in", 2)
    assert math.log(slow.at(2)[0]) == pytest.approx(math.log(normal.at(2)[0]) / 2)


def test_moves_in_one_clause_share_a_beat_and_conflicts_are_found() -> None:
    beats = parse_beats("dolly in and pan left over 2 s, then dolly in and pull back")
    assert [len(b.moves) for b in beats] == [2, 2]
    assert beats[0].duration == 2 and not beats[0].conflicts
    assert [(a.label, b.label) for a, b in beats[1].conflicts] == [("dolly in", "dolly out")]


def _spans(*pairs: tuple[int, int]) -> list[tuple[Fraction, Fraction]]:
    """Whole-second (start, end) pairs as the exact times a schedule holds."""
    return [(Fraction(start), Fraction(end)) for start, end in pairs]


def test_schedule_shares_time_clips_and_holds() -> None:
    shared = schedule(parse_beats("static 1 s, dolly in, then pan left"), 5)
    assert [(b.start, b.end) for b in shared.beats] == _spans((0, 1), (1, 3), (3, 5))
    held = schedule(parse_beats("dolly in 1 s"), 3)
    assert held.beats[-1].implied
    assert [(held.beats[-1].start, held.beats[-1].end)] == _spans((1, 3))
    over = schedule(parse_beats("dolly in 3 s, pan left 3 s, tilt up 1 s, zoom in"), 4)
    assert [(b.start, b.end) for b in over.beats] == _spans((0, 3), (3, 4))
    assert [b.text for b in over.clipped] == ["pan left 3 s"]
    assert [s.text for s in over.dropped] == ["tilt up 1 s", "zoom in"]
    assert over.overrun == 3
    nothing = schedule([], 4)
    assert len(nothing.beats) == 1 and nothing.beats[0].end == 4


# --- the planned path ----------------------------------------------------------------------


def test_five_beat_path_numbers() -> None:
    path = plan(FIVE_BEATS, 5)
    assert path.at(0.25) == pytest.approx((1.0, 0.5, 0.5))
    assert path.at(0.5) == pytest.approx((1.0, 0.5, 0.5))
    zoom, cx, cy = path.at(1.5)  # mid-dolly: half way in log zoom (eased share 1/2)
    assert zoom == pytest.approx(math.sqrt(1.25)) and (cx, cy) == pytest.approx((0.5, 0.5))
    assert path.at(2.5) == pytest.approx((1.25, 0.5, 0.5))
    assert path.at(3.0) == pytest.approx(path.at(2.5))
    assert path.at(3.5) == pytest.approx(path.at(2.5))
    assert path.at(4.25) == pytest.approx((1.25, 0.46, 0.5))
    assert path.at(4.0)[1] > path.at(4.25)[1] > path.at(4.5)[1] > path.at(5.0)[1]
    assert path.at(5.0) == pytest.approx((1.25, 0.42, 0.5))
    assert path.starts_at_reference and path.base_zoom == pytest.approx(1.0)
    assert [(t, round(s.zoom, 6), round(s.cx, 6)) for t, s in path.keyframes] == [
        (0, 1.0, 0.5), (Fraction(1, 2), 1.0, 0.5), (Fraction(5, 2), 1.25, 0.5),
        (Fraction(7, 2), 1.25, 0.5), (5, 1.25, 0.42)]


@pytest.mark.parametrize("prompt", [
    FIVE_BEATS, "pan left 4 s", "pull back then pan right", "orbit right", "tilt down fast",
    "whip pan left, whip pan left, whip pan left, whip pan left", "crash zoom out",
    "slow dolly in then pull back fast", "no camera movement",
])
def test_path_stays_inside_the_picture_and_is_continuous(prompt: str) -> None:
    path = plan(prompt, 4)
    times = np.linspace(0, 4, 1601)
    values = np.array([path.at(float(t)) for t in times])
    zoom, cx, cy = values[:, 0], values[:, 1], values[:, 2]
    assert (zoom >= 1 - 1e-9).all()
    for centre in (cx, cy):
        assert (centre - 0.5 / zoom >= -1e-9).all() and (centre + 0.5 / zoom <= 1 + 1e-9).all()
    assert np.abs(np.diff(values, axis=0)).max() < 0.01  # no jumps between 2.5 ms samples
    pulls_back_first = prompt.startswith(("pull", "crash"))
    assert path.starts_at_reference is not pulls_back_first
    if path.starts_at_reference:
        assert path.at(0) == pytest.approx((1.0, 0.5, 0.5))


def test_bad_length_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        plan("dolly in", 0)


# --- rendered clips ------------------------------------------------------------------------


def test_rendered_frames_follow_the_plan(five_beat_clip: Path) -> None:
    path = plan(FIVE_BEATS, 5)
    frames = luma_frames(five_beat_clip)
    assert len(frames) == 150
    mask = mark_rect(SIZE)
    measured = np.array([measure_camera(luma, mask) for luma in frames])
    planned = np.array([path.at(Fraction(n, FPS)) for n in range(150)])
    zoom_error = np.abs(measured[:, 0] / planned[:, 0] - 1)
    centre_error_px = np.abs(measured[:, 1:] - planned[:, 1:]) * np.array(SIZE)
    assert zoom_error.max() < 0.003, zoom_error.max()
    assert centre_error_px.max() < 0.3, centre_error_px.max()
    # The moves really happen in the picture ...
    assert measured[74, 0] - measured[15, 0] > 0.24
    assert (measured[104, 1] - measured[149, 1]) * SIZE[0] > 24
    # ... and the static and hold beats do not move at all.
    for first, last in ((0, 15), (75, 105)):
        still = measured[first:last]
        assert np.ptp(still[:, 0]) < 0.0005
        assert (np.ptp(still[:, 1:], axis=0) * np.array(SIZE)).max() < 0.03


def test_slow_move_is_smooth_below_a_pixel(dot_still: Path, tmp_path: Path) -> None:
    prompt = "very slow pan right over 3 s"
    clip = render_preview(tmp_path / "slow.mp4", prompt=prompt, size=SIZE, seconds=3,
                          image=dot_still)
    path = plan(prompt, 3)
    planned_px = np.array([path.at(Fraction(n, FPS))[1] * SIZE[0] for n in range(90)])
    # Whole-pixel placement (zoompan, crop) would be off by up to half a pixel here.
    assert np.abs(planned_px - np.round(planned_px)).max() > 0.45
    assert np.diff(planned_px).max() < 0.25
    frames = luma_frames(clip)
    mask = mark_rect(SIZE)
    measured_px = np.array([measure_camera(luma, mask)[1] * SIZE[0] for luma in frames])
    assert np.abs(measured_px - planned_px).max() < 0.12
    assert np.diff(measured_px).min() > -0.03  # monotone within measuring noise
    moving = np.diff(planned_px) > 0.05
    changed = np.array([np.abs(b - a).mean() > 0 for a, b in itertools.pairwise(frames)])
    assert moving.sum() > 40 and changed[moving].all()


def test_preview_clip_shape_sound_tag_and_mark(five_beat_clip: Path, dot_still: Path) -> None:
    info = probe(five_beat_clip, count_frames=True)
    video = info.require_video()
    assert (video.codec, video.size, video.rate, video.frame_count) == ("h264", SIZE,
                                                                        Fraction(30), 150)
    assert abs(info.duration - 5) <= Fraction(1, 30)
    assert info.audio is not None and info.audio.codec == "aac"
    assert (info.audio.sample_rate, info.audio.channels) == (48000, 2)
    assert np.abs(audio_samples(five_beat_clip)).max() == 0  # no audio cue: silent bed
    assert info.tags["comment"] == "stillmotion preview"
    assert info.tags["stillmotion_preview"] == "1"
    assert is_preview(info) and not is_preview(probe(dot_still))
    x, y, w, h = mark_rect(SIZE)
    first = luma_frames(five_beat_clip)[0]
    assert first[y:y + h, x:x + w].max() > 200  # white PREVIEW letters on a black still


def test_backdrop_with_ambience_when_no_image(tmp_path: Path) -> None:
    prompt = "Waves on a beach at dusk, slow push in over 2 s. Audio: surf and wind."
    clip = render_preview(tmp_path / "backdrop.mp4", prompt=prompt, size=(256, 144),
                          seconds=2)
    info = probe(clip, count_frames=True)
    assert info.require_video().size == (256, 144) and info.require_video().frame_count == 60
    frames = luma_frames(clip)
    assert frames[0].std() > 10  # gradient, grid and text, not a flat colour
    assert np.abs(frames[59] - frames[0]).mean() > 2  # the camera moved
    samples = audio_samples(clip)
    level = 20 * math.log10(float(np.sqrt(np.mean(samples**2))))
    assert -50 < level < -20


@pytest.mark.parametrize(("prompt", "ambient"), [
    ("the sound of rain on glass", True), ("ambient room tone", True), ("soft music", True),
    ("Audio: waves", True), ("dolly in on a cup", False), ("Audio: none", False),
    ("silent, no music", False), ("no music, rain on the roof", True),
])
def test_audio_cues(prompt: str, ambient: bool) -> None:
    assert wants_ambience(prompt) is ambient


def test_mark_falls_back_to_a_box_without_fonts(
    dot_still: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render_module, "find_font", lambda: None)
    clip = render_preview(tmp_path / "nofont.mp4", prompt="static", size=SIZE, seconds=1,
                          image=dot_still)
    x, y, w, h = mark_rect(SIZE)
    box = rgb_frame(clip, 0)[y + h // 2, x + w // 4: x + w // 2]
    assert (box[:, 0] > 150).all() and (box[:, 1] < 90).all()  # red


def test_fast_mode_fits_another_shape_and_reports_progress(
    dot_still: Path, tmp_path: Path
) -> None:
    reports: list[Progress] = []
    clip = render_preview(tmp_path / "fast.mp4", prompt="dolly in", size=(144, 256),
                          seconds=1, image=dot_still, fast=True, on_progress=reports.append)
    video = probe(clip, count_frames=True).require_video()
    assert (video.size, video.frame_count, video.rate) == ((144, 256), 30, Fraction(30))
    assert reports and reports[-1].done


def test_many_beats_still_render(dot_still: Path, tmp_path: Path) -> None:
    prompt = ", ".join(["pan left 0.02 s", "tilt up 0.02 s", "zoom in 0.02 s"] * 40)
    assert len(plan(prompt, 3).segments) == 121
    clip = render_preview(tmp_path / "busy.mp4", prompt=prompt, size=(64, 36), seconds=3,
                          image=dot_still, fast=True)
    assert probe(clip, count_frames=True).require_video().frame_count == 90


def test_extension_continues_from_the_last_frame(five_beat_clip: Path, tmp_path: Path) -> None:
    out = render_extension(tmp_path / "ext.mp4", source_video=five_beat_clip,
                           prompt="pan right 2 s", seconds=2, size=SIZE)
    info = probe(out, count_frames=True)
    assert info.require_video().frame_count == 210 and info.duration == 7
    assert is_preview(info) and info.audio is not None
    frames = luma_frames(out)
    source = luma_frames(five_beat_clip)
    assert np.abs(frames[149] - source[149]).mean() < 1.0  # the source comes first, intact
    assert np.abs(frames[150] - frames[149]).mean() < 1.0  # continuity at the join
    mask = mark_rect(SIZE)
    start, end = measure_camera(frames[150], mask), measure_camera(frames[209], mask)
    assert (end[1] - start[1]) * SIZE[0] > 5  # the continuation pans right


def test_extension_of_a_silent_coded_clip(tmp_path: Path) -> None:
    source = render_clip(tmp_path / "coded.mp4",
                         ClipSpec(320, 180, Fraction(30), 45, audio_rate=None))
    out = render_extension(tmp_path / "ext.mp4", source_video=source, prompt="slow dolly in",
                           seconds=1, size=SIZE)
    info = probe(out, count_frames=True)
    assert info.require_video().frame_count == 75 and info.duration == Fraction(5, 2)
    assert info.audio is not None
    frames = luma_frames(out)
    assert [read_code(frames[i]) for i in (0, 44, 45)] == [0, 44, 44]


def test_thumbnail_and_spritesheet(five_beat_clip: Path, tmp_path: Path) -> None:
    thumb = render_thumbnail(five_beat_clip, tmp_path / "thumb.webp")
    data = thumb.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert probe(thumb).require_video().size == SIZE
    sheet = render_spritesheet(five_beat_clip, tmp_path / "sheet.jpg", columns=5, rows=2,
                               tile_width=64)
    assert sheet.read_bytes()[:3] == b"\xff\xd8\xff"
    assert probe(sheet).require_video().size == (5 * 64 + 4 * 2, 2 * 36 + 2)  # 2 px gaps


def test_bad_requests_fail_in_one_sentence_and_leave_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.mp4"
    with pytest.raises(ConfigError, match=r"even sizes"):
        render_preview(out, prompt="dolly in", size=(321, 180), seconds=2)
    with pytest.raises(ConfigError, match=r"whole seconds"):
        render_preview(out, prompt="dolly in", size=SIZE, seconds=0)
    with pytest.raises(ProbeError):
        render_preview(out, prompt="dolly in", size=SIZE, seconds=1, image=tmp_path / "no.png")
    assert list(tmp_path.iterdir()) == []
