"""The finished clip a conformed ledger row describes.

Why a module of its own: the pipeline hands it to a placer, and the placer reads every other
take of the shot the same way (their own remote id, provenance and sound for the take records),
so the rule sits below both.
"""

from __future__ import annotations

from datetime import timezone
from decimal import Decimal
from pathlib import Path

from stillmotion.errors import JobError
from stillmotion.jobs.ledger import JobRow
from stillmotion.jobs.records import Provenance
from stillmotion.jobs.values import GeneratedClip
from stillmotion.media.sound import SoundFacts, file_has_sound
from stillmotion.timecode import parse_size


def clip_of(row: JobRow, *, reused: bool) -> GeneratedClip:
    """The finished clip a conformed (or placed) row describes."""
    files, context = row.files, row.context
    if files.download is None or files.conformed is None or context.frames is None:
        raise JobError(f"Job {row.id} is {row.state.value} but its files are not recorded; "
                       "make a new take.")
    provenance = context.provenance or Provenance()
    return GeneratedClip(
        job_id=row.id, remote_id=row.remote_id or "", provider=row.provider,
        model=row.model or "", prompt=row.prompt, seconds=row.seconds or 0,
        size=parse_size(row.size or ""), original=files.download, conformed=files.conformed,
        frames=context.frames, rate=context.conform_spec().rate,
        cost=row.cost_estimate or Decimal(0),
        preview=provenance.preview or row.provider == "preview",
        take=row.take, take_group=row.group,
        created_at=row.created_at.astimezone(timezone.utc).isoformat(),
        image=files.image or files.source_image or Path(),
        provenance=provenance, reused=reused, sound=_sound(row, files.conformed),
    )


def _sound(row: JobRow, conformed: Path) -> bool:
    """Whether the row's clip has sound to place, as its conform recorded (a row conformed
    before that was recorded is measured now: our silent fill measures as silence)."""
    return file_has_sound(conformed, SoundFacts.recorded_sound(row.context.audio))
