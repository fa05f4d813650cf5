"""The preview's sound bed: silence, or quiet filtered noise when the prompt asks for sound.

Why always an audio stream: generated clips arrive with sound, and conform, stitch and the
editor's timeline must handle the same stream layout from a preview (48 kHz stereo AAC).
Ambience is brown noise, low-passed and about -32 dBFS RMS, so a listener can tell "the prompt had
audio cues" from "silent" without it ever being mistaken for real sound design. The noise seed
comes from the prompt, so a render is reproducible.
"""

from __future__ import annotations

import re
import zlib
from fractions import Fraction

from stillmotion.media.ffmpeg import seconds_arg

SAMPLE_RATE = 48000
FADE_SECONDS = Fraction(1, 4)

_CUES = re.compile(
    r"\b(?:sound|sounds|audio|ambient|ambience|ambiance|music|musical|song|soundtrack|score|"
    r"rain|raining|waves|ocean|surf|wind|breeze|birds|birdsong|chirping|crowd|chatter|traffic|"
    r"hum|humming|footsteps|thunder|crackling|crackle|dialogue|voice|voices|whisper|whispers|"
    r"murmur|applause|sizzle|sizzling|rustling|engine)\b",
    re.IGNORECASE,
)
_SILENCE = re.compile(
    r"\b(?:silent|silence|mute|muted)\b|\b(?:no|without)\s+(?:sound|audio|music)\b|"
    r"\baudio\s*:\s*(?:none|no|silence|silent|n/?a)\b",
    re.IGNORECASE,
)


def wants_ambience(prompt: str) -> bool:
    """Whether ``prompt`` names sound (after phrases that ask for silence are taken out)."""
    return _CUES.search(_SILENCE.sub(" ", prompt)) is not None


def audio_source(prompt: str, *, ambient: bool) -> str:
    """The lavfi source of the bed: stereo silence or mono brown noise seeded by the prompt."""
    if not ambient:
        return f"anullsrc=r={SAMPLE_RATE}:cl=stereo"
    seed = zlib.crc32(prompt.encode("utf-8")) & 0x7FFFFFFF
    return f"anoisesrc=r={SAMPLE_RATE}:color=brown:amplitude=0.5:seed={seed}"


def audio_chain(seconds: Fraction, *, ambient: bool) -> list[str]:
    """Filters that shape the bed and cut it to exactly ``seconds``."""
    length = seconds_arg(seconds)
    chain = [f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"]
    if ambient:
        fade = min(FADE_SECONDS, seconds / 4)
        chain = [
            "highpass=f=40",
            "lowpass=f=600",
            "volume=0.45",
            *chain,
            f"afade=t=in:d={seconds_arg(fade)}",
            f"afade=t=out:st={seconds_arg(seconds - fade)}:d={seconds_arg(fade)}",
        ]
    return [*chain, f"atrim=duration={length}", "asetpts=PTS-STARTPTS"]
