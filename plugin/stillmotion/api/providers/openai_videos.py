"""The /v1/videos dialect as a Provider: OpenAI-shape gateways ("openai") and the local server
("preview").

Why one module for both: ``stillmotion serve`` speaks the same wire format as the gateways, so
the preview provider is this class pointed at ``http://127.0.0.1:PORT/v1`` with no key; only the
name differs (it appears in errors, the ledger and provenance).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import httpx

from stillmotion.api.client import DEFAULT_BASE_URL, VideosClient
from stillmotion.api.params import ImageUrlReference
from stillmotion.api.providers.base import GenerationRequest, JobState, JobStatus
from stillmotion.api.retry import RetryPolicy
from stillmotion.errors import ConfigError, JobError
from stillmotion.settings import Settings

ReferenceMode = Literal["upload", "data_url"]


class VideosProvider:
    """submit / poll / download over a :class:`VideosClient`.

    ``reference`` chooses how the first frame travels: ``upload`` (multipart file, the SDK's
    way) or ``data_url`` (JSON ``input_reference.image_url``, for gateways that want JSON).
    ``default_model`` fills in a request without a model.
    """

    def __init__(
        self,
        client: VideosClient,
        *,
        name: str = "openai",
        reference: ReferenceMode = "upload",
        default_model: str | None = None,
    ) -> None:
        self.name = name
        self.client = client
        self._reference = reference
        self._default_model = default_model

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        name: str = "openai",
        default_base_url: str | None = DEFAULT_BASE_URL,
        reference: ReferenceMode = "upload",
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> VideosProvider:
        """A provider from the settings (base URL, key, timeout, model)."""
        client = VideosClient.from_settings(settings, provider=name,
                                            default_base_url=default_base_url, retry=retry,
                                            sleep=sleep, transport=transport)
        return cls(client, name=name, reference=reference, default_model=settings.model)

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def submit(self, request: GenerationRequest) -> JobState:
        """Create the job once (never retried after it may have reached the service)."""
        if request.last_frame is not None:
            raise ConfigError(f"The {self.name} provider cannot take a last frame; drop it or "
                              "choose a provider that can.")
        if request.extra:
            knobs = ", ".join(sorted(request.extra))
            raise ConfigError(f"The {self.name} provider has no setting for {knobs}; remove "
                              "it from the request.")
        reference: Path | ImageUrlReference | None = request.first_frame
        if request.first_frame is not None and self._reference == "data_url":
            reference = ImageUrlReference.from_file(request.first_frame)
        video = self.client.create(request.prompt, model=request.model or self._default_model,
                                   seconds=request.seconds, size=request.size,
                                   input_reference=reference, sound=self._sound(request))
        return video.to_job_state()

    def _sound(self, request: GenerationRequest) -> bool:
        """False (no sound) for ``--no-audio`` on ``preview``, our own server, which takes a
        sound switch; OpenAI and gateways have none, so they are never asked."""
        return not (self.name == "preview" and request.audio is False)

    def remix(self, job_id: str, prompt: str) -> JobState:
        """A new job from a finished one with a new prompt (``POST /videos/{id}/remix``)."""
        return self.client.remix(job_id, prompt=prompt).to_job_state()

    def extend(self, job_id: str, prompt: str, seconds: int) -> JobState:
        """Continue a finished job by ``seconds`` (``POST /videos/extensions``); the new job's
        video is the stitched total."""
        return self.client.extend(job_id, prompt=prompt, seconds=seconds).to_job_state()

    def poll(self, job_id: str) -> JobState:
        """Observe the job once, with the server's poll-after hint."""
        return self.client.poll(job_id)

    def download(self, job: JobState, dest: Path) -> Path:
        """Stream the finished MP4 to ``dest`` (verified, atomic; ``dest`` must not exist)."""
        if job.status != JobStatus.COMPLETED:
            raise JobError(f"Job {job.id} is {job.raw_status or job.status.value}, not "
                           "completed; wait for it before downloading.", provider=self.name)
        return self.client.download(job.id, dest, variant="video")
