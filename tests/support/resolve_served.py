"""Fixtures for Resolve tests against the real local server speaking vendor dialects.

Why a server of its own (key required) rather than the embedded preview: the server counts the
create requests per dialect, which is how "nothing is submitted twice" is measured.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stillmotion.server import RunningServer
from stillmotion.settings import Settings
from support.generate_env import isolate
from support.server import reset_server, server_fixture

KEY = "resolve-models-test-key"
WAN = "fal-ai/wan/v2.7/image-to-video"
CREATES = ("POST /v1/image_to_video", "POST /{model_path:falmodel}")


server = server_fixture(require_key=KEY, workers=2)


@pytest.fixture
def live(server: RunningServer, monkeypatch: pytest.MonkeyPatch,
         tmp_path: Path) -> RunningServer:
    isolate(monkeypatch, tmp_path)
    for variable in ("RUNWAYML_API_SECRET", "FAL_KEY"):
        monkeypatch.setenv(variable, KEY)
    reset_server(server)
    return server


@pytest.fixture
def served(live: RunningServer, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                    ledger=tmp_path / "ledger.sqlite3", base_url=live.root_url)


def creates(server: RunningServer) -> int:
    """Create requests the server received (each dialect's create route)."""
    requests = server.stats()["requests"]
    return sum(int(requests.get(route, 0)) for route in CREATES)
