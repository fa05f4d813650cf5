"""What was under the playhead when a Resolve still was taken: the shot a generation is for.

Why a record of its own: the grab (main thread), the pipeline (worker thread), the placing and
a resumed job after a crash all need the same facts, and the ledger keeps them (``provenance``)
so :class:`~stillmotion.resolve.placer.ResolvePlacer` can rebuild the shot from a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stillmotion.jobs.records import SourceFacts
from stillmotion.resolve.session import TimelineClock
from stillmotion.resolve.still import SourceFrame
from stillmotion.resolve.takes import TakeTarget


@dataclass(frozen=True)
class Shot:
    """What was under the playhead when the still was taken, and the still itself."""

    project: str
    timeline: str
    clock: TimelineClock
    size: tuple[int, int]
    playhead: int
    still: Path
    grab: str
    clip_name: str
    source: SourceFrame | None
    take_of: TakeTarget | None = None

    @property
    def timecode(self) -> str:
        return self.clock.to_text(self.playhead)

    def provenance(self) -> SourceFacts:
        """What the ledger keeps about where the still came from (enough to place it again)."""
        return SourceFacts(
            host="resolve", project=self.project, timeline=self.timeline,
            timecode=self.timecode, record_frame=self.playhead, grab=self.grab,
            clip=self.clip_name, still=str(self.still),
            media=str(self.source.media) if self.source else None,
            frame=self.source.frame if self.source else None,
        )

