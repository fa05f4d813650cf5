"""Whether a generated file carries sound, and how loud it is (integrated LUFS).

Why measured rather than read from a tag: services return clips with synchronised sound, with a
silent track, or with no audio stream at all (the conform then adds silent stereo so every
master joins without special cases). Only sound an editor can hear belongs on an audio track,
so "has sound" means an audio stream whose integrated loudness (EBU R128, the loudness module's
measurement) is above :data:`stillmotion.media.loudness.SILENCE_LUFS`: the preview's ``silence``
bed, a vendor's silent track and our own fill all measure as silence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillmotion.media.loudness import SILENCE_LUFS, measure
from stillmotion.media.probe import MediaInfo, probe

_REFERENCE_TARGET = -23.0  # loudnorm needs a target to measure; the measurement ignores it


@dataclass(frozen=True)
class SoundFacts:
    """What the sound of one file is: a stream or none, its loudness, audible or not.

    ``lufs`` is None without a stream and for digital silence (loudnorm says -inf).
    """

    stream: bool
    lufs: float | None

    @property
    def sound(self) -> bool:
        """Whether there is sound to place: a stream louder than silence."""
        return self.lufs is not None and self.lufs > SILENCE_LUFS

    def to_json(self) -> dict[str, Any]:
        return {"stream": self.stream, "lufs": self.lufs, "sound": self.sound}

    @classmethod
    def from_json(cls, data: Any) -> SoundFacts | None:
        """The facts a ledger row recorded; None when it recorded none (an older row)."""
        if not isinstance(data, Mapping) or "stream" not in data:
            return None
        lufs = data.get("lufs")
        return cls(bool(data["stream"]), float(lufs) if isinstance(lufs, (int, float)) else None)

    @classmethod
    def recorded_sound(cls, data: Any) -> bool | None:
        """Whether the facts a ledger row recorded say there is sound; None: none recorded."""
        facts = cls.from_json(data)
        return None if facts is None else facts.sound


def describe_sound(context: Mapping[str, Any]) -> str | None:
    """One line for people about a job's sound, from its ledger context (``audio_promised``,
    ``audio``): whether the model promised sound, whether the file has it, how loud; None when
    nothing was recorded (a job from before sound facts were kept)."""
    facts = SoundFacts.from_json(context.get("audio"))
    promised = context.get("audio_promised")
    if facts is None and not isinstance(promised, bool):
        return None
    parts = [] if not isinstance(promised, bool) else \
        ["promised by the model" if promised else "not promised by the model"]
    if facts is not None:
        if facts.sound:
            parts.append(f"the file has sound, {facts.lufs:g} LUFS integrated")
        elif facts.stream:
            parts.append("the file's audio is silent")
        else:
            parts.append("the file has no audio (silence added by the conform)")
    return "; ".join(parts)


def file_has_sound(path: Path, recorded: bool | None = None) -> bool:
    """Whether ``path`` has sound to place: ``recorded`` (what its conform found, kept on its
    ledger row or take) when known, else measured now (a row or take from before that was
    kept). The one rule the pipeline, placing and take switching ask."""
    return recorded if recorded is not None else sound_facts(path).sound


def sound_facts(path: Path, info: MediaInfo | None = None) -> SoundFacts:
    """Measure ``path``'s first audio stream (one decode of the sound only)."""
    info = info or probe(path)
    if info.audio is None:
        return SoundFacts(stream=False, lufs=None)
    integrated = measure(path, _REFERENCE_TARGET, what=f"Measuring the sound of {path.name}")
    audible = math.isfinite(integrated.integrated)
    return SoundFacts(stream=True, lufs=round(integrated.integrated, 1) if audible else None)
