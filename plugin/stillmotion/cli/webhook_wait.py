"""The webhook side of a command: the signing secret, and a wait woken by verified events.

Why in the CLI: the receiver listens only while a command runs, so the command opens it around
the job and hands the jobs layer a :class:`~stillmotion.jobs.pipeline.Clock` whose sleeps end
when an event names the job.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from stillmotion.cli.console import err_console
from stillmotion.errors import ConfigError

if TYPE_CHECKING:
    from stillmotion.jobs.pipeline import Clock

DEFAULT_SECRET_ENV = "STILLMOTION_WEBHOOK_SECRET"


def webhook_secret(variable: str = DEFAULT_SECRET_ENV) -> str:
    """The whsec_… secret from ``variable`` (its value is never printed)."""
    secret = os.environ.get(variable, "")
    if not secret:
        raise ConfigError(f"No webhook secret in {variable}; set it to the sender's "
                          "whsec_… secret.")
    return secret


@contextlib.contextmanager
def webhook_clock(port: int | None, fallback: float) -> Iterator[Clock | None]:
    """With a port: a receiver on 127.0.0.1:``port`` for the block, and the Clock it wakes;
    without one: None (the wait polls on its schedule)."""
    from stillmotion.api.webhook_receiver import WebhookReceiver
    from stillmotion.api.webhook_wake import WebhookWake
    from stillmotion.api.webhooks import WebhookVerifier
    from stillmotion.jobs.pipeline import Clock

    if port is None:
        yield None
        return
    wake = WebhookWake(fallback)
    with WebhookReceiver(WebhookVerifier(webhook_secret()), wake.on_event, port=port) as receiver:
        err_console.print(f"Listening for webhooks on {receiver.url}; polling every "
                          f"{wake.fallback:g} s only as a fallback.", markup=False)
        yield Clock(wake=wake)
