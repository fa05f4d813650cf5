"""``--relink-dir`` and ``--rate``: how every timeline-reading command reads its timeline.

Why a decorator: ten commands read timelines (generate, batch, extend, remix, takes,
fill-gap, review, stitch, turnover, ingest), some through the jobs and finishing layers. Rather
than thread two options through each, :func:`reads_timeline` adds the two flags to a command's
signature and runs its body inside :func:`stillmotion.timeline.relink.reading_options`, which
:func:`stillmotion.timeline.io.read_timeline` consults — one rule, one place.

Why ``--relink-dir`` and not ``--media-dir``: ``generate``, ``batch`` and ``review`` already
take ``--media-dir`` meaning where generated clips go (or are found); giving it a second
meaning would send generated clips into the camera-media folder or break existing scripts.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from stillmotion.cli.console import err_console
from stillmotion.timeline.relink import ReadingOptions, reading_options

RelinkDirOpt = Annotated[list[Path] | None, typer.Option(
    "--relink-dir", metavar="DIR",
    help="Folder to search for offline media, by file name, then by reel or clip name and "
    "source timecode (repeatable; an EDL with clip names only needs it).")]
RateOpt = Annotated[str | None, typer.Option(
    "--rate", metavar="RATE",
    help="An EDL's frame rate: 23.976, 24, 25, 29.97, 59.94 … (';' in its timecodes means drop "
    "frame). Other formats carry their own rate.")]

F = TypeVar("F", bound=Callable[..., Any])


def _report(sentence: str) -> None:
    err_console.print(sentence, markup=False, highlight=False)


def reads_timeline(command: F) -> F:
    """Give ``command`` the ``--relink-dir`` and ``--rate`` flags and apply them to its reads."""
    signature = inspect.signature(command, eval_str=True)
    added = [
        inspect.Parameter("relink_dir", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=RelinkDirOpt),
        inspect.Parameter("edl_rate", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=RateOpt),
    ]
    parameters = list(signature.parameters.values())
    keyword = [p for p in parameters if p.kind == inspect.Parameter.KEYWORD_ONLY]
    positional = [p for p in parameters if p.kind != inspect.Parameter.KEYWORD_ONLY]

    @functools.wraps(command)
    def wrapper(*args: Any, relink_dir: list[Path] | None = None,
                edl_rate: str | None = None, **kwargs: Any) -> Any:
        options = ReadingOptions(rate=edl_rate, relink_dirs=tuple(relink_dir or ()),
                                 report=_report)
        with reading_options(options):
            return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=positional + keyword + added)
    wrapper.__annotations__ = {**command.__annotations__, "relink_dir": RelinkDirOpt,
                               "edl_rate": RateOpt}
    return wrapper  # type: ignore[return-value]
