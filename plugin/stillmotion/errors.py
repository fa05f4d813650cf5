"""The whole exception tree: every deliberate failure is a StillmotionError saying what to do next.

Why one tree: the CLI, the Resolve front end and the OTIO plugin all end a failed run the same way,
with one plain sentence and a non-zero exit code chosen by the error's class, never a traceback.
Foreign exceptions (httpx, PyAV, ffmpeg, sqlite, OTIO) are translated at their boundary module with
``raise OurError(...) from exc``.

::

    StillmotionError                      exit 1
    ├── ConfigError(ValueError)           exit 3   missing key, bad provider/model/size/seconds
    ├── ServiceError                      exit 4   .provider .request_id
    │   ├── ServiceConnectionError
    │   │   ├── ServiceTimeoutError(TimeoutError)
    │   │   └── ServiceUnreachableError     connecting failed: provably nothing was sent
    │   ├── ServiceStatusError            .status_code
    │   │   ├── AuthenticationError       401/403
    │   │   ├── NotFoundError             404
    │   │   ├── RateLimitError            429, .retry_after
    │   │   └── ServerError               5xx
    │   ├── PolicyRejectedError           exit 5   moderation or policy block, shown verbatim
    │   ├── ResponseValidationError       2xx body that does not fit the model
    │   └── JobError                      exit 6
    │       ├── JobFailedError            .code .message
    │       ├── PollTimeoutError(TimeoutError)
    │       └── ContentExpiredError
    ├── MediaError                        exit 7   .path
    │   ├── FFmpegNotFound(FileNotFoundError)
    │   ├── ProbeError
    │   └── TranscodeError                .stderr_tail
    ├── TimelineError                     exit 8   no clip at playhead, offline media, bad construct
    ├── BudgetExceededError               exit 9   estimate above the configured budget
    ├── LedgerError                       the job ledger is busy, damaged, newer, or lacks a job
    │   └── JobStateError                 .job_id .state .target  a move the job's state forbids
    ├── WebhookError                      .reason  webhook malformed, badly signed, stale, replayed
    └── ResolveError                      exit 10
        ├── ResolveUnavailableError
        └── ResolveOperationError         .operation

Exit code 2 is left to the command-line parser (usage errors), 130 to an interrupt.
"""

from __future__ import annotations

from pathlib import Path


class StillmotionError(Exception):
    """Base of every deliberate stillmotion failure; its message is one sentence for the user."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(StillmotionError, ValueError):
    """The request or settings cannot work: missing key, unknown provider, bad size or seconds."""

    exit_code = 3


class ServiceError(StillmotionError):
    """A video-job service did not do what was asked."""

    exit_code = 4

    def __init__(
        self, message: str, *, provider: str | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.request_id = request_id


class ServiceConnectionError(ServiceError):
    """The service could not be reached (refused, DNS, reset)."""


class ServiceTimeoutError(ServiceConnectionError, TimeoutError):
    """The service did not answer within the client's timeout."""


class ServiceUnreachableError(ServiceConnectionError):
    """Connecting failed (refused, unknown host), so the request provably never reached the
    service: a create that ends so was not sent and may simply be tried again."""


class ServiceStatusError(ServiceError):
    """The service answered with an HTTP error status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        provider: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider, request_id=request_id)
        self.status_code = status_code


class AuthenticationError(ServiceStatusError):
    """The key was missing, wrong or not allowed (401/403)."""


class NotFoundError(ServiceStatusError):
    """The job or resource does not exist on the service (404)."""


class RateLimitError(ServiceStatusError):
    """The service asked us to slow down (429)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        retry_after: float | None = None,
        provider: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message, status_code=status_code, provider=provider, request_id=request_id
        )
        self.retry_after = retry_after


class ServerError(ServiceStatusError):
    """The service failed on its side (5xx)."""


class PolicyRejectedError(ServiceError):
    """The service refused the prompt or image on policy grounds; never retried."""

    exit_code = 5


class ResponseValidationError(ServiceError):
    """A successful answer whose body does not fit the job model."""


class JobError(ServiceError):
    """A job was accepted but did not produce a usable result."""

    exit_code = 6


class JobFailedError(JobError):
    """The service reports the job as failed, with its code and message."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        job_message: str | None = None,
        provider: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider, request_id=request_id)
        self.code = code
        self.job_message = job_message


class PollTimeoutError(JobError, TimeoutError):
    """Waiting for the job reached its deadline; the job may still finish (resume later)."""


class ContentExpiredError(JobError):
    """The job's download has expired on the service."""


class MediaError(StillmotionError):
    """A media file could not be read, decoded or written."""

    exit_code = 7

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class FFmpegNotFound(MediaError, FileNotFoundError):
    """No runnable ffmpeg binary was found."""


class ProbeError(MediaError):
    """A file is missing, empty, not media, or truncated."""


class TranscodeError(MediaError):
    """ffmpeg failed; the tail of its stderr is kept for diagnosis."""

    def __init__(
        self, message: str, *, path: Path | str | None = None, stderr_tail: str = ""
    ) -> None:
        super().__init__(message, path=path)
        self.stderr_tail = stderr_tail


class TimelineError(StillmotionError):
    """The timeline cannot serve the request: no clip at the playhead, offline media, bad file."""

    exit_code = 8


class BudgetExceededError(StillmotionError):
    """The cost estimate is above the budget for this run or this day."""

    exit_code = 9


class LedgerError(StillmotionError):
    """The job ledger cannot be used (locked too long, damaged, newer schema) or lacks a job."""


class JobStateError(LedgerError):
    """A job was asked to move to a state its current state does not lead to."""

    def __init__(self, message: str, *, job_id: str, state: str, target: str) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.state = state
        self.target = target


class WebhookError(StillmotionError):
    """An incoming webhook was refused: malformed, badly signed, outside the tolerance, or replayed.

    ``reason`` is one of ``malformed``, ``signature``, ``timestamp``, ``replay``; a receiver maps
    it onto its HTTP answer (400 for malformed, 401 for the others).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ResolveError(StillmotionError):
    """DaVinci Resolve could not be used or did not do what was asked."""

    exit_code = 10


class ResolveUnavailableError(ResolveError):
    """Resolve is not running, not scriptable from here, or the edition lacks the feature."""


class ResolveOperationError(ResolveError):
    """A Resolve call returned a falsy result (Resolve's only way of failing)."""

    def __init__(self, message: str, *, operation: str) -> None:
        super().__init__(message)
        self.operation = operation
