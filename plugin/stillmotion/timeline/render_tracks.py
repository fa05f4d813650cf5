"""Which tracks a timeline render uses, how long it lasts, and the record range asked for.

Why apart from :mod:`stillmotion.timeline.render`: reading the user's ``tracks`` and ``range``
arguments (track names or ``V1``/``A2`` as editors number them; an OTIO TimeRange or a pair of
frames) is argument checking, not planning; the planner takes the answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from stillmotion.errors import ConfigError
from stillmotion.timeline.generated import generated_only
from stillmotion.timeline.timebase import TimeBase
from stillmotion.timeline.tracks import is_ai_name


def _kind(track: Any) -> str | None:
    if not isinstance(track, otio.schema.Track):
        return None
    if track.kind == otio.schema.TrackKind.Video:
        return "V"
    if track.kind == otio.schema.TrackKind.Audio:
        return "A"
    return None


def _ours(track: Any) -> bool:
    """An "AI Generated[ N]" track holding nothing but generated clips (or nothing)."""
    clips = any(isinstance(c, otio.schema.Clip) for c in track)
    return is_ai_name(str(track.name or "")) and (not clips or generated_only(track))


def _numbered(timeline: Any) -> list[tuple[str, Any]]:
    """(editor number like V1/A2, track) for every top-level track, in stack order."""
    counts = {"V": 0, "A": 0}
    found = []
    for track in timeline.tracks:
        kind = _kind(track)
        if kind is None:
            continue
        counts[kind] += 1
        found.append((f"{kind}{counts[kind]}", track))
    return found


def choose_tracks(
    timeline: Any, names: Sequence[str] | str | None
) -> tuple[list[Any], list[Any], bool]:
    """(video tracks bottom to top, audio tracks, sound follows picture) for ``names``
    (None: every enabled track); ConfigError for a name the timeline lacks."""
    numbered = _numbered(timeline)
    if names is None:
        video = [t for number, t in numbered if number[0] == "V" and t.enabled]
        every_audio = [t for number, t in numbered if number[0] == "A"]
        # Our own AI audio tracks carry only the generated clips' sound, which their pictures
        # hold too: on a timeline that had no audio tracks before, sound still follows picture.
        ours_only = all(_ours(t) for t in every_audio)
        return video, [t for t in every_audio if t.enabled], ours_only
    wanted = [names] if isinstance(names, str) else list(names)
    if not wanted:
        raise ConfigError("Name at least one track to render, or none to render them all.")
    chosen: list[Any] = []
    for name in wanted:
        key = name.strip()
        hits = [t for number, t in numbered
                if str(t.name or "").strip() == key or number.lower() == key.lower()]
        if not hits:
            listing = ", ".join(f"{number} '{t.name}'" for number, t in numbered)
            raise ConfigError(f"There is no track '{name}' in the timeline; its tracks are "
                              f"{listing or 'none'}.")
        chosen += [t for t in hits if all(t is not c for c in chosen)]
    order = [t for _, t in numbered if any(t is c for c in chosen)]
    video = [t for t in order if _kind(t) == "V"]
    audio = [t for t in order if _kind(t) == "A"]
    return video, audio, not audio


def render_length(
    timeline: Any, timebase: TimeBase, tracks: Iterable[Any], *, chosen: bool
) -> Fraction:
    """Record frames rendered: the timeline's duration, or the chosen tracks' longest."""
    if not chosen:
        return timebase.frames(timeline.duration())
    return max((timebase.frames(track.duration()) for track in tracks), default=Fraction(0))


def record_range_frames(
    record_range: Any, timebase: TimeBase, length: Fraction
) -> tuple[Fraction, Fraction]:
    """(start, end) record frames of ``record_range`` (None: all ``length``); ConfigError
    when it is malformed or outside the timeline."""
    if record_range is None:
        start, end = Fraction(0), length
    elif isinstance(record_range, otio.opentime.TimeRange):
        start = timebase.frames(record_range.start_time)
        end = start + timebase.frames(record_range.duration)
    elif isinstance(record_range, (tuple, list)) and len(record_range) == 2:
        start, end = Fraction(record_range[0]), Fraction(record_range[1])
    else:
        raise ConfigError("Give the range as an OTIO TimeRange or as (first frame, end frame).")
    if not 0 <= start < end <= length:
        raise ConfigError(
            f"The range {float(start):g}-{float(end):g} is not inside the timeline (frames 0-"
            f"{float(length):g}); give a range within it."
        )
    return start, end
