"""`grab --frame N` is frame N in every container: MPEG-TS/PS, MXF, MKV, MP4 and MOV.

Each fixture burns its frame index in; the grab is read back and also checked against the clip
decoded from its first frame (no seeking), so a wrong seek, start time, edit list or reordered
B-frame shows up as a different number.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.cli import run
from stillmotion.media.frames import grab_frame, last_frame
from stillmotion.media.probe import probe
from support.containers import CONTAINER_CLIPS, trim_with_edit_list
from support.decode import decoded_frame_count, decoded_lumas
from support.framecode import luma_of_image, read_code

MakeContainer = Callable[[str], Path]
CONTAINERS = tuple(CONTAINER_CLIPS)
PICKS = (0, 1, 5, 13, 50)


@pytest.fixture(scope="session")
def edit_list_mov(make_container: MakeContainer) -> Path:
    """The MP4 fixture stream-copied from half a second in: an edit list hides 15 pictures."""
    source = make_container("h264_mp4")
    return trim_with_edit_list(source, source.with_name("trimmed copy.mov"), Fraction(1, 2))


def grabbed_code(media: Path, frame: int, out: Path) -> int | None:
    """Run ``stillmotion grab --frame`` and read the burnt-in code of the still it wrote."""
    assert run(["grab", str(media), "--frame", str(frame), "-o", str(out)]) == 0
    return read_code(luma_of_image(out))


@pytest.mark.parametrize("name", CONTAINERS)
def test_grab_frame_n_is_frame_n(name: str, make_container: MakeContainer, tmp_path: Path) -> None:
    clip = make_container(name)
    last = probe(clip).require_video().frame_count - 1
    assert last == CONTAINER_CLIPS[name].frames - 1
    picks = (*PICKS, last)
    decoded = decoded_lumas(clip, picks)
    for index in picks:
        assert read_code(decoded[index]) == index  # the fixture itself, decoded without seeking
        assert grabbed_code(clip, index, tmp_path / f"{index}.png") == index, (name, index)


@pytest.mark.parametrize("name", CONTAINERS)
def test_probe_counts_the_frames_that_decode(name: str, make_container: MakeContainer) -> None:
    clip = make_container(name)
    assert probe(clip).require_video().frame_count == decoded_frame_count(clip)


@pytest.mark.parametrize("name", ["avchd_mts", "h264_ts", "mpeg2_ts", "mpeg2_mpg"])
def test_mpeg_streams_start_on_their_own_clock(name: str, make_container: MakeContainer) -> None:
    """MPEG-TS/PS timestamps start at the mux delay (about 1.4 s / 0.5 s), not at zero."""
    info = probe(make_container(name))
    video = info.require_video()
    assert video.start_time > 0
    assert info.start_time <= video.start_time


@pytest.mark.parametrize("index", [225, 226, 227, 228, 231])
def test_xdcam_mxf_open_gop_frames(
    index: int, make_container: MakeContainer, tmp_path: Path
) -> None:
    """The report's case: frame 226 of a 29.97 long-GOP MPEG-2 MXF came back as 225."""
    clip = make_container("xdcam_mxf")
    assert grabbed_code(clip, index, tmp_path / "x.png") == index


def test_mxf_timecode_and_seconds_select_the_same_frame(
    make_container: MakeContainer, tmp_path: Path
) -> None:
    clip = make_container("xdcam_mxf")
    assert probe(clip).require_video().start_timecode == "10:00:00;00"
    out = tmp_path / "tc.png"
    assert run(["grab", str(clip), "--timecode", "10:00:07;16", "-o", str(out)]) == 0
    assert read_code(luma_of_image(out)) == 226
    seconds = tmp_path / "s.png"
    assert run(["grab", str(clip), "--seconds", "226226/30000", "-o", str(seconds)]) == 0
    assert read_code(luma_of_image(seconds)) == 226


@pytest.mark.parametrize("name", ["avchd_mts", "mpeg2_ts", "mpeg2_mpg"])
def test_seconds_on_transport_streams_count_from_the_first_frame(
    name: str, make_container: MakeContainer, tmp_path: Path
) -> None:
    clip = make_container(name)
    rate = CONTAINER_CLIPS[name].rate
    still = grab_frame(clip, tmp_path / "s.png", seconds=Fraction(37) / rate)
    assert read_code(luma_of_image(still)) == 37


@pytest.mark.parametrize("name", ["avchd_mts", "mpeg2_mpg", "xdcam_mxf"])
def test_last_frame_of_camera_media(
    name: str, make_container: MakeContainer, tmp_path: Path
) -> None:
    clip = make_container(name)
    still = last_frame(clip, tmp_path / "last.png")
    assert read_code(luma_of_image(still)) == CONTAINER_CLIPS[name].frames - 1


def test_edit_list_hides_the_leading_pictures(edit_list_mov: Path, tmp_path: Path) -> None:
    """Frame N of a file with an edit list is the Nth picture shown, not the Nth stored."""
    video = probe(edit_list_mov).require_video()
    shown = decoded_frame_count(edit_list_mov)
    assert video.frame_count == shown < CONTAINER_CLIPS["h264_mp4"].frames
    picks = (0, 1, 5, 13, shown - 1)
    decoded = decoded_lumas(edit_list_mov, picks)
    first = read_code(decoded[0])
    assert first is not None and first > 0  # the trim really hides pictures
    for index in picks:
        assert read_code(decoded[index]) == first + index
        assert grabbed_code(edit_list_mov, index, tmp_path / f"{index}.png") == first + index
