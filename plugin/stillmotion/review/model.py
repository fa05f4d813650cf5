"""What a review page shows: shots, each with its takes, as plain data gathered before rendering.

Why a model between gathering and HTML: takes come from a timeline's metadata, from ledger rows
or only from file names, each knowing different things; the page renders one shape and says
plainly what is unknown, and tests can build hundreds of takes without any media.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Take:
    """One generated take: where it came from, what it cost, and the files holding it.

    ``number`` is the take number ``stillmotion takes --use`` understands (None when the
    take is not listed on a timeline); ``conformed`` is the finishing file the timeline uses and
    ``original`` the service's download, kept for provenance; ``credentials`` is what the
    conformed clip's Content Credentials say (status, chain). Unknown values are None.
    """

    job_id: str
    number: int | None
    prompt: str
    provider: str = ""
    model: str = ""
    seconds: float | None = None
    size: str = ""
    cost_estimate: Decimal | None = None
    currency: str = "USD"
    preview: bool | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, Any] = field(default_factory=dict)
    conformed: Path | None = None
    original: Path | None = None
    remote_id: str = ""
    created_at: str = ""
    state: str = ""
    in_use: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SwitchCommand:
    """How to show another take of a shot: ``stillmotion takes TIMELINE --at TC --use N``."""

    timeline: Path
    at: str

    def for_take(self, number: int) -> str:
        """The shell command (quoted for a POSIX shell) that shows take ``number``."""
        return (f"stillmotion takes {shlex.quote(str(self.timeline))} "
                f"--at {shlex.quote(self.at)} --use {number}")


@dataclass(frozen=True)
class SourceStill:
    """The frame a shot was generated from: an image file, or a frame of a media file."""

    path: Path
    frame: int | None = None


@dataclass(frozen=True)
class Shot:
    """One place on the timeline (a take group) and every take made for it."""

    key: str
    title: str
    takes: tuple[Take, ...]
    source: SourceStill | None = None
    source_label: str = ""
    record_timecode: str = ""
    switch: SwitchCommand | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Review:
    """Everything on one page: where it was gathered from and the shots in order."""

    title: str
    origin: str
    shots: tuple[Shot, ...]
    notes: tuple[str, ...] = ()

    @property
    def take_count(self) -> int:
        return sum(len(shot.takes) for shot in self.shots)
