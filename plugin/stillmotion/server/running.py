"""Run the server: in the foreground for ``stillmotion serve``, or on a background thread.

Why a background mode: the pipeline, ``stillmotion demo`` and every test suite need a real
server on 127.0.0.1 without a subprocess; :func:`serve_in_background` binds a free port itself
(so there is no race for it), runs uvicorn on a thread and shuts both uvicorn and the render
pool down cleanly when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from stillmotion.errors import ConfigError
from stillmotion.server.app import create_app
from stillmotion.server.faults import FaultPlan
from stillmotion.server.options import DEFAULT_HOST, ServerOptions
from stillmotion.server.service import VideoService

STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 30.0


@dataclass
class RunningServer:
    """A server running in this process; ``base_url`` is what clients take as their base URL."""

    host: str
    port: int
    service: VideoService

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the admin routes ``/_faults``, ``/_stats`` live here)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return self.root_url + "/v1"

    @property
    def data_dir(self) -> Path:
        """Where jobs and files are kept (a temporary folder unless ``data_dir`` was given)."""
        return self.service.store.root

    def set_faults(self, plan: FaultPlan | None = None, **fields: Any) -> None:
        """Replace the fault plan in-process: ``set_faults(rate_limit=2)``; no args clears it."""
        self.service.faults.replace(plan if plan is not None else FaultPlan(**fields))

    def stats(self) -> dict[str, Any]:
        """The request and create counters (as ``GET /_stats``)."""
        return self.service.faults.stats()

    def reset_stats(self) -> None:
        """Zero the counters."""
        self.service.faults.reset_stats()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one); ConfigError when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"Cannot listen on {host}:{port} ({reason}); choose another "
                          "--port or --host.") from exc
    sock.set_inheritable(True)
    return sock


def _uvicorn(service: VideoService, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(create_app(service), log_level=log_level, access_log=False,
                            lifespan="off", timeout_graceful_shutdown=5, loop="asyncio",
                            http="h11")
    return uvicorn.Server(config)


@contextlib.contextmanager
def serve_in_background(
    data_dir: Path | str | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    log_level: str = "warning",
    **options: Any,
) -> Iterator[RunningServer]:
    """Run a server on a thread for the ``with`` block; ``options`` are ServerOptions fields.

    ::

        with serve_in_background(fast=True, test_mode=True) as server:
            client = VideosClient(base_url=server.base_url, api_key="any")
    """
    folder = Path(data_dir) if data_dir is not None else None
    service = VideoService(ServerOptions(data_dir=folder, **options))
    sock: socket.socket | None = None
    try:
        sock = bind(host, port)
        server = _uvicorn(service, log_level)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                  name="stillmotion-serve", daemon=True)
        thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise ConfigError("The local server did not start; run `stillmotion serve` in "
                                  "a terminal to see why.")
            time.sleep(0.01)
        bound_port = int(sock.getsockname()[1])
        try:
            yield RunningServer(host, bound_port, service)
        finally:
            server.should_exit = True
            thread.join(SHUTDOWN_TIMEOUT)
    finally:
        if sock is not None:
            sock.close()
        service.close()


@contextlib.contextmanager
def embedded_base_url(data_dir: Path) -> Iterator[str]:
    """The embedded preview server for a ``with`` block: started on ``data_dir``, yields its
    base URL. Entry points hand this to the jobs layer
    (:func:`stillmotion.jobs.providers.embedded_server`), which opens it only when a job runs on
    the ``preview`` provider without a base URL; the folder is the caller's, kept afterwards, so
    a job outlives the process that started it."""
    with serve_in_background(data_dir=data_dir) as server:
        yield server.base_url


def _exit_on_term(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def serve_forever(options: ServerOptions, *, host: str, port: int,
                  log_level: str = "info") -> None:
    """Run in the foreground until Ctrl-C or SIGTERM (``stillmotion serve``).

    uvicorn shuts down gracefully on either signal and then re-raises it; SIGTERM is turned
    into SystemExit here so the render pool is stopped and a temporary data folder removed
    instead of the process dying on the spot.
    """
    service = VideoService(options)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _exit_on_term)
    try:
        sock = bind(host, port)
        try:
            _uvicorn(service, log_level).run(sockets=[sock])
        finally:
            sock.close()
    finally:
        service.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
