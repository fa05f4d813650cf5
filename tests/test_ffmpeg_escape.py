"""``filter_arg`` escapes file names and expressions so real ffmpeg reads them back unchanged.

Why through real ffmpeg: the escaping rules are ffmpeg's two unescaping passes (graph, then
option); only ffmpeg can say whether a name with spaces, colons, quotes, a leading dash, commas,
brackets, semicolons, equals signs or backslashes reaches the filter intact. Each name below is a
real file: a clip with burnt-in frame numbers read by the ``movie`` source (the frames that come
out prove the file and the comma-laden ``select`` expression were both read right), and a font
and a text file for ``drawtext`` as the preview backdrop writes it (the text must be drawn).
"""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from stillmotion.media.ffmpeg import filter_arg, media_arg, run
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.preview.overlay import backdrop_filters
from support.framecode import luma_frames, luma_of_image, read_code

AWKWARD = {
    "spaces": "clip with spaces",
    "colon": "clip:colon",
    "single quote": "it's a clip",
    "double quote": 'the "take"',
    "leading dash": "-clip",
    "comma": "a,b",
    "brackets": "[v0]clip[a]",
    "semicolon": "a;b",
    "equals": "key=value",
    "backslash": "back\\slash",
    "all at once": "-it's [a], b; c:d=e \\ \"f\"",
}
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)


@pytest.fixture(scope="module")
def coded_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight frames with burnt-in frame numbers 0-7."""
    folder = tmp_path_factory.mktemp("escape")
    spec = ClipSpec(192, 108, Fraction(25), 8, audio_rate=None, codec="h264")
    return render_clip(folder / "coded.mp4", spec)


@pytest.mark.parametrize(("value", "escaped"), [
    ("plain/name.mov", "plain/name.mov"),
    ("a:b", "a\\\\:b"),
    ("it's", "it\\\\\\'s"),
    ("x=1", "x\\\\=1"),
    ("[a]", "\\[a\\]"),
    ("a,b;c", "a\\,b\\;c"),
    ("back\\slash", "back\\\\\\\\slash"),
    (1.5, "1.5"),
])
def test_filter_arg_escapes_for_the_option_then_the_graph(value: str | float,
                                                          escaped: str) -> None:
    # The same text ffmpeg-python's escape_chars gave (the helper this replaced).
    assert filter_arg(value) == escaped


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_movie_source_reads_an_awkward_file_name(coded_clip: Path, tmp_path: Path,
                                                 name: str) -> None:
    source = tmp_path / f"{AWKWARD[name]}.mp4"
    shutil.copyfile(coded_clip, source)
    output = tmp_path / "out.mkv"
    graph = (f"movie=filename={filter_arg(str(source))},"
             f"select={filter_arg('between(n,3,5)')},setpts=N/FRAME_RATE/TB[v]")
    run(["-filter_complex", graph, "-map", "[v]", "-c:v", "ffv1", "-y", media_arg(output)],
        output=output, what="escape test")
    assert [read_code(luma) for luma in luma_frames(output)] == [3, 4, 5]


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_drawtext_reads_an_awkward_font_and_text_file(tmp_path: Path, name: str) -> None:
    font = next((Path(f) for f in FONTS if Path(f).exists()), None)
    if font is None:
        pytest.skip("no DejaVu Sans font on this machine (Debian package fonts-dejavu-core)")
    awkward_font = tmp_path / f"{AWKWARD[name]}.ttf"
    shutil.copyfile(font, awkward_font)
    text_file = tmp_path / f"{AWKWARD[name]}.txt"
    text_file.write_text("STILLMOTION", encoding="utf-8")
    size = (320, 180)

    def render(chain: list[str], out: Path) -> np.ndarray:
        run(["-f", "lavfi", "-i", f"color=c=gray:s={size[0]}x{size[1]}:r=25",
             "-vf", ",".join(chain), "-frames:v", "1", "-y", media_arg(out)],
            output=out, what="escape test")
        return luma_of_image(out)

    grid_only = render(backdrop_filters(size, None, None), tmp_path / "grid.png")
    with_text = render(backdrop_filters(size, awkward_font, text_file), tmp_path / "text.png")
    # The text box and letters change many pixels: the font and the text were both read.
    assert np.count_nonzero(np.abs(with_text - grid_only) > 40) > 500
