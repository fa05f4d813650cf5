"""Camera moves and their timing read from a prompt: the one parser of camera verbs (pure).

Why one parser: the preview engine animates what this module reads, and the prompt linter warns
about what it reads, so both must agree on every verb, modifier and duration. Nothing here knows
about pixels or ffmpeg; :mod:`stillmotion.preview.path` turns the beats into a camera path.
It is a leaf module (beside ``prompt``), not part of ``preview``, so the prompt linter can use it
without importing the engine above it.

A prompt is cut into sentences (full stops that are not decimal points, ``;``, ``!``, ``?``,
new lines) and each sentence into clauses at commas and sequencing words ("then", "after
that", "followed by", "next", "finally"). A clause with camera verbs is one *beat*: its moves
happen together, for the clause's duration when it names one ("for 2 s", "over 2 seconds",
"2s", "1.5 s", "500 ms", "half a second"). A clause with a duration but no verb lends it to the
beat before it when that beat has none. Sentences opening with "avoid" or "never", verbs
right after a negation ("no pans", "without zooming") and lines or sentences labelled as
another part of a shot prompt ("Action:", "Framing:", "Audio:", "Keep:", "Avoid:" …) are not
moves. Words that are camera verbs only sometimes are read narrowly: "hold" must be followed
by a duration, "for", "on" or the end of the clause ("she holds a cup" is no beat); "track",
"crane", "arc" need a direction. A noun that is also a verb ("a frying pan") is still read as
a move: the known limit of reading words without a grammar.

Beat times are exact Fractions: "1.5 s" is 3/2, never a float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_AXIS = {"dolly": "z", "zoom": "z", "pan": "x", "truck": "x", "orbit": "x",
         "tilt": "y", "pedestal": "y"}
_SIGN = {"in": 1, "out": -1, "right": 1, "left": -1, "down": 1, "up": -1}

NORMAL = Fraction(1)
SLOW = Fraction(1, 2)
VERY_SLOW = Fraction(1, 4)
FAST = Fraction(2)
VERY_FAST = Fraction(3)

_DIRECTION_WORDS = {
    "in": "in", "into": "in", "forward": "in", "forwards": "in", "closer": "in",
    "out": "out", "back": "out", "backward": "out", "backwards": "out", "away": "out",
    "left": "left", "right": "right",
    "up": "up", "upward": "up", "upwards": "up", "down": "down", "downward": "down",
    "downwards": "down",
    "clockwise": "right", "counterclockwise": "left", "counter-clockwise": "left",
    "anticlockwise": "left", "anti-clockwise": "left",
}
_SIDE = r"(?:[\s-]+(?:to\s+the\s+)?(?P<dir>left|right))"
_VERTICAL = r"(?:[\s-]+(?P<dir>up|upward|upwards|down|downward|downwards))"
_HOLD_FOLLOWERS = (
    r"(?=\s*(?:$|\d|\.\d|for\b|on\b|over\b|still\b|steady\b|position\b|there\b|"
    r"the\s+(?:shot|frame|framing)\b|(?:a|one|two|three|four|five|half)\s+(?:second|sec)))"
)

# (kind, default direction or None when the verb needs one, pattern). Order matters only for
# readability: matches are collected per pattern and then sorted by position.
_VERB_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("dolly", "in", r"\b(?:dolly|dollies|dollying|dollied)"
                    r"(?:[\s-]+(?P<dir>in|into|forward|forwards|closer|out|back|backward|"
                    r"backwards|away))?\b"),
    ("dolly", "in", r"\b(?:push|pushes|pushing|pushed)[\s-]+(?P<dir>in|into|forward|closer)\b"),
    ("dolly", "out", r"\b(?:pull|pulls|pulling|pulled)[\s-]+(?P<dir>back|out|away)\b"),
    ("zoom", "in", r"\b(?:zoom|zooms|zooming|zoomed)"
                   r"(?:[\s-]+(?P<dir>in|into|closer|out|back))?\b"),
    ("pan", "right", r"\b(?:pan|pans|panning|panned)" + _SIDE + r"?\b"),
    ("truck", "", r"\b(?:truck|trucks|trucking|trucked|track|tracks|tracking|tracked|crab|crabs|"
                  r"crabbing|crabbed|slide|slides|sliding)" + _SIDE + r"\b"),
    ("tilt", "up", r"\b(?:tilt|tilts|tilting|tilted)" + _VERTICAL + r"?\b"),
    ("pedestal", "up", r"\b(?:pedestal|pedestals|pedestalling|pedestaling)" + _VERTICAL + r"?\b"),
    ("pedestal", "", r"\b(?:crane|cranes|craning|boom|booms|booming|jib|jibs|jibbing)"
                     + _VERTICAL + r"\b"),
    ("orbit", "right", r"\b(?:orbit|orbits|orbiting|orbited)"
                       r"(?:[\s-]+(?:a)?round(?:\s+(?:the|a|an|her|his|their|its))?(?:\s+\w+)?)?"
                       r"(?:[\s-]+(?:to\s+the\s+)?(?P<dir>left|right|clockwise|counterclockwise|"
                       r"counter-clockwise|anticlockwise|anti-clockwise))?\b"),
    ("orbit", "", r"\b(?:arc|arcs|arcing)" + _SIDE + r"\b"),
    ("orbit", "right", r"\b(?:circle|circles|circling)[\s-]+(?:a)?round\b"),
    ("static", "", r"\b(?:static|locked[\s-]*off|lock[\s-]*off)\b"),
    ("static", "", r"\b(?:hold|holds|holding|pause|pauses)\b" + _HOLD_FOLLOWERS),
    ("static", "", r"\bno\s+camera\s+(?:movement|motion|moves?)\b"),
    ("static", "", r"\bcamera\s+(?:stays|remains|is|stands)\s+(?:still|static|stationary)\b"),
)
_VERBS = tuple((kind, default, re.compile(pattern, re.IGNORECASE))
               for kind, default, pattern in _VERB_PATTERNS)

_SPEEDS: tuple[tuple[Fraction, re.Pattern[str]], ...] = (
    (VERY_SLOW, re.compile(r"\b(?:very|extremely|super)\s+(?:slow|slowly|gentle|gently|subtle|"
                           r"subtly|slight|slightly)\b", re.IGNORECASE)),
    (VERY_FAST, re.compile(r"\b(?:very|extremely|super)\s+(?:fast|quick|quickly|rapid|"
                           r"rapidly)\b|\b(?:whip|crash)\b", re.IGNORECASE)),
    (SLOW, re.compile(r"\b(?:slow|slowly|gentle|gently|subtle|subtly|slight|slightly|soft|"
                      r"softly|gradual|gradually|creeping|lazy|lazily)\b", re.IGNORECASE)),
    (FAST, re.compile(r"\b(?:fast|quick|quickly|rapid|rapidly|swift|swiftly|snap|brisk|"
                      r"briskly)\b", re.IGNORECASE)),
)

_NUMBER_WORDS = {
    "half a": Fraction(1, 2), "one": Fraction(1), "two": Fraction(2),
    "three": Fraction(3), "four": Fraction(4), "five": Fraction(5), "six": Fraction(6),
    "seven": Fraction(7), "eight": Fraction(8), "nine": Fraction(9), "ten": Fraction(10),
    "twelve": Fraction(12), "fifteen": Fraction(15), "twenty": Fraction(20),
}
_DURATION = re.compile(
    r"(?<![\w.])(?P<num>\d+(?:\.\d+)?|\.\d+|half\s+a|one|two|three|four|five|six|seven|eight|"
    r"nine|ten|twelve|fifteen|twenty)\s*-?\s*"
    r"(?P<unit>ms|msec|millisecond|milliseconds|s|sec|secs|second|seconds)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:no|not|never|without|avoid|avoids|avoiding|don't|dont|do\s+not|"
                       r"doesn't|does\s+not|nor)\b(?:\W+\w+){0,2}\W*$", re.IGNORECASE)
_NEGATED_SENTENCE = re.compile(r"^\W*(?:avoid|avoids|avoiding|never|negative)\b", re.IGNORECASE)
# Lines or sentences labelled as another part of a shot prompt describe the scene, not the
# camera ("Action: she tilts her head up" is not a tilt).
_SCENE_LABEL = re.compile(r"^\W*(?:action|framing|lighting|light|audio|sound|keep|avoid|style|"
                          r"subject|scene|negative(?:\s+prompt)?)\s*:", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"(?:(?<!\d)\.|\.(?!\d)|[!?;\n])+")
_CLAUSE_BREAK = re.compile(
    r",|\b(?:and\s+then|then|after\s+that|afterwards|followed\s+by|next|finally)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Move:
    """One camera move word: its kind, direction, speed factor and the words it was read from."""

    kind: str
    direction: str
    speed: Fraction = NORMAL
    text: str = ""

    @property
    def axis(self) -> str | None:
        """``z`` (dolly/zoom), ``x`` (pan/truck/orbit), ``y`` (tilt/pedestal); None for static."""
        return _AXIS.get(self.kind)

    @property
    def sign(self) -> int:
        """+1 towards in / right / down (image coordinates), -1 the other way; 0 for static."""
        return _SIGN.get(self.direction, 0)

    @property
    def label(self) -> str:
        """A readable name such as ``dolly in`` or ``static``."""
        return f"{self.kind} {self.direction}" if self.direction else self.kind


@dataclass(frozen=True)
class BeatSpec:
    """A beat as written: its moves (together) and its duration, if the prompt gave one."""

    moves: tuple[Move, ...]
    duration: Fraction | None
    text: str

    @property
    def conflicts(self) -> tuple[tuple[Move, Move], ...]:
        """Pairs of moves that undo each other in this beat (in vs out, hold vs any move)."""
        pairs: list[tuple[Move, Move]] = []
        for index, first in enumerate(self.moves):
            for second in self.moves[index + 1:]:
                opposite = (first.axis is not None and first.axis == second.axis
                            and first.sign == -second.sign)
                held = (first.kind == "static") != (second.kind == "static")
                if opposite or held:
                    pairs.append((first, second))
        return tuple(pairs)


@dataclass(frozen=True)
class Beat:
    """A scheduled beat: [start, end) in exact seconds from the clip's first frame."""

    start: Fraction
    end: Fraction
    moves: tuple[Move, ...]
    text: str
    requested: Fraction | None
    clipped: bool = False
    implied: bool = False

    @property
    def duration(self) -> Fraction:
        return self.end - self.start


@dataclass(frozen=True)
class Schedule:
    """Beats laid on the clip's time line, with what did not fit reported for the linter.

    ``clipped`` beats were cut short by the clip's end, ``dropped`` ones got no time at all,
    ``overrun`` is how far the explicit durations reach past the end.
    """

    seconds: Fraction
    beats: tuple[Beat, ...]
    clipped: tuple[Beat, ...]
    dropped: tuple[BeatSpec, ...]
    overrun: Fraction


def parse_duration(text: str) -> Fraction | None:
    """The first duration written in ``text`` as exact seconds, or None."""
    match = _DURATION.search(text)
    if match is None:
        return None
    raw = match.group("num").lower()
    words = re.sub(r"\s+", " ", raw)
    value = _NUMBER_WORDS.get(words)
    if value is None:
        value = Fraction(raw)
    if match.group("unit").lower().startswith("m"):
        value /= 1000
    return value


def find_moves(text: str) -> list[Move]:
    """Every camera move in ``text``, in reading order, skipping negated sentences and verbs."""
    return [move for beat in parse_beats(text) for move in beat.moves]


def parse_beats(text: str) -> list[BeatSpec]:
    """The camera beats of a prompt in order (see the module docstring for the rules)."""
    beats: list[BeatSpec] = []
    sentences = [sentence for line in text.splitlines() if not _SCENE_LABEL.match(line)
                 for sentence in _SENTENCE_BREAK.split(line)]
    for sentence in sentences:
        if (not sentence.strip() or _NEGATED_SENTENCE.match(sentence)
                or _SCENE_LABEL.match(sentence)):
            continue
        for clause in _CLAUSE_BREAK.split(sentence):
            if not clause.strip():
                continue
            moves = _clause_moves(clause)
            duration = parse_duration(clause)
            if moves:
                beats.append(BeatSpec(tuple(moves), duration, clause.strip()))
            elif duration is not None and beats and beats[-1].duration is None:
                last = beats[-1]
                beats[-1] = BeatSpec(last.moves, duration, f"{last.text}, {clause.strip()}")
    return beats


def schedule(beats: list[BeatSpec], seconds: Fraction | int) -> Schedule:
    """Lay ``beats`` end to end over ``seconds``.

    Beats without a duration share what the explicit ones leave (equally); a beat reaching past
    the end is cut at the end, one starting at or after it is dropped; time left after the last
    beat is an implied hold. No beats at all is one static beat over the whole clip.
    """
    total = Fraction(seconds)
    explicit = sum((b.duration for b in beats if b.duration is not None), Fraction(0))
    open_count = sum(1 for b in beats if b.duration is None)
    share = max(Fraction(0), total - explicit) / open_count if open_count else Fraction(0)
    laid: list[Beat] = []
    clipped: list[Beat] = []
    dropped: list[BeatSpec] = []
    clock = Fraction(0)
    for spec in beats:
        length = spec.duration if spec.duration is not None else share
        if length <= 0 or clock >= total:
            dropped.append(spec)
            continue
        end = min(total, clock + length)
        beat = Beat(clock, end, spec.moves, spec.text, spec.duration, clipped=end < clock + length)
        laid.append(beat)
        if beat.clipped:
            clipped.append(beat)
        clock = end
    if clock < total:
        laid.append(Beat(clock, total, (), "hold to the end", None, implied=True))
    return Schedule(total, tuple(laid), tuple(clipped), tuple(dropped),
                    max(Fraction(0), explicit - total))


def _clause_moves(clause: str) -> list[Move]:
    """The moves in one clause, each with the speed word nearest to it."""
    found: list[tuple[int, int, Move]] = []
    taken: list[tuple[int, int]] = []
    for kind, default, pattern in _VERBS:
        for match in pattern.finditer(clause):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            if _NEGATION.search(clause[:start]):
                continue
            word = match.groupdict().get("dir")
            direction = _DIRECTION_WORDS[word.lower()] if word else default
            if kind != "static" and not direction:
                continue
            taken.append((start, end))
            found.append((start, end, Move(kind, direction, NORMAL, match.group(0).strip())))
    found.sort(key=lambda item: item[0])
    speeds: dict[int, Fraction] = {}
    used: list[tuple[int, int]] = []
    for factor, pattern in _SPEEDS:
        for match in pattern.finditer(clause):
            start, end = match.span()
            if any(start < b and a < end for a, b in used) or not found:
                continue
            used.append((start, end))
            nearest = min(range(len(found)), key=lambda i: _gap(found[i][:2], (start, end)))
            speeds.setdefault(nearest, factor)
    return [Move(move.kind, move.direction, speeds.get(index, NORMAL), move.text)
            for index, (_, _, move) in enumerate(found)]


def _gap(first: tuple[int, int], second: tuple[int, int]) -> int:
    """Characters between two spans (0 when they touch or overlap)."""
    return max(0, second[0] - first[1], first[0] - second[1])
