"""Conform writes each preset's probe facts, maps frames by the stated rate rule, fails cleanly."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stillmotion.cli import run
from stillmotion.errors import ConfigError
from stillmotion.media.conform import (
    PRESETS,
    ConformTarget,
    colour_filters,
    conform,
    get_preset,
    make_target,
    output_frames,
    video_chain,
)
from stillmotion.media.probe import VideoFacts, audio_duration, probe
from support.conform_media import (
    NTSC_FILM,
    SMALL,
    audio_peak,
    audio_samples,
    codes,
    fps_source_frame,
    small_clip,
)
from support.framecode import luma_frames

# What a probe of each preset's output must say: codec, profile, pixel format, audio codec.
PRESET_FACTS = {
    "resolve-dnxhr-hq": ("dnxhd", "DNXHR HQ", "yuv422p", "pcm_s24le", ".mov"),
    "resolve-dnxhr-hqx": ("dnxhd", "DNXHR HQX", "yuv422p10le", "pcm_s24le", ".mov"),
    "prores-hq": ("prores", "HQ", "yuv422p10le", "pcm_s24le", ".mov"),
    "h264-web": ("h264", None, "yuv420p", "aac", ".mp4"),
}


@pytest.fixture(scope="module")
def clips(media_dir: Path) -> dict[str, Path]:
    return {name: small_clip(media_dir, name) for name in ("l30", "p30", "w30_silent", "l25",
                                                           "tc_23976")}


def assert_bt709(video: VideoFacts) -> None:
    assert (video.color_primaries, video.color_trc, video.colorspace, video.color_range) == (
        "bt709", "bt709", "bt709", "tv")


# --- presets -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", tuple(PRESET_FACTS))
def test_each_preset_writes_its_probe_facts(
    name: str, clips: dict[str, Path], tmp_path: Path
) -> None:
    codec, profile, pix_fmt, audio_codec, suffix = PRESET_FACTS[name]
    out = conform(clips["l30"], tmp_path / f"out{suffix}", preset=name, size=SMALL,
                  rate=NTSC_FILM)
    info = probe(out, count_frames=True)
    video = info.require_video()
    assert (video.codec, video.pix_fmt) == (codec, pix_fmt)
    if profile is not None:
        assert video.profile == profile
    assert (video.size, video.rate, video.sar) == (SMALL, NTSC_FILM, Fraction(1))
    assert video.frame_count == 24  # 30 frames at 30 fps -> round(30 * 24000/1001 / 30)
    assert_bt709(video)
    assert info.audio is not None
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == (
        audio_codec, 48000, 2)
    assert PRESETS[name].intra_only == (name != "h264-web")


def test_h264_web_puts_the_index_first_and_accepts_mov(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    mp4 = conform(clips["l30"], tmp_path / "web.mp4", preset="h264-web", size=SMALL)
    data = mp4.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")  # -movflags +faststart
    mov = conform(clips["l30"], tmp_path / "web.mov", preset="h264-web", size=SMALL)
    assert probe(mov).require_video().codec == "h264"


def test_unknown_preset_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        get_preset("dnxhd-lb")
    assert all(name in caught.value.message for name in PRESETS)


@pytest.mark.parametrize(("preset", "name"), [
    ("resolve-dnxhr-hq", "out.mp4"), ("prores-hq", "out.mkv"), ("h264-web", "out.mxf")])
def test_output_extension_must_match_the_container(
    preset: str, name: str, clips: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="writes"):
        conform(clips["l30"], tmp_path / name, preset=preset)
    assert list(tmp_path.iterdir()) == []


def test_dnxhr_refuses_a_size_below_its_minimum(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 256x120"):
        conform(clips["l30"], tmp_path / "tiny.mov", size=(128, 72))


# --- rate policies and frames --------------------------------------------------------------


def test_fps_policy_keeps_duration_and_maps_frames_by_the_rule(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    out = conform(clips["l25"], tmp_path / "fps.mov", size=SMALL, rate=NTSC_FILM)
    read = codes(out, SMALL)
    # 25 frames at 25 fps -> round(25 * 23.976 / 25) = 24 frames, one second as before.
    assert len(read) == 24
    assert read == [fps_source_frame(k, Fraction(25), NTSC_FILM, 25) for k in range(24)]
    assert read[0] == 0 and read[-1] == 24 and len(set(read)) == 24  # one frame dropped
    assert audio_samples(out) == 24 * 2002


def test_fps_policy_repeats_frames_going_up(clips: dict[str, Path], tmp_path: Path) -> None:
    out = conform(clips["l25"], tmp_path / "up.mov", size=SMALL, rate=Fraction(30))
    read = codes(out, SMALL)
    assert len(read) == 30
    assert read == [fps_source_frame(k, Fraction(25), Fraction(30), 25) for k in range(30)]
    assert len(set(read)) == 25


def test_retime_keeps_every_frame_and_changes_duration(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    out = conform(clips["l30"], tmp_path / "retime.mov", size=SMALL, rate=NTSC_FILM,
                  rate_policy="retime")
    info = probe(out, count_frames=True)
    assert codes(out, SMALL) == list(range(30))
    assert info.require_video().duration == Fraction(30) / NTSC_FILM
    assert audio_duration(out) == Fraction(30) / NTSC_FILM  # sound re-timed to the picture
    assert audio_peak(out, 0, 30 * 2002) > 0.05


def test_unknown_rate_policy_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"fps .* retime"):
        make_target(None, size=SMALL, rate=NTSC_FILM, rate_policy="blend")


def test_output_frames_counts() -> None:
    target = make_target(None, size=SMALL, rate=NTSC_FILM)
    assert output_frames(90, Fraction(30), target) == 72
    assert output_frames(7, Fraction(30), make_target(None, size=SMALL, rate=Fraction(25))) == 6
    assert output_frames(3, Fraction(30), make_target(None, size=SMALL, rate=Fraction(25))) == 3


# --- fit, colour, sound, timecode ----------------------------------------------------------


def test_letterbox_pads_and_fill_crops(clips: dict[str, Path], tmp_path: Path) -> None:
    boxed = conform(clips["p30"], tmp_path / "box.mov", size=SMALL, fit="letterbox")
    filled = conform(clips["p30"], tmp_path / "fill.mov", size=SMALL, fit="fill")
    assert codes(boxed, (180, 320), "letterbox") == list(range(30))
    boxed_first = luma_frames(boxed)[0]
    assert boxed_first[:, :40].mean() < 20  # black bars beside a pillarboxed portrait
    filled_first = luma_frames(filled)[0]
    assert filled_first[:, :40].mean() > 40  # the picture reaches the edges
    assert probe(filled).require_video().size == SMALL


def test_unknown_fit_is_refused(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="letterbox, fill"):
        conform(clips["l30"], tmp_path / "x.mov", fit="stretch")


def test_silent_source_gets_a_silent_stereo_track(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    out = conform(clips["w30_silent"], tmp_path / "silent.mov", size=SMALL, rate=Fraction(30))
    info = probe(out)
    assert info.audio is not None
    assert (info.audio.sample_rate, info.audio.channels, info.audio.layout) == (
        48000, 2, "stereo")
    assert audio_samples(out) == 30 * 1600
    assert audio_peak(out, 0, 30 * 1600) == 0.0


def test_defaults_keep_the_source_size_and_rate_and_timecode(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    out = conform(clips["tc_23976"], tmp_path / "same.mov")
    video = probe(out, count_frames=True).require_video()
    assert (video.size, video.rate, video.frame_count) == (SMALL, NTSC_FILM, 24)
    assert video.start_timecode == "01:00:00:00"
    assert codes(out, SMALL) == list(range(24))


def _facts(**changes: Any) -> VideoFacts:
    base: dict[str, Any] = {"codec": "h264", "profile": None, "width": 640, "height": 360,
            "sar": Fraction(1), "pix_fmt": "yuv420p", "rate": Fraction(30),
            "time_base": Fraction(1, 15360), "frame_count": 30, "duration": Fraction(1),
            "color_primaries": None, "color_trc": None, "colorspace": None,
            "color_range": None, "start_timecode": None}
    base.update(changes)
    return VideoFacts(**base)


def test_colour_is_converted_to_bt709_only_when_needed() -> None:
    assert colour_filters(_facts(width=1920, height=1080)) == []  # untagged HD reads as 709
    assert colour_filters(_facts(colorspace="bt709", color_range="tv")) == []
    assert "in_color_matrix=bt601" in colour_filters(_facts())[0]  # untagged SD reads as 601
    assert "in_range=pc" in colour_filters(_facts(pix_fmt="yuvj420p", width=1920))[0]
    assert colour_filters(_facts(pix_fmt="rgb24")) == [
        "scale=out_color_matrix=bt709:out_range=tv"]


def test_chain_order_follows_the_reference() -> None:
    target = ConformTarget(size=(1920, 1080), rate=NTSC_FILM, fit="pad", rate_policy="fps",
                           preset=get_preset("resolve-dnxhr-hq"))
    chain = video_chain(_facts(width=1280, height=720), target)
    names = [f.split("=")[0] for f in chain]
    assert names == ["setpts", "scale", "pad", "setsar", "fps", "format", "setparams"]
    assert chain[-1] == ("setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709"
                         ":range=tv")


# --- command line and bad input ------------------------------------------------------------


def test_cli_conforms_with_options(clips: dict[str, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.mov"
    code = run(["conform", str(clips["l30"]), "-o", str(out), "--size", "320x180",
                "--fps", "23.976", "--fit", "fill", "--rate-policy", "fps"])
    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip() == str(out)
    video = probe(out).require_video()
    assert (video.size, video.rate, video.profile) == (SMALL, NTSC_FILM, "DNXHR HQ")


@pytest.fixture
def bad_inputs(tmp_path: Path, clips: dict[str, Path]) -> dict[str, Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    text = folder / "notes.mp4"
    text.write_text("not a video at all\n" * 50)
    empty = folder / "empty.mp4"
    empty.touch()
    truncated = folder / "truncated.mp4"
    data = clips["l30"].read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    return {"missing": folder / "missing.mp4", "not_video": text, "empty": empty,
            "truncated": truncated}


@pytest.mark.parametrize("case", ["missing", "not_video", "empty", "truncated"])
def test_unreadable_input_is_one_sentence_and_leaves_nothing(
    case: str, bad_inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = run(["conform", str(bad_inputs[case]), "-o", str(out_dir / "x.mov")])
    err = capsys.readouterr().err
    assert code == 7
    assert err.startswith("stillmotion: ") and err.count("\n") == 1
    assert "Traceback" not in err
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize(("args", "needle"), [
    (["--preset", "nope"], "Unknown preset"),
    (["--size", "1920by1080"], "not a size"),
    (["--size", "1921x1080"], "odd side"),
    (["--fps", "fast"], "not a frame rate"),
    (["--fps", "0"], "usable frame rate"),
    (["--fit", "zoom"], "Unknown fit"),
    (["--rate-policy", "blend"], "Unknown rate policy"),
])
def test_bad_options_are_config_errors(
    args: list[str], needle: str, clips: dict[str, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run(["conform", str(clips["l30"]), "-o", str(tmp_path / "x.mov"), *args])
    err = capsys.readouterr().err
    assert code == 3, err
    assert needle in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_output_equal_to_input_is_refused(
    clips: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "clip.mov"
    shutil.copyfile(clips["tc_23976"], source)
    before = source.read_bytes()
    code = run(["conform", str(source), "-o", str(tmp_path / "." / "clip.mov"), "--overwrite"])
    assert code == 3
    assert "also an input" in capsys.readouterr().err
    assert source.read_bytes() == before


def test_existing_output_is_kept_unless_overwrite(
    clips: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "master.mov"
    out.write_bytes(b"precious")
    code = run(["conform", str(clips["l30"]), "-o", str(out), "--size", "320x180"])
    assert code == 3
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert run(["conform", str(clips["l30"]), "-o", str(out), "--size", "320x180",
                "--overwrite"]) == 0
    assert probe(out).require_video().codec == "dnxhd"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.mov"]


def test_failed_encode_leaves_nothing_behind(
    clips: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An MP4 with its index first, cut short: it probes as 30 frames but cannot deliver them.
    whole = conform(clips["l30"], tmp_path / "whole.mp4", preset="h264-web", size=SMALL)
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    whole.unlink()
    code = run(["conform", str(cut), "-o", str(tmp_path / "out.mov")])
    err = capsys.readouterr().err
    assert code == 7, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4"]


@pytest.mark.parametrize("name", ["with space.mp4", "ünïcødé клип.mp4", "-leading.mp4"])
def test_awkward_paths_work(
    name: str, clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "my clips ü"
    folder.mkdir()
    shutil.copyfile(clips["l30"], folder / name)
    monkeypatch.chdir(folder)
    out_name = "-out " + name.replace(".mp4", ".mov")
    code = run(["conform", f"--output={out_name}", "--size", "320x180", "--", name])
    assert code == 0, capsys.readouterr().err
    assert probe(folder / out_name).require_video().frame_count == 30
    assert {p.name for p in folder.iterdir()} == {name, out_name}
