"""The ffmpeg filter graph of an edit: spans of media, black, dissolves and mixed sound.

Why a module of its own: this is the arithmetic of rendering, kept apart from the choice of how
to render (:mod:`stillmotion.media.assemble`: copy join, one graph, or graphs in parts). A graph
is made of the per-clip conform chain of :mod:`stillmotion.media.conform`.

Frames. Everything counts output frames at ``Assembly.rate``. A :class:`SourceSpan` anchors file
frame ``first`` at output slot 0 and plays ``play_rate`` source frames per second of output (the
media's rate times the speed). Output slot ``m`` (negative: before the anchor) shows file frame
``first + i`` for the largest integer ``i`` with ``round_half_up(i * rate / play_rate) <= m``:
the ``fps`` filter's rule, :func:`stillmotion.media.sampling.shown_frame` (the one place it is
written, which locate asks too). Source frame ``i`` is stamped exactly
``i / play_rate`` (``settb`` + ``setpts=N``, so container timestamps play no part) and ``fps``
puts it on slot ``round(i * rate / play_rate)``, repeating the latest frame placed at or before
each slot. A :class:`Show` renders slots ``skip`` to ``skip + frames - 1`` of its span. To keep
every slot on the anchor's phase whatever the seek, decoding starts at a source frame whose slot
is whole (a multiple of the rate ratio's denominator) or, when the file has no frames that early
(a pre-roll at the start of the file), at the first frame needed with clones in front (``tpad``)
that the final trim removes. A span with ``play_rate`` 0 is a freeze frame. The file frames
themselves are found as the grab finds them (:mod:`stillmotion.media.seek`: a seek checked to
yield the first one, then pictures picked by presentation time in the file's own clock), so a
span plays the same frames from MPEG-TS/PS, MXF, MKV, MP4 and MOV; only then are they restamped.

Dissolves. A :class:`Dissolve` blends two ``window``-frame streams (the outgoing clip running on
past its cut, the incoming one started early: OTIO's in/out offsets) with
``xfade=transition=fade:offset=0:duration=window/rate`` (window frame ``j`` is
``1 - j/window`` outgoing: the first is all outgoing, the frame after the window all incoming),
and the sound with ``acrossfade`` over the window's samples; it then keeps window frames
``skip`` to ``skip + frames - 1`` (a render range may cut into a dissolve). Elements are joined
with the concat filter, so no xfade offsets are chained: on the equivalent pairwise join the
offset would be the window start minus the outgoing stream's start.

Sound. 48 kHz stereo; element boundaries fall on sample ``round_half_up(frame * 48000 / rate)``
counted from the first output frame, so the total is exact. A span's sound starts at the source
time of its first shown slot in the file's own clock (clamped at the start of the file; read
from the picture's seek, which :data:`~stillmotion.media.seek.SOUND_LEAD` puts early enough) and
is re-timed by the span's speed with ``atempo`` (a freeze frame is silent). Layers are summed
(``amix`` without normalisation, as an NLE mixes). ``Assembly.sound`` None means the sound of
the pictures shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stillmotion.errors import ConfigError
from stillmotion.media.assembly import Assembly, Blank, Element, Show, source_frames
from stillmotion.media.conform import (
    AUDIO_RATE,
    COLOUR_TAGS,
    ConformTarget,
    audio_chain,
    final_audio_filters,
    round_half_up,
    silent_audio,
    video_chain,
)
from stillmotion.media.ffmpeg import seconds_arg
from stillmotion.media.probe import MediaInfo
from stillmotion.media.seek import (
    SOUND_LEAD,
    checked_seek,
    cut_filters,
    frame_time,
    input_args,
    sound_cut,
    sound_seek,
)
from stillmotion.timecode import format_rate


@dataclass(frozen=True)
class _Decode:
    """How a Show is read: ``count`` file frames from ``start``, ``pad`` clones of the first
    in front, then ``drop`` output frames discarded before the ones shown."""

    start: int
    count: int
    pad: int
    drop: int


def _decode_plan(show: Show, rate: Fraction) -> _Decode:
    span = show.span
    if span.play_rate == 0:
        return _Decode(span.first, 1, 0, 0)
    low, high = source_frames(show, rate)
    low -= span.first
    high -= span.first
    ratio = rate / span.play_rate
    aligned = low // ratio.denominator * ratio.denominator
    start = aligned if span.first + aligned >= 0 else low
    if span.first + start < 0:
        raise ConfigError(
            f"{span.label or span.path.name} would need frames before the start of "
            f"{span.path.name}; give the clip handles or shorten the dissolve."
        )
    slot = aligned * ratio
    assert slot.denominator == 1
    return _Decode(span.first + start, high - start + 1, start - aligned,
                   show.skip - int(slot))


class Graph:
    """Builds the inputs and filter graph lines; each element becomes one labelled stream."""

    def __init__(self, target: ConformTarget, infos: dict[Path, MediaInfo], *,
                 origin: int = 0) -> None:
        """``origin``: the output frame this graph starts at, for the sample grid."""
        self.target = target
        self.infos = infos
        self.origin = origin
        self.inputs: list[str] = []
        self.lines: list[str] = []
        self._opened: dict[tuple[Path, str], int] = {}
        self._seeks: dict[tuple[Path, int], Fraction | None] = {}
        self._used: set[tuple[int, str]] = set()
        self._labels = 0

    def build(self, assembly: Assembly) -> tuple[list[str], str]:
        pictures = [self.picture(element) for element in assembly.picture]
        self._join(pictures, "v=1:a=0", "[v]")
        layers = (assembly.picture,) if assembly.sound is None else assembly.sound
        mixed = []
        for layer in layers:
            start = 0
            sounds = []
            for element in layer:
                sounds.append(self.sound(element, start))
                start += element.frames
            mixed.append(self._join(sounds, "v=0:a=1", self._label()))
        final = ",".join(final_audio_filters(self.target))
        if not mixed:
            self.lines.append(f"{silent_audio(self._samples(0, assembly.frames))},{final}[a]")
        elif len(mixed) == 1:
            self.lines.append(f"{mixed[0]}{final}[a]")
        else:
            self.lines.append(f"{''.join(mixed)}amix=inputs={len(mixed)}:normalize=0"
                              f":duration=longest,{final}[a]")
        return self.inputs, ";\n".join(self.lines) + "\n"

    def _label(self) -> str:
        self._labels += 1
        return f"[s{self._labels}]"

    def _emit(self, chain: str) -> str:
        label = self._label()
        self.lines.append(f"{chain}{label}")
        return label

    def _join(self, labels: Sequence[str], kinds: str, out: str) -> str:
        if len(labels) == 1:
            self.lines.append(f"{labels[0]}{'null' if kinds.startswith('v=1') else 'anull'}{out}")
        elif kinds.startswith("v=1"):
            # concat places each element after the previous one's end-of-stream time, which a
            # sped-up 1-frame element reports as its start: the next element then lands on the
            # same time and the encoder drops a frame. Every element is whole frames at the
            # output rate, so the joined frames are numbered afresh.
            self.lines.append(f"{''.join(labels)}concat=n={len(labels)}:{kinds},"
                              f"settb={format_rate(1 / self.target.rate)},setpts=N{out}")
        else:
            self.lines.append(f"{''.join(labels)}concat=n={len(labels)}:{kinds}{out}")
        return out

    def _input(self, info: MediaInfo, seek: Fraction | None, kind: str) -> str:
        """An input pad for ``kind`` (v/a) of ``info``'s file opened at ``seek`` (None: from
        the start) in its own clock."""
        key = (info.path, "start" if seek is None else seconds_arg(seek))
        index = self._opened.get(key)
        if index is None or (index, kind) in self._used:
            index = sum(1 for arg in self.inputs if arg == "-i")
            self.inputs += input_args(info, seek)
            self._opened[key] = index
        self._used.add((index, kind))
        return f"[{index}:{kind}:0]"

    def _seek(self, info: MediaInfo, frame: int) -> Fraction | None:
        """The checked seek for ``frame`` of ``info`` (early enough for its sound too), asked
        once per graph: picture and sound of a span open the same input."""
        key = (info.path, frame)
        if key not in self._seeks:
            self._seeks[key] = checked_seek(info, frame, lead=SOUND_LEAD)
        return self._seeks[key]

    def _samples(self, start: int, frames: int) -> int:
        """Samples of output frames [start, start + frames) on the cumulative sample grid."""
        per_frame = Fraction(AUDIO_RATE) / self.target.rate
        start += self.origin
        return round_half_up((start + frames) * per_frame) - round_half_up(start * per_frame)

    # -- picture ------------------------------------------------------------------------------

    def picture(self, element: Element) -> str:
        if isinstance(element, Blank):
            return self._black(element.frames)
        if isinstance(element, Show):
            return self._show(element)
        outgoing = self.picture(element.outgoing)
        incoming = self.picture(element.incoming)
        duration = seconds_arg(Fraction(element.window) / self.target.rate)
        return self._emit(
            f"{outgoing}{incoming}xfade=transition=fade:duration={duration}:offset=0,"
            f"trim=start_frame={element.skip}:end_frame={element.skip + element.frames},"
            "setpts=PTS-STARTPTS"
        )

    def _black(self, frames: int) -> str:
        width, height = self.target.size
        return self._emit(
            f"color=c=black:s={width}x{height}:r={format_rate(self.target.rate)},"
            f"trim=end_frame={frames},setsar=1,format={self.target.preset.pix_fmt},"
            f"setparams={COLOUR_TAGS}"
        )

    def _show(self, show: Show) -> str:
        span = show.span
        info = self.infos[span.path]
        facts = info.require_video()
        plan = _decode_plan(show, self.target.rate)
        pad = self._input(info, self._seek(info, plan.start), "v")
        if span.play_rate == 0:
            timing = [f"tpad=stop={show.frames}:stop_mode=clone",
                      f"settb={format_rate(1 / self.target.rate)}", "setpts=N"]
        else:
            timing = [f"tpad=start={plan.pad}:stop=1:start_mode=clone:stop_mode=clone",
                      f"settb={format_rate(1 / span.play_rate)}", "setpts=N"]
        chain = [
            *cut_filters(facts, plan.start, plan.count), *timing, *video_chain(facts, self.target),
            f"trim=start_frame={plan.drop}:end_frame={plan.drop + show.frames}",
            "setpts=PTS-STARTPTS",
        ]
        return self._emit(f"{pad}{','.join(chain)}")

    # -- sound --------------------------------------------------------------------------------

    def sound(self, element: Element, start: int) -> str:
        """Element's sound; ``start`` is its first output frame (for the sample grid)."""
        samples = self._samples(start, element.frames)
        if isinstance(element, Blank):
            return self._emit(silent_audio(samples))
        if isinstance(element, Show):
            return self._show_sound(element, samples)
        window_start = start - element.skip
        outgoing = self.sound(element.outgoing, window_start)
        incoming = self.sound(element.incoming, window_start)
        window = self._samples(window_start, element.window)
        first = self._samples(window_start, element.skip)
        return self._emit(
            f"{outgoing}{incoming}acrossfade=ns={window}:c1=tri:c2=tri,"
            f"atrim=start_sample={first}:end_sample={first + samples},asetpts=PTS-STARTPTS"
        )

    def _show_sound(self, show: Show, samples: int) -> str:
        span = show.span
        info = self.infos[span.path]
        if info.audio is None or span.play_rate == 0:
            return self._emit(silent_audio(samples))
        rate = self.target.rate
        position = max(span.first + show.skip * span.play_rate / rate, Fraction(0))
        length = Fraction(show.frames) / rate * span.speed
        if info.video is None:  # a sound file: its own clock from its start
            begin = info.start_time + position / span.rate
            pad = self._input(info, sound_seek(info, begin), "a")
        else:  # the picture's seek: its first decoded frame is at or before the sound's start
            begin = frame_time(info.video, position)
            pad = self._input(info, self._seek(info, _decode_plan(show, rate).start), "a")
        chain = [*sound_cut(begin, length), *_sound_chain(span.speed, self.target, samples)]
        return self._emit(f"{pad}{','.join(chain)}")


def _sound_chain(speed: Fraction, target: ConformTarget, samples: int) -> list[str]:
    """conform's audio chain, re-timed by ``speed`` (atempo) when the picture is sped up.

    Under the ``retime`` policy conform speeds a clip's sound up by ``target.rate / source rate``,
    so asking for that policy with a source rate of ``target.rate / speed`` gives the same
    atempo steps for ``speed``.
    """
    if speed == 1:
        return audio_chain(target.rate, target, samples)
    retimed = dataclasses.replace(target, rate_policy="retime")
    return audio_chain(target.rate / speed, retimed, samples)
