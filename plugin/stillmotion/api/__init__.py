"""Talking to video-job services: the job model, the /v1/videos client, the vendor dialects,
retries, polling and webhooks.

The names below are the public surface; modules starting with an underscore (the client core,
the target and its key-origin rule, request specs, answer parsing, download checks) are
internal to this package. The public submodules keep their paths (``stillmotion.api.client``,
``.models``, ``.params``, ``.retry``, ``.polling``, ``.capabilities``, ``.sniff``,
``.webhooks``, ``.webhook_receiver``, ``.providers.*``).

The re-exports load on first use (PEP 562), so importing one light submodule
(``stillmotion.api.capabilities``, ``stillmotion.api.sniff``, as the Resolve form and the
server do) does not pull in httpx, pydantic and every dialect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stillmotion import lazy_exports

if TYPE_CHECKING:
    from stillmotion.api import capabilities
    from stillmotion.api.capabilities import ModelCapability
    from stillmotion.api.client import DEFAULT_BASE_URL, VideosClient
    from stillmotion.api.models import Character, Video, VideoDeleted, VideoError, VideoList
    from stillmotion.api.params import (
        CharacterParams,
        CreateVideoParams,
        EditVideoParams,
        ExtendVideoParams,
        FileIdReference,
        ImageUrlReference,
        InputReference,
        RemixVideoParams,
        VideoReference,
    )
    from stillmotion.api.polling import job_failure, wait_for_job
    from stillmotion.api.providers.base import (
        ExtendingProvider,
        GenerationRequest,
        JobState,
        JobStatus,
        Provider,
        RemixingProvider,
    )
    from stillmotion.api.providers.dialect import DialectProvider
    from stillmotion.api.providers.fal import FalProvider
    from stillmotion.api.providers.openai_videos import VideosProvider
    from stillmotion.api.providers.runway import RunwayProvider
    from stillmotion.api.providers.veo import VeoProvider
    from stillmotion.api.retry import RetryPolicy
    from stillmotion.api.webhook_receiver import WebhookReceiver
    from stillmotion.api.webhooks import WebhookEvent, WebhookVerifier, new_secret, signed_headers

_HOMES = {
    "Character": "stillmotion.api.models",
    "CharacterParams": "stillmotion.api.params",
    "CreateVideoParams": "stillmotion.api.params",
    "DEFAULT_BASE_URL": "stillmotion.api.client",
    "DialectProvider": "stillmotion.api.providers.dialect",
    "EditVideoParams": "stillmotion.api.params",
    "ExtendVideoParams": "stillmotion.api.params",
    "ExtendingProvider": "stillmotion.api.providers.base",
    "FalProvider": "stillmotion.api.providers.fal",
    "FileIdReference": "stillmotion.api.params",
    "GenerationRequest": "stillmotion.api.providers.base",
    "ImageUrlReference": "stillmotion.api.params",
    "InputReference": "stillmotion.api.params",
    "JobState": "stillmotion.api.providers.base",
    "JobStatus": "stillmotion.api.providers.base",
    "ModelCapability": "stillmotion.api.capabilities",
    "Provider": "stillmotion.api.providers.base",
    "RemixVideoParams": "stillmotion.api.params",
    "RemixingProvider": "stillmotion.api.providers.base",
    "RetryPolicy": "stillmotion.api.retry",
    "RunwayProvider": "stillmotion.api.providers.runway",
    "VeoProvider": "stillmotion.api.providers.veo",
    "Video": "stillmotion.api.models",
    "VideoDeleted": "stillmotion.api.models",
    "VideoError": "stillmotion.api.models",
    "VideoList": "stillmotion.api.models",
    "VideoReference": "stillmotion.api.params",
    "VideosClient": "stillmotion.api.client",
    "VideosProvider": "stillmotion.api.providers.openai_videos",
    "WebhookEvent": "stillmotion.api.webhooks",
    "WebhookReceiver": "stillmotion.api.webhook_receiver",
    "WebhookVerifier": "stillmotion.api.webhooks",
    "capabilities": "stillmotion.api.capabilities",
    "job_failure": "stillmotion.api.polling",
    "new_secret": "stillmotion.api.webhooks",
    "signed_headers": "stillmotion.api.webhooks",
    "wait_for_job": "stillmotion.api.polling",
}
"""Where each public name lives (its module is imported when the name is first used)."""


__getattr__ = lazy_exports(__name__, _HOMES)


__all__ = [
    "DEFAULT_BASE_URL",
    "Character",
    "CharacterParams",
    "CreateVideoParams",
    "DialectProvider",
    "EditVideoParams",
    "ExtendVideoParams",
    "ExtendingProvider",
    "FalProvider",
    "FileIdReference",
    "GenerationRequest",
    "ImageUrlReference",
    "InputReference",
    "JobState",
    "JobStatus",
    "ModelCapability",
    "Provider",
    "RemixVideoParams",
    "RemixingProvider",
    "RetryPolicy",
    "RunwayProvider",
    "VeoProvider",
    "Video",
    "VideoDeleted",
    "VideoError",
    "VideoList",
    "VideoReference",
    "VideosClient",
    "VideosProvider",
    "WebhookEvent",
    "WebhookReceiver",
    "WebhookVerifier",
    "capabilities",
    "job_failure",
    "new_secret",
    "signed_headers",
    "wait_for_job",
]
