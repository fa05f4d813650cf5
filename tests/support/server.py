"""Pytest fixtures running ``stillmotion serve`` in-process on a free 127.0.0.1 port.

Use them from any test module (they are registered in conftest.py through ``pytest_plugins``):

- ``preview_server`` (session): one fast, test-mode server shared by the whole run.
- ``clean_server`` (function): that same server with no faults and zeroed counters, put back
  that way after the test; use it when a test sets faults or reads ``stats()``.
  ``reset_server(server)`` does the same for a module's own server between its tests, and
  ``last_job_seq(server)`` tells a test's jobs from those of the tests before it.
- ``make_server`` (function): a factory ``make_server(**ServerOptions fields)`` starting a
  dedicated server (own data folder under ``tmp_path`` unless ``data_dir`` is given), stopped
  after the test; for a server whose options depend on other fixtures, or one per test.
- ``server_fixture(scope, **ServerOptions fields)``: not a fixture but the one way to declare a
  module's (or the session's) own server when the shared one will not do: a key to require,
  a worker count, initial faults, or counters and jobs the module's tests read as their own.
  ``server = server_fixture(require_key=KEY)`` in a test module gives it a ``server`` fixture.

Every server these start is fast and in test mode unless the options say otherwise. Each yields
a :class:`stillmotion.server.RunningServer`: ``.base_url`` ("http://127.0.0.1:PORT/v1"),
``.root_url``, ``.set_faults(**FaultPlan fields)``, ``.stats()``, ``.reset_stats()``,
``.data_dir``, ``.service``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

from stillmotion.server import RunningServer, serve_in_background
from stillmotion.server.dialects import dialect_state

if TYPE_CHECKING:  # what pytest.fixture returns; pytest does not export the name
    from _pytest.fixtures import FixtureFunctionDefinition

FAST_POLL_MS = 50
"""The poll hint the shared servers send, so polling clients do not idle."""

MakeServer = Callable[..., RunningServer]
"""The type of the ``make_server`` fixture."""


def serving(data_dir: Path, **options: Any) -> contextlib.AbstractContextManager[RunningServer]:
    """``serve_in_background`` with the test defaults: fast renders and test mode (``/_faults``,
    ``/_stats``); ``options`` are ServerOptions fields and win over the defaults."""
    return serve_in_background(data_dir, **{"fast": True, "test_mode": True, **options})


def server_fixture(scope: Literal["module", "session"] = "module",
                   **options: Any) -> FixtureFunctionDefinition:
    """A fixture starting one server with ``options`` (see :func:`serving`) and its own data
    folder, once per module (or per session, that is per xdist worker) and stopped after it."""

    @pytest.fixture(scope=scope)
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
        with serving(tmp_path_factory.mktemp("serve"), **options) as running:
            yield running

    return server


def reset_server(server: RunningServer) -> None:
    """Put a server shared by several tests back to no faults (its own and its vendor
    dialects') and zeroed counters, so each test's faults and counts are its own."""
    server.set_faults()
    dialect_state(server.service).replace()
    server.reset_stats()


def last_job_seq(server: RunningServer) -> int:
    """The sequence number of the server's newest job (0: none yet): a test on a shared server
    tells its own jobs apart as those with a higher one."""
    return max((record.seq for record in server.service.store.jobs()), default=0)


preview_server = server_fixture("session", poll_after_ms=FAST_POLL_MS)


@pytest.fixture
def clean_server(preview_server: RunningServer) -> Iterator[RunningServer]:
    """The session server with no faults and zeroed counters (restored after the test)."""
    reset_server(preview_server)
    yield preview_server
    reset_server(preview_server)


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[MakeServer]:
    """Start dedicated servers with custom options; all are stopped after the test."""
    with contextlib.ExitStack() as stack:
        count = [0]

        def make(data_dir: Path | None = None, **options: Any) -> RunningServer:
            count[0] += 1
            folder = tmp_path / f"serve{count[0]}" if data_dir is None else data_dir
            return stack.enter_context(serving(folder, **{"poll_after_ms": FAST_POLL_MS,
                                                          **options}))

        yield make
