"""Playhead -> top-most enabled clip -> source frame, checked on real frame-coded media.

Every located source frame is grabbed from the file with stillmotion.media.frames and its
burnt-in code read back, so "frame 35" means the pixels of frame 35, not a number we computed
twice.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.timecode import Timecode
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.locate import locate, playhead_frame
from support.timelines import (
    R23,
    R2997,
    R5994,
    code_at,
    gap,
    media_clip,
    rate_clip,
    span,
    timeline,
    track,
)

HOUR_23 = 86400  # 01:00:00:00 at 23.976 (timecode base 24)


@pytest.fixture(scope="module")
def hd(make_clip: Callable[[str], Path]) -> Path:
    return make_clip("hd_23976_tc")


def hd_clip(hd: Path, name: str, source: int, duration: int, **kw: Any) -> otio.schema.Clip:
    """A clip on the 23.976 media starting at 01:00:00:00 (72 frames), ``source`` from its start."""
    return media_clip(name, hd, rate=R23, source_start=HOUR_23 + source, duration=duration,
                      available=(HOUR_23, 72), **kw)


def stacked(hd: Path) -> otio.schema.Timeline:
    """V1 A (0-48), V2 B (10-30), V3 disabled track, V4 a disabled clip (0-48)."""
    return timeline("stacked", R23, HOUR_23, [
        track("V1", [hd_clip(hd, "A", 0, 48)]),
        track("V2", [gap(10, R23), hd_clip(hd, "B", 30, 20)]),
        track("V3", [hd_clip(hd, "C", 60, 10)], enabled=False),
        track("V4", [hd_clip(hd, "D", 50, 20, enabled=False)]),
        track("A1", [hd_clip(hd, "audio", 0, 48)], kind="Audio"),
    ])


def test_top_enabled_clip_wins_over_disabled_track_and_clip(hd: Path, tmp_path: Path) -> None:
    found = locate(stacked(hd), "01:00:00:15")
    assert (found.clip_name, found.track_name, found.track_index) == ("B", "V2", 1)
    assert found.video_track_number == 2
    assert (found.record_frame, found.record_frame_absolute) == (15, HOUR_23 + 15)
    assert found.record_rate == R23 and found.record_timecode == "01:00:00:15"
    assert (found.clip_record_start, found.clip_record_end) == (10, 30)
    assert found.media_path == hd
    assert found.source_frame_index == 35 and found.source_rate == R23
    assert found.source_timecode == "01:00:01:11"
    assert code_at(hd, found.source_frame_index, tmp_path) == 35


@pytest.mark.parametrize(("playhead", "clip", "index"), [
    ("01:00:00:05", "A", 5),     # V2 holds a gap here
    ("frame:40", "A", 40),      # past B's end; frame form counts from the timeline start
    ("40", "A", 40),
    ("01:00:00:10", "B", 30),   # B's first frame
    ("01:00:01:05", "B", 49),   # B's last frame (record frame 29)
])
def test_gaps_show_the_track_below(hd: Path, playhead: str, clip: str, index: int) -> None:
    found = locate(stacked(hd), playhead)
    assert (found.clip_name, found.source_frame_index) == (clip, index)


def test_linear_time_warp_and_freeze_frame(hd: Path, tmp_path: Path) -> None:
    fast = hd_clip(hd, "fast", 10, 20)
    fast.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    slow = hd_clip(hd, "slow", 10, 20)
    slow.effects.append(otio.schema.LinearTimeWarp(time_scalar=0.5))
    frozen = hd_clip(hd, "frozen", 50, 30)
    frozen.effects.append(otio.schema.FreezeFrame())
    tl = timeline("warps", R23, HOUR_23, [track("V1", [gap(4, R23), fast, slow, frozen])])
    at_fast = locate(tl, "frame:11")          # 7 record frames into "fast": 10 + 2 x 7
    assert (at_fast.clip_name, at_fast.source_frame_index) == ("fast", 24)
    assert at_fast.time_scalar == 2
    assert code_at(hd, 24, tmp_path) == 24
    at_slow = locate(tl, 4 + 20 + 7)           # 7 frames into "slow": 10 + 3.5 -> frame 13
    assert (at_slow.clip_name, at_slow.source_frame_index) == ("slow", 13)
    at_frozen = locate(tl, 4 + 40 + 29)        # any frame of a freeze shows its first frame
    assert (at_frozen.clip_name, at_frozen.source_frame_index) == ("frozen", 50)
    assert code_at(hd, at_frozen.source_frame_index, tmp_path) == 50


def test_transition_beside_the_playhead_does_not_shift_the_cut(hd: Path, tmp_path: Path) -> None:
    a_side = hd_clip(hd, "A", 0, 24)
    b_side = hd_clip(hd, "B", 40, 24)
    dissolve = otio.schema.Transition(in_offset=span(0, 6, R23).duration,
                                      out_offset=span(0, 6, R23).duration)
    tl = timeline("dissolve", R23, HOUR_23, [track("V1", [a_side, dissolve, b_side])])
    before_cut = locate(tl, "01:00:00:21")     # inside the dissolve, A side of the cut
    assert (before_cut.clip_name, before_cut.source_frame_index) == ("A", 21)
    after_cut = locate(tl, "01:00:01:02")      # inside the dissolve, B side: 2 frames into B
    assert (after_cut.clip_name, after_cut.source_frame_index) == ("B", 42)
    assert after_cut.clip_record_start == 24
    assert code_at(hd, 42, tmp_path) == 42


def test_nested_sequences_and_trimmed_tracks(hd: Path) -> None:
    inner_clip = hd_clip(hd, "nested", 10, 20)
    nested = otio.schema.Stack(name="compound", source_range=span(2, 15, R23))
    nested.append(track("inner V1", [inner_clip]))
    nested.append(track("inner V2", [hd_clip(hd, "inner off", 0, 20)], enabled=False))
    tl = timeline("nest", R23, HOUR_23, [track("V1", [gap(5, R23), nested])])
    found = locate(tl, "frame:8")          # 3 frames into the compound, trimmed to start at 2
    assert (found.clip_name, found.source_frame_index, found.track_name) == ("nested", 15, "V1")
    assert found.clip_record_start == 3    # where the nested clip's first frame would sit
    trimmed = track("V1", [hd_clip(hd, "T", 0, 40)])
    trimmed.source_range = span(5, 20, R23)   # the track shows its own frames 5-24
    tl = timeline("trim", R23, HOUR_23, [trimmed])
    assert locate(tl, "frame:0").source_frame_index == 5


def test_drop_frame_2997_media_with_probed_start_timecode(
    make_clip: Callable[[str], Path], tmp_path: Path
) -> None:
    media = make_clip("ntsc_2997_df")            # starts at 00:59:59;28 DF, 90 frames
    clock = Timecode(R2997, drop_frame=True)
    media_start = clock.to_frames("00:59:59;28")
    start = clock.to_frames("01:00:00;00")
    # No available_range: the source range is in the file's timecode space (as in an EDL).
    clip = media_clip("df shot", media, rate=R2997, source_start=media_start + 12, duration=60)
    tl = timeline("df", R2997, start, [track("V1", [clip])])
    found = locate(tl, "01:00:00;20")
    assert found.record_frame == 20 and found.record_timecode == "01:00:00;20"
    assert found.source_frame_index == 32
    assert found.source_timecode == clock.to_text(media_start + 32) == "01:00:01;00"
    assert code_at(media, 32, tmp_path) == 32
    # The same frame typed as a frame number gives the same answer.
    assert locate(tl, "frame:20").source_frame_index == 32


def test_25_fps_timeline_from_ten_hours(media_dir: Path, tmp_path: Path) -> None:
    media = rate_clip(media_dir, "pal_25_tc")    # 10:00:00:00, 50 frames
    ten = 10 * 3600 * 25
    clip = media_clip("pal", media, rate=Fraction(25), source_start=ten + 5, duration=30,
                      available=(ten, 50))
    tl = timeline("pal", Fraction(25), ten, [track("V1", [clip])])
    found = locate(tl, "10:00:00:24")
    assert (found.record_frame, found.source_frame_index) == (24, 29)
    assert found.source_timecode == "10:00:01:04" and found.source_rate == 25
    assert code_at(media, 29, tmp_path) == 29


def test_5994_drop_frame_timeline(media_dir: Path, tmp_path: Path) -> None:
    media = rate_clip(media_dir, "hfr_5994_df")  # 01:00:00;00 DF, 120 frames
    clock = Timecode(R5994, drop_frame=True)
    start = clock.to_frames("01:00:00;00")
    clip = media_clip("hfr", media, rate=R5994, source_start=start + 10, duration=100,
                      available=(start, 120))
    tl = timeline("hfr", R5994, start, [track("V1", [clip])])
    found = locate(tl, "01:00:01;30")
    assert (found.record_frame, found.source_frame_index) == (90, 100)
    assert found.source_timecode == "01:00:01;40"
    assert code_at(media, 100, tmp_path) == 100


@pytest.mark.parametrize(("rate", "start", "text", "frame"), [
    (R23, HOUR_23, "01:00:00:00", 0),
    (R23, HOUR_23, "01:00:01:00", 24),          # timecode base 24 at 23.976
    (R2997, 107892, "01:00:01;00", 30),         # 01:00:00;00 DF is frame 107892
    (R2997, 107892, "01:01:00;02", 1800),       # first label after the dropped ;00 ;01
    (R5994, 215784, "01:00:01;00", 60),
    (Fraction(25), 0, "00:00:02:10", 60),
    (Fraction(25), 0, "frame:7", 7),
    (Fraction(25), 0, " FRAME: 7 ", 7),
])
def test_playhead_forms(rate: Fraction, start: int, text: str, frame: int) -> None:
    tl = timeline("t", rate, start, [track("V1", [gap(1799, rate), gap(100, rate)])])
    assert playhead_frame(tl, text) == frame


def test_media_spellings_resolve_to_the_file(hd: Path, tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    media = folder / "my shot #1.mov"
    shutil.copyfile(hd, media)
    quoted = "my%20shot%20%231.mov"
    spellings = [
        media.as_uri(),                                   # file:///…/my%20shot%20%231.mov
        "file://localhost" + media.as_uri()[len("file://"):],
        str(media),                                       # bare absolute path (Resolve)
        quoted,                                           # relative and URL-encoded
        "./my shot #1.mov",                               # relative, plain
    ]
    for url in spellings:
        clip = media_clip("s", url, rate=R23, source_start=HOUR_23 + 3, duration=10,
                          available=(HOUR_23, 72))
        tl = timeline("paths", R23, HOUR_23, [track("V1", [clip])])
        found = locate(tl, "frame:2", timeline_path=folder / "cut.otio")
        assert found.media_path == media, url
        assert found.source_frame_index == 5


def test_fcp_xml_round_trip_locates_the_same_frame(hd: Path, tmp_path: Path) -> None:
    built = stacked(hd)
    path = write_timeline(built, tmp_path / "stacked.xml")
    reread = read_timeline(path)
    assert reread.global_start_time.value == HOUR_23
    expected = locate(built, "01:00:00:15")
    found = locate(reread, "01:00:00:15", timeline_path=path)
    assert (found.clip_name, found.source_frame_index, found.record_frame) == (
        expected.clip_name, expected.source_frame_index, expected.record_frame)


@pytest.mark.parametrize("rate", ["23.976", None])
def test_edl_uses_the_probed_start_timecode(
    hd: Path, tmp_path: Path, rate: str | None
) -> None:
    edl = tmp_path / "cut.edl"
    edl.write_text(
        "TITLE: edl cut\nFCM: NON-DROP FRAME\n\n"
        "001  AX       V     C        01:00:00:12 01:00:01:12 01:00:00:00 01:00:01:00\n"
        "* FROM CLIP NAME: hd shot\n"
        f"* FROM CLIP: {hd}\n"
    )
    tl = read_timeline(edl, rate=rate)
    assert tl.global_start_time.value == HOUR_23
    found = locate(tl, "01:00:00:05", timeline_path=edl)
    assert found.record_frame == 5
    assert found.source_frame_index == 17
    assert found.source_timecode == "01:00:00:17"
    assert code_at(hd, 17, tmp_path) == 17
