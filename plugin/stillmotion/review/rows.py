"""Ledger rows and media files as review takes: what the ledger recorded, else what a file says.

Why read-only and optional: a review must never create or change a ledger (opening a missing
path would create one), and a media folder copied from another machine has no ledger at all;
then provenance is read from the downloaded file itself.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from stillmotion.errors import MediaError
from stillmotion.jobs.ledger import JobRow, Ledger
from stillmotion.media.probe import probe
from stillmotion.media.provenance import read_provenance
from stillmotion.media.sound import describe_sound
from stillmotion.review.model import SourceStill, Take

# The pipeline's file names: <job>_take<N>.<ext> (conformed), _original.mp4, _first_frame.png.
PIPELINE_NAME = re.compile(
    r"^(?P<job>.+?)_take(?P<take>\d+)(?P<kind>_original|_first_frame)?\.(?P<ext>[A-Za-z0-9]+)$")


@dataclass
class LedgerIndex:
    """Every ledger row by job id and by take group (empty when there is no ledger)."""

    path: Path | None
    by_job: dict[str, JobRow] = field(default_factory=dict)
    by_group: dict[str, list[JobRow]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> LedgerIndex:
        """Read the ledger at ``path`` if it exists; never create one."""
        if path is None or not path.is_file():
            return cls(None)
        with Ledger(path) as ledger:
            rows = ledger.jobs()
        index = cls(path)
        for row in sorted(rows, key=lambda r: (r.created_at, r.take, r.id)):
            index.by_job[row.id] = row
            index.by_group.setdefault(group_of(row), []).append(row)
        return index

    def group(self, take_group: str) -> list[JobRow]:
        """The rows of one shot, oldest first."""
        return self.by_group.get(take_group, [])


def group_of(row: JobRow) -> str:
    """The take group a row belongs to (the pipeline's own default when none was given)."""
    return row.group


def has_media(row: JobRow) -> bool:
    """True once the row downloaded (or conformed) a clip: only then is it a take to look at."""
    return row.files.download is not None or row.files.conformed is not None


def row_numbers(rows: Iterable[JobRow]) -> dict[str, int]:
    """Take numbers as the pipeline gives them: finished rows of a group, 1, 2, … in order."""
    finished = [row for row in rows if row.files.conformed is not None]
    return {row.id: number for number, row in enumerate(finished, start=1)}


def take_from_row(row: JobRow, number: int | None, *, in_use: bool = False,
                  notes: tuple[str, ...] = ()) -> Take:
    """A take with everything the ledger knows about ``row``."""
    facts = row.context.provenance
    provenance = facts.to_json() if facts is not None else {}
    preview = (facts is not None and facts.preview) or row.provider == "preview"
    return Take(
        job_id=row.id, number=number, prompt=row.prompt, provider=row.provider,
        model=row.model or "", seconds=float(row.seconds) if row.seconds else None,
        size=row.size or "", cost_estimate=row.cost_estimate, currency=row.currency,
        preview=preview, provenance=provenance,
        conformed=row.files.conformed, original=row.files.download,
        remote_id=row.remote_id or "", created_at=row.created_at.isoformat(),
        state=row.state.value, in_use=in_use, notes=notes,
        sound=describe_sound(row.context.to_json()),
    )


def source_of_row(row: JobRow) -> SourceStill | None:
    """The still a row was generated from: the grabbed frame, else the fitted first frame,
    else the source media's frame named in its context."""
    for path in (row.files.source_image, row.files.image):
        if path is not None and path.is_file():
            return SourceStill(path)
    source = row.request.source
    media = Path(source.media) if source is not None and source.media else None
    frame = source.frame if source is not None else None
    if media is not None and media.is_file() and frame is not None:
        return SourceStill(media, frame)
    return None


def file_provenance(original: Path | None) -> tuple[dict[str, Any], bool | None]:
    """(provenance, preview flag) read from a downloaded file; empty and None when unreadable."""
    if original is None or not original.is_file():
        return {}, None
    try:
        facts = read_provenance(original, probe(original), keep_store=False)
    except MediaError:
        return {}, None
    return facts, bool(facts.get("preview"))


def take_from_file(media: Path, ledger: LedgerIndex, *, in_use: bool,
                   notes: tuple[str, ...]) -> Take:
    """A take known only by its file: the ledger row its pipeline name points to, else the
    ``_original.mp4`` beside it and the provenance read from that."""
    match = PIPELINE_NAME.match(media.name)
    if match is not None and match["kind"] is None:
        row = ledger.by_job.get(match["job"])
        if row is not None:
            take = take_from_row(row, None, in_use=in_use, notes=notes)
            return dataclasses.replace(take, conformed=media)
        original = media.with_name(f"{match['job']}_take{match['take']}_original.mp4")
        if original.is_file():
            provenance, preview = file_provenance(original)
            return Take(job_id=match["job"], number=None, prompt="", preview=preview,
                        provenance=provenance, conformed=media, original=original,
                        in_use=in_use, notes=notes)
    return Take(job_id="", number=None, prompt="", conformed=media, in_use=in_use, notes=notes)


def to_decimal(value: float | None) -> Decimal | None:
    """A cost from JSON metadata as a Decimal (through str, so 0.1 stays 0.1)."""
    return None if value is None else Decimal(str(value))
