"""``stillmotion webhooks listen``: receive signed video events and print them as JSON lines.

Why a command: with a webhook the editor's machine learns at once that a render finished, with
no polling; printing each verified event as one JSON line lets scripts (or ``jobs resume``)
react to it. The secret is read from an environment variable named on the command line, never
from an argument, so it stays out of shell history and process lists.
"""

from __future__ import annotations

import json
import queue
from typing import TYPE_CHECKING, Annotated

import typer

from stillmotion.cli.console import console, err_console
from stillmotion.cli.webhook_wait import DEFAULT_SECRET_ENV, webhook_secret

if TYPE_CHECKING:
    from stillmotion.api.webhooks import WebhookEvent

DEFAULT_PORT = 8790



# A sub-app holding the ``webhooks`` command group; stillmotion.cli merges it into the root app.
app = typer.Typer()
webhooks = typer.Typer(
    help="Receive Standard Webhooks (video.completed / video.failed) from a job service.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

@webhooks.command("listen")
def listen(
    port: Annotated[int, typer.Option(
        "--port", min=0, max=65535, help="Port on 127.0.0.1 (0 picks a free one).")
    ] = DEFAULT_PORT,
    secret_env: Annotated[str, typer.Option(
        "--secret-env", help="Environment variable holding the whsec_… signing secret.")
    ] = DEFAULT_SECRET_ENV,
    max_events: Annotated[int | None, typer.Option(
        "--max-events", min=1, help="Stop after this many events (default: run until "
        "Ctrl-C).")] = None,
) -> None:
    """Listen on 127.0.0.1 and print each verified video event as a JSON line."""
    from stillmotion.api.webhook_receiver import WebhookReceiver
    from stillmotion.api.webhooks import WebhookVerifier

    events: queue.Queue[WebhookEvent] = queue.Queue()
    receiver = WebhookReceiver(WebhookVerifier(webhook_secret(secret_env)), events.put,
                               port=port)
    receiver.start()
    try:
        err_console.print(f"Listening for webhooks on {receiver.url} (Ctrl-C to stop).",
                          markup=False)
        received = 0
        while max_events is None or received < max_events:
            try:
                event = events.get(timeout=0.5)
            except queue.Empty:
                continue
            console.print(json.dumps(event.model_dump(mode="json"), sort_keys=True),
                          markup=False, emoji=False, highlight=False)
            received += 1
    finally:
        receiver.stop()

app.add_typer(webhooks, name="webhooks")
