"""What the server's workers call to make pictures: the preview renderer behind one protocol.

Why a protocol: the server owns jobs, not pixels. The default :class:`PreviewEngine` delegates to
``stillmotion.preview`` (the procedural camera-move renderer); tests of other areas may pass a
different engine (one that fails, or is slow) through ``ServerOptions.engine``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from stillmotion.media.ffmpeg import Progress, ProgressCallback

FractionCallback = Callable[[float], None]
"""Receives the share of the render done, 0.0..1.0."""


class Engine(Protocol):
    """Renders for the server; every method writes its output file or raises."""

    def render(self, output: Path, *, prompt: str, size: tuple[int, int], seconds: int,
               image: Path | None, last_image: Path | None, fast: bool, sound: bool,
               on_progress: FractionCallback) -> None:
        """A new clip (``image`` is its first frame, ``last_image`` its last, when given);
        ``sound`` False: without an audio stream (a request that asked for no sound)."""
        ...

    def extend(self, output: Path, *, source_video: Path, prompt: str, seconds: int,
               size: tuple[int, int], fast: bool, on_progress: FractionCallback) -> None:
        """``source_video`` continued from its last frame by ``seconds``, stitched (the output
        holds the source followed by the new part)."""
        ...

    def thumbnail(self, video: Path, output: Path) -> None:
        """A WebP still of ``video``."""
        ...

    def spritesheet(self, video: Path, output: Path) -> None:
        """A JPEG grid of frames of ``video``."""
        ...

    def first_frame(self, video: Path, output: Path) -> None:
        """The first frame of ``video`` as a PNG (edits start from it)."""
        ...


def _reporter(on_progress: FractionCallback) -> ProgressCallback:
    """An ffmpeg progress callback feeding ``on_progress`` the share done (when known)."""

    def report(progress: Progress) -> None:
        share = progress.fraction
        if share is not None:
            on_progress(share)

    return report


class PreviewEngine:
    """The built-in engine: ``stillmotion.preview`` renders, ``media.frames`` grabs frames."""

    def render(self, output: Path, *, prompt: str, size: tuple[int, int], seconds: int,
               image: Path | None, last_image: Path | None, fast: bool, sound: bool,
               on_progress: FractionCallback) -> None:
        from stillmotion.preview import render_preview

        render_preview(output, prompt=prompt, size=size, seconds=seconds, image=image,
                       last_image=last_image, fast=fast, sound=sound,
                       on_progress=_reporter(on_progress))

    def extend(self, output: Path, *, source_video: Path, prompt: str, seconds: int,
               size: tuple[int, int], fast: bool, on_progress: FractionCallback) -> None:
        from stillmotion.preview import render_extension

        render_extension(output, source_video=source_video, prompt=prompt, seconds=seconds,
                         size=size, fast=fast, on_progress=_reporter(on_progress))

    def thumbnail(self, video: Path, output: Path) -> None:
        from stillmotion.preview import render_thumbnail

        render_thumbnail(video, output)

    def spritesheet(self, video: Path, output: Path) -> None:
        from stillmotion.preview import render_spritesheet

        render_spritesheet(video, output)

    def first_frame(self, video: Path, output: Path) -> None:
        from stillmotion.media.frames import grab_frame

        grab_frame(video, output, frame=0, overwrite=True)
