"""Reading and writing timelines through the real OTIO adapters, by extension."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.errors import ConfigError, TimelineError
from stillmotion.timeline.edl import guess_edl_rate
from stillmotion.timeline.io import (
    default_output_path,
    read_timeline,
    readable_suffixes,
    write_timeline,
)
from stillmotion.timeline.locate import locate
from support.timelines import (
    R23,
    gap,
    media_clip,
    record_layout,
    rt,
    sha256,
    timeline,
    track,
)

HOUR_23 = 86400


@pytest.fixture(scope="module")
def hd(make_clip: Callable[[str], Path]) -> Path:
    return make_clip("hd_23976_tc")


def two_tracks(hd: Path) -> Any:
    def clip(name: str, source: int, duration: int) -> Any:
        return media_clip(name, hd, rate=R23, source_start=HOUR_23 + source, duration=duration,
                          available=(HOUR_23, 72))
    return timeline("io cut", R23, HOUR_23, [
        track("V1", [clip("A", 0, 24), gap(6, R23), clip("B", 30, 18)]),
        track("V2", [gap(8, R23), clip("C", 50, 10)]),
    ])


def test_the_formats_the_issue_names_are_readable() -> None:
    assert {"otio", "otioz", "xml", "fcpxml", "edl", "kdenlive"} <= readable_suffixes()


@pytest.mark.parametrize("suffix", ["otio", "xml", "kdenlive", "otioz"])
def test_written_then_read_back_keeps_record_positions(
    hd: Path, tmp_path: Path, suffix: str
) -> None:
    built = two_tracks(hd)
    path = write_timeline(built, tmp_path / f"cut.{suffix}")
    assert path == tmp_path / f"cut.{suffix}" and path.is_file()
    reread = read_timeline(path)
    assert isinstance(reread, otio.schema.Timeline)
    layout = [(start, end) for _, _, start, end in record_layout(reread)]
    assert layout == [(0, 24), (30, 48), (8, 18)]


@pytest.mark.parametrize("suffix", ["otio", "xml", "edl", "kdenlive", "otioz"])
def test_writing_leaves_the_callers_timeline_alone(hd: Path, tmp_path: Path, suffix: str) -> None:
    built = two_tracks(hd)
    built.tracks[0].append(otio.schema.Transition(in_offset=rt(0, R23), out_offset=rt(0, R23)))
    built.tracks[0].append(gap(2, R23))
    before = built.to_json_string()
    write_timeline(built, tmp_path / f"cut.{suffix}")
    assert built.to_json_string() == before


def test_edl_write_flattens_and_keeps_the_record_start(hd: Path, tmp_path: Path) -> None:
    path = write_timeline(two_tracks(hd), tmp_path / "cut.edl")
    text = path.read_text()
    assert "01:00:00:00 01:00:00:08" in text         # record in/out of the first event
    reread = read_timeline(path, rate=R23)
    assert reread.global_start_time.value == HOUR_23
    assert [(name, start, end) for _, name, start, end in record_layout(reread)] == [
        ("A", 0, 8), ("C", 8, 18), ("A", 18, 24), ("B", 30, 48)]
    assert [t.name for t in reread.tracks] == ["V"]


@pytest.mark.parametrize(("text", "rate"), [
    ("001  AX V C 01:00:00:00 01:00:00:10 01:00:00:00 01:00:00:10\n", Fraction(24)),
    ("001  AX V C 01:00:00:00 01:00:00:24 01:00:00:00 01:00:00:24\n", Fraction(25)),
    ("001  AX V C 01:00:00:00 01:00:00:29 01:00:00:00 01:00:00:29\n", Fraction(30)),
    ("FCM: DROP FRAME\n001  AX V C 01:00:00:00 01:00:00:10 01:00:00:00 01:00:00:10\n",
     Fraction(30000, 1001)),
    ("001  AX V C 01:00:00;00 01:00:00;10 01:00:00;00 01:00:00;10\n", Fraction(30000, 1001)),
    ("001  AX V C 01:00:00:00 01:00:00:59 01:00:00:00 01:00:00:59\n", Fraction(60)),
])
def test_edl_rate_guess(text: str, rate: Fraction) -> None:
    assert guess_edl_rate(text) == rate


def test_edl_read_with_guessed_and_given_rate(tmp_path: Path) -> None:
    edl = tmp_path / "pal.edl"
    edl.write_text(
        "TITLE: pal\n\n"
        "001  AX       V     C        10:00:00:00 10:00:01:00 10:00:00:00 10:00:01:00\n"
        "002  AX       V     C        10:00:05:00 10:00:05:24 10:00:02:00 10:00:02:24\n"
    )
    guessed = read_timeline(edl)
    assert guessed.global_start_time.rate == 25 and guessed.global_start_time.value == 900000
    assert [(s, e) for _, _, s, e in record_layout(guessed)] == [(0, 25), (50, 74)]
    given = read_timeline(edl, rate=30)
    assert given.global_start_time.value == 10 * 3600 * 30


def test_fcpxml_at_25_reads(tmp_path: Path) -> None:
    path = tmp_path / "pal.fcpxml"
    path.write_text(FCPXML_25)
    tl = read_timeline(path)
    assert tl.name == "pal cut"
    # Shot B's offset 180006/5 s is frame 900030 (after the 5-frame gap); the adapter alone
    # truncated 900029.99… to 900029.
    assert [(n, s, e) for _, n, s, e in record_layout(tl)] == [
        ("shot A", 900000, 900025), ("shot B", 900030, 900050)]


def test_collection_gives_its_first_timeline(tmp_path: Path) -> None:
    collection = otio.schema.SerializableCollection(name="bin")
    collection.append(otio.schema.Clip(name="loose clip"))
    inner = otio.schema.SerializableCollection(name="sub")
    inner.append(timeline("first", R23, 0, [track("V1", [gap(5, R23)])]))
    collection.append(inner)
    collection.append(timeline("second", R23, 0, [track("V1", [gap(5, R23)])]))
    path = tmp_path / "bin.otio"
    otio.adapters.write_to_file(collection, str(path))
    assert read_timeline(path).name == "first"


def test_premiere_xml_disabled_items_are_skipped(hd: Path, tmp_path: Path) -> None:
    path = tmp_path / "premiere.xml"
    path.write_text(PREMIERE_XML.replace("{url}", hd.as_uri()))
    tl = read_timeline(path)
    assert [t.enabled for t in tl.video_tracks()] == [True, False, True]
    assert [c.enabled for c in tl.video_tracks()[2]] == [False]
    found = locate(tl, "01:00:00:05", timeline_path=path)
    assert (found.clip_name, found.source_frame_index) == ("A", 5)
    # Written back, the flags survive (through the adapter's fcp_xml metadata).
    again = read_timeline(write_timeline(tl, tmp_path / "again.xml"))
    assert [t.enabled for t in again.video_tracks()] == [True, False, True]
    assert [c.enabled for c in again.video_tracks()[2]] == [False]


@pytest.mark.parametrize(("name", "expected"), [
    ("cut.otio", "cut.stillmotion.otio"),
    ("cut.v2.xml", "cut.v2.stillmotion.xml"),
    ("cut.EDL", "cut.stillmotion.EDL"),
    ("cut.stillmotion.otio", "cut.stillmotion-2.otio"),
    ("cut.stillmotion-2.kdenlive", "cut.stillmotion-3.kdenlive"),
])
def test_default_output_path(tmp_path: Path, name: str, expected: str) -> None:
    assert default_output_path(tmp_path / name) == tmp_path / expected


def test_write_refuses_the_input_and_existing_files(hd: Path, tmp_path: Path) -> None:
    source = write_timeline(two_tracks(hd), tmp_path / "cut.otio")
    digest = sha256(source)
    tl = read_timeline(source)
    with pytest.raises(ConfigError, match="also an input"):
        write_timeline(tl, source, source=source, overwrite=True)
    with pytest.raises(ConfigError, match="already exists"):
        write_timeline(tl, source)
    assert sha256(source) == digest
    with pytest.raises(ConfigError, match="does not exist"):
        write_timeline(tl, tmp_path / "missing" / "out.otio")
    with pytest.raises(TimelineError, match=r"cannot write a timeline named out\.txt"):
        write_timeline(tl, tmp_path / "out.txt")
    out = write_timeline(tl, tmp_path / "out.otio")
    assert write_timeline(tl, out, overwrite=True) == out


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    offline = media_clip("gone", tmp_path / "gone.mov", rate=R23, source_start=0, duration=5)
    tl = timeline("t", R23, 0, [track("V1", [offline])])
    with pytest.raises(TimelineError, match=r"Could not write out\.otioz") as caught:
        write_timeline(tl, tmp_path / "out.otioz")
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_adapter_chatter_does_not_reach_stdout(
    hd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    read_timeline(write_timeline(two_tracks(hd), tmp_path / "cut.kdenlive"))
    assert capsys.readouterr().out == ""


FCPXML_25 = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.8">
  <resources>
    <format id="r1" name="FFVideoFormat1080p25" frameDuration="1/25s" width="1920" height="1080"/>
    <asset id="r2" name="pal" src="file:///media/pal%2025.mov" start="36000s" duration="2s"
           hasVideo="1" format="r1"/>
  </resources>
  <library>
    <event name="ev">
      <project name="pal cut">
        <sequence duration="3s" format="r1" tcStart="36000s" tcFormat="NDF">
          <spine>
            <asset-clip name="shot A" offset="36000s" ref="r2" duration="1s" start="36000s"
                        format="r1"/>
            <gap name="Gap" offset="36001s" duration="1/5s" start="0s"/>
            <asset-clip name="shot B" offset="180006/5s" ref="r2" duration="4/5s"
                        start="36001s" format="r1"/>
          </spine>
        </sequence>
      </project>
    </event>
  </library>
</fcpxml>
"""

_RATE = "<rate><timebase>24</timebase><ntsc>TRUE</ntsc></rate>"
_TC = (f"<timecode>{_RATE}<string>01:00:00:00</string><frame>86400</frame>"
       "<displayformat>NDF</displayformat></timecode>")
PREMIERE_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xmeml>
<xmeml version="4">
  <sequence id="seq1">
    <name>premiere cut</name>
    <duration>48</duration>
    {_RATE}
    {_TC}
    <media>
      <video>
        <track>
          <enabled>TRUE</enabled>
          <clipitem id="c1">
            <name>A</name><enabled>TRUE</enabled><duration>72</duration>{_RATE}
            <start>0</start><end>48</end><in>0</in><out>48</out>
            <file id="f1"><name>hd.mov</name><pathurl>{{url}}</pathurl>{_RATE}
              <duration>72</duration>{_TC}</file>
          </clipitem>
        </track>
        <track>
          <enabled>FALSE</enabled>
          <clipitem id="c2">
            <name>hidden track</name><enabled>TRUE</enabled><duration>72</duration>{_RATE}
            <start>0</start><end>48</end><in>10</in><out>58</out><file id="f1"/>
          </clipitem>
        </track>
        <track>
          <enabled>TRUE</enabled>
          <clipitem id="c3">
            <name>disabled clip</name><enabled>FALSE</enabled><duration>72</duration>{_RATE}
            <start>0</start><end>48</end><in>20</in><out>68</out><file id="f1"/>
          </clipitem>
        </track>
      </video>
    </media>
  </sequence>
</xmeml>
"""


def test_fcp_xml_media_url_is_decoded(hd: Path, tmp_path: Path) -> None:
    path = tmp_path / "premiere.xml"
    path.write_text(PREMIERE_XML.replace("{url}", "file://localhost" + hd.as_uri()[7:]))
    found = locate(read_timeline(path), "frame:3", timeline_path=path)
    assert found.media_path == hd

