"""The settings of one server instance (CLI flags, ``serve_in_background`` keywords).

Why a dataclass rather than globals: tests run several servers in one process, each with its
own data folder, key, faults and worker count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ffmpeg and pydantic: not loaded to read the defaults below (serve's help)
    from stillmotion.server.engine import Engine
    from stillmotion.server.faults import FaultPlan

DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"
DEFAULT_CONTENT_TTL = 3600.0
DEFAULT_WORKERS = 2
DEFAULT_POLL_AFTER_MS = 500


def _no_faults() -> FaultPlan:
    """An empty fault plan (the default), its pydantic model imported when one is made."""
    from stillmotion.server.faults import FaultPlan

    return FaultPlan()


@dataclass
class ServerOptions:
    """Everything configurable about one ``stillmotion serve`` instance.

    - ``data_dir``: jobs (SQLite) and files survive restarts there; None: a temporary folder
      removed at shutdown.
    - ``require_key``: when set, every /v1 call needs ``Authorization: Bearer KEY`` or
      ``api-key: KEY``; the vendor dialects read it from their own headers, and Kling's
      JWTs must name it as ``iss`` (the access key).
    - ``kling_secret``: the secret half of the Kling key pair tokens are verified with (None:
      ``require_key`` itself).
    - ``content_ttl``: seconds the content stays downloadable after completion
      (``expires_at``); afterwards content answers 410 with code ``video_expired``.
    - ``workers``: renders running at once; ``fast``: the renderer's quick draft setting.
    - ``extra_models``: free-form models (any even size 16..1920, 1..20 s), see catalog.
    - ``poll_after_ms``: the ``openai-poll-after-ms`` hint on retrieve.
    - ``render_delay``: seconds each job spends in_progress before rendering, with rising
      progress (lets tests watch the lifecycle; 0 in production).
    - ``test_mode``: enables ``/_faults`` and ``/_stats``; ``faults``: the initial fault plan
      (including the moderation words that make a job fail with ``moderation_blocked``).
    - ``engine``: what renders (default: the preview renderer); tests may swap it.
    """

    data_dir: Path | None = None
    require_key: str | None = None
    kling_secret: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    content_ttl: float = DEFAULT_CONTENT_TTL
    workers: int = DEFAULT_WORKERS
    fast: bool = False
    extra_models: tuple[str, ...] = ("preview",)
    poll_after_ms: int = DEFAULT_POLL_AFTER_MS
    render_delay: float = 0.0
    test_mode: bool = False
    faults: FaultPlan = field(default_factory=_no_faults)
    webhook_attempts: int = 4
    webhook_backoff: float = 0.5
    engine: Engine | None = None
