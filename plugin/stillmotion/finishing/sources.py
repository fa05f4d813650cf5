"""Where a generated shot's files are: the job ledger first, the clip's metadata after.

Why one module: turnover and ingest need the original download, the still that was sent and the
conform settings of the AI job behind a shot. The ledger knows them; this is the only place in
``stillmotion.finishing`` that reads it (read-only: a ledger file that does not exist is not
created), so a change of the ledger's shape touches one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stillmotion.errors import LedgerError, TimelineError
from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.records import ConformSpec
from stillmotion.timeline.metadata import GeneratedClipMetadata


@dataclass(frozen=True)
class JobFiles:
    """The files and settings of the job that made a shot (None where nothing is known).

    ``download`` is the first recorded original download that exists (else the first recorded
    one, to say where it was); ``conformed`` the first recorded conformed clip that exists.
    """

    job_id: str
    download: Path | None
    still: Path | None
    conform: ConformSpec | None
    in_ledger: bool
    conformed: Path | None = None


def _first(paths: list[str | Path | None]) -> Path | None:
    """The first of ``paths`` that exists, else the first given, else None."""
    given = [Path(p) for p in paths if p]
    return next((p for p in given if p.is_file()), given[0] if given else None)


def job_files(ledger_path: Path | None, metadata: GeneratedClipMetadata) -> JobFiles:
    """The files of ``metadata``'s job: where the ledger has them, else (or when they moved
    from there) where the clip's metadata recorded them."""
    row = None
    if ledger_path is not None and Path(ledger_path).is_file():
        try:
            with Ledger(ledger_path) as book:
                row = book.get(metadata.job_id)
        except LedgerError:
            row = None
    shown = next((t for t in metadata.takes if t.take == metadata.take), None)
    downloads: list[str | Path | None] = [metadata.original_file,
                                          shown.original if shown else None]
    conformed = _first([metadata.conformed_file, shown.media if shown else None])
    if row is None:
        return JobFiles(metadata.job_id, _first(downloads), None, None, False,
                        conformed if conformed and conformed.is_file() else None)
    conformed = _first([row.files.conformed, conformed])
    return JobFiles(
        job_id=row.id, download=_first([row.files.download, *downloads]),
        still=row.files.image, conform=row.context.conform, in_ledger=True,
        conformed=conformed if conformed and conformed.is_file() else None,
    )


def require_metadata(metadata: GeneratedClipMetadata | None, clip_name: str,
                     problem: str | None) -> GeneratedClipMetadata:
    """The clip's metadata, or TimelineError saying the format lost it."""
    if metadata is None:
        raise TimelineError(
            f"The generated clip {clip_name} has no usable stillmotion metadata "
            f"({problem or 'none'}); use the .otio timeline stillmotion wrote.")
    return metadata
