"""The preview's sound bed: silence, quiet noise for audio cues, or a tone pattern for speech.

Why always an audio stream: generated clips arrive with sound, and conform, stitch and the
editor's timeline must handle the same stream layout from a preview (48 kHz stereo AAC).

Three beds, chosen from the prompt (:func:`sound_bed`) and named in the clip's
``stillmotion_preview_audio`` tag:

- ``silence`` when the prompt names no sound;
- ``ambience`` for audio cues: brown noise, low-passed, about -32 dBFS RMS, so a listener can
  tell "the prompt had audio cues" from "silent" without it ever passing for sound design (the
  noise seed comes from the prompt, so a render is reproducible);
- ``speech-tone`` when the prompt asks for speech (dialogue, "says", voice-over, a quoted line
  given to someone): noise there would pass for room tone under missing words, so the bed is a
  plainly synthetic pattern an editor recognises at once: 0.2 s tone "syllables" every 0.3 s,
  alternating 500 and 750 Hz, each shaped by a sine-squared envelope (no clicks).
"""

from __future__ import annotations

import enum
import re
import zlib
from fractions import Fraction

from stillmotion.media.ffmpeg import filter_arg, seconds_arg

SAMPLE_RATE = 48000
FADE_SECONDS = Fraction(1, 4)
BED_TAG = "stillmotion_preview_audio"
SYLLABLE_PERIOD = Fraction(3, 10)
SYLLABLE_LENGTH = Fraction(1, 5)
SYLLABLE_PITCHES = (500, 750)
TONE_AMPLITUDE = 0.1


class Bed(str, enum.Enum):
    """The sound bed of a preview; the value is what the clip's tag says."""

    SILENCE = "silence"
    AMBIENCE = "ambience"
    SPEECH = "speech-tone"


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
_SPEECH_WORDS = (r"dialogue|dialog|speech|says|said|saying|speaks|speaking|spoke|talks|talking|"
                 r"voice[\s-]?over|voiceover|narration|narrator|narrates|narrating|whispers|"
                 r"whispering|whispered|asks|replies|shouts|yells|announces|monologue")
_SPEECH = re.compile(rf"\b(?:{_SPEECH_WORDS})\b", re.IGNORECASE)
_NO_SPEECH = re.compile(
    rf"\b(?:no|without|not|never|nobody|no[\s-]one)\s+(?:any\s+|one\s+)?(?:{_SPEECH_WORDS}|"
    r"speak|talk|words|lines)\b|\b(?:doesn't|does\s+not|don't|do\s+not)\s+(?:speak|talk)\b",
    re.IGNORECASE,
)
# A quoted passage of two or more words is a line someone says, unless it is written text.
_QUOTE = re.compile(r"[\"“][^\"“”]*\w[^\w\"“”]+\w[^\"“”]*[\"”]")
_WRITTEN = re.compile(r"\b(?:sign|signs|reads|reading|read|titled|title|labell?ed|label|text|"
                      r"caption|written|printed|spelled|spelling|logo|banner|poster|headline)"
                      r"\W+(?:\w+\W+){0,2}$", re.IGNORECASE)


def wants_ambience(prompt: str) -> bool:
    """Whether ``prompt`` names sound (after phrases that ask for silence are taken out)."""
    return _CUES.search(_SILENCE.sub(" ", prompt)) is not None


def wants_speech(prompt: str) -> bool:
    """Whether ``prompt`` asks for someone to speak: a speech word not negated, or a quoted
    line that is not written text (a sign, a caption)."""
    text = _NO_SPEECH.sub(" ", _SILENCE.sub(" ", prompt))
    if _SPEECH.search(text):
        return True
    return any(not _WRITTEN.search(text[: quote.start()]) for quote in _QUOTE.finditer(text))


def sound_bed(prompt: str) -> Bed:
    """The bed a preview of ``prompt`` gets: speech over ambience over silence."""
    if wants_speech(prompt):
        return Bed.SPEECH
    return Bed.AMBIENCE if wants_ambience(prompt) else Bed.SILENCE


def audio_source(prompt: str, bed: Bed) -> str:
    """The lavfi source of ``bed``: stereo silence, mono brown noise seeded by the prompt, or
    the mono tone syllables."""
    if bed is Bed.SILENCE:
        return f"anullsrc=r={SAMPLE_RATE}:cl=stereo"
    if bed is Bed.AMBIENCE:
        seed = zlib.crc32(prompt.encode("utf-8")) & 0x7FFFFFFF
        return f"anoisesrc=r={SAMPLE_RATE}:color=brown:amplitude=0.5:seed={seed}"
    period, length = float(SYLLABLE_PERIOD), float(SYLLABLE_LENGTH)
    low, high = SYLLABLE_PITCHES
    phase = f"mod(t,{period})"
    pitch = f"({low}+{high - low}*mod(floor(t/{period}),2))"
    envelope = f"lt({phase},{length})*pow(sin(PI*{phase}/{length}),2)"
    expression = f"{TONE_AMPLITUDE}*{envelope}*sin(2*PI*{pitch}*t)"
    return f"aevalsrc=exprs={filter_arg(expression)}:s={SAMPLE_RATE}"


def audio_chain(seconds: Fraction, bed: Bed) -> list[str]:
    """Filters that shape ``bed`` and cut it to exactly ``seconds``."""
    length = seconds_arg(seconds)
    chain = [f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"]
    if bed is not Bed.SILENCE:
        fade = min(FADE_SECONDS, seconds / 4)
        shape = ["highpass=f=40", "lowpass=f=600", "volume=0.45"] if bed is Bed.AMBIENCE else []
        chain = [
            *shape,
            *chain,
            f"afade=t=in:d={seconds_arg(fade)}",
            f"afade=t=out:st={seconds_arg(seconds - fade)}:d={seconds_arg(fade)}",
        ]
    return [*chain, f"atrim=duration={length}", "asetpts=PTS-STARTPTS"]
