"""The one rule for which track a generated clip (or its sound) goes on, OTIO and Resolve alike.

Why pure: the OTIO placer (``timeline/place.py``) and the Resolve placer
(``resolve/placement.py``) each describe their tracks as plain :class:`TrackView` values over
the clip's record span and ask :func:`choose_track`; neither decides on its own, so a file and a
live Resolve put the same clip on the same track. No OTIO and no Resolve objects here.

What an editor expects, over the record frames ``[start, end)`` the clip will take:

- The clip must be seen: an AI track is passed over when it is **disabled**, **locked** (the
  editor froze it), **busy** (anything on it over the span: placing there would overlap), or
  **hidden** (an enabled clip on an enabled track above it shows over the span). Tracks at or
  below the source track (``floor``) are never used, so the clip sits over the shot it came from.
- Of the AI tracks left, the lowest is reused ("AI Generated" before "AI Generated 2"). AI tracks
  are those named "AI Generated", "AI Generated 2" …, or holding only generated clips (formats
  that drop track names).
- Otherwise a new track named with the lowest unused number is created directly above the
  source track or the top-most track that would hide it, whichever is higher (so it sits next
  to what it covers); without a source track, on top of the stack. A front end that can only
  add tracks on top (Resolve's ``AddTrack``) adds it there, which is above both as well.
  Nothing already on the timeline is moved, trimmed or overlapped.

The sound of a generated clip follows the same rule over the audio tracks, described with
``shows`` always False (sound never hides sound) and no ``floor``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

AI_TRACK_NAME = "AI Generated"
_AI_NAME = re.compile(rf"{re.escape(AI_TRACK_NAME)}(?: (\d+))?")


@dataclass(frozen=True)
class TrackView:
    """One video track as the rule sees it over the clip's span.

    ``busy``: the track holds something over the span (a clip, even disabled, or a transition).
    ``shows``: the track is enabled and an enabled clip on it shows over the span, hiding every
    track below. ``generated_only``: it holds only clips stillmotion generated.
    """

    name: str
    enabled: bool = True
    locked: bool = False
    busy: bool = False
    shows: bool = False
    generated_only: bool = False

    @property
    def is_ai(self) -> bool:
        """Whether the track is one of ours (by name, or by holding only generated clips)."""
        return is_ai_name(self.name) or self.generated_only


@dataclass(frozen=True)
class TrackChoice:
    """The rule's answer: reuse ``index``, or create ``new_name`` directly above ``above``.

    Indexes count the views given, 0 = bottom. ``above`` is the view the new track goes
    directly above (``len(views) - 1``: on top); for a reused track it is that track.
    """

    index: int | None
    new_name: str | None
    above: int


def is_ai_name(name: str) -> bool:
    """Whether ``name`` is "AI Generated" or "AI Generated N"."""
    return _AI_NAME.fullmatch(name.strip()) is not None


def ai_track_name(number: int) -> str:
    """The name of AI track ``number`` ("AI Generated", "AI Generated 2" …)."""
    return AI_TRACK_NAME if number == 1 else f"{AI_TRACK_NAME} {number}"


def next_ai_name(names: Sequence[str]) -> str:
    """The AI track name with the lowest number not among ``names``."""
    used = {name.strip() for name in names}
    number = 1
    while ai_track_name(number) in used:
        number += 1
    return ai_track_name(number)


def choose_track(views: Sequence[TrackView], *, floor: int | None = None) -> TrackChoice:
    """Which track takes the clip (see the module docstring for the rule).

    ``views`` are the video tracks bottom to top; ``floor`` is the index of the source track
    (None: no source, e.g. a clip placed on its own).
    """
    lowest = -1 if floor is None else floor
    hidden_below = max((i for i, view in enumerate(views) if view.shows), default=-1)
    for index in range(lowest + 1, len(views)):
        view = views[index]
        usable = view.enabled and not view.locked and not view.busy and index > hidden_below
        if view.is_ai and usable:
            return TrackChoice(index, None, index)
    name = next_ai_name([view.name for view in views])
    if floor is None:
        return TrackChoice(None, name, len(views) - 1)
    return TrackChoice(None, name, max(floor, hidden_below))
