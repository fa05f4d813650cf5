"""``stillmotion serve``: run the local /v1/videos server (the ``preview`` provider)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stillmotion.cli.console import console, err_console
from stillmotion.server.options import (
    DEFAULT_CONTENT_TTL,
    DEFAULT_HOST,
    DEFAULT_POLL_AFTER_MS,
    DEFAULT_PORT,
    DEFAULT_WORKERS,
    ServerOptions,
)

LOOPBACK = ("127.0.0.1", "localhost", "::1")



# A sub-app holding the serve command; stillmotion.cli merges it into the root app.
app = typer.Typer()

@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless you "
                                      "mean to share it).")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0,
                                      max=65535)] = DEFAULT_PORT,
    data_dir: Annotated[Path | None, typer.Option(
        help="Keep jobs and files here so they survive a restart (default: a temporary "
        "folder removed on exit).")] = None,
    require_key: Annotated[str | None, typer.Option(
        envvar="STILLMOTION_SERVE_KEY", show_default=False,
        help="Refuse /v1 calls without 'Authorization: Bearer KEY' or 'api-key: KEY'.",
    )] = None,
    require_kling_secret: Annotated[str | None, typer.Option(
        envvar="STILLMOTION_SERVE_KLING_SECRET", show_default=False,
        help="With --require-key: the secret key Kling JWTs must be signed with (their iss is "
        "the required key); default: the required key itself.")] = None,
    webhook_url: Annotated[str | None, typer.Option(
        help="POST signed video.completed / video.failed events here.")] = None,
    webhook_secret: Annotated[str | None, typer.Option(
        envvar="STILLMOTION_WEBHOOK_SECRET", show_default=False,
        help="whsec_… secret signing the webhooks (Standard Webhooks).")] = None,
    content_ttl: Annotated[float, typer.Option(
        help="Seconds a finished video stays downloadable (expires_at); 0 keeps it "
        "forever.")] = DEFAULT_CONTENT_TTL,
    workers: Annotated[int, typer.Option(min=1, help="Renders running at once.")]
    = DEFAULT_WORKERS,
    fast: Annotated[bool, typer.Option(help="Quick draft renders (for load tests).")]
    = False,
    extra_model: Annotated[list[str] | None, typer.Option(
        help="Free-size model names besides sora-2/sora-2-pro (any even size 16-1920, "
        "1-20 s); repeat for several. Default: preview.")] = None,
    poll_after_ms: Annotated[int, typer.Option(
        min=0, help="The openai-poll-after-ms hint sent while a job runs.")]
    = DEFAULT_POLL_AFTER_MS,
    test_mode: Annotated[bool, typer.Option(
        help="Enable the /_faults and /_stats endpoints (tests and benchmarks only).")]
    = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve /v1/videos locally, rendering real preview clips offline (Ctrl-C stops)."""
    from stillmotion.server.running import serve_forever

    options = ServerOptions(
        data_dir=data_dir, require_key=require_key, kling_secret=require_kling_secret,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret, content_ttl=content_ttl, workers=workers, fast=fast,
        extra_models=tuple(extra_model) if extra_model else ("preview",),
        poll_after_ms=poll_after_ms, test_mode=test_mode)
    if host not in LOOPBACK and not require_key:
        err_console.print(f"stillmotion: warning: listening on {host} without "
                          "--require-key lets anyone on the network submit jobs.")
    shown = f"[{host}]" if ":" in host else host
    where = data_dir if data_dir is not None else "a temporary folder"
    console.print(f"stillmotion serve: base URL http://{shown}:{port}/v1 (data in {where})",
                  markup=False)
    serve_forever(options, host=host, port=port, log_level=log_level)
