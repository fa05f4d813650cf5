"""Safe output paths: refuse to clobber, write under a temporary name, rename only on success.

Why: an editor must never find a half-written master or timeline where a good one is expected,
nor lose a file to a typo that names an input as the output.
"""

from __future__ import annotations

import contextlib
import glob
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from stillmotion.errors import ConfigError

MEDIA_FOLDER = "stillmotion_media"
"""The folder beside an output timeline that holds its conformed clips. Here, in a leaf, because
the jobs layer writes there and the OTIO media linker looks there, and the linker must not load
the jobs layer to read one name."""


def check_output(output: Path, *, inputs: Iterable[Path] = (), overwrite: bool = False) -> Path:
    """Validate an output path before any work; returns it absolute.

    Refuses an output that is one of the inputs (even through another spelling or a link), an
    existing file without ``overwrite``, a folder, and a parent folder that does not exist.
    """
    target = Path(output).expanduser().absolute()
    for item in inputs:
        source = Path(item).expanduser().absolute()
        same = source == target
        if not same and source.exists() and target.exists():
            same = source.samefile(target)
        if same:
            raise ConfigError(
                f"The output {target.name} is also an input; choose another output name."
            )
    if target.is_dir():
        raise ConfigError(f"The output {target} is a folder; give a file name.")
    if target.exists() and not overwrite:
        raise ConfigError(
            f"{target} already exists; choose another name or pass --overwrite to replace it."
        )
    if not target.parent.is_dir():
        raise ConfigError(f"The folder {target.parent} does not exist; create it first.")
    return target


def writable_folder(folder: Path) -> Path:
    """Create ``folder`` if needed and prove a file can be written in it; returns it.

    Why a probe and not a permission check: as root, or on a read-only or full volume, the
    permission bits say nothing; a job must be refused before it is paid for, not after the
    download has nowhere to go.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / ".stillmotion-write-check") as probe:
            probe.write_bytes(b"")
            probe.unlink()
    except OSError as exc:
        raise ConfigError(f"Cannot write into the media folder {folder} "
                          f"({exc.strerror or exc}); choose another with --media-dir.") from exc
    return folder


def temporary_sibling(final: Path) -> Path:
    """A hidden name beside ``final`` with the same suffix (ffmpeg picks the muxer from it)."""
    token = secrets.token_hex(4)
    return final.with_name(f".{final.stem}.partial-{token}{final.suffix}")


def remove_partials(final: Path) -> None:
    """Delete temporary siblings of ``final`` left by a process killed mid-write (a kill skips
    :func:`atomic_path`'s clean-up); call before writing ``final`` again, e.g. on resume."""
    pattern = f".{glob.escape(final.stem)}.partial-*{glob.escape(final.suffix)}"
    for stale in final.parent.glob(pattern):
        stale.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path; rename it onto ``final`` if the block succeeds, else delete it."""
    temp = temporary_sibling(final)
    try:
        yield temp
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if not temp.exists():
        return
    temp.replace(final)


def atomic_write_bytes(final: Path, data: bytes) -> None:
    """Write bytes to ``final`` through a temporary sibling and an atomic rename."""
    with atomic_path(final) as temp:
        temp.write_bytes(data)


def atomic_write_text(final: Path, text: str) -> None:
    """Write UTF-8 text to ``final`` through a temporary sibling and an atomic rename."""
    atomic_write_bytes(final, text.encode("utf-8"))
