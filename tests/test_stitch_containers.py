"""`stitch FILE@A-B` and timeline renders play exactly frames A..B from every container.

The grab finds frame N by its presentation time in the stream's own clock (MPEG-TS/PS start on
the PCR clock, MXF counts whole frames, B-frames reorder, open GOPs lean on the previous GOP);
the two renderers must cut by the same rule. Each fixture burns its frame index in, so a cut
that starts at the wrong picture reads back as other numbers. Three paths are rendered per
container: the segment stitcher (``stitch FILE@A-B ...``), a timeline of plain cuts through
``stitch --timeline`` (which hands the cuts to the segment stitcher) and the same timeline
after a gap (which the timeline renderer's own graph draws).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest

from stillmotion.cli import run
from stillmotion.media.conform import round_half_up
from stillmotion.media.ffmpeg import media_arg
from stillmotion.media.ffmpeg import run as ffmpeg_run
from stillmotion.media.probe import probe
from support.conform_media import audio_peak, audio_samples, codes
from support.containers import CONTAINER_CLIPS, SIZE, trim_with_edit_list
from support.timelines import gap, media_clip, timeline, track

MakeContainer = Callable[[str], Path]
GAP = 3


def stitch_cmd(args: list[str]) -> int:
    """``stillmotion stitch ARGS`` without Content Credentials: these tests are about frames
    and sound (signing a master stitched from camera media is another part's concern)."""
    return run(["stitch", "--no-credentials", *args])


def ranges(frames: int) -> list[tuple[int, int]]:
    """Inclusive ranges: the report's (5-8, 13-20, 50-52) and the last four frames."""
    return [(5, 8), (13, 20), (50, 52), (frames - 4, frames - 1)]


def expected_codes(frames: int) -> list[int | None]:
    return [index for first, last in ranges(frames) for index in range(first, last + 1)]


def exact_samples(count: int, rate: Fraction) -> int:
    return round_half_up(Fraction(count * 48000) / rate)


def check_master(output: Path, rate: Fraction, wanted: Sequence[int | None]) -> None:
    assert codes(output, SIZE) == list(wanted)
    video = probe(output).require_video()
    assert video.rate == rate
    assert audio_samples(output) == exact_samples(len(wanted), rate)


def write_timeline(clip: Path, rate: Fraction, frames: int, folder: Path, *, lead: int) -> Path:
    """An OTIO timeline at the clip's rate: ``lead`` frames of gap, then the ranges as cuts."""
    items = [gap(lead, rate)] if lead else []
    items += [media_clip(f"cut {first}", clip, rate=rate, source_start=first,
                         duration=last - first + 1) for first, last in ranges(frames)]
    path = folder / f"cuts{lead}.otio"
    otio.adapters.write_to_file(timeline("cuts", rate, None, [track("V1", items)]), str(path))
    return path


@pytest.mark.parametrize("name", tuple(CONTAINER_CLIPS))
def test_stitch_ranges_are_exact(name: str, make_container: MakeContainer,
                                 tmp_path: Path) -> None:
    spec = CONTAINER_CLIPS[name]
    clip = make_container(name)
    output = tmp_path / "stitched.mov"
    args = [f"{clip}@{first}-{last}" for first, last in ranges(spec.frames)]
    assert stitch_cmd([*args, "-o", str(output)]) == 0
    check_master(output, spec.rate, expected_codes(spec.frames))


@pytest.mark.parametrize("lead", [0, GAP], ids=["cuts", "after-gap"])
@pytest.mark.parametrize("name", tuple(CONTAINER_CLIPS))
def test_timeline_clips_are_exact(name: str, lead: int, make_container: MakeContainer,
                                  tmp_path: Path) -> None:
    spec = CONTAINER_CLIPS[name]
    clip = make_container(name)
    source = write_timeline(clip, spec.rate, spec.frames, tmp_path, lead=lead)
    output = tmp_path / "timeline.mov"
    assert stitch_cmd(["--timeline", str(source), "-o", str(output)]) == 0
    check_master(output, spec.rate, [*([None] * lead), *expected_codes(spec.frames)])


@pytest.mark.parametrize("name", ["avchd_mts", "h264_ts", "xdcam_mxf"])
def test_one_range_as_reported(name: str, make_container: MakeContainer,
                               tmp_path: Path) -> None:
    """The report's single cuts: avchd.mts@5-8, broadcast.ts@50-52, xdcam.mxf@13-20."""
    first, last = {"avchd_mts": (5, 8), "h264_ts": (50, 52), "xdcam_mxf": (13, 20)}[name]
    clip = make_container(name)
    output = tmp_path / "one.mov"
    assert stitch_cmd([f"{clip}@{first}-{last}", "-o", str(output)]) == 0
    check_master(output, CONTAINER_CLIPS[name].rate, list(range(first, last + 1)))


def test_xdcam_open_gop_range(make_container: MakeContainer, tmp_path: Path) -> None:
    """Frames 225-228 of the 29.97 long-GOP MXF: the grab's case, cut by the renderer."""
    clip = make_container("xdcam_mxf")
    rate = CONTAINER_CLIPS["xdcam_mxf"].rate
    source = tmp_path / "x.otio"
    items = [gap(2, rate), media_clip("x", clip, rate=rate, source_start=225, duration=4)]
    otio.adapters.write_to_file(timeline("x", rate, None, [track("V1", items)]), str(source))
    output = tmp_path / "x.mov"
    assert stitch_cmd(["--timeline", str(source), "-o", str(output)]) == 0
    check_master(output, rate, [None, None, 225, 226, 227, 228])


# --- sound stays with its picture ----------------------------------------------------------


def first_channel(path: Path) -> tuple[np.ndarray, Fraction]:
    """The first audio channel decoded whole, and the stream time of its first sample."""
    chunks = []
    start: Fraction | None = None
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            if start is None:
                assert frame.pts is not None and frame.time_base is not None
                start = Fraction(frame.pts) * frame.time_base
            data = frame.to_ndarray()
            if not frame.format.is_planar:
                data = data.reshape(-1, len(frame.layout.channels)).T
            chunks.append(np.asarray(data[0], dtype=np.float64))
    assert start is not None
    return np.concatenate(chunks), start


def sound_offset(output: Path, skip: int, clip: Path, first: int, length: int) -> int:
    """How many samples the output's sound (from sample ``skip``) lies from the source's sound
    at frame ``first``'s presentation time: 0 when in sync. The chirp makes the match unique
    within a search of a frame and a half either way."""
    made, _ = first_channel(output)
    source, start = first_channel(clip)
    video = probe(clip).require_video()
    reach = 2400
    # Silence before the source's first sample: a cut may start before its sound does.
    lead_in = 2 * reach + 48000
    source = np.concatenate([np.zeros(lead_in), source])
    at = lead_in + round_half_up((video.start_time + Fraction(first) / video.rate - start)
                                   * 48000)
    cut = made[skip:skip + length]
    window = source[at - reach:at + reach + length]
    scores = np.correlate(window / np.std(window), cut / np.std(cut), mode="valid")
    return int(np.argmax(scores)) - reach


@pytest.mark.parametrize("first", [0, 13])
@pytest.mark.parametrize("lead", [0, GAP], ids=["stitch", "timeline-after-gap"])
@pytest.mark.parametrize("name", tuple(CONTAINER_CLIPS))
def test_sound_stays_with_the_picture(name: str, lead: int, first: int,
                                      make_container: MakeContainer, tmp_path: Path) -> None:
    """From frame 13 and from frame 0 (where a stream's sound may start after its picture)."""
    spec = CONTAINER_CLIPS[name]
    clip = make_container(name)
    output = tmp_path / "synced.mov"
    last = first + 7
    if lead:
        source = tmp_path / "one.otio"
        items = [gap(lead, spec.rate), media_clip("one", clip, rate=spec.rate,
                                                  source_start=first, duration=last - first + 1)]
        otio.adapters.write_to_file(timeline("one", spec.rate, None, [track("V1", items)]),
                                    str(source))
        assert stitch_cmd(["--timeline", str(source), "-o", str(output)]) == 0
    else:
        assert stitch_cmd([f"{clip}@{first}-{last}", "-o", str(output)]) == 0
    skip = exact_samples(lead, spec.rate)
    length = exact_samples(last - first + 1, spec.rate) - 400  # clear of the codec's tail
    assert abs(sound_offset(output, skip, clip, first, length)) <= 2


def test_edit_list_cut_counts_the_pictures_shown(make_container: MakeContainer,
                                                 tmp_path: Path) -> None:
    """A MOV whose edit list hides the leading pictures: frame N is the Nth picture shown."""
    source = make_container("h264_mp4")
    trimmed = trim_with_edit_list(source, tmp_path / "trimmed copy.mov", Fraction(1, 2))
    hidden = codes(trimmed, SIZE)[0]
    assert hidden is not None and hidden > 0  # the edit list really hides pictures
    rate = CONTAINER_CLIPS["h264_mp4"].rate
    output = tmp_path / "cut.mov"
    assert stitch_cmd([f"{trimmed}@5-8", f"{trimmed}@13-20", "-o", str(output)]) == 0
    wanted = [hidden + index for index in (*range(5, 9), *range(13, 21))]
    assert codes(output, SIZE) == wanted
    items = [gap(GAP, rate), media_clip("cut", trimmed, rate=rate, source_start=13, duration=8)]
    plan = tmp_path / "cut.otio"
    otio.adapters.write_to_file(timeline("cut", rate, None, [track("V1", items)]), str(plan))
    rendered = tmp_path / "timeline.mov"
    assert stitch_cmd(["--timeline", str(plan), "-o", str(rendered)]) == 0
    assert codes(rendered, SIZE) == [None] * GAP + wanted[4:]


def test_sound_that_starts_after_the_picture_is_padded_in_front(
    make_container: MakeContainer, tmp_path: Path
) -> None:
    """A file whose sound starts 0.2 s after its picture (an edit list delays it): a cut from
    frame 0 begins with 0.2 s of silence, then the sound in sync, in both renderers."""
    clip = make_container("h264_mp4")
    late = tmp_path / "late sound.mov"
    ffmpeg_run(["-i", media_arg(clip), "-itsoffset", "0.2", "-i", media_arg(clip),
                "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-y", media_arg(late)],
               output=late, what="late-sound fixture")
    rate = CONTAINER_CLIPS["h264_mp4"].rate
    output = tmp_path / "late.mov"
    assert stitch_cmd([f"{late}@0-29", "-o", str(output)]) == 0
    length = exact_samples(30, rate) - 400
    assert abs(sound_offset(output, 0, late, 0, length)) <= 2
    # Silent before the sound (short of one AAC frame of the encoder's edge).
    assert audio_peak(output, 0, 9600 - 2048) < 1e-4
    plan = tmp_path / "late.otio"
    items = [gap(GAP, rate), media_clip("late", late, rate=rate, source_start=0, duration=30)]
    otio.adapters.write_to_file(timeline("late", rate, None, [track("V1", items)]), str(plan))
    rendered = tmp_path / "late timeline.mov"
    assert stitch_cmd(["--timeline", str(plan), "-o", str(rendered)]) == 0
    skip = exact_samples(GAP, rate)
    assert abs(sound_offset(rendered, skip, late, 0, length)) <= 2
    assert audio_peak(rendered, skip, skip + 9600 - 2048) < 1e-4
