"""User-declared models (the settings' ``models`` table, ``STILLMOTION_MODELS``) and the
/v1/videos gateways' rule: no dead default, the model is named, its row comes from our table,
the user's settings, or the gateway's ``GET /models`` (a model it does not list is refused
naming those it does; one it lists without capabilities gets the permissive gateway row that the
budget guard still refuses unpriced).

The end-to-end cases run the CLI against ``stillmotion serve`` speaking /v1/videos with an
extra model "muse" (as a gateway would serve it), over real HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from stillmotion.api import capabilities, model_rows
from stillmotion.api.declared import declared_row, declared_rows
from stillmotion.errors import ConfigError
from stillmotion.jobs import cost
from stillmotion.server import RunningServer
from stillmotion.settings import Settings, load_settings
from stillmotion.timeline.io import read_timeline
from support.generate_env import ai_items, cli, cli_json, isolate, one_clip_cut
from support.server import reset_server, server_fixture
from support.vendor_golden import golden, missing

KEY = "gateway-test-key"
MODELS = "GET /v1/models"
MUSE = {"sizes": ["320x180", "180x320"], "durations": [1, 2], "last_frame": True,
        "audio": True, "price_per_second": 0.05}


# -- the table's entries -------------------------------------------------------------------


def test_an_entry_becomes_a_row() -> None:
    row = declared_row("openai/muse", MUSE)
    assert (row.provider, row.model, row.sizes, row.seconds, row.default_seconds) == (
        "openai", "muse", ((320, 180), (180, 320)), (1, 2), 1)
    assert (row.first_frame, row.last_frame, row.audio, row.source) == (True, True, True,
                                                                        "settings")
    assert row.prices == (("openai/muse", "0.05"),)
    shaped = declared_row("openrouter/acme/clip-1", {
        "resolutions": ["720p"], "aspect_ratios": ["16:9", "9:16"], "durations": [5, 10],
        "default_seconds": 10})
    assert (shaped.model, shaped.sizes, shaped.default_seconds) == (
        "acme/clip-1", ((1280, 720), (720, 1280)), 10)
    assert shaped.prices == ()


@pytest.mark.parametrize(("key", "entry", "words"), [
    ("muse", MUSE, "is not keyed provider/model"),
    ("openai/muse", ["1280x720"], "is not a table"),
    ("openai/muse", {**MUSE, "seconds": [4]}, "unknown field 'seconds'"),
    ("openai/muse", {**MUSE, "durations": []}, "needs 'durations'"),
    ("openai/muse", {**MUSE, "durations": [4, "8"]}, "needs 'durations'"),
    ("openai/muse", {**MUSE, "default_seconds": 3}, "default_seconds 3"),
    ("openai/muse", {**MUSE, "sizes": ["big"]}, "the size 'big'"),
    ("openai/muse", {"durations": [4]}, "gives no sizes"),
    ("openai/muse", {"durations": [4], "resolutions": ["720p"]}, "give both"),
    ("openai/muse", {"durations": [4], "resolutions": ["huge"], "aspect_ratios": ["16:9"]},
     "not understood"),
    ("openai/muse", {**MUSE, "last_frame": "yes"}, "'last_frame' that is not true or false"),
    ("openai/muse", {**MUSE, "price_per_second": -1}, "price_per_second"),
    ("openai/muse", {**MUSE, "price_per_second": "free"}, "price_per_second"),
])
def test_mistakes_are_one_sentence_naming_the_entry(key: str, entry: Any, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        declared_row(key, entry)
    message = caught.value.message
    assert words in message and f"'{key}'" in message
    assert message.endswith("fix it in the settings file or STILLMOTION_MODELS.")


def test_the_table_comes_from_the_settings_file_and_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(monkeypatch, tmp_path)
    config = tmp_path / "settings.toml"
    config.write_text('[models."openai/muse"]\nsizes = ["320x180"]\ndurations = [1, 2]\n'
                      'price_per_second = 0.05\n\n[models."openrouter/acme/clip-1"]\n'
                      'resolutions = ["720p"]\naspect_ratios = ["16:9"]\ndurations = [5]\n'
                      'last_frame = true\n', encoding="utf-8")
    monkeypatch.setenv("STILLMOTION_CONFIG", str(config))
    rows = declared_rows(load_settings().models)
    assert [(r.provider, r.model, r.last_frame) for r in rows] == [
        ("openai", "muse", False), ("openrouter", "acme/clip-1", True)]
    monkeypatch.setenv("STILLMOTION_MODELS", json.dumps({
        "fal/acme/i2v": {"aspect_ratios": ["1:1"], "resolutions": ["1080p"], "durations": [6]},
        "openai/muse": {"sizes": ["180x320"], "durations": [2]}}))
    # The environment's entries join the file's, field by field: for the same model the
    # environment's fields win and the file's other fields (its price) stay.
    joined = {(r.provider, r.model): r for r in declared_rows(load_settings().models)}
    assert set(joined) == {("openai", "muse"), ("openrouter", "acme/clip-1"), ("fal", "acme/i2v")}
    assert joined["fal", "acme/i2v"].sizes == ((1080, 1080),)
    muse = joined["openai", "muse"]
    assert (muse.sizes, muse.seconds, muse.prices) == (((180, 320),), (2,),
                                                       (("openai/muse", "0.05"),))


def test_a_declared_row_wins_and_needs_no_catalogue() -> None:
    # No key and a non-local root: reading the catalogue would be refused, so none is read.
    settings = Settings(base_url="https://openrouter.invalid/api/v1", models={
        "openrouter/acme/clip-1": {"sizes": ["1280x720"], "durations": [5],
                                   "price_per_second": "0.07"},
        "veo/veo-3.1-generate-preview": {"sizes": ["1280x720"], "durations": [8]}})
    row = model_rows.find("openrouter", "acme/clip-1", settings)
    assert (row.source, row.seconds) == ("settings", (5,))
    estimate = cost.estimate("openrouter", row.model, (1280, 720), 5, declared=row.prices,
                             declared_by=row.source)
    assert (str(estimate.amount), estimate.basis) == (
        "0.35", "openrouter/acme/clip-1 at the settings price")
    corrected = model_rows.find("veo", "veo-3.1-generate-preview", settings)
    assert (corrected.source, corrected.seconds) == ("settings", (8,))
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY"):
        model_rows.find("openrouter", "acme/unknown", settings)


def test_a_model_that_takes_no_first_frame_is_refused() -> None:
    row = declared_row("openrouter/acme/text-only", {"sizes": ["1280x720"], "durations": [5],
                                                      "first_frame": False})
    with pytest.raises(ConfigError, match="cannot start from a still"):
        capabilities.validate(row, (1280, 720), 5)


def test_declared_prices_rank_below_the_users_prices_and_unpriced_is_refused() -> None:
    row = declared_row("openai/muse", MUSE)
    ours = cost.estimate("openai", "muse", (320, 180), 2, prices={"openai/muse": 0.5},
                         declared=row.prices, declared_by=row.source)
    assert ours.amount == 1
    unpriced = declared_row("openai/muse", {k: v for k, v in MUSE.items()
                                            if k != "price_per_second"})
    with pytest.raises(ConfigError, match="No price is known for openai model muse"):
        cost.estimate("openai", "muse", (320, 180), 2, declared=unpriced.prices)


# -- no dead default for /v1/videos gateways -----------------------------------------------


def test_no_provider_defaults_to_a_sora_model() -> None:
    assert not [m for m in capabilities.DEFAULT_MODEL.values() if m.startswith("sora-2")]
    assert Settings().model is None
    with pytest.raises(ConfigError) as caught:
        capabilities.lookup("openai", None)
    assert caught.value.message == (
        "The openai provider has no default model (OpenAI's sora-2 models were shut down on "
        "2026-09-24); choose your gateway's model with --model, STILLMOTION_MODEL or model in "
        "the settings file.")


gateway = server_fixture(require_key=KEY, extra_models=("preview", "muse"))


@pytest.fixture
def live(gateway: RunningServer, monkeypatch: pytest.MonkeyPatch,
         tmp_path: Path) -> RunningServer:
    isolate(monkeypatch, tmp_path)
    monkeypatch.delenv("STILLMOTION_MODELS", raising=False)
    monkeypatch.setenv("STILLMOTION_API_KEY", KEY)
    reset_server(gateway)
    return gateway


@pytest.fixture
def cut(tmp_path: Path) -> Path:
    return one_clip_cut(tmp_path, (320, 180), "M")


def _gateway(server: RunningServer, tmp_path: Path, *extra: str) -> list[str]:
    return ["--provider", "openai", "--base-url", server.base_url, "--preset", "h264-web",
            "--ledger", str(tmp_path / "ledger.sqlite3"), *extra]


def test_generate_without_a_model_is_refused_before_sending(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt", "p",
                       *_gateway(live, tmp_path))
    assert code == 3
    (said,) = [line for line in err.splitlines() if line.startswith("stillmotion:")]
    assert "--model, STILLMOTION_MODEL or model in the settings file" in said
    assert live.stats()["total_requests"] == 0


def test_a_declared_gateway_model_is_generated_and_priced(
        live: RunningServer, cut: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STILLMOTION_MODELS", json.dumps({"openai/muse": MUSE}))
    result = cli_json(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt",
                      "Slow dolly in", *_gateway(live, tmp_path, "--model", "muse"))
    assert (result["model"], result["size"], result["seconds"]) == ("muse", "320x180", 1)
    assert result["cost_estimate"] == "0.05"
    placed = list(ai_items(read_timeline(result["timeline"])))
    assert [(start, end) for _, _, start, end in placed] == [(5, 30)]
    code, out, _ = cli(capsys, "providers", "--json")
    assert code == 0
    table = {e["provider"]: e for e in json.loads(out)}
    assert table["openrouter"]["catalogue"] == "not read yet"  # providers reads no network
    entry = table["openai"]
    muse = next(m for m in entry["models"] if m["model"] == "muse")
    assert (muse["source"], muse["price"]) == ("settings", "$0.05/s at 320x180")
    assert entry["key_set"] is True and entry["model_required"] is True and KEY not in out


@pytest.mark.parametrize(("entry", "extra", "words"), [
    (MUSE, ["--size", "640x360"], "Size 640x360 is not allowed for muse"),
    (MUSE, ["--seconds", "4"], "4 s is not allowed for muse"),
    ({k: v for k, v in MUSE.items() if k != "price_per_second"}, [], "No price is known"),
    ({**MUSE, "durations": "1"}, [], "needs 'durations'"),
])
def test_a_declared_model_is_held_to_its_row_before_sending(
        entry: dict[str, Any], extra: list[str], words: str, live: RunningServer, cut: Path,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STILLMOTION_MODELS", json.dumps({"openai/muse": entry}))
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt", "p",
                       *_gateway(live, tmp_path, "--model", "muse", *extra))
    assert code == 3 and words in err and "Traceback" not in err
    assert live.stats()["total_requests"] == 0


def test_a_listed_model_without_capabilities_is_refused_unpriced(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # The server lists "muse" (OpenAI's list says only that it exists): the /v1/videos rule
    # gives its durations, and its price must come from the settings.
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt", "p",
                       *_gateway(live, tmp_path, "--model", "muse", "--seconds", "4"))
    assert code == 3 and "No price is known for openai model muse" in err
    assert live.stats()["requests"] == {MODELS: 1}  # the list, then nothing sent


def test_a_declared_gateway_model_reads_no_list(
        live: RunningServer, cut: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STILLMOTION_MODELS", json.dumps({"openai/muse": MUSE}))
    result = cli_json(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt", "Slow dolly",
                      *_gateway(live, tmp_path, "--model", "muse"))
    assert result["model"] == "muse"
    requests = live.stats()["requests"]
    assert MODELS not in requests and requests["POST /v1/videos"] == 1


def _refused(capsys: pytest.CaptureFixture[str], cut: Path, live: RunningServer,
             tmp_path: Path, model: str) -> str:
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt", "p",
                       *_gateway(live, tmp_path, "--model", model))
    assert code == 3 and "Traceback" not in err, err
    (said,) = [line for line in err.splitlines() if line.startswith("stillmotion:")]
    return said


def test_an_unlisted_model_is_refused_naming_the_listed_ones_and_the_list_is_kept(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    said = _refused(capsys, cut, live, tmp_path, "sora-3")
    host = live.base_url.split("//", 1)[1].split("/", 1)[0]
    assert said.startswith(f"stillmotion: The gateway at {host} does not offer the model "
                           "'sora-3' (it lists sora-2, sora-2-2025-10-06, ")
    assert "preview, muse); choose one of those with --model" in said
    assert 'models."openai/sora-3"' in said and KEY not in said
    assert live.stats()["requests"] == {MODELS: 1}  # nothing created
    # A second run within the time to live reads the kept list: still one GET.
    _refused(capsys, cut, live, tmp_path, "sora-3")
    assert live.stats()["requests"] == {MODELS: 1}
    (kept,) = (tmp_path / "user-cache" / "catalogues").glob("openai-*.json")
    saved = json.loads(kept.read_text(encoding="utf-8"))
    assert KEY not in kept.read_text(encoding="utf-8")
    assert [m["id"] for m in saved["body"]["data"]][-2:] == ["preview", "muse"]
    # Once older than catalogue_ttl (default six hours) it is read again.
    saved["fetched_at"] -= Settings().catalogue_ttl + 1
    kept.write_text(json.dumps(saved), encoding="utf-8")
    _refused(capsys, cut, live, tmp_path, "sora-3")
    assert live.stats()["requests"] == {MODELS: 2}
    assert live.stats()["total_creates"] == 0


def test_a_short_time_to_live_reads_the_list_each_run(
        live: RunningServer, cut: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STILLMOTION_CATALOGUE_TTL", "0")
    live.set_faults(server_errors=1)  # meant for a job's poll: the list leaves it alone
    for _ in range(2):
        _refused(capsys, cut, live, tmp_path, "sora-3")
    assert live.stats()["requests"] == {MODELS: 2}
    assert live.service.faults.plan().server_errors == 1


def test_the_server_lists_its_models_in_openai_shape(live: RunningServer) -> None:
    answer = httpx.get(f"{live.base_url}/models", headers={"Authorization": f"Bearer {KEY}"},
                       timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    assert missing(body, golden("openai", "models")) == []
    assert [m["id"] for m in body["data"]][-2:] == ["preview", "muse"]
    assert {m["object"] for m in body["data"]} == {"model"}
    assert httpx.get(f"{live.base_url}/models", timeout=10).status_code == 401
