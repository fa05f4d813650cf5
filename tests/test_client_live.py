"""The /v1/videos client against the real ``stillmotion serve`` with injected faults.

Real HTTP on 127.0.0.1: Retry-After honoured, GETs retried on 5xx, exactly one create per job,
truncated downloads detected with no file left, and timeouts typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stillmotion.api.client import VideosClient
from stillmotion.api.polling import wait_for_job
from stillmotion.api.providers.base import GenerationRequest, JobStatus
from stillmotion.api.providers.openai_videos import VideosProvider
from stillmotion.api.retry import RetryPolicy
from stillmotion.errors import (
    PolicyRejectedError,
    RateLimitError,
    ServiceError,
    ServiceTimeoutError,
)
from stillmotion.media.probe import probe
from stillmotion.server import RunningServer
from support.videos_http import png_bytes


class RecordingSleep:
    """Records each delay instead of sleeping, so tests see the exact back-off chosen."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _client(server: RunningServer, sleep: RecordingSleep, **kwargs: Any) -> VideosClient:
    return VideosClient(server.base_url, api_key="test", provider="preview", sleep=sleep,
                        retry=RetryPolicy(max_retries=3), **kwargs)


def _finished(client: VideosClient, prompt: str) -> str:
    video = client.create(prompt, model="preview", seconds=1, size=(96, 64))
    state = wait_for_job(lambda: client.poll(video.id), deadline_seconds=90,
                         sleep=lambda s: None, min_interval=0.05, max_interval=0.05)
    assert state.status is JobStatus.COMPLETED
    return video.id


def test_retry_after_ms_is_honoured_on_get(clean_server: RunningServer) -> None:
    sleep = RecordingSleep()
    with _client(clean_server, sleep) as client:
        video_id = _finished(client, "retry after")
        sleep.delays.clear()
        clean_server.set_faults(rate_limit=2, retry_after_ms=750,
                                rate_limit_methods=["GET"])
        assert client.retrieve(video_id).id == video_id
    assert sleep.delays == [0.75, 0.75]
    assert clean_server.stats()["faults_fired"] == {"rate_limit": 2}


def test_get_is_retried_on_server_errors(clean_server: RunningServer) -> None:
    sleep = RecordingSleep()
    with _client(clean_server, sleep) as client:
        video_id = _finished(client, "five hundred")
        clean_server.reset_stats()
        clean_server.set_faults(server_errors=2)
        assert client.retrieve(video_id).status == "completed"
    stats = clean_server.stats()
    assert stats["faults_fired"] == {"server_errors": 2}
    assert len(sleep.delays) == 2 and all(0 < d <= 8 for d in sleep.delays)


def test_a_refused_create_is_not_retried(clean_server: RunningServer) -> None:
    sleep = RecordingSleep()
    clean_server.set_faults(rate_limit=1, rate_limit_methods=["POST"], retry_after_ms=10)
    with _client(clean_server, sleep) as client, pytest.raises(RateLimitError):
        client.create("once only", model="preview", seconds=1, size=(96, 64))
    stats = clean_server.stats()
    assert stats["total_creates"] == 0 and sleep.delays == []
    assert sum(n for route, n in stats["requests"].items() if route.startswith("POST")) == 1


def test_one_create_per_job_through_faults(clean_server: RunningServer, tmp_path: Path) -> None:
    """A whole job (create, wait, download) under GET faults sends exactly one create."""
    image = tmp_path / "first.png"
    image.write_bytes(png_bytes(96, 64))
    clean_server.set_faults(server_errors=2, rate_limit=1, rate_limit_methods=["GET"],
                            retry_after_ms=5, truncate_downloads=1)
    sleep = RecordingSleep()
    provider = VideosProvider(_client(clean_server, sleep), name="preview")
    try:
        job = provider.submit(GenerationRequest("exactly once", "preview", 1, (96, 64),
                                                first_frame=image))
        final = wait_for_job(lambda: provider.poll(job.id), deadline_seconds=90,
                             sleep=lambda s: None, min_interval=0.05, max_interval=0.05)
        clip = provider.download(final, tmp_path / "clip.mp4")
    finally:
        provider.close()
    assert probe(clip).require_video().size == (96, 64)
    assert clean_server.stats()["creates"] == {"exactly once": 1}


def test_truncated_download_is_detected_and_leaves_no_file(
    clean_server: RunningServer, tmp_path: Path
) -> None:
    sleep = RecordingSleep()
    with _client(clean_server, sleep) as client:
        video_id = _finished(client, "truncate me")
        clean_server.set_faults(truncate_downloads=10)
        with pytest.raises(ServiceError, match=r"(?i)download"):
            client.download(video_id, tmp_path / "clip.mp4")
    assert list(tmp_path.iterdir()) == []


def test_slow_answer_is_a_typed_timeout(clean_server: RunningServer) -> None:
    sleep = RecordingSleep()
    clean_server.set_faults(slow=10, delay_ms=1500)
    with _client(clean_server, sleep, timeout=0.3) as client, \
            pytest.raises(ServiceTimeoutError):
        next(iter(client.list(limit=1)), None)
    assert isinstance(ServiceTimeoutError("x"), TimeoutError)


def test_moderation_failure_is_policy_rejected_with_the_servers_words(
    clean_server: RunningServer,
) -> None:
    clean_server.set_faults(moderation_words=["forbidden"])
    sleep = RecordingSleep()
    with _client(clean_server, sleep) as client:
        video = client.create("a forbidden scene", model="preview", seconds=1, size=(96, 64))
        with pytest.raises(PolicyRejectedError) as caught:
            wait_for_job(lambda: client.poll(video.id), deadline_seconds=90,
                         sleep=lambda s: None, min_interval=0.05, max_interval=0.05)
    assert "moderation" in str(caught.value).lower() or "policy" in str(caught.value).lower()
