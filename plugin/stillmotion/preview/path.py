"""The camera path: zoom and centre over time, planned from a prompt's beats (pure, no ffmpeg).

Why a path and not per-frame numbers: the renderer turns the same segments into ffmpeg
expressions evaluated per frame, and tests compare rendered frames with :meth:`CameraPath.at`,
so the plan, the render and the check share one definition.

Model: the picture seen at time t is the window of the reference image centred at (cx, cy)
(normalised 0..1 image coordinates, y down) whose size is 1/zoom of the image; zoom >= 1 and
the window never leaves the image. Each beat moves from one keyframe to the next with a
smoothstep ease (velocity zero at both ends), zoom interpolated geometrically, so the path is
continuous in value and speed across beats and static beats do not move at all.

Amounts per beat at normal speed: dolly/zoom x1.25, pan/truck 8 % of the image width,
tilt/pedestal 8 % of the height, orbit = a lateral 8 % arc that lifts 2 % at mid-beat with a
x1.06 push. Speed words scale them (slow 1/2, very slow 1/4, fast 2, whip/crash 3).
Lateral moves need room: the whole path gets the smallest common base zoom (and a sideways
offset, only when that lowers the zoom) that keeps every window inside the image. The path
starts on the reference framing itself (zoom 1, centred: it is the first frame) and eases any
headroom in during the first moving beat, except when that beat pulls back: a pull-back needs a
tighter start, so it starts cropped.

With a last image (first+last frame models, ``fill-gap``) both ends are pinned, because an
editor judges a transition exactly at the joins: the prompt's beats play in between, a pull-back
opening is approached from the reference framing first, and the final part of the shot
(:func:`resolve_length`) eases the window back to the whole picture while the renderer
cross-resolves to the last image, so the last frame is the last image.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from stillmotion.errors import ConfigError
from stillmotion.moves import Beat, Schedule, parse_beats, schedule

ZOOM_STEP = math.log(1.25)
PAN_STEP = 0.08
TILT_STEP = 0.08
ORBIT_STEP = 0.08
ORBIT_RISE = 0.02
ORBIT_ZOOM = math.log(1.06)
# Caps that keep many beats in one direction usable: lateral travel at most half the image
# (a base zoom of 2 at worst), zoom range at most x3.
MAX_TRAVEL = 0.5
MAX_ZOOM_RANGE = math.log(3.0)
_SAMPLES = 24
_EPS = 1e-9
# The pinned ends of a first+last frame shot: the resolve takes a third of it (at most 1.5 s),
# an approach (pull-back openings only) half of that.
RESOLVE_SHARE = Fraction(1, 3)
RESOLVE_MAX = Fraction(3, 2)


def ease(u: float) -> float:
    """Smoothstep: 0 -> 1 with zero slope at both ends (continuous speed across beats)."""
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


@dataclass(frozen=True)
class State:
    """One keyframe: zoom (>= 1) and window centre in normalised image coordinates."""

    zoom: float
    cx: float
    cy: float


IDENTITY = State(1.0, 0.5, 0.5)


@dataclass(frozen=True)
class Segment:
    """One beat of the path: eased from ``first`` to ``last`` over [start, end)."""

    start: Fraction
    end: Fraction
    first: State
    last: State
    arc: float
    beat: Beat

    @property
    def moving(self) -> bool:
        """Whether the framing changes during the segment."""
        a, b = self.first, self.last
        return (abs(a.zoom - b.zoom) > _EPS or abs(a.cx - b.cx) > _EPS
                or abs(a.cy - b.cy) > _EPS or abs(self.arc) > _EPS)

    def at(self, t: float) -> State:
        """The unclamped state at absolute time ``t`` (clamped into the segment)."""
        length = float(self.end - self.start)
        s = ease((t - float(self.start)) / length) if length > 0 else 1.0
        a, b = self.first, self.last
        zoom = a.zoom * (b.zoom / a.zoom) ** s
        cx = a.cx + (b.cx - a.cx) * s
        cy = a.cy + (b.cy - a.cy) * s + self.arc * 4.0 * s * (1.0 - s)
        return State(zoom, cx, cy)


@dataclass(frozen=True)
class CameraPath:
    """Keyframed camera over ``seconds``; segments are contiguous from 0 to ``seconds``."""

    seconds: Fraction
    segments: tuple[Segment, ...]
    schedule: Schedule
    base_zoom: float
    starts_at_reference: bool
    resolve_start: Fraction | None = None
    """When the cross-resolve to the last image begins (None: the shot has no last image)."""

    def at(self, t: Fraction | float) -> tuple[float, float, float]:
        """(zoom, cx, cy) at time ``t`` seconds; the centre is kept so the window stays inside."""
        time = float(t)
        starts = [float(segment.start) for segment in self.segments]
        index = max(0, bisect.bisect_right(starts, time) - 1)
        state = self.segments[index].at(time)
        return (state.zoom, _inside(state.cx, state.zoom), _inside(state.cy, state.zoom))

    @property
    def keyframes(self) -> list[tuple[Fraction, State]]:
        """The state at every beat boundary, the clip's end included."""
        frames = [(segment.start, segment.first) for segment in self.segments]
        frames.append((self.seconds, self.segments[-1].last))
        return frames


def resolve_length(seconds: Fraction) -> Fraction:
    """How long the final cross-resolve to the last image lasts in a ``seconds`` shot."""
    return min(RESOLVE_MAX, seconds * RESOLVE_SHARE)


def plan(prompt: str, seconds: Fraction | int, *, ends_on_last: bool = False) -> CameraPath:
    """The camera path a prompt asks for over ``seconds`` (see the module docstring).

    ``ends_on_last``: the shot has a last image, so the path starts and ends on the whole
    picture and the prompt's beats play between the pinned ends.
    """
    total = Fraction(seconds)
    if total <= 0:
        raise ConfigError(f"A clip must last more than 0 seconds, not {seconds}.")
    if not ends_on_last:
        return _plan_beats(prompt, total)
    tail = resolve_length(total)
    inner = _plan_beats(prompt, total - tail)
    lead = Fraction(0) if inner.starts_at_reference else tail / 2
    if lead:
        inner = _plan_beats(prompt, total - tail - lead)
    first, last = inner.segments[0].first, inner.segments[-1].last
    beats = [dataclasses.replace(b, start=b.start + lead, end=b.end + lead)
             for b in inner.schedule.beats]
    segments = [dataclasses.replace(s, start=s.start + lead, end=s.end + lead,
                                    beat=beats[i]) for i, s in enumerate(inner.segments)]
    if lead:
        approach = Beat(Fraction(0), lead, (), "approach the opening framing", None,
                        implied=True)
        segments.insert(0, Segment(Fraction(0), lead, IDENTITY, first, 0.0, approach))
    resolve = Beat(total - tail, total, (), "resolve to the last image", None, implied=True)
    segments.append(Segment(total - tail, total, last, IDENTITY, 0.0, resolve))
    laid = dataclasses.replace(inner.schedule, seconds=total, beats=tuple(beats))
    return CameraPath(total, tuple(segments), laid, inner.base_zoom, True,
                      resolve_start=total - tail)


def _plan_beats(prompt: str, total: Fraction) -> CameraPath:
    """The prompt's own path over ``total`` seconds, both ends free."""
    laid = schedule(parse_beats(prompt), total)
    steps = [_beat_step(beat) for beat in laid.beats]
    first_move = next((i for i, step in enumerate(steps) if any(abs(v) > _EPS for v in step)),
                      None)
    anchored = first_move is None or steps[first_move][0] >= -_EPS
    steps = _capped(steps, from_centre=anchored)
    logs, xs, ys = [0.0], [0.0], [0.0]
    for dlog, dx, dy, _ in steps:
        logs.append(logs[-1] + dlog)
        xs.append(xs[-1] + dx)
        ys.append(ys[-1] + dy)
    arcs = [step[3] for step in steps]
    samples = _samples(logs, xs, ys, arcs)
    log_base, offset_x, offset_y = _headroom(samples, centred=anchored)
    states = [State(math.exp(log_base + lz), 0.5 + x + offset_x, 0.5 + y + offset_y)
              for lz, x, y in zip(logs, xs, ys, strict=True)]
    if anchored and first_move is not None:
        # Interpolating from the full image to any window that fits stays inside the image
        # (the window's edges are convex/concave in the eased parameter): no new check needed.
        states[: first_move + 1] = [IDENTITY] * (first_move + 1)
    segments = tuple(
        Segment(beat.start, beat.end, states[i], states[i + 1], arcs[i], beat)
        for i, beat in enumerate(laid.beats)
    )
    return CameraPath(total, segments, laid, math.exp(log_base), anchored)


def _beat_step(beat: Beat) -> tuple[float, float, float, float]:
    """(log-zoom change, x change, y change, orbit lift) of one beat."""
    dlog = dx = dy = arc = 0.0
    for move in beat.moves:
        speed = float(move.speed)
        if move.kind in ("dolly", "zoom"):
            dlog += move.sign * ZOOM_STEP * speed
        elif move.kind in ("pan", "truck"):
            dx += move.sign * PAN_STEP * speed
        elif move.kind in ("tilt", "pedestal"):
            dy += move.sign * TILT_STEP * speed
        elif move.kind == "orbit":
            dx += move.sign * ORBIT_STEP * speed
            dlog += ORBIT_ZOOM * speed
            arc -= ORBIT_RISE * speed
    return (dlog, dx, dy, arc)


def _capped(
    steps: list[tuple[float, float, float, float]], *, from_centre: bool
) -> list[tuple[float, float, float, float]]:
    """Scale each axis down when its accumulated travel would exceed the caps.

    A path that starts centred may reach MAX_TRAVEL/2 either side of the centre; one that may
    be offset sideways may spread over MAX_TRAVEL in all.
    """

    def extent(index: int) -> float:
        running, low, high = 0.0, 0.0, 0.0
        for step in steps:
            running += step[index]
            low, high = min(low, running), max(high, running)
        if index and from_centre:
            return 2.0 * max(high, -low)
        return high - low

    limits = (MAX_ZOOM_RANGE, MAX_TRAVEL, MAX_TRAVEL)
    factors = [limit / extent(i) if extent(i) > limit else 1.0 for i, limit in enumerate(limits)]
    return [(d * factors[0], x * factors[1], y * factors[2], a * factors[2])
            for d, x, y, a in steps]


def _samples(
    logs: Sequence[float], xs: Sequence[float], ys: Sequence[float], arcs: Sequence[float]
) -> list[tuple[float, float, float]]:
    """(log-zoom, x, y) relative offsets sampled densely along every segment."""
    points: list[tuple[float, float, float]] = [(logs[0], xs[0], ys[0])]
    for i, arc in enumerate(arcs):
        for k in range(1, _SAMPLES + 1):
            s = ease(k / _SAMPLES)
            points.append((
                logs[i] + (logs[i + 1] - logs[i]) * s,
                xs[i] + (xs[i + 1] - xs[i]) * s,
                ys[i] + (ys[i + 1] - ys[i]) * s + arc * 4.0 * s * (1.0 - s),
            ))
    return points


def _headroom(
    samples: list[tuple[float, float, float]], *, centred: bool
) -> tuple[float, float, float]:
    """The smallest log base zoom, and the sideways offsets reaching it (0 where 0 suffices).

    A window of zoom z centred at 0.5 + p fits when z >= 1 / (1 - 2|p|); the worst sample over
    an axis is convex in the offset, so a ternary search finds the best one. A ``centred`` path
    (one that starts on the reference framing) takes no offset.
    """

    def need(axis: int, offset: float) -> float:
        worst = -math.inf
        for point in samples:
            room = 1.0 - 2.0 * abs(point[axis] + offset)
            if room <= 0:
                return math.inf
            worst = max(worst, -point[0] - math.log(room))
        return worst

    def best(axis: int) -> float:
        if centred:
            return 0.0
        values = [point[axis] for point in samples]
        low, high = -0.5 - min(values) + _EPS, 0.5 - max(values) - _EPS
        for _ in range(80):
            third = (high - low) / 3
            if need(axis, low + third) <= need(axis, high - third):
                high -= third
            else:
                low += third
        return (low + high) / 2

    best_x, best_y = best(1), best(2)
    log_base = max(0.0, *(-point[0] for point in samples), need(1, best_x), need(2, best_y))
    offset_x = 0.0 if need(1, 0.0) <= log_base + _EPS else best_x
    offset_y = 0.0 if need(2, 0.0) <= log_base + _EPS else best_y
    return (log_base, offset_x, offset_y)


def _inside(centre: float, zoom: float) -> float:
    """A window centre moved (if needed) so the 1/zoom window stays inside 0..1."""
    half = 0.5 / zoom
    return min(max(centre, half), 1.0 - half)
