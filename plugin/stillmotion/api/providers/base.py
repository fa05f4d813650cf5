"""The common job model every provider dialect maps onto, and the Provider protocol.

Why: the pipeline, the ledger and the Resolve front end speak only this model, so adding a
dialect (/v1/videos gateways, Veo, Runway, fal, the local preview server) touches one module.
Terminal and running states are normalised here; the raw status is always kept.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

LAST_FRAME_SUFFIX = "_last_frame.png"
"""A downloaded video's sibling ``<stem>_last_frame.png`` holds the provider's own last frame
(Seedance's ``return_last_frame``); ``extend`` continues a clip from it when it exists."""


def last_frame_beside(video: Path) -> Path:
    """Where the provider's last frame of the video at ``video`` is kept."""
    return video.with_name(video.stem + LAST_FRAME_SUFFIX)


class JobStatus(str, enum.Enum):
    """Normalised job state; unknown raw values map to RUNNING or FAILED as documented."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED)


@dataclass(frozen=True)
class GenerationRequest:
    """What the editor asked for, in provider-neutral terms.

    ``first_frame``/``last_frame`` are image files already fitted to ``size``; ``seconds`` is
    the requested length; ``extra`` carries dialect-specific knobs (negative prompt, seed …);
    ``audio`` says whether generated sound is wanted (False: ``--no-audio``; True: the model's
    row promises it; None: the model's own default, or a model whose row makes no sound), for
    dialects with a sound switch (:func:`stillmotion.jobs.stages.sound_wish` decides it,
    :func:`stillmotion.api.providers.dialect.put_sound` writes it).
    """

    prompt: str
    model: str | None
    seconds: int
    size: tuple[int, int]
    first_frame: Path | None = None
    last_frame: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    audio: bool | None = None


@dataclass(frozen=True)
class JobState:
    """One observation of a remote job."""

    id: str
    status: JobStatus
    raw_status: str
    progress: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    poll_after: float | None = None
    expires_at: int | None = None
    model: str | None = None
    seconds: str | None = None
    size: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class Provider(Protocol):
    """A video-generation dialect: submit once, observe, download."""

    name: str

    def submit(self, request: GenerationRequest) -> JobState:
        """Create the job. Never retried blindly: a create is a paid action."""
        ...

    def poll(self, job_id: str) -> JobState:
        """Observe the job once (GETs are retried on transient failures)."""
        ...

    def download(self, job: JobState, dest: Path) -> Path:
        """Stream the finished video to ``dest`` atomically; verify it is a video."""
        ...


@runtime_checkable
class RemixingProvider(Provider, Protocol):
    """A dialect that can re-run a finished job with a new prompt (a paid create too)."""

    def remix(self, job_id: str, prompt: str) -> JobState:
        """Create the remix job once; never retried blindly."""
        ...


@runtime_checkable
class ExtendingProvider(Provider, Protocol):
    """A dialect that continues one of its finished jobs natively (Veo 3.1, /v1/videos): the
    new job's video holds the source followed by ``seconds`` more (a paid create)."""

    def extend(self, job_id: str, prompt: str, seconds: int) -> JobState:
        """Create the extension job once; never retried blindly."""
        ...
