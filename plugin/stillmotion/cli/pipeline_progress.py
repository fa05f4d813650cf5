"""A rich progress display for pipeline events (estimate, submit, wait %, download, conform).

Why separate from ``progress.py``: a generation has stages of its own, one of which (waiting)
is driven by the provider's percentage rather than by ffmpeg.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from stillmotion.cli.console import err_console
from stillmotion.jobs.pipeline import EventHandler, PipelineEvent


@contextlib.contextmanager
def pipeline_progress(quiet: bool = False) -> Iterator[EventHandler]:
    """Yield an event handler drawing one bar per stage on stderr (a line per stage when
    stderr is not a terminal, so logs still show what happened)."""
    live = err_console.is_terminal and not quiet
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not live,
    ) as bar:
        tasks: dict[str, TaskID] = {}
        said: set[tuple[str, str]] = set()

        def handle(event: PipelineEvent) -> None:
            if event.stage in ("estimate", "sign") and not quiet:
                err_console.print(event.message, markup=False)
                return
            if not live:
                key = (event.stage, event.message)
                if not quiet and key not in said and event.stage != "wait":
                    said.add(key)
                    err_console.print(event.message, markup=False)
                return
            task = tasks.get(event.stage)
            if task is None:
                task = bar.add_task(event.message, total=1.0)
                tasks[event.stage] = task
            bar.update(task, description=event.message,
                       completed=event.fraction if event.fraction is not None else 0.0)

        yield handle
