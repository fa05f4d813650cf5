"""Frame grabs are the exact frame asked for, fitted where fit_rect says, and fail cleanly."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import CLIP_SPECS
from stillmotion.cli import run
from stillmotion.errors import ConfigError
from stillmotion.media.ffmpeg import media_arg
from stillmotion.media.ffmpeg import run as run_ffmpeg
from stillmotion.media.frames import (
    fit_image,
    frame_index_for_seconds,
    frame_index_for_timecode,
    grab_frame,
    last_frame,
    thumbnail,
)
from stillmotion.media.probe import MediaInfo, VideoFacts, probe
from stillmotion.media.synth import ClipSpec, render_clip
from support.decode import (
    decoded_frame_count,
    decoded_lumas,
    image_pixels,
    image_rgb,
    luma_error,
    luma_from_rgb,
)
from support.framecode import fit_rect, luma_of_image, read_code

MakeClip = Callable[[str], Path]
CLIPS = tuple(CLIP_SPECS)
# The fixtures carry no colour tags: a grab must read them as BT.709 above SD, BT.601 at SD.
MATRIX = {"landscape_30": "bt709", "portrait_30": "bt709", "wide_30_silent": "bt709",
          "hd_23976_tc": "bt709", "ntsc_2997_df": "bt601"}
# Mean luma error of a still against the decoded source: about 0.7 (SD) and 2.4 (HD, where
# testsrc2's saturated colours clip in RGB) with the right matrix, above 11 with the wrong one.
LUMA_TOLERANCE = 4.0


def neighbours(name: str, *indices: int) -> list[int]:
    """The frames next to each index that exist in the clip, the indices included."""
    count = CLIP_SPECS[name].frames
    return sorted({n + d for n in indices for d in (-1, 0, 1) if 0 <= n + d < count})


def assert_is_frame(
    still: Path, clip: Path, name: str, index: int,
    references: dict[int, np.ndarray] | None = None,
) -> None:
    """The still carries frame ``index``'s code and is closest to it of its neighbours.

    ``references`` (decoded lumas including the neighbours) saves decoding the clip again.
    """
    near = neighbours(name, index)
    if references is None:
        references = decoded_lumas(clip, near)
    luma = luma_from_rgb(image_rgb(still), MATRIX[name])
    assert read_code(luma) == index
    errors = {n: luma_error(luma, references[n]) for n in near}
    assert errors[index] < LUMA_TOLERANCE, errors
    assert min(errors, key=lambda n: errors[n]) == index, errors


# --- exact frames -------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLIPS)
def test_grab_by_index_is_that_frame(name: str, make_clip: MakeClip, tmp_path: Path) -> None:
    clip = make_clip(name)
    spec = CLIP_SPECS[name]
    picks = (0, 1, spec.frames // 2, spec.frames - 1)
    references = decoded_lumas(clip, neighbours(name, *picks))
    for index in picks:
        still = grab_frame(clip, tmp_path / f"frame {index}.png", frame=index)
        assert image_pixels(still).shape == (spec.height, spec.width, 3)
        assert_is_frame(still, clip, name, index, references)


@pytest.mark.parametrize("name", CLIPS)
def test_last_frame_is_the_last_decoded_frame(
    name: str, make_clip: MakeClip, tmp_path: Path
) -> None:
    clip = make_clip(name)
    last = decoded_frame_count(clip) - 1
    assert last == CLIP_SPECS[name].frames - 1
    still = last_frame(clip, tmp_path / "last.png")
    assert_is_frame(still, clip, name, last)


def test_last_frame_when_audio_runs_past_the_picture(
    make_clip: MakeClip, tmp_path: Path
) -> None:
    clip = tmp_path / "long audio.mp4"
    twelve_frames = "0.4004"  # 12 frames at 30000/1001
    run_ffmpeg(["-t", twelve_frames, "-i", media_arg(make_clip("ntsc_2997_df")), "-f", "lavfi",
                "-i", "sine=duration=2", "-map", "0:v", "-map", "1:a", "-c:v", "libx264",
                "-crf", "18", "-c:a", "aac", "-y", media_arg(clip)])
    info = probe(clip)
    assert info.duration - info.require_video().duration > 1
    still = last_frame(clip, tmp_path / "last.png")
    assert read_code(luma_of_image(still)) == 11


@pytest.mark.parametrize(
    ("name", "timecode", "index"),
    [
        ("hd_23976_tc", "01:00:00:00", 0),
        ("hd_23976_tc", "01:00:00:05", 5),
        ("hd_23976_tc", "01:00:01:00", 24),
        ("hd_23976_tc", "01:00:02:23", 71),
        ("ntsc_2997_df", "00:59:59;28", 0),
        ("ntsc_2997_df", "00:59:59;29", 1),
        ("ntsc_2997_df", "01:00:00;00", 2),
        ("ntsc_2997_df", "01:00:00:00", 2),
        ("ntsc_2997_df", "01:00:02;27", 89),
    ],
)
def test_timecode_to_index_honours_start_and_drop_frame(
    name: str, timecode: str, index: int, make_clip: MakeClip
) -> None:
    assert frame_index_for_timecode(probe(make_clip(name)), timecode) == index


@pytest.mark.parametrize(
    ("name", "timecode", "index"),
    [("hd_23976_tc", "01:00:00:05", 5), ("ntsc_2997_df", "00:59:59;29", 1),
     ("ntsc_2997_df", "01:00:00;00", 2)],
)
def test_grab_by_timecode_on_the_command_line(
    *,
    name: str, timecode: str, index: int, make_clip: MakeClip, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clip = make_clip(name)
    out = tmp_path / "tc.png"
    assert run(["grab", str(clip), "--timecode", timecode, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert_is_frame(out, clip, name, index)


@pytest.fixture(scope="module")
def minute_df_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small 29.97 DF clip across a dropped minute boundary: 00:00:59;28, ;29, 01:00;02 …"""
    spec = ClipSpec(320, 180, Fraction(30000, 1001), 8, audio_rate=None,
                    start_timecode="00:00:59;28")
    return render_clip(tmp_path_factory.mktemp("df") / "minute df.mov", spec)


def test_drop_frame_minute_boundary(minute_df_clip: Path, tmp_path: Path) -> None:
    info = probe(minute_df_clip)
    assert info.require_video().start_timecode == "00:00:59;28"
    assert frame_index_for_timecode(info, "00:00:59;29") == 1
    assert frame_index_for_timecode(info, "00:01:00;02") == 2
    assert frame_index_for_timecode(info, "00:01:00;07") == 7
    with pytest.raises(ConfigError, match="does not exist in drop-frame"):
        frame_index_for_timecode(info, "00:01:00;00")
    still = grab_frame(minute_df_clip, tmp_path / "df.png", timecode="00:01:00;03")
    assert read_code(luma_of_image(still)) == 3


def made_up(rate: Fraction, frames: int, start: str | None) -> MediaInfo:
    """Stream facts without a file, for pure timecode arithmetic."""
    video = VideoFacts(
        codec="h264", profile=None, width=320, height=180, sar=Fraction(1), pix_fmt="yuv420p",
        rate=rate, time_base=1 / rate, frame_count=frames, duration=frames / rate,
        color_primaries=None, color_trc=None, colorspace=None, color_range=None,
        start_timecode=start,
    )
    return MediaInfo(Path("made up.mov"), "mov", video.duration, video, None, {})


def test_timecode_edges_without_media() -> None:
    ten = made_up(Fraction(30000, 1001), 10, "00:09:59;28")
    assert frame_index_for_timecode(ten, "00:10:00;00") == 2  # tenth minute: nothing dropped
    midnight = made_up(Fraction(25), 50, "23:59:59:00")
    assert frame_index_for_timecode(midnight, "23:59:59:24") == 24
    assert frame_index_for_timecode(midnight, "00:00:00:10") == 35
    with pytest.raises(ConfigError, match=r"past the end .* 23:59:59:00 to 00:00:00:24"):
        frame_index_for_timecode(midnight, "00:00:01:00")
    with pytest.raises(ConfigError, match="before the start"):
        frame_index_for_timecode(made_up(Fraction(25), 50, "10:00:00:00"), "09:59:59:24")
    untimed = made_up(Fraction(30000, 1001), 60, None)
    assert frame_index_for_timecode(untimed, "00:00:01:00") == 30
    with pytest.raises(ConfigError, match="non-drop-frame"):
        frame_index_for_timecode(untimed, "00:00:01;00")


def test_seconds_pick_the_frame_shown_at_that_time(make_clip: MakeClip, tmp_path: Path) -> None:
    hd = probe(make_clip("hd_23976_tc"))
    assert frame_index_for_seconds(hd, Fraction(0)) == 0
    assert frame_index_for_seconds(hd, Fraction(1001, 1000)) == 24
    assert frame_index_for_seconds(hd, Fraction(1001, 1000) - Fraction(1, 10**6)) == 23
    assert frame_index_for_seconds(hd, Fraction(3003, 1000) - Fraction(1, 10**6)) == 71
    for outside in (Fraction(3003, 1000), Fraction(-1, 100)):
        with pytest.raises(ConfigError, match=r"frames 0-71"):
            frame_index_for_seconds(hd, outside)
    clip = make_clip("landscape_30")
    assert run(["grab", str(clip), "--seconds", "1.5", "-o", str(tmp_path / "s.png")]) == 0
    assert_is_frame(tmp_path / "s.png", clip, "landscape_30", 45)


# --- sizes, formats, depth ------------------------------------------------------------------


def anchored_rect(
    src: tuple[int, int], dst: tuple[int, int], mode: str, anchor: str
) -> tuple[float, float, float, float]:
    """fit_rect moved to the crop anchor (fit_rect itself centres)."""
    x, y, w, h = fit_rect(src, dst, mode)
    if mode == "crop":
        x = {"left": 0.0, "right": dst[0] - w}.get(anchor, x)
        y = {"top": 0.0, "bottom": dst[1] - h}.get(anchor, y)
    return x, y, w, h


@pytest.mark.parametrize(
    ("name", "size", "fit", "anchor"),
    [
        ("portrait_30", (640, 360), "crop", "center"),
        ("portrait_30", (640, 640), "crop", "top"),
        ("portrait_30", (640, 640), "crop", "bottom"),
        ("landscape_30", (640, 400), "crop", "left"),
        ("landscape_30", (640, 400), "crop", "right"),
        ("landscape_30", (640, 640), "pad", "center"),
        ("portrait_30", (640, 360), "pad", "center"),
        ("landscape_30", (640, 640), "fill", "center"),
    ],
)
def test_fit_gives_exact_size_and_places_the_picture(
    *,
    name: str, size: tuple[int, int], fit: str, anchor: str, make_clip: MakeClip,
    tmp_path: Path,
) -> None:
    spec = CLIP_SPECS[name]
    index = 33
    out = tmp_path / "fit.png"
    args = ["grab", str(make_clip(name)), "--frame", str(index), "--size",
            f"{size[0]}x{size[1]}", "--fit", fit, "--anchor", anchor, "-o", str(out)]
    assert run(args) == 0
    luma = luma_of_image(out)
    assert luma.shape == (size[1], size[0])
    mode = {"fill": "stretch"}.get(fit, fit)
    rect = anchored_rect((spec.width, spec.height), size, mode, anchor)
    assert read_code(luma, rect) == index
    if anchor != "center":
        assert read_code(luma, fit_rect((spec.width, spec.height), size, mode)) != index
    if fit == "pad":
        x, y, w, h = rect
        bars = [luma[: int(y) - 2, :], luma[int(y + h) + 2 :, :]] if y > 0 else [
            luma[:, : int(x) - 2], luma[:, int(x + w) + 2 :]]
        assert all(bar.size and bar.max() < 3 for bar in bars)


def test_non_square_pixels_come_out_at_display_shape(
    make_clip: MakeClip, tmp_path: Path
) -> None:
    anamorphic = tmp_path / "anamorphic.mp4"
    run_ffmpeg(["-i", media_arg(make_clip("ntsc_2997_df")), "-vf", "setsar=4/3", "-frames:v",
                "10", "-an", "-c:v", "libx264", "-crf", "18", "-y", media_arg(anamorphic)])
    assert probe(anamorphic).require_video().sar == Fraction(4, 3)
    still = grab_frame(anamorphic, tmp_path / "wide.png", frame=5)
    assert probe(still).require_video().size == (853, 360)
    assert read_code(luma_of_image(still)) == 5
    fitted = grab_frame(anamorphic, tmp_path / "fitted.png", frame=6, size=(640, 270), fit="pad")
    assert read_code(luma_of_image(fitted), fit_rect((853, 360), (640, 270), "pad")) == 6


def test_sixteen_bit_png_is_really_sixteen_bit(make_clip: MakeClip, tmp_path: Path) -> None:
    clip = make_clip("hd_23976_tc")
    out = tmp_path / "deep.png"
    assert run(["grab", str(clip), "--frame", "10", "--16bit", "-o", str(out)]) == 0
    assert probe(out).require_video().pix_fmt == "rgb48be"
    pixels = image_pixels(out)
    assert pixels.dtype == np.uint16
    # Not 8-bit values widened (x257): unsaturated samples use the low byte too.
    unsaturated = pixels[(pixels > 0) & (pixels < 65535)]
    assert unsaturated.size > pixels.size // 4
    assert np.count_nonzero(unsaturated % 257) > 0.9 * unsaturated.size
    assert_is_frame(out, clip, "hd_23976_tc", 10)


@pytest.mark.parametrize(("suffix", "codec"), [(".jpg", "mjpeg"), (".jpeg", "mjpeg"),
                                               (".webp", "webp")])
def test_jpeg_and_webp_stills(
    suffix: str, codec: str, make_clip: MakeClip, tmp_path: Path
) -> None:
    clip = make_clip("landscape_30")
    still = grab_frame(clip, tmp_path / f"still{suffix}", frame=12, size=(640, 360))
    video = probe(still).require_video()
    assert (video.codec, video.size) == (codec, (640, 360))
    assert read_code(luma_of_image(still)) == 12


def test_thumbnails_keep_aspect_and_default_to_the_middle(
    make_clip: MakeClip, tmp_path: Path
) -> None:
    wide = thumbnail(make_clip("hd_23976_tc"), tmp_path / "thumb.webp")
    assert probe(wide).require_video().size == (320, 180)
    assert read_code(luma_of_image(wide)) == 36
    tall = thumbnail(make_clip("portrait_30"), tmp_path / "thumb.jpg", width=180, frame=3)
    assert probe(tall).require_video().size == (180, 320)
    assert read_code(luma_of_image(tall)) == 3


def test_fit_image_fits_an_existing_still(make_clip: MakeClip, tmp_path: Path) -> None:
    clip = make_clip("landscape_30")
    png = grab_frame(clip, tmp_path / "export.png", frame=20)
    jpeg = grab_frame(clip, tmp_path / "export.jpg", frame=21)
    deep = grab_frame(clip, tmp_path / "export16.png", frame=22, sixteen_bit=True)
    boxed = fit_image(png, tmp_path / "boxed.png", (640, 640), fit="pad")
    assert read_code(luma_of_image(boxed), fit_rect((1280, 720), (640, 640), "pad")) == 20
    smaller = fit_image(jpeg, tmp_path / "small.png", (640, 360))
    assert read_code(luma_of_image(smaller)) == 21
    # A JPEG is BT.601 full range: read back, its luma must match the source frame's.
    reference = decoded_lumas(clip, [21])[21]
    assert luma_error(luma_from_rgb(image_rgb(jpeg), "bt709"), reference) < LUMA_TOLERANCE
    web = fit_image(deep, tmp_path / "deep.webp", (1280, 720), fit="fill")
    assert read_code(luma_of_image(web)) == 22


# --- bad input ------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (hidden ones too) with its bytes."""
    return {entry.name: entry.read_bytes() for entry in folder.iterdir()}


def assert_one_line_error(capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith("stillmotion: "), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.fixture()
def bad_folder(tmp_path: Path, make_clip: MakeClip, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with spaces and accents holding the inputs, made the working directory."""
    folder = tmp_path / "bad input é"
    folder.mkdir()
    clip = make_clip("landscape_30")
    (folder / "clip.mp4").write_bytes(clip.read_bytes())
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "notes.mp4").write_text("not a video", encoding="utf-8")
    (folder / "truncated.mp4").write_bytes(clip.read_bytes()[:50_000])
    (folder / "hd.mov").write_bytes(make_clip("hd_23976_tc").read_bytes())
    run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=0.2", "-y", media_arg(folder / "tone.wav")])
    # Index at the front, data cut short: probing works, late frames are gone.
    faststart = folder / "front index.mp4"
    run_ffmpeg(["-i", media_arg(clip), "-c", "copy", "-movflags", "+faststart", "-y",
                media_arg(faststart)])
    faststart.write_bytes(faststart.read_bytes()[:700_000])
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["nowhere.mp4", "--frame", "0", "-o", "out.png"], 7, "does not exist"),
        (["empty.mp4", "--frame", "0", "-o", "out.png"], 7, "empty"),
        (["notes.mp4", "--frame", "0", "-o", "out.png"], 7, "not readable media"),
        (["tone.wav", "--frame", "0", "-o", "out.png"], 7, "no video stream"),
        (["truncated.mp4", "--frame", "0", "-o", "out.png"], 7, "truncated"),
        (["front index.mp4", "--frame", "85", "-o", "out.png"], 7, "truncated"),
        (["clip.mp4", "-o", "out.png"], 3, "exactly one of --frame"),
        (["clip.mp4", "--frame", "1", "--seconds", "1", "-o", "out.png"], 3, "exactly one"),
        (["clip.mp4", "--frame", "1"], 3, "-o OUT"),
        (["clip.mp4", "--frame", "90", "-o", "out.png"], 3, "from 0 to 89"),
        (["clip.mp4", "--frame", "-1", "-o", "out.png"], 3, "from 0 to 89"),
        (["clip.mp4", "--frame", "x", "-o", "out.png"], 3, "not a frame index"),
        (["clip.mp4", "--seconds", "3", "-o", "out.png"], 3, "frames 0-89"),
        (["clip.mp4", "--seconds", "soon", "-o", "out.png"], 3, "not a time"),
        (["hd.mov", "--timecode", "00:59:59:23", "-o", "out.png"], 3,
         "before the start of hd.mov; give one from 01:00:00:00 to 01:00:02:23"),
        (["hd.mov", "--timecode", "01:00:03:00", "-o", "out.png"], 3, "past the end"),
        (["hd.mov", "--timecode", "1:2", "-o", "out.png"], 3, "not a timecode"),
        (["clip.mp4", "--frame", "1", "--size", "12x", "-o", "out.png"], 3, "not a size"),
        (["clip.mp4", "--frame", "1", "--size", "641x360", "-o", "out.png"], 3, "odd side"),
        (["clip.mp4", "--frame", "1", "--fit", "zoom", "-o", "out.png"], 3, "Unknown fit"),
        (["clip.mp4", "--frame", "1", "--anchor", "middle", "-o", "out.png"], 3,
         "Unknown anchor"),
        (["clip.mp4", "--frame", "1", "-o", "out.tif"], 3, ".png, .jpg or .webp"),
        (["clip.mp4", "--frame", "1", "--16bit", "-o", "out.jpg"], 3, "16-bit"),
        (["clip.mp4", "--frame", "1", "-o", "clip.mp4"], 3, "also an input"),
        (["clip.mp4", "--frame", "1", "-o", "no folder/out.png"], 3, "does not exist"),
    ],
)
def test_bad_input_is_one_sentence_and_leaves_nothing(
    args: list[str], code: int, fragment: str, bad_folder: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = snapshot(bad_folder)
    capsys.readouterr()
    assert run(["grab", *args]) == code
    assert_one_line_error(capsys, fragment)
    assert snapshot(bad_folder) == before


def test_existing_output_is_refused_unless_overwrite(
    bad_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = bad_folder / "still.png"
    existing.write_bytes(b"an editor's file")
    before = snapshot(bad_folder)
    capsys.readouterr()
    assert run(["grab", "clip.mp4", "--frame", "4", "-o", "still.png"]) == 3
    assert_one_line_error(capsys, "already exists", "--overwrite")
    assert snapshot(bad_folder) == before
    assert run(["grab", "clip.mp4", "--frame", "4", "-o", "still.png", "--overwrite"]) == 0
    assert read_code(luma_of_image(existing)) == 4
    assert sorted(entry.name for entry in bad_folder.iterdir()) == sorted(before)


def test_paths_with_spaces_unicode_and_a_leading_dash(
    tmp_path: Path, make_clip: MakeClip, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "my clips é"
    folder.mkdir()
    (folder / "-clip é.mp4").write_bytes(make_clip("landscape_30").read_bytes())
    monkeypatch.chdir(folder)
    assert run(["grab", "--frame", "7", "-o", "-still é.png", "--", "-clip é.mp4"]) == 0
    assert run(["grab", "./-clip é.mp4", "--timecode", "00:00:00:09", "-o",
                "./-still é 2.jpg"]) == 0
    out = capsys.readouterr().out
    assert str(folder / "-still é.png") in out
    assert read_code(luma_of_image(folder / "-still é.png")) == 7
    assert read_code(luma_of_image(folder / "-still é 2.jpg")) == 9
    names = sorted(entry.name for entry in folder.iterdir())
    assert names == ["-clip é.mp4", "-still é 2.jpg", "-still é.png"]
