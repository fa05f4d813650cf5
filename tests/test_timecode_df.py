"""A ':'-typed playhead on a drop-frame timeline is refused with its ';' spelling, or read as
drop frame with ``--assume-df``; it is never silently read as non-drop (540 frames away at
05:00:30)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.errors import TimelineError
from stillmotion.timecode import (
    Timecode,
    drop_frame_spelling,
    drop_frame_suggestion,
    is_drop_frame_label,
)
from stillmotion.timeline.io import read_timeline
from stillmotion.timeline.locate import counts_drop_frame, locate, playhead_frame
from support.generate_env import Case as GenerateCase
from support.generate_env import (
    cli,
    cli_json,
    code_of,
    generated,
    isolate,
    job,
    small_clip,
    snapshot,
    write_case,
)
from support.timelines import R2997, R5994, gap, media_clip, timeline, track

PROMPT = "Slow dolly in over 1 s; warm evening light"
DF = Timecode(R2997, drop_frame=True)
# The timeline starts 10 frames before 05:00:30;00, so that label is record frame 10.
START_2997 = DF.to_frames("05:00:29;20")


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


def df_case(media: Path) -> GenerateCase:
    """29.97 DF from 05:00:29;20, one clip over the media (starting 00:59:59;28, 60 frames)."""
    media_start = DF.to_frames("00:59:59;28")
    clip = media_clip("df", media, rate=R2997, source_start=media_start + 5, duration=50,
                      available=(media_start, 60))
    tl = timeline("df", R2997, START_2997, [track("V1", [clip])])
    return GenerateCase("29.97 DF", tl, "05:00:30;00", 15, 10)


def test_spellings() -> None:
    assert drop_frame_spelling("05:00:30:00") == "05:00:30;00"
    assert drop_frame_spelling(" 05.00.30.00 ") == "05:00:30;00"
    assert drop_frame_spelling("05:00:30;00") == "05:00:30;00"
    assert drop_frame_spelling("frame:20") == "frame:20"
    assert is_drop_frame_label("05:00:30;00") and is_drop_frame_label("05:00:30,00")
    assert not is_drop_frame_label("05:00:30:00") and not is_drop_frame_label("frame:3")
    # Drop frame skips ;00 and ;01 (;00-;03 at 59.94) at minutes not divisible by ten.
    assert drop_frame_suggestion("05:01:00:00", R2997) == "05:01:00;02"
    assert drop_frame_suggestion("05:01:00:01", R5994) == "05:01:00;04"
    assert drop_frame_suggestion("05:10:00:00", R2997) == "05:10:00;00"
    assert drop_frame_suggestion("05:01:00:05", R2997) == "05:01:00;05"


def test_the_reported_offset_is_540_frames() -> None:
    """Why it matters: read as non-drop, 05:00:30:00 is 540 frames from 05:00:30;00."""
    assert Timecode(R2997).to_frames("05:00:30:00") - DF.to_frames("05:00:30;00") == 540


@pytest.mark.parametrize(("rate", "start", "typed", "spelled"), [
    (R2997, START_2997, "05:00:30:00", "05:00:30;00"),
    (R5994, Timecode(R5994, True).to_frames("05:00:29;50"), "05:00:30:00", "05:00:30;00"),
    (R2997, DF.to_frames("05:00:59;20"), "05:01:00:00", "05:01:00;02"),
])
def test_colon_on_a_drop_frame_timeline_is_refused_with_the_df_spelling(
    rate: Fraction, start: int, typed: str, spelled: str
) -> None:
    tl = timeline("df", rate, start, [track("V1", [gap(100, rate)])])
    assert counts_drop_frame(tl, rate)
    with pytest.raises(TimelineError) as caught:
        playhead_frame(tl, typed)
    message = caught.value.message
    assert spelled in message and "--assume-df" in message and "\n" not in message
    # What the message suggests is what the timeline reads.
    assert playhead_frame(tl, spelled) == playhead_frame(tl, drop_frame_spelling(spelled))
    assert playhead_frame(tl, spelled) == Timecode(rate, True).to_frames(spelled) - start


def test_frame_numbers_and_df_labels_still_work(media_dir: Path) -> None:
    case = df_case(small_clip(media_dir, "r2997_df"))
    assert playhead_frame(case.timeline, "05:00:30;00") == 10
    assert playhead_frame(case.timeline, "frame:10") == 10
    found = locate(case.timeline, "frame:10")
    # Labels we print on a drop-frame timeline are drop-frame labels.
    assert found.record_timecode == "05:00:30;00"


def test_non_drop_rates_and_timelines(tmp_path: Path) -> None:
    pal = timeline("pal", Fraction(25), 0, [track("V1", [gap(100, Fraction(25))])])
    assert playhead_frame(pal, "00:00:02:10") == 60
    with pytest.raises(TimelineError, match=r"has no drop frame.*leave out --assume-df"):
        playhead_frame(pal, "00:00:02;10")


FCP_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xmeml>
<xmeml version="4">
  <sequence id="seq1">
    <name>{name}</name>
    <duration>100</duration>
    <rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>
    <timecode><rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>
      <string>{start}</string><frame>{frame}</frame>
      <displayformat>{display}</displayformat></timecode>
    <media><video><track>
      <clipitem id="c1"><name>A</name><duration>100</duration>
        <rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>
        <start>0</start><end>100</end><in>0</in><out>100</out>
        <file id="f1"><name>a.mov</name><pathurl>file:///media/a.mov</pathurl>
          <rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate><duration>100</duration></file>
      </clipitem>
    </track></video></media>
  </sequence>
</xmeml>
"""


def test_fcp_xml_says_which_kind(tmp_path: Path) -> None:
    """FCP 7 / Premiere XML names the kind in the sequence timecode's displayformat."""
    df_path = tmp_path / "df.xml"
    df_path.write_text(FCP_XML.format(name="df", start="05:00:29;20",
                                      frame=START_2997, display="DF"))
    df = read_timeline(df_path)
    assert counts_drop_frame(df, R2997)
    assert playhead_frame(df, "05:00:30;00") == 10
    with pytest.raises(TimelineError, match="type it as 05:00:30;00"):
        playhead_frame(df, "05:00:30:00")

    ndf_path = tmp_path / "ndf.xml"
    ndf_start = Timecode(R2997).to_frames("05:00:29:20")
    ndf_path.write_text(FCP_XML.format(name="ndf", start="05:00:29:20", frame=ndf_start,
                                       display="NDF"))
    ndf = read_timeline(ndf_path)
    assert not counts_drop_frame(ndf, R2997)
    assert playhead_frame(ndf, "05:00:30:00") == 10
    with pytest.raises(TimelineError, match="non-drop timecode; type ':'"):
        playhead_frame(ndf, "05:00:30;00")


def test_generate_refuses_colon_and_sends_nothing(
    media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = df_case(small_clip(media_dir, "r2997_df"))
    project = tmp_path / "project"
    source = write_case(case, project)
    before = snapshot(project)
    ledger = tmp_path / "ledger.sqlite3"
    code, _, err = cli(capsys, "generate", source, "--at", "05:00:30:00", "--prompt", PROMPT,
                         "--provider", "preview", "--size", "320x180", "--seconds", "1",
                         "--preset", "h264-web", "--ledger", ledger)
    assert code == 8
    assert "05:00:30;00" in err and "--assume-df" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert snapshot(project) == before  # no output timeline, nothing half-written
    assert not ledger.exists()  # no ledger row: nothing was sent


@pytest.mark.parametrize("typed", ["05:00:30:00", "05:00:30;00"])
def test_generate_with_assume_df_lands_where_the_df_label_does(
    typed: str, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = df_case(small_clip(media_dir, "r2997_df"))
    project = tmp_path / "project"
    source = write_case(case, project)
    ledger = tmp_path / "ledger.sqlite3"
    result = cli_json(capsys, "generate", source, "--at", typed, "--assume-df", "--prompt",
                      PROMPT, "--provider", "preview", "--size", "320x180", "--seconds", "1",
                      "--preset", "h264-web", "--ledger", ledger)
    row = job(ledger, result["job_id"])
    assert row.files.source_image is not None  # the job kept the still it grabbed
    assert code_of(row.files.source_image) == case.source_frame
    placed = generated(Path(result["timeline"]))
    assert [clip.record_start_frame for clip in placed] == [case.record_frame]


@pytest.mark.parametrize("command", ["generate", "extend", "takes", "fill-gap"])
def test_every_playhead_command_takes_assume_df(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, command, "--help")
    assert code == 0 and "--assume-df" in out


def test_extend_at_a_colon_playhead_is_refused(
    media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = df_case(small_clip(media_dir, "r2997_df"))
    source = write_case(case, tmp_path / "project")
    code, _, err = cli(capsys, "extend", source, "--at", "05:00:30:00", "--prompt", PROMPT,
                       "--seconds", "1", "--provider", "preview")
    assert code == 8 and "05:00:30;00" in err
