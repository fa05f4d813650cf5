"""An EDL we write keeps the input's ``FCM`` line (and its non-drop spelling at 29.97), and
``--rate`` on a format that carries its own rate is refused unless it agrees.

The EDLs are authored here as editors export them and written back through the real
cmx_3600 adapter; the written text is read back as text and as a timeline.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.timeline.io import read_timeline, write_timeline
from support.generate_env import case_25, cli, small_clip, write_case

# 29.97 NON-DROP: labels a drop-frame spelling would change (108 labels an hour apart).
EDL_2997_NDF = """TITLE: NDF CUT
FCM: NON-DROP FRAME

001  A001C003 V     C        01:00:59:28 01:01:00:20 01:00:00:00 01:00:00:22
* FROM CLIP NAME: A001C003.mov
002  A001C004 V     C        02:10:00:00 02:10:01:00 01:00:00:22 01:00:01:22
* FROM CLIP NAME: A001C004.mov
"""
EDL_5994_DF = """TITLE: DF CUT
FCM: DROP FRAME

001  A001C003 V     C        01:00:59;58 01:01:00;40 01:00:00;00 01:00:00;38
* FROM CLIP NAME: A001C003.mov
"""
_EVENT = re.compile(r"^\d{3}\s+\S+\s+V\s+C\s+(.*)$", re.MULTILINE)


def _events(text: str) -> list[list[str]]:
    """The four timecodes of each cut event."""
    return [found.split() for found in _EVENT.findall(text)]


@pytest.mark.parametrize(("text", "rate", "fcm"), [
    (EDL_2997_NDF, "29.97", "FCM: NON-DROP FRAME"),
    (EDL_5994_DF, "59.94", "FCM: DROP FRAME"),
])
def test_a_written_edl_keeps_the_fcm_line_and_its_timecodes(
    text: str, rate: str, fcm: str, tmp_path: Path,
) -> None:
    source = tmp_path / "cut.edl"
    source.write_text(text)
    written = write_timeline(read_timeline(source, rate=rate), tmp_path / "out.edl",
                             source=source)
    lines = written.read_text().splitlines()
    assert lines[:2] == [text.splitlines()[0], fcm]
    assert sum(1 for line in lines if line.startswith("FCM:")) == 1
    assert _events(written.read_text()) == _events(text)
    again = read_timeline(written, rate=rate)
    assert again.global_start_time.to_frames() == read_timeline(
        source, rate=rate).global_start_time.to_frames()


def test_the_fcm_line_travels_through_otio(tmp_path: Path) -> None:
    source = tmp_path / "cut.edl"
    source.write_text(EDL_2997_NDF)
    middle = write_timeline(read_timeline(source, rate="29.97"), tmp_path / "cut.otio",
                            source=source)
    written = write_timeline(read_timeline(middle), tmp_path / "back.edl", source=middle)
    assert written.read_text().splitlines()[1] == "FCM: NON-DROP FRAME"
    assert _events(written.read_text()) == _events(EDL_2997_NDF)


def test_an_edl_from_another_format_says_which_mode_it_is_in(
    tmp_path: Path, media_dir: Path,
) -> None:
    """No FCM to keep: the line written says what the adapter's timecodes are."""
    case = case_25(small_clip(media_dir, "r25_ten"))
    written = write_timeline(case.timeline, tmp_path / "cut.edl")
    assert written.read_text().splitlines()[1] == "FCM: NON-DROP FRAME"


@pytest.mark.parametrize("suffix", ["otio", "xml"])
def test_rate_is_refused_when_it_contradicts_the_timeline(
    suffix: str, tmp_path: Path, media_dir: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project", f"cut.{suffix}")
    base: list[str | Path] = ["generate", source, "--at", case.at, "--prompt", "x",
                              "--provider", "preview", "--dry-run"]
    code, _, err = cli(capsys, *base, "--rate", "29.97")
    assert code == 3, err
    assert f"--rate 29.97 does not match cut.{suffix}" in err and "own rate of 25 fps" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "project" / f"cut.stillmotion.{suffix}").exists()
    code, _, err = cli(capsys, *base, "--rate", "25")
    assert code == 0, err


def test_an_agreeing_rate_reads_the_same_timeline(tmp_path: Path, media_dir: Path) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path)
    assert read_timeline(source, rate=Fraction(25)).to_json_string() == \
        read_timeline(source).to_json_string()
