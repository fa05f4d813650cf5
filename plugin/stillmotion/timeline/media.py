"""Turn a clip's media reference into a local file path, or say plainly why it is offline.

Why: NLEs spell media locations many ways — bare absolute paths (Resolve), ``file://localhost/``
URLs with %20 escapes (Premiere, FCP), relative paths (hand-made OTIO, bundles) — and a grab
from the wrong or a missing file must stop with the file name and the place it was expected.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PureWindowsPath
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import opentimelineio as otio

from stillmotion.errors import TimelineError

_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def reference_url(reference: Any) -> str | None:
    """The target URL of an ExternalReference (None for any other reference kind)."""
    if isinstance(reference, otio.schema.ExternalReference):
        return str(reference.target_url or "") or None
    return None


def media_file_name(clip: Any) -> str:
    """The file name at the end of a clip's media path ('' without one), whichever separators
    the exporting machine used (``D:\\media\\A001.mov`` or ``/Volumes/A/A001.mov``)."""
    url = reference_url(clip.media_reference) or ""
    return re.split(r"[\\/]", url.rstrip("\\/"))[-1] if url else ""


def local_path(clip: Any, *, base_dir: Path | None = None) -> Path:
    """The existing local file behind ``clip``'s active media reference.

    ``file:`` URLs are decoded (``%20`` -> space); a bare path is tried as written and then
    URL-decoded; a relative path is resolved against ``base_dir`` (the timeline file's folder),
    else the current folder. Raises TimelineError for missing, generator, image-sequence, remote
    or not-found media, naming the clip and, when known, the expected file.
    """
    name = clip.name or "(unnamed)"
    reference = clip.media_reference
    if isinstance(reference, otio.schema.GeneratorReference):
        kind = reference.generator_kind or "generator"
        raise TimelineError(
            f"The clip '{name}' is a {kind} generator, not a media file; park the playhead on a "
            "shot."
        )
    if isinstance(reference, otio.schema.ImageSequenceReference):
        raise TimelineError(
            f"The clip '{name}' is an image sequence, which stillmotion cannot grab from; render "
            "it to a movie file and relink."
        )
    url = reference_url(reference)
    if url is None:
        raise TimelineError(
            f"The clip '{name}' is offline (the timeline names no media file for it); relink it "
            "in the editor and export the timeline again."
        )
    candidates = _candidates(url, name)
    folder = base_dir if base_dir is not None else Path.cwd()
    absolute = [c if c.is_absolute() else folder / c for c in candidates]
    for path in absolute:
        if path.is_file():
            return path
    drive_path = windows_drive_path(url)
    if drive_path is not None and os.name != "nt":
        raise TimelineError(
            f"The media of clip '{name}' is a Windows path, {drive_path}, which this machine "
            "cannot open; relink with --media-dir FOLDER (the folder now holding "
            f"{PureWindowsPath(drive_path).name}) or relink it in the editor."
        )
    expected = absolute[-1]
    raise TimelineError(
        f"The media of clip '{name}' is offline: {expected} does not exist; put the file back "
        "there or relink it in the editor."
    )


def windows_drive_path(url: str) -> str | None:
    """The Windows drive path (``D:/media/a.mov``) a reference names, bare, with backslashes
    or as a ``file:`` URL; None for anything else. Elsewhere than on Windows such a path is
    not relative to the timeline (it would be read as a folder named ``D:``)."""
    text = unquote(url.strip())
    if text.lower().startswith("file:"):
        text = re.sub(r"^file:(//(localhost)?)?/*", "", text, flags=re.IGNORECASE)
    if _DRIVE.match(text):
        return text.replace("\\", "/")
    return None


def file_url_path(url: str) -> Path | None:
    """The path a ``file:`` URL names (a host other than localhost is a UNC share), else None.

    One reading of file URLs for locate, Resolve shaping and the media linker alike.
    """
    parsed = urlparse(url)
    if parsed.scheme.lower() != "file":
        return None
    host = parsed.netloc if parsed.netloc not in ("", "localhost") else ""
    path = url2pathname(unquote(parsed.path))
    return Path(f"//{host}{path}" if host else path)


def _candidates(url: str, name: str) -> list[Path]:
    """Paths ``url`` may mean, most literal first (the last one is reported when none exists)."""
    from_url = file_url_path(url)
    if from_url is not None:
        return [from_url]
    if len(urlparse(url).scheme) > 1:
        raise TimelineError(
            f"The clip '{name}' points at {url}, which is not a local file; download it and "
            "relink."
        )
    literal = Path(url)
    decoded = Path(unquote(url))
    return [literal] if decoded == literal else [literal, decoded]
