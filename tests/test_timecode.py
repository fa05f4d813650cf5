"""Rate parsing and timecode arithmetic, drop frame included."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stillmotion.errors import ConfigError
from stillmotion.timecode import Timecode, format_rate, parse_rate, parse_size

NTSC = Fraction(30000, 1001)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("24000/1001", Fraction(24000, 1001)), ("23.976", Fraction(24000, 1001)),
     ("29.97 DF", NTSC), ("25", Fraction(25)), ("59.94", Fraction(60000, 1001)),
     ("30/1", Fraction(30)), ("12.5", Fraction(25, 2))],
)
def test_parse_rate_is_exact(text: str, expected: Fraction) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize("bad", ["", "fast", "0", "-24", "24/0", "1/0x"])
def test_parse_rate_rejects_junk(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_rate(bad)


def test_format_rate_prints_fraction() -> None:
    assert format_rate(Fraction(24000, 1001)) == "24000/1001"
    assert format_rate(Fraction(30)) == "30/1"


@pytest.mark.parametrize(
    ("frames", "label"),
    [(0, "00:00:00;00"), (1799, "00:00:59;29"), (1800, "00:01:00;02"),
     (17982, "00:10:00;00"), (107892, "01:00:00;00"), (107891, "00:59:59;29")],
)
def test_drop_frame_labels(frames: int, label: str) -> None:
    tc = Timecode(NTSC, drop_frame=True)
    assert tc.to_text(frames) == label
    assert tc.to_frames(label) == frames


def test_drop_frame_round_trips_a_day() -> None:
    tc = Timecode(NTSC, drop_frame=True)
    for frames in range(0, 24 * 107892, 997):
        assert tc.to_frames(tc.to_text(frames)) == frames


def test_skipped_drop_frame_label_is_refused() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Timecode(NTSC, drop_frame=True).to_frames("00:01:00;01")


def test_non_drop_at_23976_counts_24_per_second() -> None:
    tc = Timecode(Fraction(24000, 1001))
    assert tc.to_frames("01:00:00:00") == 86400
    assert tc.to_text(86401) == "01:00:00:01"


def test_drop_frame_needs_ntsc_rate() -> None:
    with pytest.raises(ConfigError):
        Timecode(Fraction(25), drop_frame=True)
    with pytest.raises(ConfigError):
        Timecode(Fraction(25)).to_frames("00:00:01;00")


@pytest.mark.parametrize("bad", ["1920", "1921x1080", "0x0", "axb", "99999x2"])
def test_parse_size_rejects(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_size(bad)


def test_parse_size() -> None:
    assert parse_size("1920x1080") == (1920, 1080)
