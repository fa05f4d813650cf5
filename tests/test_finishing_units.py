"""Pure parts of the finishing loop: name patterns both ways, plate ranges, header timecodes."""

from __future__ import annotations

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
