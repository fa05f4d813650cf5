"""Pytest fixtures running ``stillmotion serve`` in-process on a free 127.0.0.1 port.

Use them from any test module (they are registered in conftest.py through ``pytest_plugins``):

- ``preview_server`` (session): one fast, test-mode server shared by the whole run.
- ``clean_server`` (function): that same server with no faults and zeroed counters, put back
  that way after the test; use it when a test sets faults or reads ``stats()``.
- ``make_server`` (function): a factory ``make_server(**ServerOptions fields)`` starting a
  dedicated server (own data folder unless ``data_dir`` is given), stopped after the test.

Each yields a :class:`stillmotion.server.RunningServer`: ``.base_url`` ("http://127.0.0.1:PORT/v1"),
``.root_url``, ``.set_faults(**FaultPlan fields)``, ``.stats()``, ``.reset_stats()``,
``.data_dir``, ``.service``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stillmotion.server import RunningServer, serve_in_background

FAST_POLL_MS = 50
"""The poll hint test servers send, so polling clients do not idle."""


@pytest.fixture(scope="session")
def preview_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A fast test-mode server with its own data folder, shared by the session."""
    with serve_in_background(tmp_path_factory.mktemp("serve"), fast=True, test_mode=True,
                             poll_after_ms=FAST_POLL_MS) as server:
        yield server


@pytest.fixture
def clean_server(preview_server: RunningServer) -> Iterator[RunningServer]:
    """The session server with no faults and zeroed counters (restored after the test)."""
    preview_server.set_faults()
    preview_server.reset_stats()
    yield preview_server
    preview_server.set_faults()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start dedicated servers with custom options; all are stopped after the test."""
    with contextlib.ExitStack() as stack:
        count = [0]

        def make(**options: Any) -> RunningServer:
            count[0] += 1
            options.setdefault("data_dir", tmp_path / f"serve{count[0]}")
            options.setdefault("fast", True)
            options.setdefault("test_mode", True)
            options.setdefault("poll_after_ms", FAST_POLL_MS)
            return stack.enter_context(serve_in_background(**options))

        yield make
