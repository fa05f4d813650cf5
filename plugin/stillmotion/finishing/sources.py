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
    """The files and settings of the job that made a shot (None where nothing is known)."""

    job_id: str
    download: Path | None
    still: Path | None
    conform: ConformSpec | None
    in_ledger: bool


def job_files(ledger_path: Path | None, metadata: GeneratedClipMetadata) -> JobFiles:
    """The files of ``metadata``'s job: from the ledger when it has the job, else the paths
    the clip's metadata recorded (the original download only)."""
    row = None
    if ledger_path is not None and Path(ledger_path).is_file():
        try:
            with Ledger(ledger_path) as book:
                row = book.get(metadata.job_id)
        except LedgerError:
            row = None
    if row is None:
        original = metadata.original_file
        return JobFiles(metadata.job_id, Path(original) if original else None, None, None,
                        False)
    original = metadata.original_file
    return JobFiles(
        job_id=row.id,
        download=row.files.download or (Path(original) if original else None),
        still=row.files.image, conform=row.context.conform, in_ledger=True,
    )


def require_metadata(metadata: GeneratedClipMetadata | None, clip_name: str,
                     problem: str | None) -> GeneratedClipMetadata:
    """The clip's metadata, or TimelineError saying the format lost it."""
    if metadata is None:
        raise TimelineError(
            f"The generated clip {clip_name} has no usable stillmotion metadata "
            f"({problem or 'none'}); use the .otio timeline stillmotion wrote.")
    return metadata
