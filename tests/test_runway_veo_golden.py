"""Runway gen4.5 / veo3.1_fast and Veo 3.1 (fast, lite) against the vendors' golden payloads.

The documented bodies in tests/data/vendors/{runway,veo} (sources in their README) are checked
from both sides: our client must build the same keys, values and value types for the same job,
and our server (the vendors' test double) must accept the documented body over real HTTP, so the
two cannot drift together.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stillmotion.api.providers import runway, veo
from stillmotion.api.providers.base import GenerationRequest, JobStatus
from stillmotion.api.providers.dialect import RESULT_URL
from stillmotion.server import RunningServer
from support.dialects import Stills, data_uri, make_stills
from support.server import server_fixture

DATA = Path(__file__).parent / "data" / "vendors"
KEY = "golden-test-key"
RUNWAY_HEADERS = {"Authorization": f"Bearer {KEY}", "X-Runway-Version": "2024-11-06"}


def _golden(name: str) -> dict[str, Any]:
    body = json.loads((DATA / name).read_text(encoding="utf-8"))
    assert body.pop("_source")
    return dict(body)


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills(tmp_path_factory)


server = server_fixture(require_key=KEY)


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.root_url, timeout=30) as client:
        yield client


def _types(value: Any) -> Any:
    """The JSON shape of ``value``: keys and value types, never the values."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def _runway_images(body: dict[str, Any], stills: Stills) -> dict[str, Any]:
    """The documented body with our stills' data URIs in place of the example URLs."""
    image = body["promptImage"]
    if isinstance(image, str):
        return {**body, "promptImage": data_uri(stills.first)}
    uris = {"first": data_uri(stills.first), "last": data_uri(stills.last)}
    return {**body, "promptImage": [{**e, "uri": uris[e["position"]]} for e in image]}


def test_runway_gen45_client_builds_the_documented_body(stills: Stills) -> None:
    documented = _runway_images(_golden("runway/create_gen45.json"), stills)
    spec = runway.create_request("gen4.5", GenerationRequest(
        documented["promptText"], None, 5, (1280, 720), first_frame=stills.first))
    assert spec.json == documented
    assert _types(spec.json) == _types(_golden("runway/create_gen45.json"))


def test_runway_first_last_client_builds_the_documented_body(stills: Stills) -> None:
    documented = _runway_images(_golden("runway/create_first_last.json"), stills)
    spec = runway.create_request("veo3.1_fast", GenerationRequest(
        documented["promptText"], None, 4, (1280, 720), first_frame=stills.first,
        last_frame=stills.last))
    assert spec.json == documented


@pytest.mark.parametrize("name", ["runway/create_gen45.json", "runway/create_first_last.json"])
def test_runway_server_accepts_the_documented_bodies(name: str, http: httpx.Client,
                                                    stills: Stills) -> None:
    answer = http.post("/v1/image_to_video", headers=RUNWAY_HEADERS,
                       json=_runway_images(_golden(name), stills))
    assert answer.status_code == 200, answer.text
    assert _types(answer.json()) == _types(_golden("runway/create_response.json"))
    task = http.get(f"/v1/tasks/{answer.json()['id']}", headers=RUNWAY_HEADERS).json()
    assert task["status"] in ("PENDING", "RUNNING", "SUCCEEDED")


def test_runway_reads_the_documented_task() -> None:
    documented = _golden("runway/task_succeeded.json")
    state = runway.read_task(runway.RunwayTask.model_validate(documented), documented["id"])
    assert state.status is JobStatus.COMPLETED
    assert state.raw[RESULT_URL] == documented["output"][0]


def _veo_images(body: dict[str, Any], stills: Stills) -> dict[str, Any]:
    encoded = {"FIRST": stills.first, "LAST": stills.last}
    instance = {k: ({**v, "bytesBase64Encoded": base64.b64encode(
        encoded[v["bytesBase64Encoded"]].read_bytes()).decode()} if isinstance(v, dict) else v)
        for k, v in body["instances"][0].items()}
    return {**body, "instances": [instance]}


@pytest.mark.parametrize(("name", "model", "seconds", "size", "last"), [
    ("veo/create_first_last.json", "veo-3.1-fast-generate-preview", 8, (1280, 720), True),
    ("veo/create_lite.json", "veo-3.1-lite-generate-preview", 8, (1080, 1920), False),
])
def test_veo_client_and_server_agree_with_the_documented_bodies(
        name: str, model: str, seconds: int, size: tuple[int, int], last: bool,
        http: httpx.Client, stills: Stills) -> None:
    documented = _veo_images(_golden(name), stills)
    spec = veo.create_request(model, GenerationRequest(
        documented["instances"][0]["prompt"], model, seconds, size, first_frame=stills.first,
        last_frame=stills.last if last else None))
    assert spec.json == documented
    assert spec.path == f"/v1beta/models/{model}:predictLongRunning"
    answer = http.post(spec.path, json=documented, headers={"x-goog-api-key": KEY})
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"].startswith(f"models/{model}/operations/")


def test_veo_lite_refuses_a_last_frame_on_the_server(http: httpx.Client, stills: Stills) -> None:
    body = _veo_images(_golden("veo/create_first_last.json"), stills)
    answer = http.post("/v1beta/models/veo-3.1-lite-generate-preview:predictLongRunning",
                       json=body, headers={"x-goog-api-key": KEY})
    assert answer.status_code == 400 and "does not take a lastFrame" in answer.text
