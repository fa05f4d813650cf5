"""What a render is made of: spans of media, black, dissolves, and the sound layers to sum.

Why apart from :mod:`stillmotion.media.assemble`: these are plain values the timeline reader
builds and the renderer consumes, and a long edit is rendered in parts (:func:`split`) whose
pieces are the same values, so splitting never needs ffmpeg or the graph builder.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import TypeAlias

from stillmotion.media.sampling import shown_frame


@dataclass(frozen=True)
class SourceSpan:
    """A media file played from file frame ``first`` at ``play_rate`` frames per output second.

    ``rate`` is the file's own frame rate (the unit of ``first``); ``label`` names the clip in
    messages. ``play_rate`` equals ``rate`` at normal speed, twice it at 2x, and 0 for a freeze.
    """

    path: Path
    first: int
    rate: Fraction
    play_rate: Fraction
    label: str = ""

    @property
    def speed(self) -> Fraction:
        """Source seconds per output second (what the sound is re-timed by)."""
        return self.play_rate / self.rate


@dataclass(frozen=True)
class Blank:
    """``frames`` frames of black picture and silence."""

    frames: int


@dataclass(frozen=True)
class Show:
    """Output slots ``skip`` .. ``skip + frames - 1`` of ``span`` (slot 0 shows ``span.first``)."""

    span: SourceSpan
    skip: int
    frames: int


@dataclass(frozen=True)
class Dissolve:
    """A crossfade from ``outgoing`` to ``incoming`` (each ``window`` frames long), of which
    window frames ``skip`` .. ``skip + frames - 1`` are shown."""

    outgoing: Show | Blank
    incoming: Show | Blank
    skip: int
    frames: int

    @property
    def window(self) -> int:
        return self.outgoing.frames


Element: TypeAlias = Blank | Show | Dissolve


@dataclass(frozen=True)
class Assembly:
    """What to render: the picture's elements in order and the sound layers to sum.

    ``sound`` None takes the sound of the pictures shown; an empty tuple is silence.
    """

    rate: Fraction
    picture: tuple[Element, ...]
    sound: tuple[tuple[Element, ...], ...] | None = None

    @property
    def frames(self) -> int:
        return sum(element.frames for element in self.picture)

    def spans(self) -> Iterator[SourceSpan]:
        """Every span used, picture first (repeats included)."""
        layers = (self.picture,) if self.sound is None else (self.picture, *self.sound)
        for layer in layers:
            for element in layer:
                yield from spans_of(element)


def spans_of(element: Element) -> Iterator[SourceSpan]:
    if isinstance(element, Show):
        yield element.span
    elif isinstance(element, Dissolve):
        yield from spans_of(element.outgoing)
        yield from spans_of(element.incoming)


def source_frames(show: Show, rate: Fraction) -> tuple[int, int]:
    """The first and last file frame ``show`` displays at output ``rate``."""
    span = show.span
    step = span.play_rate / rate
    first = shown_frame(show.skip, step)
    last = shown_frame(show.skip + show.frames - 1, step)
    return span.first + first, span.first + last


def cut(element: Element, at: int) -> tuple[Element, Element]:
    """``element`` split before its ``at``-th frame (0 < at < frames): two elements that play
    the same frames in turn (a Show or Dissolve keeps its source and shifts ``skip``)."""
    if not 0 < at < element.frames:
        raise ValueError(f"cut at {at} is outside 1..{element.frames - 1}")
    if isinstance(element, Blank):
        return Blank(at), Blank(element.frames - at)
    return (replace(element, frames=at),
            replace(element, skip=element.skip + at, frames=element.frames - at))


def _window(layer: Sequence[Element], start: int, end: int) -> tuple[Element, ...]:
    """Frames [start, end) of a layer, cutting the elements that straddle either edge."""
    kept: list[Element] = []
    position = 0
    for element in layer:
        low, high = position, position + element.frames
        position = high
        if high <= start or low >= end:
            continue
        if low < start:
            element = cut(element, start - low)[1]
            low = start
        if high > end:
            element = cut(element, end - low)[0]
        kept.append(element)
    return tuple(kept)


def split(assembly: Assembly, cuts: Sequence[int]) -> list[Assembly]:
    """``assembly`` as consecutive parts starting at output frames ``cuts`` (after 0, rising):
    rendered one after the other they show and sound exactly as the whole."""
    edges = [0, *cuts, assembly.frames]
    parts = []
    for start, end in itertools.pairwise(edges):
        sound = (None if assembly.sound is None
                 else tuple(_window(layer, start, end) for layer in assembly.sound))
        parts.append(Assembly(assembly.rate, _window(assembly.picture, start, end), sound))
    return parts
