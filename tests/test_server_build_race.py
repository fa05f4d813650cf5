"""Several local servers started at once (the embedded preview server of concurrent jobs) leak
no warning from FastAPI's route building.

FastAPI silences pydantic's ``UnsupportedFieldAttributeWarning`` (about the aliases it sets on
route parameters) with ``warnings.catch_warnings()``, which swaps the process-wide filters and
is not thread-safe; apps built at the same moment restored each other's filters and the
warning escaped (``alias='sig'`` in tests/test_resolve_pipeline.py). ``create_app`` builds one
app at a time: the builds are timed here, each one stretched, so overlapping builds would show.
"""

from __future__ import annotations

import threading
import time
import warnings
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic.warnings import UnsupportedFieldAttributeWarning

from stillmotion.server import app as app_module
from stillmotion.server.options import ServerOptions
from stillmotion.server.service import VideoService

BUILDERS = 6


def test_apps_built_together_are_built_one_at_a_time_and_leak_no_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = app_module._build_app
    spans: list[tuple[float, float]] = []

    def stretched(service: VideoService) -> FastAPI:
        began = time.monotonic()
        built = real(service)
        time.sleep(0.05)  # widen the window in which another build could overlap
        spans.append((began, time.monotonic()))
        return built

    monkeypatch.setattr(app_module, "_build_app", stretched)
    services = [VideoService(ServerOptions(data_dir=tmp_path / f"s{i}", fast=True))
                for i in range(BUILDERS)]
    start = threading.Barrier(BUILDERS)
    failures: list[BaseException] = []

    def build(service: VideoService) -> None:
        try:
            start.wait()
            app_module.create_app(service)
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            threads = [threading.Thread(target=build, args=(s,)) for s in services]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
    finally:
        for service in services:
            service.close()
    assert not failures, failures
    assert len(spans) == BUILDERS
    ordered = sorted(spans)
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(ordered))
    assert [w for w in caught if issubclass(w.category, UnsupportedFieldAttributeWarning)] == []
