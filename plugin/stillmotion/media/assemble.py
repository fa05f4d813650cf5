"""Render an edit (:class:`~stillmotion.media.assembly.Assembly`) into one master, choosing how.

Why a module of its own: this is the ffmpeg half of rendering a timeline.
:mod:`stillmotion.timeline.render` turns an OTIO timeline into an Assembly of plain values (no
OTIO here). Plain cuts of intra-only masters with their own sound go to
:func:`stillmotion.media.stitch.stitch`, which joins them by stream copy when every stream
matches; anything else is one filter graph (:mod:`stillmotion.media.graph`, where the frame,
dissolve and sound rules are written). A long edit is rendered in consecutive parts of at most
``GRAPH_INPUTS`` ffmpeg inputs, joined by copy, so hundreds of clips never open hundreds of
files in one process.
"""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

from stillmotion.errors import ConfigError
from stillmotion.files import atomic_path, check_output
from stillmotion.media.assembly import (
    Assembly,
    Blank,
    Dissolve,
    Show,
    split,
)
from stillmotion.media.conform import (
    DEFAULT_PRESET,
    ConformTarget,
    Preset,
    get_preset,
    make_target,
    render_graph,
)
from stillmotion.media.ffmpeg import Progress, ProgressCallback
from stillmotion.media.graph import Graph
from stillmotion.media.probe import MediaInfo, probe
from stillmotion.media.segments import Segment
from stillmotion.media.stitch import StitchResult, stitch

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
        return _stitch_bounded(_segments(assembly), output, preset=chosen.name, size=size,
                               rate=assembly.rate, fit=fit, overwrite=overwrite,
                               on_progress=on_progress, max_inputs=max_inputs)
    paths = list(dict.fromkeys(span.path for span in assembly.spans()))
    target_path = check_output(output, inputs=paths, overwrite=overwrite)
    infos = {path: probe(path) for path in paths}
    first_video = next((infos[span.path].video for span in assembly.spans()
                        if infos[span.path].video is not None), None)
    target = make_target(first_video, preset=chosen, size=size, rate=assembly.rate, fit=fit)
    inputs, graph = Graph(target, infos).build(assembly)
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


def _stitch_bounded(segments: list[Segment], output: Path, *, preset: str,
                    size: tuple[int, int] | None, rate: Fraction, fit: str, overwrite: bool,
                    on_progress: ProgressCallback | None, max_inputs: int) -> StitchResult:
    """:func:`stitch` of any number of cuts with at most ``max_inputs`` inputs per ffmpeg: more
    cuts are stitched in groups (each by copy when its files allow, else one graph) whose
    masters are then stitched together (by copy: they share one format)."""
    if len(segments) <= max_inputs:
        return stitch(segments, output, preset=preset, size=size, rate=rate, fit=fit,
                      overwrite=overwrite, on_progress=on_progress)
    target_path = check_output(output, inputs=[s.path for s in segments if s.path],
                               overwrite=overwrite)
    groups = [segments[k:k + max_inputs] for k in range(0, len(segments), max_inputs)]
    extension = get_preset(preset).extension
    with atomic_path(target_path) as temp, tempfile.TemporaryDirectory(
            prefix=f".{target_path.stem}.groups-", dir=target_path.parent) as work:
        joined = [
            _stitch_bounded(group, Path(work) / f"group{index:04d}{extension}", preset=preset,
                            size=size, rate=rate, fit=fit, overwrite=True, on_progress=None,
                            max_inputs=max_inputs)
            for index, group in enumerate(groups)
        ]
        whole = _stitch_bounded([Segment(part.path) for part in joined], temp, preset=preset,
                                size=size, rate=rate, fit=fit, overwrite=True,
                                on_progress=on_progress, max_inputs=max_inputs)
    copied = all(part.method == "copy" for part in joined)
    refused = next((part.copy_refused for part in joined if part.copy_refused), None)
    return StitchResult(target_path, "copy" if copied else "graph", whole.frames, whole.rate,
                        refused, None)


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
    return Graph(target, infos).build(part)[0].count("-i")


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
            inputs, graph = Graph(target, infos, origin=origin).build(part)
            offset = Fraction(origin) / target.rate
            render_graph(inputs, graph, target, path, frames=part.frames,
                         on_progress=_shifted(on_progress, offset, total),
                         what=f"Rendering part {index + 1} of {len(cuts) + 1}")
            paths.append(path)
        _stitch_bounded([Segment(path) for path in paths], output, preset=final_preset,
                        size=target.size, rate=target.rate, fit="letterbox", overwrite=True,
                        on_progress=None, max_inputs=max_inputs)


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


