"""The local server's Veo, Runway and fal dialects refuse what the vendors refuse.

Why: the server is the test double of three vendors, so a client bug (a string where an int
belongs, a missing version header, a field the model does not take) must be caught by it, not
mirrored. Every case here fails before any render, in the vendor's own error shape; the /v1
paths nobody serves keep their OpenAI-shaped 404.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stillmotion.server import RunningServer
from support.dialects import Stills, make_stills
from support.server import server_fixture

KEY = "server-test-key"
VEO = "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
KLING = "/fal-ai/kling-video/v2.1/standard/image-to-video"


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills(tmp_path_factory)


server = server_fixture(require_key=KEY)


@pytest.fixture
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.root_url, timeout=30) as client:
        yield client


def _veo_image(path: Path) -> dict[str, str]:
    return {"bytesBase64Encoded": base64.b64encode(path.read_bytes()).decode(),
            "mimeType": "image/png"}


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _veo_body(stills: Stills, **parameters: Any) -> dict[str, Any]:
    return {"instances": [{"prompt": "p", "image": _veo_image(stills.first)}],
            "parameters": {"aspectRatio": "16:9", "durationSeconds": 8, **parameters}}


GOOG = {"x-goog-api-key": KEY}
RUNWAY = {"Authorization": f"Bearer {KEY}", "X-Runway-Version": "2024-11-06"}
FAL = {"Authorization": f"Key {KEY}"}


def test_each_dialect_reads_its_own_key_header(http: httpx.Client, stills: Stills) -> None:
    missing = http.post(VEO, json=_veo_body(stills))
    assert missing.status_code == 403 and missing.json()["error"]["status"] == \
        "PERMISSION_DENIED"
    wrong = http.post(VEO, json=_veo_body(stills), headers={"x-goog-api-key": "nope"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    bearer = http.post(VEO, json=_veo_body(stills), headers={"Authorization": f"Bearer {KEY}"})
    assert bearer.status_code == 403  # Veo does not take a bearer key
    runway = http.post("/v1/image_to_video", json={}, headers={"Authorization": "Key x",
                                                               "X-Runway-Version": "2024-11-06"})
    assert runway.status_code == 401 and "error" in runway.json()
    fal = http.post(KLING, json={}, headers={"Authorization": f"Bearer {KEY}"})
    assert fal.status_code == 401 and "detail" in fal.json()


def test_runway_needs_its_version_header(http: httpx.Client) -> None:
    answer = http.post("/v1/image_to_video", json={},
                       headers={"Authorization": f"Bearer {KEY}"})
    assert answer.status_code == 400 and "X-Runway-Version" in answer.json()["error"]
    answer = http.get("/v1/tasks/0b7a0c55-1111-4222-8333-444455556666",
                      headers={**RUNWAY, "X-Runway-Version": "2023-01-01"})
    assert answer.status_code == 400 and "Invalid API version" in answer.json()["error"]


@pytest.mark.parametrize(("change", "words"), [
    ({"durationSeconds": "8"}, "TYPE_INT32"),
    ({"durationSeconds": 5}, "durationSeconds 5 is not supported"),
    ({"resolution": "1080p", "durationSeconds": 4}, "1080p output needs durationSeconds 8"),
    ({"resolution": "4k"}, "4k output is not rendered"),
    ({"aspectRatio": "4:3"}, "aspectRatio '4:3'"),
    ({"fps": 24}, 'Unknown name "fps"'),
])
def test_veo_bodies_are_checked(change: dict[str, Any], words: str, http: httpx.Client,
                                stills: Stills) -> None:
    answer = http.post(VEO, json=_veo_body(stills, **change), headers=GOOG)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["error"]["message"]


def test_veo_last_frame_and_models(http: httpx.Client, stills: Stills) -> None:
    body = _veo_body(stills)
    body["instances"][0]["lastFrame"] = _veo_image(stills.last)
    answer = http.post("/v1beta/models/veo-3.0-generate-001:predictLongRunning", json=body,
                       headers=GOOG)
    assert answer.status_code == 400 and "does not take a lastFrame" in answer.text
    answer = http.post("/v1beta/models/veo-9:predictLongRunning", json=body, headers=GOOG)
    assert answer.status_code == 404 and answer.json()["error"]["status"] == "NOT_FOUND"
    body["instances"][0]["image"]["mimeType"] = "image/jpeg"
    answer = http.post(VEO, json=body, headers=GOOG)
    assert answer.status_code == 400 and "the bytes are image/png" in answer.text


@pytest.mark.parametrize(("body", "words"), [
    ({"model": "gen4_turbo", "ratio": "1280:768", "duration": 5}, "Invalid ratio"),
    ({"model": "gen4_turbo", "ratio": "1280:720", "duration": "5"}, "'duration' must be"),
    ({"model": "gen4_turbo", "ratio": "1280:720", "duration": 7}, "duration must be 5 or 10"),
    ({"model": "gen4_turbo", "ratio": "1280:720", "duration": 5, "fps": 24},
     "Unrecognized key 'fps'"),
    ({"model": "gen9", "ratio": "1280:720", "duration": 5}, "Invalid model"),
    ({"model": "gen3a_turbo", "ratio": "1280:768", "duration": 5}, "retired on 2026-07-30"),
    ({"model": "gen4.5", "ratio": "1280:720", "duration": 11, "promptText": "p"},
     "duration must be an integer from 2 to 10"),
    ({"model": "gen4.5", "ratio": "1280:720", "duration": 5}, "promptText is required"),
    ({"model": "gen4.5", "ratio": "1280:720", "duration": 5, "promptText": "p",
      "audio": True}, "Unrecognized key for gen4.5: 'audio'"),
    ({"model": "veo3.1_fast", "ratio": "1280:720", "duration": 5}, "duration must be 4, 6 or 8"),
    ({"model": "veo3.1", "ratio": "1280:720", "duration": 8, "seed": 1},
     "Unrecognized key for veo3.1: 'seed'"),
])
def test_runway_bodies_are_checked(body: dict[str, Any], words: str, http: httpx.Client,
                                   stills: Stills) -> None:
    answer = http.post("/v1/image_to_video", json={**body, "promptImage": _data_uri(stills.first)},
                       headers=RUNWAY)
    assert answer.status_code == 400 and words in answer.json()["error"]


def test_runway_last_frame_only_where_the_model_takes_one(http: httpx.Client,
                                                         stills: Stills) -> None:
    images = [{"uri": _data_uri(stills.first), "position": "first"},
              {"uri": _data_uri(stills.last), "position": "last"}]
    for model in ("gen4_turbo", "gen4.5"):
        answer = http.post("/v1/image_to_video", headers=RUNWAY, json={
            "model": model, "ratio": "1280:720", "duration": 5, "promptImage": images,
            "promptText": "p"})
        assert answer.status_code == 400 and "does not support a 'last' position" in answer.text
    answer = http.post("/v1/image_to_video", headers=RUNWAY, json={
        "model": "veo3.1_fast", "ratio": "1280:720", "duration": 4, "promptImage": images,
        "promptText": "p"})
    assert answer.status_code == 200 and "id" in answer.json()


@pytest.mark.parametrize(("change", "field", "kind"), [
    ({"duration": 5}, "duration", "literal_error"),
    ({"tail_image_url": "x"}, "tail_image_url", "extra_forbidden"),
    ({"aspect_ratio": "16:9"}, "aspect_ratio", "extra_forbidden"),
    ({"prompt": None}, "prompt", "string_type"),
])
def test_fal_bodies_are_checked(change: dict[str, Any], field: str, kind: str,
                                http: httpx.Client, stills: Stills) -> None:
    body = {"prompt": "p", "image_url": _data_uri(stills.first), "duration": "5", **change}
    answer = http.post(KLING, json=body, headers=FAL)
    assert answer.status_code == 422, answer.text
    (entry,) = answer.json()["detail"]
    assert (entry["loc"], entry["type"]) == (["body", field], kind)


def test_fal_unknown_models_and_the_servers_own_paths(http: httpx.Client) -> None:
    answer = http.post("/fal-ai/unknown-model", json={}, headers=FAL)
    assert answer.status_code == 404 and "not found" in answer.json()["detail"]
    own = http.post("/v1/nothing/here", json={}, headers={"Authorization": f"Bearer {KEY}"})
    assert own.status_code == 404 and own.json()["error"]["code"] == "unknown_url"
    assert http.get("/healthz").status_code == 200
