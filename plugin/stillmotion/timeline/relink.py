"""Relink offline clips to media found in the folders the user names, the way NLEs relink EDLs.

Why one place: every command that reads a timeline (generate, batch, extend, remix, takes,
fill-gap, review, stitch --timeline, turnover, ingest) goes through
:func:`stillmotion.timeline.io.read_timeline`, which calls :func:`relink` with the folders of
the current :func:`reading_options` — so a clip is relinked by the same rule whatever reads it.

The rule, for each clip whose media is offline (a MissingReference, as EDLs and Resolve give,
or a file path that does not exist here); generators, image sequences and clips already online
are left alone:

1. **File name.** The name at the end of the clip's media path (``/Volumes/A/A001.mov`` or
   ``D:\\media\\A001.mov``) is looked for, case-insensitively, anywhere under the folders.
2. **Reel or clip name plus source timecode.** Otherwise files whose name or stem equals the
   clip's reel (EDL ``reel``) or its clip name (``* FROM CLIP NAME``) are probed, and kept when
   their own timecode range (start timecode and length) holds the clip's whole source range;
   when none does, files whose stem starts with the reel or name and ``_`` (a camera reel
   ``A001C003`` for ``A001C003_230101_R1AB.mov``) are tried by the same timecode test.

When step 1 finds several files, the timecode range chooses between them too. Exactly one file
is a match, reported in one line; two or more are refused with one sentence (an ambiguous
relink would grab a frame from the wrong take); none leaves the clip offline, and reading on
says where it was expected.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import opentimelineio as otio

from stillmotion.errors import ConfigError, StillmotionError, TimelineError
from stillmotion.media.probe import VideoFacts, probe
from stillmotion.timeline.media import local_path, media_file_name
from stillmotion.timeline.timebase import frames_at, whole

Report = Callable[[str], None]


@dataclass(frozen=True)
class ReadingOptions:
    """How the command line wants timelines read: an EDL's rate, relink folders, a reporter."""

    rate: str | None = None
    relink_dirs: tuple[Path, ...] = ()
    report: Report | None = None


_DEFAULT = ReadingOptions()
_OPTIONS: ContextVar[ReadingOptions | None] = ContextVar("stillmotion_reading", default=None)


@contextlib.contextmanager
def reading_options(options: ReadingOptions) -> Iterator[None]:
    """Read every timeline inside the block with ``options`` (the CLI sets them per command)."""
    token = _OPTIONS.set(options)
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def current_options() -> ReadingOptions:
    """The options of the innermost :func:`reading_options` block (defaults outside one)."""
    return _OPTIONS.get() or _DEFAULT


def reading_context() -> dict[str, Any]:
    """The current options as JSON-ready values, for a job's context (``jobs resume`` reads the
    timeline again later, in another process, and must read it the same way)."""
    options = current_options()
    return {"rate": options.rate, "relink_dirs": [str(d) for d in options.relink_dirs]}


def options_from_context(saved: Any) -> ReadingOptions:
    """The options :func:`reading_context` saved (defaults for a job saved without them),
    reporting through the current reporter."""
    if not isinstance(saved, Mapping):
        return current_options()
    rate = saved.get("rate")
    folders = tuple(Path(str(d)) for d in saved.get("relink_dirs") or ())
    return ReadingOptions(rate=str(rate) if rate is not None else None, relink_dirs=folders,
                          report=current_options().report)


@dataclass(frozen=True)
class Relinked:
    """One clip pointed at a file found in a relink folder, and by which step."""

    clip_name: str
    path: Path
    how: str

    def sentence(self) -> str:
        return f"Relinked '{self.clip_name}' to {self.path} (by {self.how})."


def relink(
    timeline: Any,
    folders: Sequence[Path],
    *,
    base_dir: Path | None = None,
    report: Report | None = None,
) -> list[Relinked]:
    """Point each offline clip of ``timeline`` at its file under ``folders`` (module rule).

    ``base_dir`` is the timeline file's folder (relative media paths are online when they
    resolve there). Edits the clips in place, reports each match through ``report`` and
    returns them. ConfigError for a folder that does not exist; TimelineError for an
    ambiguous match.
    """
    if not folders:
        return []
    index = _FileIndex(folders)
    done: list[Relinked] = []
    for clip in timeline.find_clips():
        if not _offline(clip, base_dir):
            continue
        found = _match(clip, index)
        if found is None:
            continue
        path, how = found
        _point_at(clip, path)
        done.append(Relinked(str(clip.name or path.name), path, how))
        if report is not None:
            report(done[-1].sentence())
    return done


class _FileIndex:
    """Every file under the folders, by lower-case name and stem, probed at most once.

    The folders are checked at once but walked only when a clip is offline: the first
    ``--media-dir`` is also where generated clips pile up, and a timeline with every clip
    online should not pay for walking it on each read.
    """

    def __init__(self, folders: Sequence[Path]) -> None:
        self._roots = [Path(folder).expanduser() for folder in folders]
        for root in self._roots:
            if not root.is_dir():
                raise ConfigError(
                    f"The relink folder {root} does not exist or is not a folder; give the "
                    "folder that holds the media."
                )
        self._names: tuple[dict[str, list[Path]], dict[str, list[Path]]] | None = None
        self._facts: dict[Path, VideoFacts | None] = {}

    @property
    def by_name(self) -> dict[str, list[Path]]:
        return self._walked()[0]

    @property
    def by_stem(self) -> dict[str, list[Path]]:
        return self._walked()[1]

    def _walked(self) -> tuple[dict[str, list[Path]], dict[str, list[Path]]]:
        if self._names is None:
            by_name: dict[str, list[Path]] = {}
            by_stem: dict[str, list[Path]] = {}
            for root in self._roots:
                for path in sorted(root.rglob("*")):
                    if path.is_file() and not path.name.startswith("."):
                        absolute = path.absolute()
                        by_name.setdefault(path.name.lower(), []).append(absolute)
                        by_stem.setdefault(path.stem.lower(), []).append(absolute)
            self._names = (by_name, by_stem)
        return self._names

    def facts(self, path: Path) -> VideoFacts | None:
        if path not in self._facts:
            try:
                self._facts[path] = probe(path).require_video()
            except StillmotionError:
                self._facts[path] = None
        return self._facts[path]


def _offline(clip: Any, base_dir: Path | None) -> bool:
    reference = clip.media_reference
    if isinstance(reference, otio.schema.MissingReference):
        return True
    if not isinstance(reference, otio.schema.ExternalReference):
        return False
    try:
        local_path(clip, base_dir=base_dir)
    except TimelineError:
        return True
    return False


def _match(clip: Any, index: _FileIndex) -> tuple[Path, str] | None:
    name = media_file_name(clip)
    spellings = dict.fromkeys(n.lower() for n in (name, unquote(name)) if n)
    by_name = _unique([path for n in spellings for path in index.by_name.get(n, [])])
    if by_name:
        return _one(clip, by_name, index, "file name")
    keys = {key.lower() for key in _names(clip)}
    candidates = _unique([path for key in sorted(keys)
                          for path in index.by_name.get(key, []) + index.by_stem.get(key, [])])
    covering = [path for path in candidates if _covers(clip, index.facts(path))]
    if not covering:
        # A CMX reel is the camera's reel name, often the start of a longer file name
        # (reel A001C003, file A001C003_230101_R1AB.mov): the timecode must then decide.
        prefixed = _unique([path for stem, paths in sorted(index.by_stem.items())
                            for key in sorted(keys) if stem.startswith(f"{key}_")
                            for path in paths])
        covering = [path for path in prefixed if _covers(clip, index.facts(path))]
    if not covering:
        return None
    return _one(clip, covering, index, "reel or clip name and source timecode")


def _one(clip: Any, paths: list[Path], index: _FileIndex, how: str) -> tuple[Path, str]:
    if len(paths) > 1:
        paths = [path for path in paths if _covers(clip, index.facts(path))] or paths
        how = f"{how} and source timecode" if "timecode" not in how else how
    if len(paths) > 1:
        shown = ", ".join(str(path) for path in paths[:3])
        raise TimelineError(
            f"The offline clip '{clip.name}' matches {len(paths)} files in the relink folders "
            f"({shown}); remove the extra copies or name a narrower relink folder."
        )
    return paths[0], how


def _names(clip: Any) -> list[str]:
    """The reel and clip names an EDL or an NLE export gives an offline clip."""
    names = [str(clip.name or "")]
    for block in (clip.metadata or {}).values():
        if isinstance(block, Mapping) and block.get("reel"):
            names.append(str(block["reel"]))
    reference = clip.media_reference
    if isinstance(reference, otio.schema.MissingReference) and reference.name:
        names.append(str(reference.name))
    return [name.strip() for name in names if name.strip()]


def _covers(clip: Any, facts: VideoFacts | None) -> bool:
    """True when the file's timecode range holds the clip's whole source range."""
    if facts is None:
        return False
    source = clip.source_range
    if source is None:
        return True
    first = frames_at(source.start_time, facts.rate) - facts.start_frame
    length = frames_at(source.duration, facts.rate)
    return whole(first) >= 0 and whole(first + length) <= facts.frame_count


def _unique(paths: list[Path]) -> list[Path]:
    return list(dict.fromkeys(paths))


def _point_at(clip: Any, path: Path) -> None:
    """Replace the clip's reference by one on ``path`` (a bare absolute path, as Resolve likes),
    keeping a known available range and the reference's metadata."""
    old = clip.media_reference
    available = getattr(old, "available_range", None)
    metadata = dict(old.metadata) if old.metadata is not None else {}
    clip.media_reference = otio.schema.ExternalReference(
        target_url=str(path), available_range=available, metadata=metadata)

