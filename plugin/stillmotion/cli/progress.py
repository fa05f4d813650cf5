"""A rich progress bar fed by ffmpeg progress events, so every long run shows how far it is."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from stillmotion.cli.console import err_console

if TYPE_CHECKING:
    from stillmotion.media.ffmpeg import Progress as FFmpegProgress
    from stillmotion.media.ffmpeg import ProgressCallback


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[ProgressCallback]:
    """Yield a callback that advances a bar on stderr; quiet when stderr is not a terminal."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=1.0)

        def update(event: FFmpegProgress) -> None:
            fraction = event.fraction
            if fraction is not None:
                bar.update(task, completed=fraction)

        yield update
