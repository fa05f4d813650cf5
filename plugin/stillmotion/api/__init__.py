"""Talking to video-job services: the job model, the /v1/videos client, the vendor dialects,
retries, polling and webhooks.

The names below are the public surface; modules starting with an underscore (the client core,
the target and its key-origin rule, request specs, answer parsing, download checks) are
internal to this package. The public submodules keep their paths (``stillmotion.api.client``,
``.models``, ``.params``, ``.retry``, ``.polling``, ``.capabilities``, ``.sniff``,
``.webhooks``, ``.webhook_receiver``, ``.providers.*``).
"""

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
