"""Timeline -> render plan: what the picture shows at every frame, and which sound is mixed.

Why one planner: the ``stillmotion_render`` OTIO adapter and ``stillmotion stitch --timeline``
render the same way; this module reads OTIO and hands :mod:`stillmotion.media.assemble` plain
values (spans of files, black, dissolves), so OTIO never reaches ffmpeg code.

Rules:

- **Picture.** Without ``tracks``, every enabled video track is stacked and at each frame the
  top-most enabled clip wins (gaps and disabled clips let lower tracks show through; nothing
  anywhere is black). With ``tracks`` (names, or ``V1``/``A2`` as editors number them), only
  those are used, even when disabled in the timeline.
- **Sound.** The enabled audio tracks (or the chosen ones) are summed, gaps silent. When the
  timeline has no audio tracks but stillmotion's own ("AI Generated" audio tracks holding only
  generated sound, which the generated pictures carry too), or the chosen tracks are all video,
  the sound is that of the pictures shown (so ``--track "AI Generated"`` keeps the generated
  clips' own sound, and placing a clip's sound never silences a picture-only timeline).
- **Length.** The timeline's duration (the chosen tracks' longest), or ``record_range``:
  an OTIO TimeRange in track time (0 = the first frame, ``global_start_time`` not included) or
  a pair of timeline-relative frames (start, end exclusive).
- **Record to output.** The output rate defaults to the timeline's. Positions convert as
  :class:`~stillmotion.timeline.timebase.TimeBase` does (rates sharing a timecode base frame
  for frame, others through seconds) and are rounded half up to whole output frames, cumulative,
  so nothing drifts (:func:`stillmotion.timeline.sampling.boundary`, the edit-point rule
  ``locate`` uses too).
- **Source frames.** A clip reads its file exactly as ``locate`` does, through
  :mod:`stillmotion.timeline.sampling`: its first file frame (trimmed source start in the
  media's own timecode space, minus the reference's ``available_range`` start, else the file's
  start timecode), and its speed, the file's own rate times the clip's ``LinearTimeWarp``
  scalars (a 23.976 file on a 24 timeline plays frame for frame, like a timecode label;
  ``FreezeFrame`` holds the first frame). Which source frame lands on which output frame is the
  one mixed-rate rule, :func:`stillmotion.media.sampling.shown_frame` (the ``fps`` filter's),
  so a still grabbed by ``locate`` is the frame the master shows at that record frame.
- **Transitions.** ``SMPTE_Dissolve`` between two items blends from ``cut - in_offset`` to
  ``cut + out_offset``: the outgoing clip runs on past its cut by ``out_offset`` (its handle)
  and the incoming one starts ``in_offset`` early, as ``Item.visible_range`` says; a gap or
  disabled clip on either side is black and silence (a fade). Other transition kinds, nested
  stacks and speed effects on whole tracks are refused with a message.
- **Crossfades in** (``extend --crossfade``: a generated clip whose metadata holds
  ``crossfade_frames``, :func:`stillmotion.timeline.metadata.crossfade_in`): over its first
  frames the clip dissolves in from what the tracks beneath show (one clip or black; more is
  refused), and its sound crossfades with theirs: its own sound fades in while, on the other
  audio tracks, a clip that stops within those frames fades out over them (when the sound
  follows the pictures, the picture's dissolve carries it). Same frames, same curve.
- **Titles and generators** (:mod:`stillmotion.timeline.fillers`: titles, slugs, mattes, bars)
  are black and silent where they show, each reported once through ``on_warning``: stillmotion
  cannot draw them, and refusing would make a whole project with one title unrenderable.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.media.assembly import (
    Assembly,
    Blank,
    Dissolve,
    Element,
    Show,
    SourceSpan,
    source_frames,
)
from stillmotion.media.conform import DEFAULT_PRESET
from stillmotion.media.ffmpeg import ProgressCallback
from stillmotion.media.probe import MediaInfo, probe
from stillmotion.media.provenance import SigningIdentity
from stillmotion.media.stitch import StitchResult
from stillmotion.timecode import parse_rate, parse_size
from stillmotion.timeline.fillers import filler_label, is_filler
from stillmotion.timeline.master import render_master
from stillmotion.timeline.media import local_path
from stillmotion.timeline.metadata import crossfade_in
from stillmotion.timeline.render_tracks import choose_tracks, record_range_frames, render_length
from stillmotion.timeline.sampling import boundary, clip_sampling
from stillmotion.timeline.timebase import TimeBase, same_timecode_base

DISSOLVE = "SMPTE_Dissolve"


@dataclass(eq=False)
class _ClipUse:
    """A clip on a track; ``anchor`` is the output frame of its first frame."""

    clip: Any
    anchor: int


@dataclass(eq=False)
class _Fade:
    """A dissolve window [start, end) in output frames between two neighbours (None: black).

    ``beneath``: a crossfade in, whose outgoing side is what the tracks below show (filled in
    by :func:`_reveal` for pictures; silence on its own audio track).
    """

    outgoing: _ClipUse | None
    incoming: _ClipUse | None
    start: int
    end: int
    beneath: bool = False


@dataclass(frozen=True)
class _Cover:
    """What one track shows over output frames [start, end)."""

    start: int
    end: int
    owner: _ClipUse | _Fade


@dataclass
class _Clock:
    """Record frames (timeline rate) to output frames, and the output rate."""

    timebase: TimeBase
    rate: Fraction
    out_per_record: Fraction = field(init=False)

    def __post_init__(self) -> None:
        record = self.timebase.rate
        self.out_per_record = Fraction(1) if same_timecode_base(record, self.rate) else (
            self.rate / record)

    def out(self, record_frames: Fraction) -> int:
        return boundary(record_frames * self.out_per_record)


def plan_timeline(
    timeline: Any,
    *,
    tracks: Sequence[str] | str | None = None,
    record_range: Any = None,
    rate: Fraction | str | float | None = None,
    base_dir: Path | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> Assembly:
    """The :class:`Assembly` that renders ``timeline`` (see the module docstring for the rules).

    ``base_dir`` resolves relative media paths (the timeline file's folder). Raises
    TimelineError for offline media, unsupported constructs and clips that point past their
    media, ConfigError for unknown tracks or a bad range or rate.
    """
    timebase = TimeBase.of(timeline)
    clock = _Clock(timebase, parse_rate(rate) if rate is not None else timebase.rate)
    video, audio, follow = choose_tracks(timeline, tracks)
    length = render_length(timeline, timebase, video + audio, chosen=tracks is not None)
    start, end = record_range_frames(record_range, timebase, length)
    first, last = clock.out(start), clock.out(end)
    spans = _Spans(timebase, clock, base_dir)
    layers = [_track_covers(track, timebase, clock) for track in video]
    _reveal(layers)
    picture = [spans.element(owner, u, v) for u, v, owner in _flatten(layers, first, last)]
    for element in picture:
        spans.check(element)
    for clip in spans.fillers.values():
        if on_warning is not None:
            on_warning(f"Rendering {filler_label(clip)} as black: stillmotion cannot draw "
                       "titles or generators.")
    sound: tuple[tuple[Element, ...], ...] | None = None
    if not follow:
        heard = _fade_out_under([_track_covers(track, timebase, clock) for track in audio])
        sound = tuple(
            tuple(spans.element(owner, u, v, picture=False)
                  for u, v, owner in _flatten([covers], first, last))
            for covers in heard
        )
    return Assembly(rate=clock.rate, picture=tuple(picture), sound=sound)


def render_timeline(
    timeline: Any,
    output: Path | str,
    *,
    preset: str = DEFAULT_PRESET,
    size: tuple[int, int] | str | None = None,
    rate: Fraction | str | float | None = None,
    tracks: Sequence[str] | str | None = None,
    record_range: Any = None,
    fit: str = "letterbox",
    base_dir: Path | None = None,
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
    on_warning: Callable[[str], None] | None = None,
    identity: SigningIdentity | None = None,
    on_note: Callable[[str], None] | None = None,
) -> StitchResult:
    """Render ``timeline`` (or its chosen ``tracks``) into the media file ``output``, signed as a
    master with ``identity`` (:mod:`stillmotion.timeline.master`; ``on_note`` hears how).

    ``size`` defaults to the first picture's, ``rate`` to the timeline's. The output is written
    atomically; an existing one is replaced only with ``overwrite``.
    """
    assembly = plan_timeline(timeline, tracks=tracks, record_range=record_range, rate=rate,
                             base_dir=base_dir, on_warning=on_warning)
    chosen_size = parse_size(size) if isinstance(size, str) else size
    return render_master(assembly, Path(output).expanduser(), identity, preset=preset,
                         size=chosen_size, fit=fit, overwrite=overwrite,
                         on_progress=on_progress, on_note=on_note)


# -- one track: what it shows where ---------------------------------------------------------------


def _track_covers(track: Any, timebase: TimeBase, clock: _Clock) -> list[_Cover]:
    """The track's clips and dissolve windows in output frames, sorted, never overlapping."""
    for effect in track.effects:
        if isinstance(effect, otio.schema.TimeEffect):
            raise TimelineError(
                f"The track '{track.name}' carries a speed effect, which stillmotion cannot "
                "render; render or flatten it in the editor."
            )
    shift, visible = Fraction(0), None
    if track.source_range is not None:
        shift = -timebase.frames(track.source_range.start_time)
        visible = (clock.out(Fraction(0)), clock.out(timebase.frames(track.source_range.duration)))
    children = list(track)
    bounds: dict[int, tuple[Fraction, Fraction]] = {}
    position = shift
    for index, child in enumerate(children):
        if isinstance(child, otio.schema.Transition):
            continue
        if not isinstance(child, (otio.schema.Clip, otio.schema.Gap)):
            raise TimelineError(
                f"The track '{track.name}' holds '{child.name}', a {child.schema_name()}, which "
                "stillmotion cannot render; flatten or decompose it in the editor."
            )
        length = timebase.frames(child.duration())
        bounds[index] = (position, position + length)
        position += length
    uses = {index: _ClipUse(children[index], clock.out(bounds[index][0]))
            for index in bounds
            if isinstance(children[index], otio.schema.Clip) and children[index].enabled}
    fades: dict[int, _Fade] = {}
    for index, child in enumerate(children):
        if isinstance(child, otio.schema.Transition):
            fades[index] = _fade(track, children, index, bounds, uses, timebase, clock)
    covers = [_Cover(fade.start, fade.end, fade) for fade in fades.values()]
    for index, use in uses.items():
        begin, end = clock.out(bounds[index][0]), clock.out(bounds[index][1])
        if index - 1 in fades:
            begin = max(begin, fades[index - 1].end)
        elif crossfade_in(use.clip):
            into = min(end, clock.out(bounds[index][0] + crossfade_in(use.clip)))
            covers.append(_Cover(begin, into, _Fade(None, use, begin, into, beneath=True)))
            begin = into
        if index + 1 in fades:
            end = min(end, fades[index + 1].start)
        if begin < end:
            covers.append(_Cover(begin, end, use))
    covers.sort(key=lambda cover: cover.start)
    for before, after in itertools.pairwise(covers):
        if after.start < before.end:
            raise TimelineError(
                f"Two dissolves overlap on track '{track.name}' near record frame "
                f"{after.start}; shorten them so each clip has a moment of its own."
            )
    if visible is not None:
        covers = [_Cover(max(c.start, visible[0]), min(c.end, visible[1]), c.owner)
                  for c in covers if c.start < visible[1] and visible[0] < c.end]
    return covers


def _fade(
    track: Any,
    children: list[Any],
    index: int,
    bounds: dict[int, tuple[Fraction, Fraction]],
    uses: dict[int, _ClipUse],
    timebase: TimeBase,
    clock: _Clock,
) -> _Fade:
    transition = children[index]
    if str(transition.transition_type) != DISSOLVE:
        raise TimelineError(
            f"The transition '{transition.name or transition.transition_type}' on track "
            f"'{track.name}' is not a dissolve, which is all stillmotion renders; replace it "
            "with a cross dissolve or render it in the editor."
        )
    before, after = bounds.get(index - 1), bounds.get(index + 1)
    cut = before[1] if before is not None else (after[0] if after is not None else None)
    if cut is None:
        raise TimelineError(f"The track '{track.name}' holds a dissolve and nothing else; "
                            "remove it.")
    start = cut - timebase.frames(transition.in_offset)
    end = cut + timebase.frames(transition.out_offset)
    if (before is not None and start < before[0]) or (after is not None and end > after[1]):
        raise TimelineError(
            f"The dissolve at record frame {float(cut):g} on track '{track.name}' is longer "
            "than the clip beside it; shorten the dissolve."
        )
    return _Fade(uses.get(index - 1), uses.get(index + 1), clock.out(start), clock.out(end))


# -- stacking tracks ----------------------------------------------------------------------------


def _reveal(layers: Sequence[list[_Cover]]) -> None:
    """Give every crossfade in the picture it dissolves from: what the tracks beneath it show
    over its frames (one clip, or black when nothing is there)."""
    for level, covers in enumerate(layers):
        for cover in covers:
            fade = cover.owner
            if not isinstance(fade, _Fade) or not fade.beneath:
                continue
            below = _flatten(layers[:level], fade.start, fade.end)
            owner = below[0][2]
            if len(below) > 1 or isinstance(owner, _Fade):
                raise TimelineError(
                    f"The crossfade into '{fade.incoming.clip.name if fade.incoming else ''}' "
                    f"at output frame {fade.start} dissolves from more than one clip beneath "
                    "it; make it no longer than the clip it overlaps.")
            fade.outgoing = owner


def _fade_out_under(layers: list[list[_Cover]]) -> list[list[_Cover]]:
    """The audio tracks with the other side of every crossfade in: a clip on another track
    that stops within a crossfade's frames fades out over them (from the crossfade's start)."""
    windows = [(level, cover.owner) for level, covers in enumerate(layers) for cover in covers
               if isinstance(cover.owner, _Fade) and cover.owner.beneath]
    result = []
    for level, covers in enumerate(layers):
        kept: list[_Cover] = []
        for cover in covers:
            fade = next((w for other, w in windows if other != level
                         and cover.start < w.start < cover.end <= w.end), None)
            if fade is None or not isinstance(cover.owner, _ClipUse):
                kept.append(cover)
                continue
            kept += [_Cover(cover.start, fade.start, cover.owner),
                     _Cover(fade.start, cover.end,
                            _Fade(cover.owner, None, fade.start, cover.end))]
        result.append(kept)
    return result


def _flatten(
    layers: Sequence[list[_Cover]], first: int, last: int
) -> list[tuple[int, int, _ClipUse | _Fade | None]]:
    """[start, end, owner] over output frames [first, last): the top-most cover wins."""
    cuts = {first, last}
    for covers in layers:
        for cover in covers:
            cuts.update(x for x in (cover.start, cover.end) if first < x < last)
    starts = [[cover.start for cover in covers] for covers in layers]
    ordered = sorted(cuts)
    pieces: list[tuple[int, int, _ClipUse | _Fade | None]] = []
    for u, v in itertools.pairwise(ordered):
        owner: _ClipUse | _Fade | None = None
        for covers, keys in zip(reversed(layers), reversed(starts), strict=True):
            at = bisect.bisect_right(keys, u) - 1
            if at >= 0 and covers[at].start <= u and v <= covers[at].end:
                owner = covers[at].owner
                break
        if pieces and pieces[-1][2] is owner:
            pieces[-1] = (pieces[-1][0], v, owner)
        else:
            pieces.append((u, v, owner))
    return pieces


# -- clips as spans of files -------------------------------------------------------------------


class _Spans:
    """Clip -> SourceSpan (probing each file once) and element construction and checks."""

    def __init__(self, timebase: TimeBase, clock: _Clock, base_dir: Path | None) -> None:
        self.timebase = timebase
        self.clock = clock
        self.base_dir = base_dir
        self._infos: dict[Path, MediaInfo] = {}
        self._spans: dict[int, SourceSpan] = {}
        self.fillers: dict[int, Any] = {}

    def element(self, owner: _ClipUse | _Fade | None, start: int, end: int, *,
                picture: bool = True) -> Element:
        if owner is None or (isinstance(owner, _ClipUse) and self._filler(owner)):
            return Blank(end - start)
        if isinstance(owner, _ClipUse):
            return Show(self.span(owner.clip, picture), start - owner.anchor, end - start)
        window = owner.end - owner.start
        sides = [Blank(window) if use is None or self._filler(use) else
                 Show(self.span(use.clip, picture), owner.start - use.anchor, window)
                 for use in (owner.outgoing, owner.incoming)]
        return Dissolve(sides[0], sides[1], start - owner.start, end - start)

    def _filler(self, use: _ClipUse) -> bool:
        """True (and remembered for the warning) when the clip is a title or generator."""
        if is_filler(use.clip):
            self.fillers[id(use.clip)] = use.clip
            return True
        return False

    def check(self, element: Element) -> None:
        """TimelineError when a picture element needs frames its file does not have."""
        if isinstance(element, Dissolve):
            self._check_show(element.outgoing, "runs on past its last frame for a dissolve")
            self._check_show(element.incoming, "starts early for a dissolve")
        else:
            self._check_show(element, "")

    def _check_show(self, show: Show | Blank, why: str) -> None:
        if not isinstance(show, Show):
            return
        span = show.span
        count = self._info(span.path).require_video().frame_count
        low, high = source_frames(show, self.clock.rate)
        if low < 0 or high >= count:
            reason = f" ({span.label} {why})" if why else ""
            raise TimelineError(
                f"The clip '{span.label}' needs frames {low}-{high} of {span.path.name}, which "
                f"has frames 0-{count - 1}{reason}; give it handles, shorten the dissolve or "
                "relink the right version of the file."
            )

    def _info(self, path: Path) -> MediaInfo:
        if path not in self._infos:
            self._infos[path] = probe(path)
        return self._infos[path]

    def span(self, clip: Any, picture: bool) -> SourceSpan:
        key = id(clip)
        if key not in self._spans:
            self._spans[key] = self._make_span(clip, picture)
        return self._spans[key]

    def _make_span(self, clip: Any, picture: bool) -> SourceSpan:
        name = str(clip.name or "(unnamed)")
        path = local_path(clip, base_dir=self.base_dir)
        video = self._info(path).video
        if picture and video is None:
            raise TimelineError(f"The clip '{name}' on a video track points at {path.name}, "
                                "which has no picture; move it to an audio track.")
        sampling = clip_sampling(
            clip, self.timebase, media_rate=None if video is None else video.rate,
            start_frame=0 if video is None else video.start_frame,
            frame_count=None if video is None else video.frame_count)
        play_rate = sampling.step * self.clock.rate / self.clock.out_per_record
        return SourceSpan(path, sampling.first, sampling.rate, play_rate, name)
