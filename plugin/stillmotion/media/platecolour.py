"""The colour spaces a plate can be written in, and the ffmpeg filters that get it there.

Why a table: a turnover hands frames to a compositor who works in a known space, so each
choice is one row (primaries, transfer, matrix, EXR chromaticities) and the conversion is
zscale's (zimg), the one converter in the bundled ffmpeg that changes primaries through linear
light. Generated clips are BT.709 video, display-referred: zimg linearises BT.709 with the
BT.1886 display curve (gamma 2.4), the display-referred path of ITU-R BT.2087, so a BT.2020
plate looks the same on a BT.2020 display as the clip on a BT.709 one. ACEScg (linear AP1) has
no zimg primaries: the picture is taken to linear BT.709 and turned into AP1 with the Bradford
matrix below; linear light belongs in float EXR only, so other formats are refused for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from stillmotion.errors import ConfigError
from stillmotion.media.colour import source_matrix, source_range
from stillmotion.media.probe import VideoFacts, is_yuv_format

# Linear BT.709 (D65) -> ACES AP1 (D60), Bradford adaptation (as colour-science and OCIO's
# ACES configs give it); each row sums to 1 so white stays white.
REC709_TO_AP1 = (
    (0.6130974, 0.3395231, 0.0473795),
    (0.0701937, 0.9163539, 0.0134524),
    (0.0206156, 0.1095698, 0.8698146),
)

# zimg names by the tags a probe reports (unknown or missing: BT.709, the generated default).
_ZIMG_MATRIX = {"bt709": "709", "bt601": "170m", "bt2020": "2020_ncl", "smpte240m": "240m"}
_ZIMG_PRIMARIES = {"bt709": "709", "bt2020": "2020", "smpte170m": "170m", "bt470bg": "470bg"}
_ZIMG_TRANSFER = {"bt709": "709", "bt2020-10": "2020_10", "bt2020-12": "2020_12",
                  "smpte170m": "601", "linear": "linear"}


@dataclass(frozen=True)
class PlateColour:
    """One output colour space: tags for movies, chromaticities for EXR headers."""

    name: str
    description: str
    primaries: str  # ffmpeg tag
    transfer: str  # ffmpeg tag
    matrix: str  # ffmpeg tag (movies)
    chromaticities: tuple[float, ...]  # EXR: red, green, blue, white (x, y each)
    dpx_code: int  # SMPTE ST 268 transfer and colorimetric code
    linear: bool = False

    @property
    def tags(self) -> str:
        """``setparams`` arguments tagging a limited-range YUV movie in this space."""
        return (f"color_primaries={self.primaries}:color_trc={self.transfer}:"
                f"colorspace={self.matrix}:range=tv")

    @property
    def options(self) -> tuple[str, ...]:
        """The matching ``-color_*`` output options."""
        return ("-color_primaries", self.primaries, "-color_trc", self.transfer,
                "-colorspace", self.matrix, "-color_range", "tv")


_D65 = (0.3127, 0.3290)
PLATE_COLOURS: dict[str, PlateColour] = {
    c.name: c for c in (
        PlateColour("rec709", "BT.709 video, as generated", "bt709", "bt709", "bt709",
                    (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, *_D65), 6),
        PlateColour("rec2020", "BT.2020 primaries and transfer", "bt2020", "bt2020-10",
                    "bt2020nc", (0.708, 0.292, 0.170, 0.797, 0.131, 0.046, *_D65), 14),
        PlateColour("acescg", "ACEScg: linear light, AP1 primaries (EXR only)", "unknown",
                    "linear", "unknown",
                    (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767), 2,
                    linear=True),
    )
}


def plate_colour(name: str, *, float_sequence: bool = True, format_name: str = "") -> \
        PlateColour:
    """The colour space called ``name`` (``Rec.2020``, ``rec-709`` … accepted); ConfigError for
    an unknown one, or for linear light in a format that is not float EXR."""
    key = name.strip().lower().replace(".", "").replace("-", "").replace("_", "")
    found = PLATE_COLOURS.get(key)
    if found is None:
        raise ConfigError(f"Unknown colour space '{name}'; stillmotion writes plates in "
                          f"{', '.join(PLATE_COLOURS)}.")
    if found.linear and not float_sequence:
        raise ConfigError(f"{format_name or 'This format'} plates cannot be ACEScg (linear "
                          "light needs float EXR); use --format exr or another colour space.")
    return found


def to_colour_filters(video: VideoFacts, colour: PlateColour, pix_fmt: str) -> list[str]:
    """Filters taking ``video``'s frames into ``colour`` as ``pix_fmt`` (RGB planar for
    sequences, limited-range YUV for movies); tags are the caller's (setparams / options)."""
    rgb_in = not (video.pix_fmt is not None and is_yuv_format(video.pix_fmt))
    source = [f"primariesin={_ZIMG_PRIMARIES.get(video.color_primaries or '', '709')}",
              f"transferin={_ZIMG_TRANSFER.get(video.color_trc or '', '709')}"]
    if not rgb_in:
        source += [f"matrixin={_ZIMG_MATRIX.get(source_matrix(video), '709')}",
                   f"rangein={'full' if source_range(video) == 'pc' else 'limited'}"]
    rgb_out = pix_fmt.startswith("gbr")
    if colour.linear:
        target = ["primaries=709", "transfer=linear"]
    else:
        target = [f"primaries={_ZIMG_PRIMARIES[colour.primaries]}",
                  f"transfer={_ZIMG_TRANSFER[colour.transfer]}"]
    target += ["matrix=gbr", "range=full"] if rgb_out else \
        [f"matrix={_ZIMG_MATRIX['bt2020' if colour.matrix == 'bt2020nc' else 'bt709']}",
         "range=limited"]
    chain = [f"zscale={':'.join([*source, *target])}", f"format={pix_fmt}"]
    if colour.linear:
        (rr, rg, rb), (gr, gg, gb), (br, bg, bb) = REC709_TO_AP1
        chain.append(f"colorchannelmixer=rr={rr}:rg={rg}:rb={rb}:gr={gr}:gg={gg}:gb={gb}:"
                     f"br={br}:bg={bg}:bb={bb}")
    return chain
