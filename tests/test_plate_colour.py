"""Plates in other colour spaces than the generated BT.709: BT.2020 and ACEScg (linear AP1).

A BT.709 movie with a 100% red patch and a mid-grey patch (the colours a generated clip
carries) is written as plates by the real bundled ffmpeg; the pixels read back match values
computed here from the standards (display-referred, BT.1886 gamma 2.4, ITU-R BT.2087's 709 to
2020 matrix; Bradford BT.709 to AP1), the movie tags read back through PyAV, the EXR headers
carry the space's chromaticities, and linear light outside float EXR is refused.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from stillmotion.errors import ConfigError
from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.imageheaders import (
    read_dpx_colour,
    read_dpx_timecode,
    read_exr_chromaticities,
    read_exr_timecode,
)
from stillmotion.media.plates import plate_format, write_plate
from stillmotion.media.probe import probe

RED = np.array([1.0, 0.0, 0.0])
GREY = np.full(3, 128 / 255)
# ITU-R BT.2087-0, linear BT.709 -> linear BT.2020.
M709_TO_2020 = np.array([[0.6274, 0.3293, 0.0433], [0.0691, 0.9195, 0.0114],
                         [0.0164, 0.0880, 0.8956]])
# Linear BT.709 (D65) -> ACES AP1 (D60), Bradford (colour-science, ACES OCIO configs).
M709_TO_AP1 = np.array([[0.61310, 0.33952, 0.04738], [0.07019, 0.91635, 0.01345],
                        [0.02062, 0.10957, 0.86981]])
CHROMATICITIES = {
    "rec709": (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290),
    "rec2020": (0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290),
    "acescg": (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767),
}


def _linear(code: np.ndarray) -> np.ndarray:
    return code ** 2.4  # BT.1886 display EOTF


def _expected(colour: str, code: np.ndarray) -> np.ndarray:
    expected: np.ndarray = code
    if colour == "acescg":
        expected = M709_TO_AP1 @ _linear(code)
    elif colour == "rec2020":
        expected = np.clip(M709_TO_2020 @ _linear(code), 0, 1) ** (1 / 2.4)
    return expected


@pytest.fixture(scope="module")
def patches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BT.709 limited-range 10-bit 4:4:4 movie: red left half, grey right half, 12 frames."""
    path = tmp_path_factory.mktemp("colour") / "patches.mov"
    run(["-f", "lavfi", "-i", "color=c=0xFF0000:s=32x64:d=0.5:r=24,format=rgb24[a];"
         "color=c=0x808080:s=32x64:d=0.5:r=24,format=rgb24[b];[a][b]hstack",
         "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv444p10le,setparams="
         "color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv",
         "-c:v", "prores_ks", "-profile:v", "4", "-y", media_arg(path)], what="test patches")
    return path


def _write(source: Path, folder: Path, fmt: str, colour: str) -> list[Path]:
    folder.mkdir()
    return write_plate(source, folder, "plate", plate_format(fmt), rate=Fraction(24), first=2,
                       count=3, start_number=1001, timecode="01:00:00:02",
                       colour_space=colour)


def _rgb(path: Path, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean RGB of the red and the grey patch of the first frame, 0-1."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        planes = frame.to_ndarray(format="gbrpf32le") if path.suffix == ".exr" \
            else frame.to_ndarray()
    pixels = np.asarray(planes, dtype=np.float64) / scale
    return pixels[8:56, 4:28].mean(axis=(0, 1)), pixels[8:56, 36:60].mean(axis=(0, 1))


@pytest.mark.parametrize("colour", ["rec709", "rec2020", "acescg"])
def test_exr_pixels_and_chromaticities(colour: str, patches: Path, tmp_path: Path) -> None:
    files = _write(patches, tmp_path / colour, "exr", colour)
    assert [f.name for f in files] == ["plate.1001.exr", "plate.1002.exr", "plate.1003.exr"]
    red, grey = _rgb(files[0], 1.0)
    np.testing.assert_allclose(red, _expected(colour, RED), atol=0.006)
    np.testing.assert_allclose(grey, _expected(colour, GREY), atol=0.006)
    chroma = read_exr_chromaticities(files[-1])
    assert chroma is not None
    np.testing.assert_allclose(chroma, CHROMATICITIES[colour], atol=1e-6)
    assert read_exr_timecode(files[-1]) == "01:00:00:04"  # both headers stamped, still whole


def test_rec2020_is_different_from_rec709_where_it_should_be(patches: Path,
                                                             tmp_path: Path) -> None:
    red709, grey709 = _rgb(_write(patches, tmp_path / "a", "exr", "rec709")[0], 1.0)
    red2020, grey2020 = _rgb(_write(patches, tmp_path / "b", "exr", "rec2020")[0], 1.0)
    assert red709[1] < 0.01 and red2020[1] > 0.3  # pure red is inside 2020: green comes up
    np.testing.assert_allclose(grey709, grey2020, atol=0.005)  # neutrals stay neutral


def test_rec2020_dpx_10_bit_code_values(patches: Path, tmp_path: Path) -> None:
    [first, *_] = _write(patches, tmp_path / "dpx", "dpx", "rec2020")
    red, grey = _rgb(first, 1023.0)
    np.testing.assert_allclose(red, _expected("rec2020", RED), atol=2 / 1023)
    np.testing.assert_allclose(grey, _expected("rec2020", GREY), atol=2 / 1023)
    assert read_dpx_colour(first) == (14, 14)  # SMPTE ST 268: ITU-R 2020 NCL
    assert read_dpx_timecode(first) == "01:00:00:02"
    [rec709, *_] = _write(patches, tmp_path / "dpx709", "dpx", "rec709")
    assert read_dpx_colour(rec709) == (6, 6)  # ITU-R 709-4


@pytest.mark.parametrize("fmt", ["prores4444", "dnxhr444"])
def test_rec2020_movies_are_tagged(fmt: str, tmp_path: Path, patches: Path) -> None:
    big = tmp_path / "big.mov"  # DNxHR needs 256x120 at least
    run(["-i", media_arg(patches), "-vf", "scale=256:128:flags=neighbor", "-c:v", "prores_ks",
         "-profile:v", "4", "-pix_fmt", "yuv444p10le", "-color_primaries", "bt709",
         "-color_trc", "bt709", "-colorspace", "bt709", "-y", media_arg(big)], what="test big")
    [movie] = _write(big, tmp_path / fmt, fmt, "rec2020")
    video = probe(movie).require_video()
    assert (video.color_primaries, video.color_trc, video.colorspace, video.color_range) == (
        "bt2020", "bt2020-10", "bt2020nc", "tv")
    assert video.frame_count == 3


@pytest.mark.parametrize("fmt", ["prores4444", "dnxhr444", "dnxhr-hqx", "dpx"])
def test_acescg_outside_float_exr_is_refused(fmt: str, tmp_path: Path,
                                             patches: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _write(patches, tmp_path / fmt, fmt, "acescg")
    assert caught.value.message == (f"{fmt} plates cannot be ACEScg (linear light needs float "
                                    "EXR); use --format exr or another colour space.")
    assert not any((tmp_path / fmt).iterdir())


def test_unknown_colour_space_lists_the_choices(tmp_path: Path, patches: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _write(patches, tmp_path / "p3", "exr", "p3")
    assert caught.value.message == ("Unknown colour space 'p3'; stillmotion writes plates in "
                                    "rec709, rec2020, acescg.")
