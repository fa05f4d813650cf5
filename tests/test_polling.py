"""Bounded polling with a fake clock: hints, backoff, deadline, failures, progress."""

from __future__ import annotations

import pytest

from stillmotion.api.polling import wait_for_job
from stillmotion.api.providers.base import JobState, JobStatus
from stillmotion.errors import ConfigError, JobFailedError, PolicyRejectedError, PollTimeoutError
from support.videos_fakes import Script, json_response, make_client, video_json


class FakeTime:
    """A clock that only moves when slept on; records every sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def state(status: JobStatus, raw: str, *, progress: float | None = None,
          poll_after: float | None = None, code: str | None = None,
          message: str | None = None) -> JobState:
    return JobState(id="video_1", status=status, raw_status=raw, progress=progress,
                    poll_after=poll_after, error_code=code, error_message=message)


def running(progress: float | None = None, poll_after: float | None = None) -> JobState:
    return state(JobStatus.RUNNING, "in_progress", progress=progress, poll_after=poll_after)


def test_server_hint_is_used() -> None:
    states = [running(10, 2.0), running(50, 0.5), running(90, 0.0),
              state(JobStatus.COMPLETED, "completed", progress=100)]
    fake = FakeTime()
    done = wait_for_job(lambda: states.pop(0), deadline_seconds=60, sleep=fake.sleep,
                        clock=fake.clock)
    assert done.status is JobStatus.COMPLETED
    assert fake.sleeps == [2.0, 0.5, 0.05]


def test_backoff_without_hint_is_capped() -> None:
    states = [running() for _ in range(6)] + [state(JobStatus.COMPLETED, "completed")]
    fake = FakeTime()
    wait_for_job(lambda: states.pop(0), deadline_seconds=600, sleep=fake.sleep,
                 clock=fake.clock, min_interval=2.0, max_interval=6.0, backoff=2.0)
    assert fake.sleeps == [2.0, 4.0, 6.0, 6.0, 6.0, 6.0]


def test_deadline_raises_poll_timeout_with_resume_advice() -> None:
    fake = FakeTime()
    polls: list[float] = []

    def poll() -> JobState:
        polls.append(fake.now)
        return running(poll_after=4.0)

    with pytest.raises(PollTimeoutError) as info:
        wait_for_job(poll, deadline_seconds=10, sleep=fake.sleep, clock=fake.clock)
    assert isinstance(info.value, TimeoutError)
    assert "stillmotion jobs resume" in info.value.message
    assert "may still finish" in info.value.message
    assert "video_1" in info.value.message
    # 4 + 4 + 2 (clamped to the deadline), then one last look at the deadline
    assert fake.sleeps == [4.0, 4.0, 2.0]
    assert polls == [100.0, 104.0, 108.0, 110.0]


def test_failed_job_raises_with_code_and_words() -> None:
    fake = FakeTime()
    failed = state(JobStatus.FAILED, "failed", code="internal_error",
                   message="The render crashed.")
    with pytest.raises(JobFailedError) as info:
        wait_for_job(lambda: failed, deadline_seconds=10, sleep=fake.sleep, clock=fake.clock)
    assert (info.value.code, info.value.job_message) == ("internal_error", "The render crashed.")
    assert "internal_error: The render crashed." in info.value.message
    cancelled = state(JobStatus.FAILED, "cancelled")
    with pytest.raises(JobFailedError, match="ended as cancelled"):
        wait_for_job(lambda: cancelled, deadline_seconds=10, sleep=fake.sleep, clock=fake.clock)


def test_moderation_failure_is_a_policy_rejection() -> None:
    fake = FakeTime()
    words = "This prompt may violate our guardrails concerning similarity to third-party content."
    blocked = state(JobStatus.FAILED, "failed", code="moderation_blocked", message=words)
    with pytest.raises(PolicyRejectedError) as info:
        wait_for_job(lambda: blocked, deadline_seconds=10, sleep=fake.sleep, clock=fake.clock,
                     provider="openai")
    assert f'"{words}"' in info.value.message
    assert info.value.provider == "openai"


def test_progress_reported_rising() -> None:
    states = [state(JobStatus.QUEUED, "queued"), running(10), running(40), running(30),
              running(80), state(JobStatus.COMPLETED, "completed", progress=100)]
    fake = FakeTime()
    seen: list[tuple[str, float | None]] = []
    wait_for_job(lambda: states.pop(0), deadline_seconds=600, sleep=fake.sleep,
                 clock=fake.clock, on_progress=lambda s: seen.append((s.raw_status, s.progress)))
    assert seen == [("queued", None), ("in_progress", 10), ("in_progress", 40),
                    ("in_progress", 40), ("in_progress", 80), ("completed", 100)]


def test_bad_schedule_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        wait_for_job(running, deadline_seconds=0)
    with pytest.raises(ConfigError):
        wait_for_job(running, deadline_seconds=5, min_interval=3, max_interval=1)


def test_waiting_on_the_client_uses_the_header_hint() -> None:
    script = Script(
        json_response(200, video_json(status="queued"), {"openai-poll-after-ms": "3000"}),
        json_response(200, video_json(status="in_progress", progress=50),
                      {"openai-poll-after-ms": "1250"}),
        json_response(200, video_json(status="completed", progress=100)))
    fake = FakeTime()
    with make_client(script) as client:
        done = wait_for_job(lambda: client.poll("video_1"), deadline_seconds=60,
                            sleep=fake.sleep, clock=fake.clock)
    assert done.status is JobStatus.COMPLETED
    assert fake.sleeps == [3.0, 1.25]
