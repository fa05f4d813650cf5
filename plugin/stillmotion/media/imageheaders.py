"""Timecode (and EXR chromaticities) in EXR and DPX headers: written into frames ffmpeg wrote,
read back.

Why by hand: the bundled ffmpeg's EXR and DPX encoders ignore ``-timecode`` (the EXR header gets
``framesPerSecond`` but no ``timeCode``; the DPX television header's time code stays
0xFFFFFFFF), yet a finishing artist's tools (Nuke, Resolve, OpenImageIO) look for the record
timecode there. Both layouts are small and fixed:

- EXR: a ``timeCode`` attribute (type ``timecode``, 8 bytes: SMPTE 12M time-and-flags then user
  bits, little-endian) inserted before the header's end; every chunk offset in the offset table
  that follows moves by the inserted length.
- EXR chromaticities (ffmpeg writes none): the standard ``chromaticities`` attribute, 8 floats,
  inserted the same way, so a compositor knows the plate's primaries.
- DPX colour: the first image element's transfer and colorimetric bytes (SMPTE ST 268 codes).
- DPX: the television header's ``TimeCode`` (offset 1920) as BCD ``0xHHMMSSFF`` in the file's
  byte order (the magic says which), as the DPX 2.0 standard and OpenImageIO read it.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from stillmotion.errors import MediaError

EXR_MAGIC = b"\x76\x2f\x31\x01"
DPX_TIMECODE_OFFSET = 1920
DPX_COLOUR_OFFSET = 801  # image element 1: transfer, then colorimetric (one byte each)
_TC_RE = re.compile(r"^(\d\d):(\d\d):(\d\d)([:;])(\d\d)$")
# Scanlines per chunk by EXR compression code (none, rle, zips, zip, piz, pxr24, b44, b44a).
_LINES_PER_CHUNK = {0: 1, 1: 1, 2: 1, 3: 16, 4: 32, 5: 16, 6: 32, 7: 32}


def _bcd(value: int) -> int:
    return ((value // 10) << 4) | (value % 10)


def _from_bcd(value: int) -> int:
    return (value >> 4) * 10 + (value & 0xF)


def _fields(timecode: str) -> tuple[int, int, int, int, bool]:
    match = _TC_RE.match(timecode)
    if match is None:
        raise MediaError(f"'{timecode}' is not a HH:MM:SS:FF timecode; it cannot be written "
                         "into an image header.")
    hh, mm, ss, sep, ff = match.groups()
    return int(hh), int(mm), int(ss), int(ff), sep == ";"


def _smpte_exr(timecode: str) -> int:
    hh, mm, ss, ff, drop = _fields(timecode)
    return (_bcd(ff) | (int(drop) << 6) | (_bcd(ss) << 8) | (_bcd(mm) << 16)
            | (_bcd(hh) << 24))


def _smpte_exr_text(packed: int) -> str:
    sep = ";" if packed & (1 << 6) else ":"
    return (f"{_from_bcd((packed >> 24) & 0x3F):02d}:{_from_bcd((packed >> 16) & 0x7F):02d}:"
            f"{_from_bcd((packed >> 8) & 0x7F):02d}{sep}{_from_bcd(packed & 0x3F):02d}")


def _exr_header_end(data: bytes, path: Path) -> tuple[int, dict[str, bytes]]:
    """Offset of the header's terminating null byte, and the attribute values by name."""
    if data[:4] != EXR_MAGIC:
        raise MediaError(f"{path.name} is not an OpenEXR file.", path=path)
    if data[5] & 0x1E:  # tiled, long names, deep or multi-part: not what ffmpeg writes
        raise MediaError(f"{path.name} is a tiled or multi-part EXR; only scanline EXR "
                         "headers can be stamped.", path=path)
    pos = 8
    values: dict[str, bytes] = {}
    while data[pos] != 0:
        name_end = data.index(b"\x00", pos)
        type_end = data.index(b"\x00", name_end + 1)
        (size,) = struct.unpack_from("<i", data, type_end + 1)
        start = type_end + 5
        values[data[pos:name_end].decode("latin-1")] = data[start:start + size]
        pos = start + size
    return pos, values


def _set_exr_attribute(path: Path, name: str, kind: str, value: bytes) -> None:
    """Replace the attribute ``name`` of the scanline EXR ``path`` (same size), or insert it
    before the header's end, moving every chunk offset by the inserted length."""
    data = path.read_bytes()
    end, values = _exr_header_end(data, path)
    label = name.encode("latin-1") + b"\x00" + kind.encode("latin-1") + b"\x00"
    if name in values and len(values[name]) == len(value):
        start = data.index(label, 8) + len(label) + 4
        path.write_bytes(data[:start] + value + data[start + len(value):])
        return
    attribute = label + struct.pack("<i", len(value)) + value
    compression = values["compression"][0]
    ymin, ymax = struct.unpack_from("<ii", values["dataWindow"], 4)
    lines = _LINES_PER_CHUNK.get(compression, 1)
    chunks = -(-(ymax - ymin + 1) // lines)
    table_start = end + 1
    offsets = struct.unpack_from(f"<{chunks}Q", data, table_start)
    shifted = struct.pack(f"<{chunks}Q", *(o + len(attribute) for o in offsets))
    body = data[table_start + 8 * chunks:]
    path.write_bytes(data[:end] + attribute + b"\x00" + shifted + body)


def stamp_exr_timecode(path: Path, timecode: str) -> None:
    """Insert (or replace) the ``timeCode`` attribute of the scanline EXR ``path``."""
    _set_exr_attribute(path, "timeCode", "timecode", struct.pack("<II", _smpte_exr(timecode), 0))


def stamp_exr_chromaticities(path: Path, chromaticities: tuple[float, ...]) -> None:
    """Insert (or replace) the standard ``chromaticities`` attribute (red, green, blue and white
    x, y) of the scanline EXR ``path``: what Nuke and OpenImageIO read as the primaries."""
    if len(chromaticities) != 8:
        raise MediaError("EXR chromaticities are 8 numbers (red, green, blue, white x and y).",
                         path=path)
    _set_exr_attribute(path, "chromaticities", "chromaticities",
                       struct.pack("<8f", *chromaticities))


def read_exr_chromaticities(path: Path) -> tuple[float, ...] | None:
    """The ``chromaticities`` attribute of an EXR, or None when it has none."""
    value = _exr_header_end(path.read_bytes(), path)[1].get("chromaticities")
    return None if value is None or len(value) != 32 else struct.unpack("<8f", value)


def read_exr_timecode(path: Path) -> str | None:
    """The ``timeCode`` attribute of an EXR as HH:MM:SS:FF, or None when it has none."""
    data = path.read_bytes()
    _, values = _exr_header_end(data, path)
    value = values.get("timeCode")
    if value is None or len(value) < 4:
        return None
    return _smpte_exr_text(struct.unpack_from("<I", value)[0])


def _dpx_order(data: bytes, path: Path) -> str:
    if data[:4] == b"SDPX":
        return ">"
    if data[:4] == b"XPDS":
        return "<"
    raise MediaError(f"{path.name} is not a DPX file.", path=path)


def stamp_dpx_timecode(path: Path, timecode: str) -> None:
    """Write ``timecode`` into the DPX television header's TimeCode field of ``path``."""
    hh, mm, ss, ff, _ = _fields(timecode)
    data = bytearray(path.read_bytes())
    order = _dpx_order(bytes(data), path)
    packed = (_bcd(hh) << 24) | (_bcd(mm) << 16) | (_bcd(ss) << 8) | _bcd(ff)
    struct.pack_into(f"{order}I", data, DPX_TIMECODE_OFFSET, packed)
    path.write_bytes(bytes(data))


def read_dpx_timecode(path: Path) -> str | None:
    """The DPX television header's TimeCode as HH:MM:SS:FF, or None when unset (all ones, or
    not BCD digits: ffmpeg leaves 0xFFFFF000 there)."""
    data = path.read_bytes()
    (packed,) = struct.unpack_from(f"{_dpx_order(data, path)}I", data, DPX_TIMECODE_OFFSET)
    if any((packed >> shift) & 0xF > 9 for shift in range(0, 32, 4)):
        return None
    return (f"{_from_bcd(packed >> 24):02d}:{_from_bcd((packed >> 16) & 0xFF):02d}:"
            f"{_from_bcd((packed >> 8) & 0xFF):02d}:{_from_bcd(packed & 0xFF):02d}")


def stamp_dpx_colour(path: Path, code: int) -> None:
    """Set the first image element's transfer characteristic and colorimetric specification
    (offsets 801 and 802) to ``code`` of SMPTE ST 268 (6: ITU-R 709-4, 14: ITU-R 2020 NCL);
    the bundled ffmpeg writes 4 (unspecified video), or 6 whatever the tag."""
    data = bytearray(path.read_bytes())
    _dpx_order(bytes(data), path)
    data[DPX_COLOUR_OFFSET] = data[DPX_COLOUR_OFFSET + 1] = code
    path.write_bytes(bytes(data))


def read_dpx_colour(path: Path) -> tuple[int, int]:
    """The first image element's (transfer characteristic, colorimetric specification)."""
    data = path.read_bytes()
    _dpx_order(data, path)
    return data[DPX_COLOUR_OFFSET], data[DPX_COLOUR_OFFSET + 1]


def stamp_timecode(path: Path, timecode: str) -> None:
    """Stamp an EXR or DPX frame (by suffix)."""
    if path.suffix.lower() == ".exr":
        stamp_exr_timecode(path, timecode)
    else:
        stamp_dpx_timecode(path, timecode)


def read_timecode(path: Path) -> str | None:
    """The timecode in an EXR or DPX frame's header (by suffix), or None."""
    if path.suffix.lower() == ".exr":
        return read_exr_timecode(path)
    return read_dpx_timecode(path)
