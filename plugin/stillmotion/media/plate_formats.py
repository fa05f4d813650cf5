"""The plate formats a turnover writes (EXR, DPX, ProRes 4444, DNxHR), and their lookup.

Why apart from :mod:`stillmotion.media.plates`: ``stillmotion turnover --help`` and the Resolve
form list these formats, and the plate writer pulls in ffmpeg and PyAV; this table needs
neither, so listing the choices does not load them.
"""

from __future__ import annotations

from dataclasses import dataclass

from stillmotion.errors import ConfigError

DEFAULT_START_FRAME = 1001
"""The number of a plate sequence's first frame (the VFX convention; ``--start-frame``)."""

@dataclass(frozen=True)
class PlateFormat:
    """A finishing format: sequence or movie, encoder arguments and what they store."""

    name: str
    suffix: str
    sequence: bool
    pix_fmt: str
    codec_args: tuple[str, ...]
    description: str
    min_size: tuple[int, int] = (2, 2)


PLATE_FORMATS: dict[str, PlateFormat] = {
    fmt.name: fmt for fmt in (
        PlateFormat("exr", ".exr", True, "gbrpf32le",
                    ("-c:v", "exr", "-format", "half", "-compression", "zip1"),
                    "OpenEXR half float RGB, ZIP, one file per frame"),
        PlateFormat("dpx", ".dpx", True, "gbrp10le", ("-c:v", "dpx"),
                    "DPX 10-bit RGB, one file per frame"),
        PlateFormat("prores4444", ".mov", False, "yuv444p10le",
                    ("-c:v", "prores_ks", "-profile:v", "4", "-vendor", "apl0"),
                    "ProRes 4444 10-bit in .mov with a timecode track"),
        PlateFormat("dnxhr444", ".mov", False, "yuv444p10le",
                    ("-c:v", "dnxhd", "-profile:v", "dnxhr_444"),
                    "DNxHR 444 10-bit in .mov with a timecode track", (256, 120)),
        PlateFormat("dnxhr-hqx", ".mov", False, "yuv422p10le",
                    ("-c:v", "dnxhd", "-profile:v", "dnxhr_hqx"),
                    "DNxHR HQX 10-bit 4:2:2 in .mov with a timecode track", (256, 120)),
    )
}


def plate_format(name: str) -> PlateFormat:
    """The format called ``name``; ConfigError listing the choices otherwise."""
    found = PLATE_FORMATS.get(name.strip().lower())
    if found is None:
        raise ConfigError(f"Unknown plate format '{name}'; choose one of: "
                          f"{', '.join(PLATE_FORMATS)}.")
    return found
