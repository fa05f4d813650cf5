"""A /v1/videos gateway's model list (``GET /models``) read through ``model_rows.find``.

Remote gateways cannot run here, so these cases answer from an ``httpx.MockTransport`` that
records what would leave the machine: OpenAI's documented list (tests/data/vendors/openai),
that list with OpenRouter's capability fields added to an entry (as a gateway may add them),
and a gateway without a list. The local server's list runs over real HTTP in
tests/test_declared_models.py.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from stillmotion.api import catalogues, model_rows
from stillmotion.api.providers.gateway_catalogue import catalogue_body, listed
from stillmotion.errors import ConfigError
from stillmotion.jobs import cost
from stillmotion.settings import Settings
from support.dialects import Script
from support.openrouter import golden as openrouter_golden
from support.vendor_golden import golden

ROOT = "https://gateway.example.com/v1"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    made = "gw-" + secrets.token_hex(8)
    monkeypatch.setenv("STILLMOTION_API_KEY", made)
    return made


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(base_url=ROOT, cache_dir=tmp_path, **extra)


def _with_fields() -> dict[str, object]:
    """OpenAI's list with the first entry carrying OpenRouter's capability fields."""
    body = golden("openai", "models")
    fields = {k: v for k, v in openrouter_golden("models")["data"][1].items() if k != "id"}
    body["data"][0] = {**body["data"][0], **fields}
    return body


def test_the_documented_list_names_its_models() -> None:
    assert listed(golden("openai", "models")) == ("model-id-0", "model-id-1", "model-id-2")


def test_a_listed_model_with_capability_fields_is_a_priced_row(tmp_path: Path,
                                                               key: str) -> None:
    script = Script().add(200, _with_fields())
    row = model_rows.find("openai", "model-id-0", _settings(tmp_path),
                          transport=script.transport)
    assert (row.provider, row.source) == ("openai", "catalogue")
    assert row.sizes and row.seconds and row.prices
    size = row.sizes[0]
    estimate = cost.estimate("openai", row.model, size, row.seconds[0], declared=row.prices,
                             declared_by=row.source)
    assert estimate.amount > 0
    (sent,) = script.seen
    assert (sent.method, str(sent.url)) == ("GET", f"{ROOT}/models")
    assert sent.headers["authorization"] == f"Bearer {key}"
    (kept,) = (tmp_path / "catalogues").glob("openai-*.json")
    assert key not in kept.read_text(encoding="utf-8")


def test_a_listed_model_without_fields_gets_the_gateway_rule(tmp_path: Path, key: str) -> None:
    script = Script().add(200, golden("openai", "models"))
    row = model_rows.find("openai", "model-id-2", _settings(tmp_path),
                          transport=script.transport)
    assert (row.source, row.sizes, row.prices) == ("gateway", None, ())
    with pytest.raises(ConfigError, match="No price is known for openai model model-id-2"):
        cost.estimate("openai", row.model, (1280, 720), row.default_seconds,
                      declared=row.prices, declared_by=row.source)


def test_an_unlisted_model_is_refused_naming_the_listed_ones(tmp_path: Path, key: str) -> None:
    script = Script().add(200, golden("openai", "models"))
    with pytest.raises(ConfigError) as caught:
        model_rows.find("openai", "muse", _settings(tmp_path), transport=script.transport)
    assert caught.value.message.startswith(
        "The gateway at gateway.example.com does not offer the model 'muse' (it lists "
        "model-id-0, model-id-1, model-id-2); choose one of those with --model")
    assert key not in caught.value.message


def test_a_long_list_is_named_in_part(tmp_path: Path, key: str) -> None:
    body = {"object": "list", "data": [{"id": f"chat-{n}", "object": "model"}
                                       for n in range(45)]}
    with pytest.raises(ConfigError, match=r"chat-19 and 25 more\)"):
        model_rows.find("openai", "muse", _settings(tmp_path),
                        transport=Script().add(200, body).transport)


@pytest.mark.parametrize("status", [404, 405])
def test_a_gateway_without_a_list_keeps_the_gateway_rule(tmp_path: Path, key: str,
                                                         status: int) -> None:
    script = Script().add(status, {"error": {"message": "Invalid URL (GET /v1/models)"}})
    row = model_rows.find("openai", "muse", _settings(tmp_path), transport=script.transport)
    assert row.source == "gateway" and len(script.seen) == 1
    assert not (tmp_path / "catalogues").exists()  # nothing kept: read again next run


def test_a_declared_or_built_in_model_reads_no_list(tmp_path: Path, key: str) -> None:
    settings = _settings(tmp_path, models={"openai/muse": {"sizes": ["1280x720"],
                                                           "durations": [4]}})
    script = Script()  # any request would fail the test
    assert model_rows.find("openai", "muse", settings, transport=script.transport).source == \
        "settings"
    assert model_rows.find("openai", "sora-2", settings, transport=script.transport).source \
        == "built-in"
    assert script.seen == []


def test_the_list_is_kept_for_its_time_to_live(tmp_path: Path) -> None:
    script = Script().add(200, golden("openai", "models")).add(200, {"data": []})
    clock = [5000.0]

    def read() -> int:
        body = catalogue_body(ROOT, "k", tmp_path, 60, clock=lambda: clock[0],
                              transport=script.transport)
        return len(listed(body or {}))

    assert read() == 3
    clock[0] += 60
    assert read() == 3 and len(script.seen) == 1  # at its time to live: still kept
    clock[0] += 1
    assert read() == 0 and len(script.seen) == 2


def test_the_providers_table_shows_a_kept_list(tmp_path: Path, key: str) -> None:
    settings = _settings(tmp_path)
    assert model_rows.cached_catalogue("openai", settings) is None
    path = catalogues.cache_file(tmp_path, "openai", ROOT)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"root": ROOT, "fetched_at": 1e12, "body": _with_fields()}),
                    encoding="utf-8")
    assert model_rows.cached_catalogue("openai", settings) is None  # from the future: stale
    catalogue_body(ROOT, key, tmp_path, 3600, transport=Script().add(
        200, _with_fields()).transport)
    rows = model_rows.known_rows("openai", settings)
    assert [r.model for r in rows if r.source == "catalogue"] == ["model-id-0"]
