"""OTIO media linker ``stillmotion_linker``: point generated clips at their conformed file.

Why: a timeline travels (another machine, an archive, a renamed project folder) while the
conformed masters move with their media folder; the clip's ``metadata["stillmotion"]`` still
names its job, which is enough to find the file again. Use it when reading::

    otio.adapters.read_from_file(
        "cut.stillmotion.otio", media_linker_name="stillmotion_linker",
        media_linker_argument_map={"media_dir": "/new/place/stillmotion_media"},
    )

Arguments (all optional): ``media_dir`` (the folder the conformed files are in now),
``base_dir`` (the timeline file's folder, for relative paths; also looks in its
``stillmotion_media``), ``ledger`` (the job ledger; default the configured one, never created).
The first existing file wins, in this order: the conformed file's name in ``media_dir``, the
clip's current target, the metadata's ``conformed_file``, the name in
``base_dir/stillmotion_media``, the ledger row's ``conformed`` file. Clips without our
metadata are left alone. A generated clip whose file is nowhere gets a MissingReference named
after the missing file and the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import StillmotionError
from stillmotion.files import MEDIA_FOLDER
from stillmotion.timeline.media import file_url_path, reference_url
from stillmotion.timeline.metadata import METADATA_NAMESPACE, plain


def link_media_reference(in_clip: Any, media_linker_argument_map: Any = None) -> Any:
    """The reference ``in_clip`` should use, or None to leave it as it is."""
    arguments = dict(media_linker_argument_map or {})
    return relinked_reference(
        in_clip,
        media_dir=_path(arguments.get("media_dir")),
        base_dir=_path(arguments.get("base_dir")),
        ledger=_path(arguments.get("ledger")),
    )


def relinked_reference(
    clip: Any,
    *,
    media_dir: Path | None = None,
    base_dir: Path | None = None,
    ledger: Path | None = None,
) -> Any:
    """A new ExternalReference on the conformed file of a generated clip, a MissingReference
    saying what is missing, or None (not a generated clip, or already pointing at its file while
    no ``media_dir`` was given)."""
    block = clip.metadata.get(METADATA_NAMESPACE) if clip.metadata is not None else None
    if not isinstance(block, Mapping) or not block.get("job_id"):
        return None
    job_id = str(block["job_id"])
    current = clip.media_reference
    current_url = reference_url(current)
    current_path = _local(current_url, base_dir)
    conformed = _text(block.get("conformed_file"))
    names = list(dict.fromkeys(Path(p).name for p in (conformed, current_url) if p))
    candidates: list[Path] = []
    if media_dir is not None:
        candidates += [media_dir / name for name in names]
    if current_path is not None:
        candidates.append(current_path)
    if conformed:
        candidates.append(Path(conformed).expanduser())
    if base_dir is not None:
        candidates += [base_dir / MEDIA_FOLDER / name for name in names]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        row_file = _ledger_file(job_id, ledger)
        if row_file:
            candidates.append(Path(row_file).expanduser())
            found = candidates[-1] if candidates[-1].is_file() else None
    if found is not None and media_dir is None and current_path == found:
        return None
    available = current.available_range if current is not None else None
    if found is None:
        looked = ", ".join(dict.fromkeys(str(c.parent) for c in candidates)) or "nowhere"
        missing = otio.schema.MissingReference(
            name=f"missing {names[0] if names else 'conformed file'} of stillmotion job "
                 f"{job_id} (looked in {looked})",
            available_range=available,
        )
        missing.metadata[METADATA_NAMESPACE] = {
            "job_id": job_id, "looked_in": [str(c) for c in candidates],
        }
        return missing
    absolute = found.absolute()
    url = absolute.as_uri() if (current_url or "").lower().startswith("file:") else str(absolute)
    linked = otio.schema.ExternalReference(target_url=url, available_range=available)
    linked.name = absolute.name
    if current is not None:
        for key, value in current.metadata.items():
            linked.metadata[key] = plain(value)
    return linked


def _path(value: Any) -> Path | None:
    return Path(str(value)).expanduser() if value else None


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def _local(url: str | None, base_dir: Path | None) -> Path | None:
    """The local file a target URL names (relative ones against ``base_dir``), else None."""
    if not url:
        return None
    from_url = file_url_path(url)
    if from_url is not None:
        return from_url
    path = Path(url).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def _ledger_file(job_id: str, ledger: Path | None) -> str | None:
    """The ledger row's conformed file; None when there is no ledger or no such row.

    The ledger is opened only if it exists: linking must never create one. The ledger and the
    settings are imported here, not at module level: most links never reach this fallback, and
    reading a timeline must not pay for loading the jobs layer (see test_light_imports.py).
    """
    from stillmotion.jobs.ledger import Ledger
    from stillmotion.settings import load_settings

    try:
        path = ledger if ledger is not None else load_settings().ledger_path
        if not path.is_file():
            return None
        with Ledger(path) as book:
            conformed = book.get(job_id).files.conformed
            return str(conformed) if conformed is not None else None
    except (StillmotionError, ValueError):
        return None
