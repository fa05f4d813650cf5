"""Camera media and NLE exports as people bring them: Premiere's 24 fps ``<file>`` timecode on
23.976 media, anamorphic media, Windows drive paths, and ``--dry-run`` beside an earlier output.

Each runs the real command (in-process) on frame-coded media and reads the frame codes back.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.probe import probe
from stillmotion.media.synth import code_band_filters
from stillmotion.timecode import Timecode
from stillmotion.timeline.io import read_timeline
from stillmotion.timeline.locate import locate
from stillmotion.timeline.resolve_shape import make_resolve_shaped
from support.decode import image_rgb, luma_from_rgb
from support.framecode import luma_frames, read_code
from support.generate_env import (
    FAST,
    TEN_25,
    cli,
    cli_json,
    code_of,
    isolate,
    job,
    small_clip,
    snapshot,
    write_case,
)
from support.generate_env import Case as GenerateCase
from support.timelines import media_clip, timeline, track

PROMPT = "Slow push in over 1 s"
NTSC = "<rate><timebase>24</timebase><ntsc>TRUE</ntsc></rate>"
FILM = "<rate><timebase>24</timebase><ntsc>FALSE</ntsc></rate>"
ANAMORPHIC = Fraction(4, 3)


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


# --- Premiere: 23.976 sequence, 23.976 media, <file> timecode at 24 ----------------------------


def premiere_xml(media: Path, *, clip_rate: str, file_rate: str, tc_rate: str, timecode: str,
                 first: int) -> str:
    """A Premiere-style FCP 7 XML: one clip showing the file from frame ``first`` (``<in>``)."""
    frame = Timecode(Fraction(24)).to_frames(timecode)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xmeml>
<xmeml version="4"><sequence id="s"><name>premiere</name><duration>20</duration>{NTSC}
<timecode>{NTSC}<string>01:00:00:00</string><frame>86400</frame>
<displayformat>NDF</displayformat></timecode>
<media><video><track><clipitem id="c1"><name>A</name><duration>72</duration>{clip_rate}
<start>0</start><end>20</end><in>{first}</in><out>{first + 20}</out>
<file id="f1"><name>{media.name}</name><pathurl>{media.as_uri()}</pathurl>{file_rate}
<duration>72</duration><timecode>{tc_rate}<string>{timecode}</string><frame>{frame}</frame>
<displayformat>NDF</displayformat></timecode></file>
</clipitem></track></video></media></sequence></xmeml>
"""


def test_premiere_file_timecode_at_24_grabs_the_frame_shown(
    media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report's case: ``<in>`` 40, playhead 3 frames in, so file frame 43 (not 42)."""
    media = small_clip(media_dir, "r23_hour")  # 23.976, 01:00:00:00, 72 frames
    path = tmp_path / "premiere.xml"
    path.write_text(premiere_xml(media, clip_rate=NTSC, file_rate=FILM, tc_rate=FILM,
                                 timecode="01:00:00:00", first=40))
    result = cli_json(capsys, "generate", path, "--at", "01:00:00:03", "--prompt", PROMPT,
                      "--provider", "preview", "--preset", "h264-web", "--dry-run")
    assert result["source_frame"] == 43
    assert code_of(result["image"]) == 43


@pytest.mark.parametrize("timecode", ["00:00:00:00", "01:00:00:00", "10:00:00:00", "13:13:13:13"])
def test_premiere_rate_spellings_all_find_the_same_frame(
    timecode: str, media_dir: Path, tmp_path: Path
) -> None:
    """Every mix of 23.976 and 24 on the clip, the file and its timecode (10:00:00:00 is a
    whole 864 frames apart at the two rates, so the label reading is whole there too)."""
    media = small_clip(media_dir, "r23_hour")
    path = tmp_path / "premiere.xml"
    for clip_rate, file_rate, tc_rate in itertools.product((NTSC, FILM), (NTSC, FILM, ""),
                                                           (NTSC, FILM)):
        path.write_text(premiere_xml(media, clip_rate=clip_rate, file_rate=file_rate,
                                     tc_rate=tc_rate, timecode=timecode, first=17))
        tl = read_timeline(path)
        for offset in (0, 19):
            found = locate(tl, f"frame:{offset}", timeline_path=path)
            assert found.source_frame_index == 17 + offset, (clip_rate, file_rate, tc_rate)


def test_premiere_file_timecode_shaped_for_resolve(media_dir: Path, tmp_path: Path) -> None:
    """--for resolve moves the clip into the file's own timecode space by the same reading."""
    media = small_clip(media_dir, "r23_hour")
    path = tmp_path / "premiere.xml"
    path.write_text(premiere_xml(media, clip_rate=NTSC, file_rate=FILM, tc_rate=FILM,
                                 timecode="01:00:00:00", first=40))
    shaped = make_resolve_shaped(read_timeline(path), base_dir=tmp_path)
    clip = next(iter(shaped.find_clips()))
    assert clip.source_range.start_time.value == pytest.approx(86400 + 40)
    assert clip.media_reference.available_range.start_time.value == 86400
    assert locate(shaped, "frame:3").source_frame_index == 43


# --- anamorphic media ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anamorphic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """240x180 stored, 4/3 pixels (320x180 shown), 25 fps from 10:00:00:00, 50 coded frames."""
    path = tmp_path_factory.mktemp("anamorphic") / "anamorphic.mov"
    chain = ",".join([*code_band_filters(240, 180), f"setsar={ANAMORPHIC}"])
    run(["-f", "lavfi", "-i", "testsrc2=size=240x180:rate=25", "-vf", chain, "-frames:v", "50",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "16", "-timecode", "10:00:00:00",
         "-y", media_arg(path)], output=path)
    return path


def anamorphic_case(media: Path) -> GenerateCase:
    clip = media_clip("scope", media, rate=Fraction(25), source_start=TEN_25 + 5, duration=40,
                      available=(TEN_25, 50))
    tl = timeline("scope", Fraction(25), TEN_25, [track("V1", [clip])])
    return GenerateCase("anamorphic", tl, "10:00:00:12", 17, 12)


def test_anamorphic_still_is_sized_and_fitted_in_display_aspect(
    anamorphic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert probe(anamorphic).require_video().sar == ANAMORPHIC
    case = anamorphic_case(anamorphic)
    source = write_case(case, tmp_path / "project")
    result = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                      "--provider", "preview", "--preset", "h264-web", "--dry-run")
    # 16:9 as shown, not the 4:3 of the stored pixels (which gave 960x720 and cut the sides).
    assert result["size"] == "1280x720"
    still = Path(result["image"])
    assert probe(still).require_video().size == (1280, 720)
    assert code_of(still) == case.source_frame  # the whole coded band: nothing cropped away


def test_anamorphic_conform_keeps_the_pixel_aspect(
    anamorphic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = anamorphic_case(anamorphic)
    source = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    result = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                      "--provider", "preview", "--seconds", "1", "--preset", "h264-web",
                      "--ledger", ledger)
    row = job(ledger, result["job_id"])
    assert row.size == "1280x720"
    conformed = probe(Path(result["conformed"])).require_video()
    assert (conformed.size, conformed.sar) == ((240, 180), ANAMORPHIC)
    # The 16:9 picture fills the 4/3-pixel frame (squeezed, like the media it sits with)
    # rather than being letterboxed into a square-pixel 4:3 one.
    first = luma_frames(Path(result["conformed"]))[0]
    assert first[:12].mean() > 30 and first[-12:].mean() > 30
    assert row.files.image is not None  # the job kept the still it sent
    sent = luma_from_rgb(image_rgb(row.files.image), "bt709")
    assert read_code(sent) == case.source_frame


# --- Windows drive paths ---------------------------------------------------------------------


@pytest.mark.parametrize("url", ["D:/media/shot 1.mov", "D:\\media\\shot 1.mov",
                                 "file:///D:/media/shot%201.mov"])
def test_windows_drive_paths_are_reported_as_such(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = media_clip("win", url, rate=Fraction(25), source_start=TEN_25, duration=40)
    tl = timeline("win", Fraction(25), TEN_25, [track("V1", [clip])])
    source = write_case(GenerateCase("win", tl, "10:00:00:05", 5, 5), tmp_path / "project")
    code, _, err = cli(capsys, "generate", source, "--at", "10:00:00:05", "--prompt", PROMPT,
                       "--provider", "preview", "--dry-run")
    assert code == 8
    assert "is a Windows path, D:/media/shot 1.mov" in err
    assert "--media-dir" in err and "shot 1.mov" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


# --- dry run beside an existing output -------------------------------------------------------


def test_dry_run_ignores_an_existing_default_output(
    media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media = small_clip(media_dir, "r25_ten")
    clip = media_clip("pal", media, rate=Fraction(25), source_start=TEN_25 + 5, duration=40,
                      available=(TEN_25, 50))
    case = GenerateCase("pal", timeline("pal", Fraction(25), TEN_25, [track("V1", [clip])]),
                        "10:00:00:10", 15, 10)
    project = tmp_path / "project"
    source = write_case(case, project)
    earlier = project / "cut.stillmotion.otio"
    earlier.write_text("an earlier run's output\n")
    before = snapshot(project)
    result = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                      "--provider", "preview", *FAST, "--dry-run")
    assert result["output"] == str(earlier) and result["output_exists"] is True
    assert result["source_frame"] == case.source_frame
    code, out, _ = cli(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                       "--provider", "preview", *FAST, "--dry-run")
    assert code == 0 and "a real run needs --overwrite" in out
    after = snapshot(project)  # (the dry run keeps the stills it shows, in stillmotion_media/)
    assert {name: after[name] for name in before} == before
    # A real run still refuses to replace it.
    code, _, err = cli(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                       "--provider", "preview", *FAST, "--ledger", tmp_path / "l.sqlite3")
    assert code != 0 and "cut.stillmotion.otio" in err
    assert snapshot(project)[earlier.name] == before[earlier.name]
