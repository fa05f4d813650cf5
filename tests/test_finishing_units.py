"""Pure parts of the finishing loop: name patterns both ways, plate ranges, header timecodes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from stillmotion.errors import ConfigError, MediaError
from stillmotion.finishing.naming import VersionName, parse, render
from stillmotion.finishing.plan import plate_range
from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.imageheaders import (
    read_dpx_timecode,
    read_exr_timecode,
    stamp_dpx_timecode,
    stamp_exr_timecode,
)
from stillmotion.media.probe import probe
from stillmotion.timeline.metadata import GeneratedClipMetadata, TakeRecord
from stillmotion.timeline.takes import with_slot_takes

PATTERN = "{shot}_{task}_v{version:03d}"


def test_names_render_and_parse_back() -> None:
    name = VersionName("sh010", "comp", 2)
    assert render(PATTERN, name) == "sh010_comp_v002"
    assert parse(PATTERN, "sh010_comp_v002") == name
    assert parse(PATTERN, "sh010-a_roto_v12") == VersionName("sh010-a", "roto", 12)
    assert parse(PATTERN, "sh010_comp") is None
    assert parse("{shot}.v{version}", "sh020.v7") == VersionName("sh020", "comp", 7)
    with pytest.raises(ConfigError, match="must use"):
        render("{task}_v{version}", name)
    with pytest.raises(ConfigError, match="must be letters, digits or '-'"):
        render(PATTERN, VersionName("sh010", "comp_2d", 1))
    with pytest.raises(ConfigError, match="not a safe file name"):
        render("{shot}/../v{version}", name)


def test_plate_range_clamps_handles_to_the_media() -> None:
    full = plate_range(12, 20, 8, 48)
    assert (full.first, full.count, full.head, full.tail, full.clamped) == (4, 36, 8, 8, False)
    head = plate_range(3, 24, 8, 48)
    assert (head.first, head.count, head.head, head.tail, head.clamped) == (0, 35, 3, 8, True)
    tail = plate_range(40, 8, 8, 48)
    assert (tail.count, tail.tail) == (16, 0)
    with pytest.raises(MediaError, match="has only 48 at the timeline rate"):
        plate_range(40, 9, 8, 48, shot="sh010", source="a.mp4")


@pytest.fixture()
def frames(tmp_path: Path) -> tuple[Path, Path]:
    exr, dpx = tmp_path / "f.exr", tmp_path / "f.dpx"
    run(["-f", "lavfi", "-i", "testsrc2=s=64x36", "-frames:v", "1", "-pix_fmt", "gbrpf32le",
         "-c:v", "exr", "-format", "half", "-compression", "zip16", "-y", media_arg(exr)])
    run(["-f", "lavfi", "-i", "testsrc2=s=64x36", "-frames:v", "1", "-pix_fmt", "gbrp10le",
         "-c:v", "dpx", "-y", media_arg(dpx)])
    return exr, dpx


def test_header_timecodes_round_trip_and_the_picture_still_decodes(
    frames: tuple[Path, Path],
) -> None:
    exr, dpx = frames
    assert read_exr_timecode(exr) is None and read_dpx_timecode(dpx) is None
    stamp_exr_timecode(exr, "01:00:00:05")
    assert read_exr_timecode(exr) == "01:00:00:05"
    stamp_exr_timecode(exr, "10:59:59;29")  # replaced in place, drop-frame flag kept
    assert read_exr_timecode(exr) == "10:59:59;29"
    assert probe(exr).require_video().size == (64, 36)  # offsets moved with the header
    stamp_dpx_timecode(dpx, "23:59:59:23")
    assert read_dpx_timecode(dpx) == "23:59:59:23"
    with pytest.raises(MediaError, match="not an OpenEXR file"):
        stamp_exr_timecode(dpx, "01:00:00:00")


def _meta(job: str, media: str, take: int, takes: tuple[TakeRecord, ...],
          **extra: object) -> GeneratedClipMetadata:
    return GeneratedClipMetadata(prompt="p", provider="preview", model="m", job_id=job,
                                 seconds=2.0, size="320x180", conformed_file=media, take=take,
                                 takes=takes, extra=dict(extra))


def test_a_new_take_keeps_the_slots_takes_numbers_and_tables() -> None:
    ai = TakeRecord(take=1, job_id="A", media="/m/a.mov")
    artist = TakeRecord(take=2, job_id="A", media="/m/sh010_comp_v002.mov", original="/v.mov")
    slot = _meta("A", artist.media, 2, (ai, artist), finishing={"2": {"version": 2}},
                 take_in={"1": 12}, remote_id="old")
    fresh = _meta("B", "/m/b.mov", 2, (dataclasses.replace(ai, sound=True),
                                       TakeRecord(take=2, job_id="B", media="/m/b.mov")),
                  remote_id="new")
    merged = with_slot_takes(slot, fresh, shown_in=0)
    assert [(t.take, t.job_id, t.media) for t in merged.takes] == [
        (1, "A", "/m/a.mov"), (2, "A", artist.media), (3, "B", "/m/b.mov")]
    assert merged.takes[0].sound is True  # the AI take refreshed from the ledger
    assert merged.take == 3 and merged.job_id == "B"
    assert merged.extra == {"remote_id": "new", "finishing": {"2": {"version": 2}},
                            "take_in": {"1": 12}}
    # the AI take shown again (a reused job): its own number, not the artist's
    again = with_slot_takes(merged, _meta("A", "/m/a.mov", 1, fresh.takes), shown_in=5)
    assert again.take == 1 and len(again.takes) == 3
    assert again.extra["take_in"] == {"1": 12, "3": 5}  # the trim of take 3 is kept


def test_a_new_take_on_a_slot_without_a_takes_list_numbers_from_one() -> None:
    slot = _meta("A", "/m/a.mov", 1, ())
    fresh = _meta("B", "/m/b.mov", 2, (TakeRecord(take=1, job_id="A", media="/m/a.mov"),
                                       TakeRecord(take=2, job_id="B", media="/m/b.mov")))
    merged = with_slot_takes(slot, fresh, shown_in=0)
    assert [(t.take, t.job_id) for t in merged.takes] == [(1, "A"), (2, "B")]
    assert merged.take == 2 and "take_in" not in merged.extra
