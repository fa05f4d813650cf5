"""``--media-dir``, ``--relink-dir`` and ``--rate``: how every timeline-reading command reads its
timeline, and where the commands that generate clips write them.

Why a decorator: ten commands read timelines (generate, batch, extend, remix, takes,
fill-gap, review, stitch, turnover, ingest), some through the jobs and finishing layers. Rather
than thread the options through each, :func:`reads_timeline` adds the flags to a command's
signature and runs its body inside :func:`stillmotion.timeline.relink.reading_options`, which
:func:`stillmotion.timeline.io.read_timeline` consults — one rule, one place.

The two folder flags (both repeatable):

- ``--media-dir DIR`` names a folder where media lives: offline clips are relinked from every
  DIR given (the issue's name, the flag an editor looks for). On the commands that write
  generated clips (generate, batch, extend, remix, fill-gap: those whose function takes a
  ``media_dir`` parameter), the FIRST ``--media-dir`` is also where the clips are written, as
  it always was (default ``stillmotion_media/`` beside the output), so existing scripts keep
  working; that folder need not exist yet. ``review TIMELINE --media-dir DIR`` relinks the
  timeline from DIR; ``review --media-dir DIR`` alone reviews the clips in DIR (the command
  takes ``media_dirs``).
- ``--relink-dir DIR`` is searched the same way but never receives generated clips, for an
  editor who does not want AI clips written into a camera folder.

:func:`relink_folders` decides the folders searched and :func:`output_media_dir` the folder
written to; the folders searched are kept in the job's ledger row (``relink_dirs``), so
``jobs resume`` reads the timeline again the same way.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from stillmotion.cli.console import err_console

MediaDirsOpt = Annotated[list[Path] | None, typer.Option(
    "--media-dir", metavar="DIR",
    help="Folder where media lives: offline clips are relinked from it by file name, then by "
    "reel or clip name and source timecode (repeatable; an EDL with clip names only needs "
    "it). On commands that generate clips the first one also receives them (default: "
    "stillmotion_media/ beside the output).")]
RelinkDirOpt = Annotated[list[Path] | None, typer.Option(
    "--relink-dir", metavar="DIR",
    help="Like --media-dir for relinking, but never receives generated clips (repeatable).")]
RateOpt = Annotated[str | None, typer.Option(
    "--rate", metavar="RATE",
    help="An EDL's frame rate: 23.976, 24, 25, 29.97, 59.94 … (';' in its timecodes means drop "
    "frame). Other formats carry their own rate: a --rate that differs is refused.")]

F = TypeVar("F", bound=Callable[..., Any])

# The command's own parameters the decorator fills in (they are not command-line options).
_OUTPUT = "media_dir"      # a command that writes generated clips: the folder they go to
_FOLDERS = "media_dirs"    # a command that wants every --media-dir as given (review)


def relink_folders(media_dirs: Sequence[Path], relink_dirs: Sequence[Path], *,
                   receives_clips: bool) -> tuple[Path, ...]:
    """The folders offline clips are relinked from: every ``--media-dir``, then every
    ``--relink-dir``, each once. When the first ``--media-dir`` receives generated clips
    (``receives_clips``) and does not exist yet, it is not searched: it is created when the
    first clip is written, and has nothing to relink to before."""
    searched = list(media_dirs)
    if receives_clips and searched and not searched[0].expanduser().exists():
        searched = searched[1:]
    return tuple(dict.fromkeys([*searched, *relink_dirs]))


def output_media_dir(media_dirs: Sequence[Path]) -> Path | None:
    """Where generated clips are written: the first ``--media-dir`` (None: the default,
    ``stillmotion_media/`` beside the output, chosen by ``stillmotion.jobs.shots``)."""
    return media_dirs[0] if media_dirs else None


def _reporter() -> Callable[[str], None]:
    """Print each sentence once per command: a command reads its timeline more than once
    (to locate, then to place), and each read relinks the same clips again."""
    said: set[str] = set()

    def report(sentence: str) -> None:
        if sentence not in said:
            said.add(sentence)
            err_console.print(sentence, markup=False, highlight=False)
    return report


def reads_timeline(command: F) -> F:
    """Give ``command`` the ``--media-dir``, ``--relink-dir`` and ``--rate`` flags and apply
    them to its reads; a ``media_dir`` parameter of ``command`` receives
    :func:`output_media_dir`, a ``media_dirs`` parameter the folders as given."""
    signature = inspect.signature(command, eval_str=True)
    names = set(signature.parameters)
    receives_clips = _OUTPUT in names
    added = [
        inspect.Parameter("media_dir_option", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=MediaDirsOpt),
        inspect.Parameter("relink_dir", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=RelinkDirOpt),
        inspect.Parameter("edl_rate", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=RateOpt),
    ]
    parameters = [p for p in signature.parameters.values() if p.name not in (_OUTPUT, _FOLDERS)]
    keyword = [p for p in parameters if p.kind == inspect.Parameter.KEYWORD_ONLY]
    positional = [p for p in parameters if p.kind != inspect.Parameter.KEYWORD_ONLY]

    @functools.wraps(command)
    def wrapper(*args: Any, media_dir_option: list[Path] | None = None,
                relink_dir: list[Path] | None = None, edl_rate: str | None = None,
                **kwargs: Any) -> Any:
        from stillmotion.timeline.relink import ReadingOptions, reading_options

        media_dirs = list(media_dir_option or ())
        if receives_clips:
            kwargs[_OUTPUT] = output_media_dir(media_dirs)
        if _FOLDERS in names:
            kwargs[_FOLDERS] = media_dirs
        folders = relink_folders(media_dirs, relink_dir or (), receives_clips=receives_clips)
        options = ReadingOptions(rate=edl_rate, relink_dirs=folders, report=_reporter())
        with reading_options(options):
            return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=positional + keyword + added)
    annotations = {k: v for k, v in command.__annotations__.items()
                   if k not in (_OUTPUT, _FOLDERS)}
    wrapper.__annotations__ = {**annotations, "media_dir_option": MediaDirsOpt,
                               "relink_dir": RelinkDirOpt, "edl_rate": RateOpt}
    return wrapper  # type: ignore[return-value]
