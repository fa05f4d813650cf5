"""``fill-gap``'s choices without any service: which gap, which clips, which length.

The gap is where no enabled clip on any enabled video track shows; generated clips do not close
it (a new take may fill it again); the length is the shortest the model takes that covers the
gap, refused when even the longest does not.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from stillmotion.api import capabilities
from stillmotion.cli.provider_commands import gap_seconds
from stillmotion.errors import ConfigError, TimelineError
from stillmotion.timeline.gaps import GapSpan, gap_at
from stillmotion.timeline.metadata import METADATA_NAMESPACE
from support.timelines import gap, media_clip, timeline, track

R24 = Fraction(24)


def _clip(name: str, frames: int) -> Any:
    return media_clip(name, f"/media/{name}.mov", rate=R24, source_start=0, duration=frames)


def test_the_gap_spans_every_track() -> None:
    tl = timeline("t", R24, None, [
        track("V1", [_clip("A", 10), gap(30, R24), _clip("B", 10)]),
        track("V2", [gap(12, R24), _clip("C", 4)]),  # covers 12-16 of V1's gap
    ])
    found = gap_at(tl, 30, label="frame 30")
    assert found == GapSpan(16, 40, "C", 1, "B", 0)
    assert found.frames == 24


def test_generated_and_disabled_clips_leave_the_gap_open() -> None:
    ai = _clip("AI A take 1", 30)
    ai.metadata[METADATA_NAMESPACE] = {"job_id": "j"}
    off = _clip("off", 30)
    off.enabled = False
    tl = timeline("t", R24, None, [
        track("V1", [_clip("A", 10), gap(30, R24), _clip("B", 10)]),
        track("AI Generated", [gap(10, R24), ai]),
        track("V3", [gap(10, R24), off]),
    ])
    assert gap_at(tl, 20, label="x") == GapSpan(10, 40, "A", 0, "B", 0)


def test_no_gap_or_a_gap_without_both_sides() -> None:
    tl = timeline("t", R24, None, [track("V1", [gap(5, R24), _clip("A", 10), gap(5, R24),
                                                _clip("B", 10)])])
    with pytest.raises(TimelineError, match="clip 'A' shows at 01:00"):
        gap_at(tl, 7, label="01:00")
    with pytest.raises(TimelineError, match="no clip before it"):
        gap_at(tl, 2, label="frame 2")
    assert gap_at(tl, 16, label="x").frames == 5


def test_the_generated_length_covers_the_gap() -> None:
    veo = capabilities.lookup("veo", "veo-3.1-generate-preview")
    span = GapSpan(0, 97, "A", 0, "B", 0)  # 97 frames at 24 fps: 4.04 s
    assert gap_seconds(veo, span, R24, None) == 6
    assert gap_seconds(veo, GapSpan(0, 96, "A", 0, "B", 0), R24, None) == 4
    assert gap_seconds(veo, GapSpan(0, 30, "A", 0, "B", 0), R24, (1920, 1080)) == 8
    with pytest.raises(ConfigError, match="longer than the 8 s"):
        gap_seconds(veo, GapSpan(0, 200, "A", 0, "B", 0), R24, None)
    ntsc = Fraction(24000, 1001)
    assert gap_seconds(veo, GapSpan(0, 96, "A", 0, "B", 0), ntsc, None) == 6  # 4.004 s


@pytest.mark.parametrize(("provider", "model", "seconds"), [
    ("kling", "kling-v3", 3), ("seedance", "dreamina-seedance-2-0-260128", 4),
    ("wan", "wan2.7-i2v", 2)])
def test_the_new_last_frame_models_cover_a_short_gap(provider: str, model: str,
                                                      seconds: int) -> None:
    cap = capabilities.lookup(provider, model)
    assert cap.last_frame
    assert gap_seconds(cap, GapSpan(0, 30, "A", 0, "B", 0), Fraction(25), None) == seconds
    assert gap_seconds(cap, GapSpan(0, 300, "A", 0, "B", 0), R24, None) == 13
    with pytest.raises(ConfigError, match="longer than the 15 s"):
        gap_seconds(cap, GapSpan(0, 400, "A", 0, "B", 0), R24, None)


def test_kling_v2_6_takes_no_last_frame() -> None:
    with pytest.raises(ConfigError, match="kling-v2-6 cannot take a last frame"):
        capabilities.validate(capabilities.lookup("kling", "kling-v2-6"), (1280, 720), 5,
                              last_frame=True)
