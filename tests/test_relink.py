"""Relinking offline media (``--relink-dir``), EDL rates (``--rate``) and Resolve-style FCPXML.

Every case runs on real frame-coded media: the located source frame is grabbed and its burnt-in
code read back. The EDLs and the FCPXML are authored here as text, the way Resolve and
Premiere write them (clip names only; ``<media-rep>``; NTSC frame durations).
"""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from stillmotion.errors import ConfigError, TimelineError
from stillmotion.jobs.records import TimelineReading
from stillmotion.server import RunningServer
from stillmotion.timeline.edl import guess_edl_rate
from stillmotion.timeline.io import read_timeline
from stillmotion.timeline.locate import locate
from stillmotion.timeline.relink import ReadingOptions, reading_options, relink
from support.generate_env import (
    FAST,
    HOUR_23,
    cli,
    code_of,
    generated,
    isolate,
    job,
    small_clip,
)
from support.timelines import R23, code_at, media_clip, timeline, track

# A Resolve-style 59.94 DF EDL: reel and clip name only, no path. Event 1 shows source
# 01:00:00;10 (file frame 10 of media starting at 01:00:00;00) for 90 record frames.
EDL_5994 = """TITLE: DF5994 CUT
FCM: DROP FRAME

001  A001C003 V     C        01:00:00;10 01:00:01;40 01:00:00;00 01:00:01;30
* FROM CLIP NAME: A001C003.mov
"""


def footage(media_dir: Path, folder: Path, name: str, clip: str = "r5994_df") -> Path:
    """A copy of a frame-coded clip under ``folder`` named ``name`` (as a camera names it)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(small_clip(media_dir, clip), target)
    return target


def test_5994_df_edl_reads_with_rate_and_guess() -> None:
    assert guess_edl_rate(EDL_5994) == Fraction(60000, 1001)
    assert guess_edl_rate(EDL_5994.replace(";", ":").replace("FCM: DROP FRAME", "")) == 50


def test_generate_on_a_clip_name_edl_relinks_and_grabs_the_right_frame(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, media_dir: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    media = footage(media_dir, tmp_path / "footage" / "day1", "A001C003.mov")
    # A decoy with the reel's name whose timecode (10:00:00:00 at 25) does not hold the clip.
    footage(media_dir, tmp_path / "footage" / "day2", "A001C003.mov.bak", clip="r25_ten")
    edl = tmp_path / "cut.edl"
    edl.write_text(EDL_5994)
    ledger = tmp_path / "ledger.sqlite3"
    base: list[str | Path] = [
        "generate", edl, "--at", "01:00:01;00", "--prompt", "Slow push in over 1 s",
        "--ledger", ledger, "--provider", "preview", "--base-url", preview_server.base_url, *FAST,
        "--rate", "59.94", "--relink-dir", tmp_path / "footage"]
    code, out, err = cli(capsys, *base, "--dry-run", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["source_media"] == str(media.absolute())
    assert summary["source_frame"] == 10 + 60          # 60 record frames into the event
    assert code_of(summary["image"]) == 70
    assert f"Relinked 'A001C003.mov' to {media.absolute()}" in err
    assert "reel or clip name and source timecode" in err
    code, out, err = cli(capsys, *base, "--json")
    assert code == 0, err
    placed = generated(Path(json.loads(out)["timeline"]), rate="59.94")
    assert [g.record_start_frame for g in placed] == [60]
    # `jobs resume` reads the EDL again in another run: the job keeps how it was read.
    saved = job(ledger, json.loads(out)["job_id"]).context.reading
    assert saved == TimelineReading(rate="59.94", relink_dirs=(str(tmp_path / "footage"),))


def test_without_a_relink_folder_the_edl_clip_stays_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    edl = tmp_path / "cut.edl"
    edl.write_text(EDL_5994)
    code, _, err = cli(capsys, "generate", edl, "--at", "01:00:01;00", "--prompt", "x",
                       "--rate", "59.94", "--dry-run")
    assert code == 8 and "offline" in err, err


def test_two_matching_files_are_refused_in_one_sentence(
    tmp_path: Path, media_dir: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    first = footage(media_dir, tmp_path / "a", "A001C003.mov")
    footage(media_dir, tmp_path / "b", "A001C003.mov")
    edl = tmp_path / "cut.edl"
    edl.write_text(EDL_5994)
    code, _, err = cli(capsys, "generate", edl, "--at", "01:00:01;00", "--prompt", "x",
                       "--rate", "59.94", "--relink-dir", tmp_path / "a", "--relink-dir",
                       tmp_path / "b", "--dry-run")
    assert code == 8, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "matches 2 files in the relink folders" in lines[0], err
    assert str(first.absolute()) in lines[0]


@pytest.mark.parametrize("url", ["/Volumes/Shoot/A/hour shot.mov",
                                 "D:\\media\\hour shot.mov",
                                 "file:///Volumes/Shoot/A/hour%20shot.mov"])
def test_moved_media_is_found_by_file_name(url: str, tmp_path: Path, media_dir: Path) -> None:
    media = footage(media_dir, tmp_path / "moved", "hour shot.mov", clip="r23_hour")
    clip = media_clip("hour", url, rate=R23, source_start=HOUR_23 + 6, duration=40,
                      available=(HOUR_23, 72))
    tl = timeline("moved", R23, HOUR_23, [track("V1", [clip])])
    said: list[str] = []
    found = relink(tl, [tmp_path / "moved"], report=said.append)
    assert [(r.path, r.how) for r in found] == [(media.absolute(), "file name")]
    assert said == [f"Relinked 'hour' to {media.absolute()} (by file name)."]
    located = locate(tl, "01:00:00:10")
    assert located.media_path == media.absolute() and located.source_frame_index == 16
    assert code_at(media, 16, tmp_path) == 16


def test_online_clips_and_generators_are_left_alone(tmp_path: Path, media_dir: Path) -> None:
    media = footage(media_dir, tmp_path / "here", "hour.mov", clip="r23_hour")
    footage(media_dir, tmp_path / "other", "hour.mov", clip="r23_hour")
    online = media_clip("hour", media, rate=R23, source_start=HOUR_23, duration=10,
                        available=(HOUR_23, 72))
    bars = otio.schema.Clip(name="bars", media_reference=otio.schema.GeneratorReference(
        generator_kind="SMPTEBars"), source_range=online.source_range)
    tl = timeline("ok", R23, HOUR_23, [track("V1", [online, bars])])
    assert relink(tl, [tmp_path / "other"]) == []
    assert online.media_reference.target_url == str(media)


def test_a_missing_relink_folder_is_a_config_error(tmp_path: Path) -> None:
    edl = tmp_path / "cut.edl"
    edl.write_text(EDL_5994)
    options = ReadingOptions(rate="59.94", relink_dirs=(tmp_path / "nope",))
    with reading_options(options), pytest.raises(
            ConfigError, match=r"The relink folder .*nope does not exist"):
        read_timeline(edl)


def _fcpxml(media: Path) -> str:
    """Resolve-style FCPXML 1.9 at 23.976: the file only in <media-rep>, 01:00:00:00 start."""
    def t(frames: int) -> str:
        value = frames * Fraction(1001, 24000)
        return f"{value.numerator}/{value.denominator}s" if value else "0s"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.9">
  <resources>
    <format id="r1" name="FFVideoFormat1080p2398" frameDuration="1001/24000s"
            width="320" height="180"/>
    <asset id="r2" name="hour" start="{t(HOUR_23)}" duration="{t(72)}" hasVideo="1" format="r1">
      <media-rep kind="original-media" src="{media.as_uri()}"/>
    </asset>
  </resources>
  <library><event name="ev"><project name="proj">
    <sequence format="r1" duration="{t(63)}" tcStart="{t(HOUR_23)}" tcFormat="NDF">
      <spine>
        <gap name="Gap" offset="{t(HOUR_23)}" duration="{t(3)}" start="{t(HOUR_23)}"/>
        <asset-clip name="hour" ref="r2" offset="{t(HOUR_23 + 3)}" duration="{t(60)}"
                    start="{t(HOUR_23 + 6)}" format="r1"/>
      </spine>
    </sequence>
  </project></event></library>
</fcpxml>
"""


def test_resolve_fcpxml_media_rep_at_23976(tmp_path: Path, media_dir: Path) -> None:
    media = footage(media_dir, tmp_path / "m", "hour.mov", clip="r23_hour")
    path = tmp_path / "resolve.fcpxml"
    path.write_text(_fcpxml(media))
    tl = read_timeline(path)
    [clip] = list(tl.find_clips())
    assert clip.source_range.start_time.rate == pytest.approx(float(R23))
    assert clip.source_range.start_time.value == HOUR_23 + 6
    found = locate(tl, "01:00:00:20", timeline_path=path)
    assert found.media_path == media and found.source_frame_index == 6 + 17
    assert code_at(media, 23, tmp_path) == 23


def test_missing_media_rep_file_relinks_by_name(tmp_path: Path, media_dir: Path) -> None:
    media = footage(media_dir, tmp_path / "found", "hour.mov", clip="r23_hour")
    path = tmp_path / "resolve.fcpxml"
    path.write_text(_fcpxml(tmp_path / "gone" / "hour.mov"))
    with pytest.raises(TimelineError, match="offline"):
        locate(read_timeline(path), "01:00:00:20", timeline_path=path)
    with reading_options(ReadingOptions(relink_dirs=(tmp_path / "found",))):
        tl = read_timeline(path)
    assert locate(tl, "01:00:00:20", timeline_path=path).media_path == media.absolute()


def test_a_camera_reel_finds_its_longer_file_name_by_timecode(
    tmp_path: Path, media_dir: Path,
) -> None:
    """Reel A001C003 (no clip name) and A001C003_230101_R1AB.mov holding the timecode."""
    media = footage(media_dir, tmp_path / "cards", "A001C003_230101_R1AB.mov")
    footage(media_dir, tmp_path / "cards", "A001C003_230102_R1AB.mov", clip="r25_ten")
    edl = tmp_path / "cut.edl"
    edl.write_text(EDL_5994.replace("* FROM CLIP NAME: A001C003.mov\n", ""))
    said: list[str] = []
    options = ReadingOptions(rate="59.94", relink_dirs=(tmp_path / "cards",),
                             report=said.append)
    with reading_options(options):
        edit = read_timeline(edl)
    found = locate(edit, "01:00:01;00", timeline_path=edl)
    assert found.media_path == media.absolute() and found.source_frame_index == 70
    assert code_at(media, 70, tmp_path) == 70
    assert len(said) == 1 and "by reel or clip name and source timecode" in said[0]
