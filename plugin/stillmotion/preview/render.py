"""Render preview clips with ffmpeg: a still animated along the prompt's camera path.

Why this shape: the local server answers ``/v1/videos`` jobs offline with real, playable
clips that behave like generated ones (H.264 + AAC MP4, exact size, 30 fps, exactly
``seconds`` long, a sound stream unless asked for none) but can never be mistaken for them
(visible PREVIEW mark, ``comment=stillmotion preview`` and ``stillmotion_preview=1`` tags).
One ffmpeg run per clip: the still is decoded and fitted once, repeated in memory (``loop``),
moved by the ``perspective`` camera (:mod:`stillmotion.preview.camera`), marked and encoded.
Without a reference image the still is a backdrop with the prompt written on it. An extension
animates the source's last frame (its old mark erased first) and joins it after the source.

A last image (first+last frame models, ``fill-gap``) is a second still moved by the same camera
and faded in over the first (alpha ``fade`` by frame count, then ``overlay``) during the path's
resolve (:func:`stillmotion.preview.path.plan` with ``ends_on_last``): frame 0 is the first
image, the last frame is the last image exactly, and the mix only rises in between. The PREVIEW
mark stays on every frame, the two edge frames included: those are the frames an editor
scrubs to at a join, so they above all must not pass for a generated take. Whoever compares
an edge with its source masks the mark's known box (:func:`overlay.mark_rect`).

``fast`` is for load tests: the camera runs at half size with linear sampling and x264
``ultrafast``; the output size and length do not change.
"""

from __future__ import annotations

import math
import tempfile
from fractions import Fraction
from pathlib import Path

from stillmotion.errors import ConfigError
from stillmotion.files import atomic_path, check_output
from stillmotion.media.ffmpeg import ProgressCallback, media_arg, run
from stillmotion.media.fit import fit_filters
from stillmotion.media.frames import last_frame
from stillmotion.media.marks import PREVIEW_COMMENT, PREVIEW_TAG, is_preview
from stillmotion.media.probe import probe
from stillmotion.preview.audio import (
    BED_TAG,
    SAMPLE_RATE,
    Bed,
    audio_chain,
    audio_source,
    sound_bed,
)
from stillmotion.preview.camera import camera_filter
from stillmotion.preview.overlay import (
    backdrop_filters,
    backdrop_source,
    erase_mark_filter,
    find_font,
    mark_filters,
    wrap_prompt,
)
from stillmotion.preview.path import CameraPath, plan

DEFAULT_FPS = 30
MAX_SECONDS = 600
_BT709 = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
_TO_YUV = ["scale=out_color_matrix=bt709:out_range=tv", "format=yuv420p"]


def render_preview(
    output: Path,
    *,
    prompt: str,
    size: tuple[int, int],
    seconds: int,
    image: Path | None = None,
    last_image: Path | None = None,
    fps: int = DEFAULT_FPS,
    fast: bool = False,
    sound: bool = True,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Render a preview clip of ``prompt`` to ``output`` (MP4); returns the absolute path.

    ``image`` is the first frame (fitted to ``size`` by centre crop when its shape differs);
    without it a gradient backdrop carrying the prompt text is animated instead. ``last_image``
    (fitted the same way) is the last frame, reached by a cross-resolve over the end of the
    shot. The clip has exactly ``fps * seconds`` frames. ``output`` is replaced atomically if
    it exists. ``sound`` False: no audio stream at all (what a vendor returns when asked for no
    sound), else the bed the prompt chooses.
    """
    _check_shape(size, seconds, fps)
    stills = [still for still in (image, last_image) if still is not None]
    target = check_output(Path(output), inputs=stills, overwrite=True)
    for still in stills:
        probe(still).require_video()
    bed = sound_bed(prompt) if sound else None
    path = plan(prompt, seconds, ends_on_last=last_image is not None)
    with tempfile.TemporaryDirectory(prefix="stillmotion-preview-") as scratch:
        first = image if image is not None else _backdrop(Path(scratch), prompt, size)
        pictures = [first] if last_image is None else [first, last_image]
        inputs = [arg for still in pictures for arg in ("-framerate", str(fps), "-i",
                                                         media_arg(still))]
        graph = _picture_graph(path, size, fps, fast, ends_on_last=last_image is not None)
        audio_in: list[str] = []
        maps = ["-map", "[v]"]
        if bed is not None:
            shaped = ",".join(audio_chain(Fraction(seconds), bed))
            graph.append(f"[{len(pictures)}:a]{shaped}[a]")
            audio_in = ["-f", "lavfi", "-i", audio_source(prompt, bed)]
            maps += ["-map", "[a]"]
        args = [
            *inputs,
            *audio_in,
            *_graph_args(Path(scratch), graph),
            *maps,
            *_encode_args(fps * seconds, fps, fast, bed),
        ]
        _render(args, target, float(seconds), on_progress, "Rendering the preview")
    return target


def render_extension(
    output: Path,
    *,
    source_video: Path,
    prompt: str,
    seconds: int,
    size: tuple[int, int],
    fast: bool = False,
    fps: int = DEFAULT_FPS,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Continue ``source_video`` from its last frame for ``seconds`` more, joined after it.

    The output is the source (fitted to ``size``, at ``fps``) followed by the continuation, so
    it lasts the source's length plus ``seconds`` (the stitched total a ``/v1/videos``
    extension reports). A preview source's mark is erased from the last frame before it moves.
    """
    _check_shape(size, seconds, fps)
    target = check_output(Path(output), inputs=[source_video], overwrite=True)
    info = probe(source_video, count_frames=True)
    video = info.require_video()
    source_frames = max(1, round(video.frame_count / video.rate * fps))
    source_seconds = Fraction(source_frames, fps)
    bed = sound_bed(prompt)
    path = plan(prompt, seconds)
    with tempfile.TemporaryDirectory(prefix="stillmotion-extend-") as scratch:
        still = last_frame(source_video, Path(scratch) / "last.png")
        erase = [erase_mark_filter(video.size)] if is_preview(info) else []
        # A silent source gets a silent bed of its own (input 3) so both segments have sound.
        silent_input = [] if info.audio is not None else [
            "-f", "lavfi", "-i", audio_source("", Bed.SILENCE)]
        source_audio = "0:a" if info.audio is not None else "3:a"
        graph = [
            f"[0:v]{','.join(fit_filters(size, 'crop', sar=video.sar))},fps={fps},"
            f"{','.join(_TO_YUV)},trim=end_frame={source_frames},setpts=PTS-STARTPTS,"
            f"{_BT709}[sv]",
            f"[1:v]{','.join([*erase, *_moving(path, size, fps, fast), *_finish(size, fast)])}"
            "[cv]",
            f"[{source_audio}]aresample={SAMPLE_RATE},apad,"
            f"{','.join(audio_chain(source_seconds, Bed.SILENCE))}[sa]",
            f"[2:a]{','.join(audio_chain(Fraction(seconds), bed))}[ca]",
            "[sv][sa][cv][ca]concat=n=2:v=1:a=1[v][a]",
        ]
        args = [
            "-i", media_arg(source_video),
            "-framerate", str(fps), "-i", media_arg(still),
            "-f", "lavfi", "-i", audio_source(prompt, bed),
            *silent_input,
            *_graph_args(Path(scratch), graph),
            "-map", "[v]", "-map", "[a]",
            *_encode_args(source_frames + fps * seconds, fps, fast, bed),
        ]
        total = float(source_seconds + seconds)
        _render(args, target, total, on_progress, "Rendering the extension")
    return target


def _picture_graph(path: CameraPath, size: tuple[int, int], fps: int, fast: bool, *,
                   ends_on_last: bool) -> list[str]:
    """The video part of the graph: input 0 (and 1, the last image) to marked frames ``[v]``."""
    moving = ",".join(_moving(path, size, fps, fast))
    finish = ",".join(_finish(size, fast))
    if not ends_on_last:
        return [f"[0:v]{moving},{finish}[v]"]
    return [
        f"[0:v]{moving}[first]",
        f"[1:v]{moving},format=yuva420p,{_resolve_fade(path, fps)}[last]",
        f"[first][last]overlay=format=yuv420,{finish}[v]",
    ]


def _resolve_fade(path: CameraPath, fps: int) -> str:
    """The alpha fade-in of the last image over the resolve, by frame count.

    ``fade`` counts its frames from 0: transparent until ``s``, rising over ``n`` frames, and
    untouched (opaque) once past ``s + n``, so ``n`` stops one frame short of the last frame,
    which therefore shows the last image alone.
    """
    assert path.resolve_start is not None
    last = int(path.seconds * fps) - 1
    start = max(0, min(last - 1, math.ceil(path.resolve_start * fps)))
    return f"fade=t=in:s={start}:n={max(1, last - start - 1)}:alpha=1"


def _moving(path: CameraPath, size: tuple[int, int], fps: int, fast: bool) -> list[str]:
    """A decoded still to frames moving along ``path`` (at half size when ``fast``)."""
    width, height = size
    inner = (max(16, width // 4 * 2), max(16, height // 4 * 2)) if fast else size
    return [
        *fit_filters(inner, "crop"),
        *_TO_YUV,
        "loop=loop=-1:size=1",
        f"setpts=N/{fps}/TB",
        camera_filter(path, fps, cubic=not fast),
    ]


def _finish(size: tuple[int, int], fast: bool) -> list[str]:
    """Moving frames to the output: back to ``size`` when ``fast``, marked, tagged BT.709."""
    width, height = size
    scale = [f"scale={width}:{height}:flags=bilinear"] if fast else []
    return [*scale, *mark_filters(size, find_font()), _BT709]


def _backdrop(scratch: Path, prompt: str, size: tuple[int, int]) -> Path:
    """Render the no-image still: gradient, faint grid and the prompt text."""
    font = find_font()
    text_file = None
    if font is not None and prompt.strip():
        text_file = scratch / "prompt.txt"
        text_file.write_text(wrap_prompt(prompt, size), encoding="utf-8")
    still = scratch / "backdrop.png"
    run(
        ["-f", "lavfi", "-i", backdrop_source(size),
         "-vf", ",".join(backdrop_filters(size, font, text_file)),
         "-frames:v", "1", "-c:v", "png", "-f", "image2", "-update", "1", "-y",
         media_arg(still)],
        output=still, what="Drawing the preview backdrop",
    )
    return still


def _graph_args(scratch: Path, graph: list[str]) -> list[str]:
    """``-/filter_complex <file>``: camera expressions can outgrow a command-line argument."""
    script = scratch / "graph.txt"
    script.write_text(";\n".join(graph), encoding="utf-8")
    return ["-/filter_complex", str(script)]


def _encode_args(frames: int, fps: int, fast: bool, bed: Bed | None) -> list[str]:
    """H.264 + AAC in MP4 with the preview tags (and which bed, or ``none`` without an audio
    stream), exactly ``frames`` pictures."""
    quality = ["-preset", "ultrafast", "-crf", "26"] if fast else ["-preset", "veryfast",
                                                                    "-crf", "18"]
    return [
        "-frames:v", str(frames), "-r", str(fps),
        "-c:v", "libx264", *quality, "-pix_fmt", "yuv420p",
        "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
        *([] if bed is None else ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]),
        "-metadata", f"comment={PREVIEW_COMMENT}",
        "-metadata", f"{PREVIEW_TAG}=1",
        "-metadata", f"{BED_TAG}={'none' if bed is None else bed.value}",
        "-movflags", "+use_metadata_tags+faststart",
        "-f", "mp4",
    ]


def _render(
    args: list[str], target: Path, total: float, on_progress: ProgressCallback | None,
    what: str,
) -> None:
    with atomic_path(target) as temp:
        run([*args, "-y", media_arg(temp)], output=target, total_seconds=total,
            on_progress=on_progress, what=what)


def _check_shape(size: tuple[int, int], seconds: int, fps: int) -> None:
    width, height = size
    if width < 16 or height < 16 or width % 2 or height % 2 or max(width, height) > 8192:
        raise ConfigError(
            f"Preview size {width}x{height} cannot be rendered; give even sizes from 16 to 8192."
        )
    if not 0 < seconds <= MAX_SECONDS or int(seconds) != seconds:
        raise ConfigError(
            f"Preview length {seconds} s is not possible; give whole seconds from 1 to "
            f"{MAX_SECONDS}."
        )
    if not 1 <= fps <= 120:
        raise ConfigError(f"Preview rate {fps} fps is not possible; give 1 to 120 fps.")
