"""The values a shot passes between stages: what to generate, the finished clip, progress.

Why a module of their own: the stages, the placers, the pipeline story and both front ends
exchange them, and none of those should import another just for a type.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from stillmotion.api.webhook_wake import WebhookWake
from stillmotion.jobs.records import Provenance, SourceFacts


@dataclass(frozen=True)
class ShotRequest:
    """What to generate: a still (any size; fitted here), a prompt and the job's shape.

    ``remix_of`` names a finished remote job to remix with the new prompt instead of creating
    from the still (the still stays the provenance of the take). ``last_image`` is a still the
    clip must end on (``fill-gap``), for models that take a last frame. ``extend_of`` names a
    finished remote job to continue with the provider's own extension (its video then holds the
    source followed by ``seconds`` more).
    """

    image: Path
    prompt: str
    seconds: int | None = None
    size: tuple[int, int] | None = None
    provider: str | None = None
    model: str | None = None
    new_take: bool = False
    take_group: str | None = None
    source: SourceFacts | None = None
    remix_of: str | None = None
    last_image: Path | None = None
    extend_of: str | None = None


@dataclass(frozen=True)
class PipelineEvent:
    """Progress for a front end: a stage name, a share done when known, one line of text."""

    stage: str
    fraction: float | None
    message: str


EventHandler = Callable[[PipelineEvent], None]


def emit(handler: EventHandler | None, stage: str, message: str,
         fraction: float | None = None) -> None:
    """Tell ``handler`` (if any) about a stage."""
    if handler is not None:
        handler(PipelineEvent(stage, fraction, message))


@dataclass(frozen=True)
class GeneratedClip:
    """A finished generation, conformed and ready to place."""

    job_id: str
    remote_id: str
    provider: str
    model: str
    prompt: str
    seconds: int
    size: tuple[int, int]
    original: Path
    conformed: Path
    frames: int
    rate: Fraction
    cost: Decimal
    preview: bool
    take: int
    take_group: str
    created_at: str
    image: Path
    provenance: Provenance
    reused: bool = False
    sound: bool = False  # the file carries sound (not our silent fill, not silence)


@dataclass
class Clock:
    """Injectable time for waiting (tests pass fakes); ``wake`` lets webhook events end a
    wait early (the poll schedule then only falls back)."""

    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    wake: WebhookWake | None = None
