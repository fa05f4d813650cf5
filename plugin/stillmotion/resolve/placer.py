"""The Resolve placer: the place stage of a job on the live Resolve timeline it was grabbed from.

Why a placer of its own: ``stillmotion.jobs.pipeline.resume_job`` finishes a conformed job for
whichever front end made it; a Resolve job's request records the project, timeline and record
frame of its still, which is all the Resolve front end needs to place it again after a crash.
"""

from __future__ import annotations

from pathlib import Path

from stillmotion.jobs.ledger import JobRow, Ledger
from stillmotion.jobs.values import GeneratedClip
from stillmotion.resolve.placing import PlacedClip, place_generated
from stillmotion.resolve.protocol import Resolve
from stillmotion.resolve.session import ResolveSession
from stillmotion.resolve.shot import Shot
from stillmotion.resolve.still import SourceFrame
from stillmotion.settings import Settings


class ResolvePlacer:
    """Places a Resolve job's clip on the current Resolve timeline, if it is the job's own.

    ``shot`` is the shot of this run (placing right after generating); without it the shot is
    rebuilt from the row (``jobs resume`` inside Resolve). ``save`` False leaves the one save
    to a caller placing several; a job recorded ``no_audio`` is placed picture only.
    """

    def __init__(self, resolve: Resolve, settings: Settings, shot: Shot | None = None, *,
                 save: bool = True) -> None:
        self.resolve = resolve
        self.settings = settings
        self.shot = shot
        self.save = save

    def accepts(self, row: JobRow) -> bool:
        source = row.request.source
        if self.shot is not None:
            return True
        if source is None or source.host != "resolve" or source.record_frame is None:
            return False
        session = ResolveSession(self.resolve)
        project = session.project()
        timeline = session.timeline(project)
        return (str(project.GetName()), str(timeline.GetName())) == \
            (source.project, source.timeline)

    def place(self, row: JobRow, clip: GeneratedClip, ledger: Ledger) -> PlacedClip:
        shot = self.shot if self.shot is not None else self._shot_of(row)
        return place_generated(self.resolve, shot, clip, settings=self.settings,
                               save=self.save, audio=not row.context.no_audio)

    def _shot_of(self, row: JobRow) -> Shot:
        """The shot a Resolve row was grabbed from, as recorded in its request."""
        source = row.request.source
        assert source is not None and source.record_frame is not None  # accepts(row)
        session = ResolveSession(self.resolve)
        timeline = session.timeline(session.project())
        media = SourceFrame(Path(source.media), source.frame) \
            if source.media and source.frame is not None else None
        return Shot(project=source.project or "", timeline=source.timeline or "",
                    clock=session.clock(timeline), size=session.size(timeline),
                    playhead=source.record_frame, still=Path(source.still or ""),
                    grab=source.grab or "", clip_name=source.clip or "", source=media)
