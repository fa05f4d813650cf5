"""Exact frame-rate and SMPTE timecode arithmetic shared by media, timeline and Resolve code.

Why our own: rates must stay rational (24000/1001, never 23.976 as a float) and drop-frame
timecode must round-trip exactly; OTIO does this only inside ``timeline/`` and Resolve hands us
strings such as "23.976" or "29.97 DF". Frames here are plain integers counted from 00:00:00:00.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from stillmotion.errors import ConfigError

# Decimal spellings editors and Resolve use for the NTSC family, mapped to their exact value.
_NTSC_SPELLINGS = {
    "23.97": Fraction(24000, 1001),
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "47.95": Fraction(48000, 1001),
    "47.952": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
    "119.88": Fraction(120000, 1001),
}
_TC_RE = re.compile(r"^(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.,])(\d{2,3})$")


def parse_rate(text: str | float | Fraction) -> Fraction:
    """Read a frame rate as an exact fraction: '24000/1001', '23.976', '29.97 DF', '25', 30.

    A decimal that is an NTSC spelling maps to its x/1001 value; any other decimal is taken
    literally. Raises ConfigError on anything that is not a positive rate.
    """
    if isinstance(text, Fraction):
        rate = text
    elif isinstance(text, (int, float)):
        rate = _from_decimal(repr(float(text)).rstrip("0").rstrip("."))
    else:
        cleaned = text.strip().upper().removesuffix("DF").removesuffix("NDF").strip()
        cleaned = cleaned.removesuffix("FPS").strip().lower()
        try:
            if "/" in cleaned:
                num, den = cleaned.split("/", 1)
                rate = Fraction(int(num), int(den))
            else:
                rate = _from_decimal(cleaned)
        except (ValueError, ZeroDivisionError) as exc:
            raise ConfigError(
                f"'{text}' is not a frame rate; give one like 24, 25, 30000/1001 or 23.976."
            ) from exc
    if rate <= 0 or rate > 1000:
        raise ConfigError(f"'{text}' is not a usable frame rate; give one between 1 and 1000.")
    return rate


def _from_decimal(text: str) -> Fraction:
    if text in _NTSC_SPELLINGS:
        return _NTSC_SPELLINGS[text]
    value = Fraction(text)
    for exact in set(_NTSC_SPELLINGS.values()):
        if abs(value - exact) < Fraction(1, 200):
            return exact
    return value


def format_rate(rate: Fraction) -> str:
    """Exact fraction text as probe prints it: '24000/1001', '30/1'."""
    return f"{rate.numerator}/{rate.denominator}"


def nominal_fps(rate: Fraction) -> int:
    """Timecode base: the integer frame count per timecode second (30 for 29.97)."""
    return round(rate)


def supports_drop_frame(rate: Fraction) -> bool:
    """Drop frame exists only for the 30000/1001 and 60000/1001 families."""
    return rate in (Fraction(30000, 1001), Fraction(60000, 1001))


@dataclass(frozen=True)
class Timecode:
    """A timecode rate: exact rate plus whether labels drop frames."""

    rate: Fraction
    drop_frame: bool = False

    def __post_init__(self) -> None:
        if self.drop_frame and not supports_drop_frame(self.rate):
            raise ConfigError(
                f"Drop-frame timecode needs 29.97 or 59.94 fps, not {format_rate(self.rate)}; "
                "use ':' before the frames."
            )

    @property
    def nominal(self) -> int:
        return nominal_fps(self.rate)

    @property
    def _drop(self) -> int:
        return 2 * (self.nominal // 30) if self.drop_frame else 0

    def to_frames(self, text: str) -> int:
        """Frame count from 00:00:00:00 for a label; ';' before the frames means drop frame."""
        match = _TC_RE.match(text.strip())
        if not match:
            raise ConfigError(
                f"'{text}' is not a timecode; write it as HH:MM:SS:FF (HH:MM:SS;FF for drop frame)."
            )
        hh, mm, ss, sep, ff = match.groups()
        h, m, s, f = int(hh), int(mm), int(ss), int(ff)
        drop_label = sep in ";,"
        if drop_label and not self.drop_frame and not supports_drop_frame(self.rate):
            raise ConfigError(
                f"'{text}' is a drop-frame timecode but the rate is {format_rate(self.rate)}; "
                "use ':' before the frames."
            )
        use_drop = self.drop_frame or drop_label
        drop = 2 * (self.nominal // 30) if use_drop else 0
        if m >= 60 or s >= 60 or f >= self.nominal:
            raise ConfigError(
                f"'{text}' is out of range at {self.nominal} frames per second; check the "
                "minutes, seconds and frames."
            )
        if drop and s == 0 and m % 10 != 0 and f < drop:
            raise ConfigError(
                f"'{text}' does not exist in drop-frame timecode (frames 00-{drop - 1:02d} are "
                "skipped at the start of each minute not divisible by ten)."
            )
        total_minutes = 60 * h + m
        return (h * 3600 + m * 60 + s) * self.nominal + f - drop * (
            total_minutes - total_minutes // 10
        )

    def to_text(self, frames: int) -> str:
        """Label for a frame count from 00:00:00:00; ';' before the frames for drop frame."""
        if frames < 0:
            raise ConfigError(f"Frame {frames} is before 00:00:00:00; timecodes are not negative.")
        drop = self._drop
        if drop:
            per_min = self.nominal * 60 - drop
            per_10 = self.nominal * 600 - drop * 9
            tens, rem = divmod(frames, per_10)
            frames += drop * 9 * tens
            if rem > drop:
                frames += drop * ((rem - drop) // per_min)
        fps = self.nominal
        ff = frames % fps
        total_s = frames // fps
        sep = ";" if self.drop_frame else ":"
        return (
            f"{total_s // 3600:02d}:{(total_s // 60) % 60:02d}:{total_s % 60:02d}{sep}{ff:02d}"
        )


def is_drop_frame_label(text: str) -> bool:
    """Whether ``text`` is a timecode typed with ';' (or ',') before the frames."""
    match = _TC_RE.match(text.strip())
    return match is not None and match.group(4) in ";,"


def drop_frame_spelling(text: str) -> str:
    """``text`` with ';' before the frames when it is a timecode typed with ':' or '.'.

    Why: ``--assume-df`` reads a colon-typed playhead as the drop-frame label an NLE shows
    (05:00:30:00 -> 05:00:30;00). Anything else (a frame number, a DF label) is returned as is.
    """
    match = _TC_RE.match(text.strip())
    if match is None or match.group(4) in ";,":
        return text
    hh, mm, ss, _, ff = match.groups()
    return f"{hh}:{mm}:{ss};{ff}"


def drop_frame_suggestion(text: str, rate: Fraction) -> str:
    """The drop-frame label to suggest for a colon-typed ``text`` at ``rate``: its ';'
    spelling, or the first label of the minute when drop frame skips that one (00:01:00;00)."""
    spelled = drop_frame_spelling(text)
    match = _TC_RE.match(spelled.strip())
    if match is None:
        return spelled
    hh, mm, ss, _, ff = match.groups()
    drop = 2 * (nominal_fps(rate) // 30)
    if int(ss) == 0 and int(mm) % 10 != 0 and int(ff) < drop:
        return f"{hh}:{mm}:{ss};{drop:02d}"
    return spelled


def parse_size(text: str) -> tuple[int, int]:
    """Read 'WxH' (also 'W:H' or 'W*H') into even positive integers; ConfigError otherwise."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*[xX:*]\s*(\d{1,5})\s*", text)
    if not match:
        raise ConfigError(f"'{text}' is not a size; write it as WIDTHxHEIGHT, e.g. 1920x1080.")
    width, height = int(match.group(1)), int(match.group(2))
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise ConfigError(f"Size '{text}' is out of range; each side must be 16 to 8192 pixels.")
    if width % 2 or height % 2:
        raise ConfigError(f"Size '{text}' has an odd side; video codecs need even sides.")
    return width, height


def format_size(size: tuple[int, int]) -> str:
    """'WxH' text for a size."""
    return f"{size[0]}x{size[1]}"
