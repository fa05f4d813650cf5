"""Assemble an edit (spans of media, black, dissolves, mixed sound) into one master in ONE graph.

Why a module of its own: this is the ffmpeg half of rendering a timeline.
:mod:`stillmotion.timeline.render` turns an OTIO timeline into an :class:`Assembly` of plain
values (no OTIO here); this module turns it into one filter graph made of the per-clip conform
chain of :mod:`stillmotion.media.conform`, and hands plain cuts of intra-only masters with their
own sound to :func:`stillmotion.media.stitch.stitch`, which joins them by stream copy when every
stream matches.

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
that the final trim removes. A span with ``play_rate`` 0 is a freeze frame.

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
time of its first shown slot (clamped at the start of the file) and is re-timed by the span's
speed with ``atempo`` (a freeze frame is silent). Layers are summed (``amix`` without
normalisation, as an NLE mixes). ``Assembly.sound`` None means the sound of the pictures shown.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stillmotion.errors import ConfigError
from stillmotion.files import atomic_path, check_output
from stillmotion.media.assembly import (
    Assembly,
    Blank,
    Dissolve,
    Element,
    Show,
    source_frames,
    split,
)
from stillmotion.media.conform import (
    AUDIO_RATE,
    COLOUR_TAGS,
    DEFAULT_PRESET,
    ConformTarget,
    Preset,
    audio_chain,
    final_audio_filters,
    get_preset,
    make_target,
    render_graph,
    round_half_up,
    silent_audio,
    video_chain,
)
from stillmotion.media.ffmpeg import Progress, ProgressCallback, media_arg, seconds_arg
from stillmotion.media.probe import MediaInfo, probe
from stillmotion.media.stitch import Segment, StitchResult, stitch
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


GRAPH_INPUTS = 64
"""The most inputs one ffmpeg graph opens. Every input holds a file, a demuxer thread and a
decoder, so a timeline of hundreds of clips in one graph runs into the open-file limit (256 by
default on macOS) and into memory; a longer edit is rendered in parts of at most this many."""
INTERMEDIATE_PRESET = "prores-hq"
"""The intra-only codec parts are rendered in when the master's own preset is not intra-only
(joined parts are then encoded once more, into the master's codec)."""


def assemble(
    assembly: Assembly,
    output: Path,
    *,
    preset: str = DEFAULT_PRESET,
    size: tuple[int, int] | None = None,
    fit: str = "letterbox",
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
    max_inputs: int = GRAPH_INPUTS,
) -> StitchResult:
    """Render ``assembly`` into ``output`` in ``preset`` at ``size`` (default: the first picture's).

    Plain cuts of whole frames at the output rate with their own sound go through
    :func:`~stillmotion.media.stitch.stitch` (stream copy when the files allow); anything else is
    one filter graph, or consecutive graphs of at most ``max_inputs`` inputs each joined by
    stream copy when the edit is longer. Nothing is written to ``output`` unless the whole
    render succeeds.
    """
    if assembly.frames < 1:
        raise ConfigError("There is nothing to render (0 frames); choose a range or tracks "
                          "that hold something.")
    for layer in assembly.sound or ():
        if sum(element.frames for element in layer) != assembly.frames:
            raise ValueError("every sound layer must last as long as the picture")
    chosen = get_preset(preset)
    chosen.check_output_name(output)
    refusal = _copy_refusal(assembly, chosen)
    if refusal is None:
        return stitch(_segments(assembly), output, preset=chosen.name, size=size,
                      rate=assembly.rate, fit=fit, overwrite=overwrite, on_progress=on_progress)
    paths = list(dict.fromkeys(span.path for span in assembly.spans()))
    target_path = check_output(output, inputs=paths, overwrite=overwrite)
    infos = {path: probe(path) for path in paths}
    first_video = next((infos[span.path].video for span in assembly.spans()
                        if infos[span.path].video is not None), None)
    target = make_target(first_video, preset=chosen, size=size, rate=assembly.rate, fit=fit)
    inputs, graph = _Graph(target, infos).build(assembly)
    with atomic_path(target_path) as temp:
        if inputs.count("-i") <= max_inputs:
            render_graph(inputs, graph, target, temp, frames=assembly.frames,
                         on_progress=on_progress, what=f"Rendering {target_path.name}")
        else:
            part_target = target if chosen.intra_only else make_target(
                first_video, preset=INTERMEDIATE_PRESET, size=target.size, rate=assembly.rate,
                fit=fit)
            _render_in_parts(assembly, part_target, infos, temp, max_inputs, on_progress,
                             final_preset=chosen.name)
    return StitchResult(target_path, "graph", assembly.frames, assembly.rate, refusal, None)


def _cuts(assembly: Assembly, target: ConformTarget, infos: dict[Path, MediaInfo],
          max_inputs: int) -> list[int]:
    """Output frames where a new part starts, each part as long as its graph opens at most
    ``max_inputs`` inputs; parts end only between picture elements (sound layers are cut
    anywhere)."""
    cuts: list[int] = []
    start = 0
    end = 0
    for element in assembly.picture:
        grown = end + element.frames
        if end > start and _input_count(assembly, target, infos, start, grown) > max_inputs:
            cuts.append(end)
            start = end
        if _input_count(assembly, target, infos, start, grown) > max_inputs:
            raise ConfigError(f"One shot of the edit needs more than {max_inputs} ffmpeg inputs "
                              "on its own; raise the input limit.")
        end = grown
    return cuts


def _input_count(assembly: Assembly, target: ConformTarget, infos: dict[Path, MediaInfo],
                 start: int, end: int) -> int:
    edges = [edge for edge in (start, end) if 0 < edge < assembly.frames]
    part = split(assembly, edges)[1 if start > 0 else 0]
    return _Graph(target, infos).build(part)[0].count("-i")


def _render_in_parts(assembly: Assembly, target: ConformTarget, infos: dict[Path, MediaInfo],
                     output: Path, max_inputs: int, on_progress: ProgressCallback | None, *,
                     final_preset: str) -> None:
    """Render ``assembly`` as consecutive intra-only parts and join them into ``output``.

    Each part is its own graph on the same sample grid (``origin``), so the joined sound has
    the whole edit's exact sample count; the parts join by stream copy when ``final_preset``
    is the parts' own, and by one re-encode of a few inputs otherwise.
    """
    cuts = _cuts(assembly, target, infos, max_inputs)
    total = Fraction(assembly.frames) / target.rate
    with tempfile.TemporaryDirectory(prefix=f".{output.stem}.parts-", dir=output.parent) as work:
        paths = []
        for index, (origin, part) in enumerate(
                zip([0, *cuts], split(assembly, cuts), strict=True)):
            path = Path(work) / f"part{index:04d}{target.preset.extension}"
            inputs, graph = _Graph(target, infos, origin=origin).build(part)
            offset = Fraction(origin) / target.rate
            render_graph(inputs, graph, target, path, frames=part.frames,
                         on_progress=_shifted(on_progress, offset, total),
                         what=f"Rendering part {index + 1} of {len(cuts) + 1}")
            paths.append(path)
        stitch([Segment(path) for path in paths], output, preset=final_preset,
               size=target.size, rate=target.rate, overwrite=True)


def _shifted(callback: ProgressCallback | None, offset: Fraction,
             total: Fraction) -> ProgressCallback | None:
    """Report a part's progress as progress through the whole edit (done only at its end)."""
    if callback is None:
        return None

    def report(event: Progress) -> None:
        seconds = float(offset) + event.seconds
        callback(Progress(seconds=seconds, total=float(total), frame=event.frame,
                          speed=event.speed, done=event.done and seconds >= float(total)))

    return report


def _copy_refusal(assembly: Assembly, preset: Preset) -> str | None:
    """Why the assembly is not a plain list of cuts stitch may join by copy, or None."""
    if not preset.intra_only:
        return f"preset {preset.name} is not intra-only"
    if assembly.sound is not None:
        return "the sound is mixed from audio tracks"
    for element in assembly.picture:
        if isinstance(element, Blank):
            return "gaps need re-encoding"
        if isinstance(element, Dissolve):
            return "dissolves need re-encoding"
        span = element.span
        if span.play_rate != span.rate or span.rate != assembly.rate or element.skip < 0:
            return "speed or frame-rate changes need re-encoding"
    return None


def _segments(assembly: Assembly) -> list[Segment]:
    segments = []
    for element in assembly.picture:
        assert isinstance(element, Show)
        first = element.span.first + element.skip
        segments.append(Segment(element.span.path, first, first + element.frames))
    return segments


class _Graph:
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
        else:
            self.lines.append(f"{''.join(labels)}concat=n={len(labels)}:{kinds}{out}")
        return out

    def _input(self, path: Path, seek: Fraction, kind: str) -> str:
        """An input pad for ``kind`` (v/a) of ``path`` opened with an input seek to ``seek``."""
        key = (path, seconds_arg(seek))
        index = self._opened.get(key)
        if index is None or (index, kind) in self._used:
            index = sum(1 for arg in self.inputs if arg == "-i")
            if seek > 0:
                self.inputs += ["-ss", seconds_arg(seek)]
            self.inputs += ["-i", media_arg(path)]
            self._opened[key] = index
        self._used.add((index, kind))
        return f"[{index}:{kind}:0]"

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
        facts = self.infos[span.path].require_video()
        plan = _decode_plan(show, self.target.rate)
        seek = (plan.start - Fraction(1, 2)) / facts.rate if plan.start else Fraction(0)
        pad = self._input(span.path, seek, "v")
        if span.play_rate == 0:
            timing = [f"tpad=stop={show.frames}:stop_mode=clone",
                      f"settb={format_rate(1 / self.target.rate)}", "setpts=N"]
        else:
            timing = [f"tpad=start={plan.pad}:stop=1:start_mode=clone:stop_mode=clone",
                      f"settb={format_rate(1 / span.play_rate)}", "setpts=N"]
        chain = [
            f"trim=end_frame={plan.count}", *timing, *video_chain(facts, self.target),
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
        if self.infos[span.path].audio is None or span.play_rate == 0:
            return self._emit(silent_audio(samples))
        rate = self.target.rate
        position = max(span.first + show.skip * span.play_rate / rate, Fraction(0))
        frame = math.floor(position)
        seek = (frame - Fraction(1, 2)) / span.rate if frame else Fraction(0)
        begin = position / span.rate - seek
        length = Fraction(show.frames) / rate * span.speed
        pad = self._input(span.path, seek, "a")
        chain = [f"atrim=start={seconds_arg(begin)}:end={seconds_arg(begin + length)}",
                 *_sound_chain(span.speed, self.target, samples)]
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
