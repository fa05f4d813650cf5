"""Stitch cuts exact frames, joins them in order (copy or one graph), and fails cleanly."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.cli import run
from stillmotion.errors import ConfigError
from stillmotion.media import loudness
from stillmotion.media.conform import conform
from stillmotion.media.ffmpeg import Progress
from stillmotion.media.probe import audio_duration, probe
from stillmotion.media.segments import Segment, parse_inputs, parse_segment
from stillmotion.media.stitch import stitch
from support.conform_media import (
    NTSC_FILM,
    SMALL,
    audio_peak,
    audio_samples,
    codes,
    fps_source_frame,
    small_clip,
)

MakeClip = Callable[[str], Path]
PORTRAIT = (180, 320)


@pytest.fixture(scope="module")
def clips(media_dir: Path) -> dict[str, Path]:
    return {name: small_clip(media_dir, name) for name in ("l30", "p30", "w30_silent", "l25",
                                                           "tc_23976")}


@pytest.fixture(scope="module")
def masters(clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """DNxHR HQ masters at 320x180 24000/1001 (24 frames each), plus two unlike ones."""
    folder = tmp_path_factory.mktemp("masters")
    made = {
        name: conform(clips[name], folder / f"{name}.mov", size=SMALL, rate=NTSC_FILM)
        for name in ("l30", "p30", "w30_silent")
    }
    made["hqx"] = conform(clips["l30"], folder / "hqx.mov", preset="resolve-dnxhr-hqx",
                          size=SMALL, rate=NTSC_FILM)
    made["big"] = conform(clips["l30"], folder / "big.mov", size=(384, 216), rate=NTSC_FILM)
    return made


# --- segment syntax ------------------------------------------------------------------------


def test_parse_frames_inclusive_and_open_end(tmp_path: Path) -> None:
    assert parse_segment("clip.mp4@12-96") == Segment(Path("clip.mp4"), 12, 97)
    assert parse_segment("clip.mp4@12-") == Segment(Path("clip.mp4"), 12, None)
    assert parse_segment("clip.mp4") == Segment(Path("clip.mp4"))
    assert parse_segment("a@b/clip@2.mp4@3-4") == Segment(Path("a@b/clip@2.mp4"), 3, 5)
    assert parse_segment("take@best.mp4") == Segment(Path("take@best.mp4"))


def test_a_file_named_like_a_range_is_taken_whole(tmp_path: Path) -> None:
    odd = tmp_path / "clip.mp4@1-2"
    odd.touch()
    assert parse_segment(str(odd)) == Segment(odd)


def test_parse_timecodes_honour_the_start_timecode(clips: dict[str, Path]) -> None:
    clip = clips["tc_23976"]  # starts at 01:00:00:00, 24 frames
    assert parse_segment(f"{clip}@01:00:00:03-01:00:00:20") == Segment(clip, 3, 21)
    with pytest.raises(ConfigError, match="before the start"):
        parse_segment(f"{clip}@00:59:59:00-01:00:00:05")
    with pytest.raises(ConfigError, match="end timecode is before"):
        parse_segment(f"{clip}@01:00:00:10-01:00:00:05")


def test_bad_ranges_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        parse_segment("clip.mp4@9-3")
    with pytest.raises(ConfigError):
        Segment.gap(0)
    with pytest.raises(ConfigError):
        parse_inputs([])


# --- trims and graph joins -----------------------------------------------------------------


def test_trim_gives_exactly_the_requested_frames(clips: dict[str, Path], tmp_path: Path) -> None:
    result = stitch([parse_segment(f"{clips['l30']}@5-20")], tmp_path / "trim.mov",
                    size=SMALL, rate=Fraction(30))
    read = codes(result.path, SMALL)
    assert read == list(range(5, 21))
    assert result.frames == 16 and result.method == "graph"
    assert probe(result.path, count_frames=True).require_video().frame_count == 16
    assert audio_samples(result.path) == 16 * 1600


def test_joins_map_every_frame_across_rates(clips: dict[str, Path], tmp_path: Path) -> None:
    segments = [
        parse_segment(f"{clips['l30']}@3-22"),   # 20 frames at 30 -> 16 at 24000/1001
        parse_segment(f"{clips['l25']}@2-"),     # 23 frames at 25 -> 22
        Segment.gap(5),
        parse_segment(f"{clips['p30']}@0-9"),    # 10 frames at 30 -> 8
    ]
    result = stitch(segments, tmp_path / "join.mov", size=SMALL, rate=NTSC_FILM)
    assert result.frames == 16 + 22 + 5 + 8
    video = probe(result.path, count_frames=True).require_video()
    assert video.frame_count == result.frames
    assert abs(video.duration - result.frames / NTSC_FILM) <= 1 / NTSC_FILM
    land, port = codes(result.path, SMALL), codes(result.path, PORTRAIT)
    expected: dict[int, int] = {}
    for k in (0, 1, 14, 15):
        expected[k] = 3 + fps_source_frame(k, Fraction(30), NTSC_FILM, 20)
    for k in (0, 1, 2, 20, 21):
        expected[16 + k] = 2 + fps_source_frame(k, Fraction(25), NTSC_FILM, 23)
    for k in (0, 1, 6, 7):
        expected[43 + k] = fps_source_frame(k, Fraction(30), NTSC_FILM, 10)
    for index, source in expected.items():
        read = port[index] if index >= 43 else land[index]
        assert read == source, (index, read, source)
    gap = range(38, 43)
    assert all(land[k] is None and port[k] is None for k in gap)
    assert audio_samples(result.path) == result.frames * 2002
    assert audio_peak(result.path, 38 * 2002, 43 * 2002) == 0.0  # the gap is silent
    assert audio_peak(result.path, 0, 16 * 2002) > 0.05


def test_stitch_acceptance_1080p_dnxhr(make_clip: MakeClip, tmp_path: Path) -> None:
    inputs = [f"{make_clip(name)}@0-29"
              for name in ("landscape_30", "portrait_30", "wide_30_silent")]
    result = stitch(parse_inputs(inputs), tmp_path / "master.mov", preset="resolve-dnxhr-hq",
                    size=(1920, 1080), rate=NTSC_FILM)
    info = probe(result.path, count_frames=True)
    video = info.require_video()
    assert (video.codec, video.profile, video.pix_fmt) == ("dnxhd", "DNXHR HQ", "yuv422p")
    assert (video.width, video.height, video.rate) == (1920, 1080, NTSC_FILM)
    assert video.sar == 1
    assert (video.color_primaries, video.color_trc, video.colorspace, video.color_range) == (
        "bt709", "bt709", "bt709", "tv")
    assert info.audio is not None
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == (
        "pcm_s24le", 48000, 2)
    assert video.frame_count == 3 * 24 == result.frames
    assert audio_duration(result.path) == Fraction(72) / NTSC_FILM


def test_retime_in_a_stitch_keeps_every_frame(clips: dict[str, Path], tmp_path: Path) -> None:
    segments = [parse_segment(f"{clips['l30']}@0-9"), parse_segment(f"{clips['l25']}@4-8")]
    result = stitch(segments, tmp_path / "retime.mov", size=SMALL, rate=NTSC_FILM,
                    rate_policy="retime")
    assert codes(result.path, SMALL) == [*range(10), *range(4, 9)]


# --- crossfades and loudness ---------------------------------------------------------------


def test_crossfade_total_and_frames_outside_the_fades(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    segments = [parse_segment(f"{clips['l30']}@0-14"), parse_segment(f"{clips['l30']}@15-29"),
                parse_segment(f"{clips['l30']}@0-14")]
    result = stitch(segments, tmp_path / "fade.mov", size=SMALL, rate=Fraction(30),
                    crossfade=Fraction(1, 6))  # 5 frames
    assert result.frames == 3 * 15 - 2 * 5
    read = codes(result.path, SMALL)
    assert len(read) == 35
    assert read[:10] == list(range(10))          # before the first fade
    assert read[15:20] == list(range(20, 25))    # the middle clip alone
    assert read[25:] == list(range(5, 15))       # after the second fade
    for k in range(10, 15):  # in a dissolve: the outgoing frame, the incoming one, or a blend
        assert read[k] in (None, k, 15 + k - 10), (k, read[k])
    assert None in read[10:15] and None in read[20:25]
    assert audio_samples(result.path) == 35 * 1600


def test_crossfade_longer_than_a_piece_is_refused(clips: dict[str, Path], tmp_path: Path) -> None:
    segments = [parse_segment(f"{clips['l30']}@0-3"), parse_segment(f"{clips['l30']}@4-20")]
    with pytest.raises(ConfigError, match="not longer than the crossfade"):
        stitch(segments, tmp_path / "x.mov", size=SMALL, crossfade=Fraction(1, 2))
    assert list(tmp_path.iterdir()) == []


def test_loudnorm_reaches_the_target(clips: dict[str, Path], tmp_path: Path) -> None:
    segments = [Segment(clips["l30"]), Segment(clips["w30_silent"]), Segment(clips["p30"])]
    result = stitch(segments, tmp_path / "loud.mov", size=SMALL, loudnorm=-16.0)
    assert result.loudness is not None
    assert result.loudness.normalization == "linear"
    assert result.loudness.measured < -19  # the 1/8-amplitude sine is about -21 LUFS
    measured = loudness.measure(result.path, -16.0).integrated
    assert abs(measured + 16.0) < 1.0
    assert probe(result.path, count_frames=True).require_video().frame_count == 90
    assert audio_samples(result.path) == 90 * 1600
    assert [p.name for p in tmp_path.iterdir()] == ["loud.mov"]  # no scratch left


def test_loudnorm_target_out_of_range(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LUFS"):
        stitch([Segment(clips["l30"])], tmp_path / "x.mov", loudnorm=3.0)


# --- stream-copy joins ---------------------------------------------------------------------


def test_copy_join_of_masters_is_exact(masters: dict[str, Path], tmp_path: Path) -> None:
    segments = [Segment(masters["l30"]), Segment(masters["p30"], 3, 11),
                Segment(masters["w30_silent"]), Segment(masters["l30"], 20, 24)]
    result = stitch(segments, tmp_path / "copy.mov")
    assert result.method == "copy" and result.copy_refused is None
    assert result.frames == 24 + 8 + 24 + 4
    assert probe(result.path, count_frames=True).require_video().frame_count == 60
    assert audio_duration(result.path) == Fraction(60) / NTSC_FILM
    master_land = codes(masters["l30"], SMALL)
    master_port = codes(masters["p30"], PORTRAIT)
    land, port = codes(result.path, SMALL), codes(result.path, PORTRAIT)
    assert land[:24] == master_land
    assert port[24:32] == master_port[3:11]
    assert land[56:] == master_land[20:24]


def test_copy_join_via_cli_reports_the_method(
    masters: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.mov"
    code = run(["stitch", f"{masters['l30']}@2-9", str(masters["p30"]), "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "by stream copy" in captured.err and "32 frames" in captured.err
    assert captured.out.strip() == str(out)


@pytest.mark.parametrize(("other", "reason"), [
    ("hqx", "is not resolve-dnxhr-hq"), ("big", "is not 320x180")])
def test_copy_join_is_refused_on_mismatch(
    other: str, reason: str, masters: dict[str, Path], tmp_path: Path
) -> None:
    result = stitch([Segment(masters["l30"]), Segment(masters[other])], tmp_path / "mix.mov")
    assert result.method == "graph"
    assert result.copy_refused is not None and reason in result.copy_refused
    video = probe(result.path, count_frames=True).require_video()
    assert (video.frame_count, video.size, video.profile) == (48, SMALL, "DNXHR HQ")
    read = codes(result.path, SMALL)
    assert read[:24] == codes(masters["l30"], SMALL)
    assert read[24:] == codes(masters["l30"], SMALL)


def test_copy_join_is_refused_for_other_presets_and_crossfades(
    masters: dict[str, Path], tmp_path: Path
) -> None:
    pieces = [Segment(masters["l30"]), Segment(masters["p30"])]
    fade = stitch(pieces, tmp_path / "fade.mov", crossfade=Fraction(1, 4))
    assert fade.method == "graph" and fade.frames == 48 - 6
    web = stitch(pieces, tmp_path / "web.mp4", preset="h264-web")
    assert web.method == "graph" and "not intra-only" in (web.copy_refused or "")


# --- progress and bad input ----------------------------------------------------------------


def test_progress_has_a_known_total(clips: dict[str, Path], tmp_path: Path) -> None:
    events: list[Progress] = []
    stitch([Segment(clips["l30"]), Segment(clips["p30"])], tmp_path / "p.mov", size=SMALL,
           loudnorm=-20.0, on_progress=events.append)
    assert events and all(e.total == pytest.approx(6.0) for e in events)
    assert [e.done for e in events].count(True) == 1 and events[-1].done
    fractions = [e.fraction for e in events if e.fraction is not None]
    assert len(fractions) == len(events) and fractions == sorted(fractions)


@pytest.mark.parametrize(("make_args", "code", "needle"), [
    (lambda c, t: [str(t / "missing.mp4")], 7, "does not exist"),
    (lambda c, t: [str(c["l30"]), str(t / "empty.mp4")], 7, "empty"),
    (lambda c, t: [str(c["l30"]), str(t / "notes.mov")], 7, "not readable media"),
    (lambda c, t: [f"{c['l30']}@10-40"], 3, "past the end"),
    (lambda c, t: [str(c["l30"]), "--preset", "mpeg2"], 3, "Unknown preset"),
    (lambda c, t: [str(c["l30"]), "--size", "big"], 3, "not a size"),
    (lambda c, t: [str(c["l30"]), "--fps", "-5"], 3, "frame rate"),
    (lambda c, t: [str(c["l30"]), "--crossfade", "soon"], 3, "seconds"),
    (lambda c, t: [str(c["l30"]), "--loudnorm", "loud"], 3, "loudness"),
])
def test_bad_input_is_one_sentence_and_leaves_nothing(
    make_args: Callable[[dict[str, Path], Path], list[str]], code: int, needle: str,
    clips: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "empty.mp4").touch()
    (tmp_path / "notes.mov").write_text("hello\n" * 100)
    before = sorted(p.name for p in tmp_path.iterdir())
    got = run(["stitch", *make_args(clips, tmp_path), "-o", str(tmp_path / "out.mov")])
    err = capsys.readouterr().err
    assert got == code, err
    assert err.startswith("stillmotion: ") and needle in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_output_that_is_an_input_or_exists(
    clips: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "a.mov"
    shutil.copyfile(clips["tc_23976"], source)
    before = source.read_bytes()
    assert run(["stitch", f"{source}@0-5", str(clips["l30"]), "-o", str(source),
                "--overwrite"]) == 3
    assert "also an input" in capsys.readouterr().err
    assert source.read_bytes() == before
    out = tmp_path / "out.mov"
    out.write_bytes(b"keep me")
    assert run(["stitch", str(source), "-o", str(out)]) == 3
    assert out.read_bytes() == b"keep me"
    assert run(["stitch", str(source), "-o", str(out), "--overwrite"]) == 0
    assert probe(out).require_video().frame_count == 24


def test_awkward_paths_and_leading_dash(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "ünï cødé"
    folder.mkdir()
    names = ["-dash.mp4", "with space@home.mp4", "клип.mp4"]
    for name in names:
        shutil.copyfile(clips["l30"], folder / name)
    monkeypatch.chdir(folder)
    code = run(["stitch", "--output=-out put.mov", "--size", "320x180", "--",
                "-dash.mp4@0-4", "with space@home.mp4@5-9", "клип.mp4"])
    assert code == 0, capsys.readouterr().err
    assert codes(folder / "-out put.mov", SMALL) == [*range(5), *range(5, 10), *range(30)]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*names, "-out put.mov"])


def test_copy_join_that_cannot_be_exact_falls_back_to_the_graph(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    # At 30000/1001 a frame is 1601.6 samples: a cut inside a master cannot be sample-exact.
    ntsc = Fraction(30000, 1001)
    master = conform(clips["l30"], tmp_path / "ntsc.mov", size=SMALL, rate=ntsc)
    result = stitch([Segment(master, 0, 7), Segment(master, 20, 27)], tmp_path / "out.mov")
    assert result.method == "graph"
    assert result.copy_refused is not None and "audio sample" in result.copy_refused
    assert codes(result.path, SMALL) == [*range(7), *range(20, 27)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ntsc.mov", "out.mov"]
