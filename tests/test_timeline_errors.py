"""Bad timeline inputs end in one plain sentence (TimelineError or ConfigError), no traceback."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.errors import ConfigError, StillmotionError, TimelineError
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.locate import locate
from support.timelines import R23, gap, media_clip, timeline, track

HOUR_23 = 86400
Case = Callable[[Path, Path], Any]


def one_clip(media: Any, *, source: int = 0, duration: int = 24, effects: tuple[Any, ...] = (),
             available: tuple[int, int] | None = (HOUR_23, 72)) -> Any:
    clip = media_clip("shot", media, rate=R23, source_start=HOUR_23 + source, duration=duration,
                      available=available)
    for effect in effects:
        clip.effects.append(effect)
    return timeline("t", R23, HOUR_23, [track("V1", [gap(4, R23), clip])])


def retimed_track(hd: Path) -> Any:
    tl = one_clip(hd)
    tl.tracks[0].effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    return tl


def generator_timeline() -> Any:
    bars = otio.schema.Clip(name="bars", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, float(R23)), otio.opentime.RationalTime(24, float(R23))))
    bars.media_reference = otio.schema.GeneratorReference(generator_kind="SMPTEBars")
    return timeline("t", R23, HOUR_23, [track("V1", [bars])])


def only_gaps_and_disabled(hd: Path) -> Any:
    hidden = media_clip("hidden", hd, rate=R23, source_start=HOUR_23, duration=20,
                        available=(HOUR_23, 72), enabled=False)
    return timeline("t", R23, HOUR_23, [
        track("V1", [gap(30, R23)]),
        track("V2", [hidden]),
        track("V3", [media_clip("off", hd, rate=R23, source_start=HOUR_23, duration=20)],
              enabled=False),
    ])


def corrupt(suffix: str, content: bytes) -> Case:
    def case(tmp: Path, hd: Path) -> Any:
        path = tmp / f"broken.{suffix}"
        path.write_bytes(content)
        return read_timeline(path)
    return case


def same_output(tmp: Path, hd: Path) -> Any:
    source = write_timeline(one_clip(hd), tmp / "cut.otio")
    return write_timeline(read_timeline(source), source, source=source, overwrite=True)


CASES: list[tuple[str, Case, type[StillmotionError], str]] = [
    ("no clip at the playhead", lambda t, hd: locate(only_gaps_and_disabled(hd), "frame:10"),
     TimelineError, r"no enabled video clip under the playhead at 01:00:00:10"),
    ("playhead past the end", lambda t, hd: locate(one_clip(hd), "01:00:01:04"),
     TimelineError, r"past the end of the timeline \(its last frame is 01:00:01:03\)"),
    ("playhead before the start", lambda t, hd: locate(one_clip(hd), "00:00:05:00"),
     TimelineError, r"before the timeline start 01:00:00:00"),
    ("offline media file", lambda t, hd: locate(one_clip(t / "shots" / "gone.mov"), "frame:5"),
     TimelineError, r"media of clip 'shot' is offline: .*shots/gone\.mov does not exist"),
    ("missing reference", lambda t, hd: locate(one_clip(None, available=None), "frame:5"),
     TimelineError, r"'shot' is offline \(the timeline names no media file"),
    ("generator reference", lambda t, hd: locate(generator_timeline(), "frame:5"),
     TimelineError, r"Only the SMPTEBars clip 'bars' is under the playhead"),
    ("remote media", lambda t, hd: locate(one_clip("https://cdn.example/x.mov"), "frame:5"),
     TimelineError, r"not a local file"),
    ("source past the media end", lambda t, hd: locate(one_clip(hd, source=60), "frame:20"),
     TimelineError, r"source frame 76 of hd_23976_tc\.mov, which has only 72 frames"),
    ("reverse clip", lambda t, hd: locate(one_clip(hd, effects=(
        otio.schema.LinearTimeWarp(time_scalar=-1.0),)), "frame:5"),
     TimelineError, r"plays in reverse"),
    ("retimed track", lambda t, hd: locate(retimed_track(hd), "frame:5"),
     TimelineError, r"speed effect on a whole track"),
    ("malformed timecode", lambda t, hd: locate(one_clip(hd), "1:00:xx:00"),
     TimelineError, r"'1:00:xx:00' is not a playhead"),
    ("frames beyond the rate", lambda t, hd: locate(one_clip(hd), "01:00:00:25"),
     TimelineError, r"out of range at 24 frames per second.*runs at 23\.976 fps"),
    ("drop frame at 23.976", lambda t, hd: locate(one_clip(hd), "01:00:00;05"),
     TimelineError, r"drop-frame timecode but the timeline counts 23\.976 fps timecode, "
                    r"which has no drop frame"),
    ("unknown extension", lambda t, hd: read_timeline(t / "cut.txt"),
     TimelineError, r"cut\.txt has an extension stillmotion cannot read"),
    ("missing timeline", lambda t, hd: read_timeline(t / "nowhere.otio"),
     TimelineError, r"nowhere\.otio does not exist"),
    ("empty timeline file", corrupt("otio", b""), TimelineError, r"is empty \(0 bytes\)"),
    ("corrupt otio", corrupt("otio", b"{not json"), TimelineError,
     r"broken\.otio could not be read as OpenTimelineIO \(JSON parse error"),
    ("corrupt fcp xml", corrupt("xml", b"<?xml version='1.0'?><xmeml><sequence>"),
     TimelineError, r"could not be read as FCP 7 / Premiere XML"),
    ("xml without a sequence", corrupt("xml", b"<?xml version='1.0'?><xmeml version='4'/>"),
     TimelineError, r"No top-level sequences found"),
    ("corrupt edl", corrupt("edl", b"hello\nthis is not an edl\n"), TimelineError,
     r"could not be read as CMX 3600 EDL \(Unknown event type\)"),
    ("corrupt kdenlive", corrupt("kdenlive", b"<mlt><oops/></mlt>"), TimelineError,
     r"could not be read as Kdenlive project"),
    ("corrupt otioz", corrupt("otioz", b"PK\x03\x04 not really a zip"), TimelineError,
     r"could not be read as OpenTimelineIO bundle \(Not a zipfile"),
    ("corrupt fcpxml", corrupt("fcpxml", b"<fcpxml version='1.8'><resources>"),
     TimelineError, r"could not be read as FCPXML"),
    ("mixed-rate fcpxml", corrupt("fcpxml", b'<fcpxml version="1.8"><resources><format id="r1" '
                                           b'frameDuration="1001/24000s"/><format id="r2" '
                                           b'frameDuration="1/25s"/></resources></fcpxml>'),
     TimelineError, r"mixes NTSC \(23\.976/29\.97/59\.94\) and whole frame rates"),
    ("a clip, not a timeline", corrupt("otio", otio.schema.Clip(name="x").to_json_string()
                                       .encode()),
     TimelineError, r"holds no timeline"),
    ("bad EDL rate", lambda t, hd: read_timeline(corrupt_edl(t), rate="fast"),
     ConfigError, r"'fast' is not a frame rate"),
    ("output path equal to the input", same_output, ConfigError,
     r"The output cut\.otio is also an input"),
]


def corrupt_edl(folder: Path) -> Path:
    path = folder / "ok.edl"
    path.write_text("001  AX V C 01:00:00:00 01:00:00:10 01:00:00:00 01:00:00:10\n")
    return path


@pytest.mark.parametrize(("case", "error", "pattern"),
                         [pytest.param(c, e, p, id=i) for i, c, e, p in CASES])
def test_bad_input_is_one_sentence(
    make_clip: Callable[[str], Path], tmp_path: Path, case: Case,
    error: type[StillmotionError], pattern: str,
) -> None:
    hd = make_clip("hd_23976_tc")
    with pytest.raises(error, match=pattern) as caught:
        case(tmp_path, hd)
    message = str(caught.value)
    assert type(caught.value) is error
    assert "\n" not in message and "Traceback" not in message
    assert message.endswith(".")
    assert message.count(". ") == 0, message          # one sentence


def test_rate_fraction_is_accepted_for_edl(tmp_path: Path) -> None:
    tl = read_timeline(corrupt_edl(tmp_path), rate=Fraction(24000, 1001))
    assert tl.global_start_time.rate == pytest.approx(float(R23))
