"""The local server's OpenRouter dialect: accepts the vendor's documented requests, answers in
the vendor's documented shapes, and refuses what the vendor refuses.

Why: the server is the test double of OpenRouter, so it is held to the same golden payloads as
the client (tests/data/vendors/openrouter); a client bug (a string duration, a frame type the
model does not take) must be caught here, not mirrored. All over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stillmotion.server import RunningServer
from stillmotion.server.dialects import DialectFaultPlan, dialect_state
from support.dialects import Stills, data_uri, make_stills
from support.openrouter import golden, shape
from support.server import reset_server, server_fixture

KEY = "openrouter-server-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
API = "/api/v1"


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills(tmp_path_factory)


server = server_fixture(require_key=KEY)


@pytest.fixture
def http(server: RunningServer) -> Iterator[httpx.Client]:
    reset_server(server)
    with httpx.Client(base_url=server.root_url, timeout=30) as client:
        yield client


def _documented(name: str, stills: Stills, **change: Any) -> dict[str, Any]:
    """A golden request with its frame URLs made our stills' data URIs (the server is offline;
    the input reference keeps its https URL: it is accepted and not fetched)."""
    body = golden(name)
    urls = {"first_frame": data_uri(stills.first), "last_frame": data_uri(stills.last)}
    body["frame_images"] = [{**f, "image_url": {"url": urls[f["frame_type"]]}}
                            for f in body["frame_images"]]
    return {**body, **change}


def _until_done(http: httpx.Client, job: str) -> dict[str, Any]:
    for _ in range(1200):
        answer = http.get(f"{API}/videos/{job}", headers=AUTH)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["status"] in ("completed", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_the_documented_request_is_answered_in_the_documented_shapes(
        http: httpx.Client, server: RunningServer, stills: Stills) -> None:
    created = http.post(f"{API}/videos", json=_documented("create_request", stills,
                                                          resolution="720p"), headers=AUTH)
    assert created.status_code == 202, created.text
    body = created.json()
    assert shape(body) == shape(golden("create_response"))
    assert body["status"] == "pending" and body["polling_url"] == f"{API}/videos/{body['id']}"

    done = _until_done(http, body["id"])
    assert shape(done) == shape(golden("poll_completed"))
    assert done["usage"] == {"cost": 0.4 * 8, "is_byok": False}
    content = http.get(done["unsigned_urls"][0], headers=AUTH)
    assert content.status_code == 200 and content.content[4:8] == b"ftyp"
    assert http.get(done["unsigned_urls"][0]).status_code == 401  # the proxy needs the key
    record = server.service.store.get("video_" + body["id"].removeprefix("job-"))
    assert record is not None and record.size == "1280x720" and record.last_image is None


def test_first_and_last_frames_reach_the_render(http: httpx.Client, server: RunningServer,
                                               stills: Stills) -> None:
    created = http.post(f"{API}/videos", json=_documented("create_first_last", stills,
                                                          duration=4), headers=AUTH)
    assert created.status_code == 202, created.text
    record = server.service.store.get("video_" + created.json()["id"].removeprefix("job-"))
    assert record is not None and record.last_image is not None


@pytest.mark.parametrize(("name", "asked"), [("create_no_audio", False),
                                              ("create_request", True),
                                              ("create_first_last", None)])
def test_generate_audio_is_taken_and_recorded(name: str, asked: bool | None,
                                              http: httpx.Client, server: RunningServer,
                                              stills: Stills) -> None:
    created = http.post(f"{API}/videos", json=_documented(name, stills, resolution="720p",
                                                          duration=4), headers=AUTH)
    assert created.status_code == 202, created.text
    record = server.service.store.get("video_" + created.json()["id"].removeprefix("job-"))
    assert record is not None and record.extra["generate_audio"] is asked


def test_the_catalogue_has_the_documented_fields(http: httpx.Client) -> None:
    answer = http.get(f"{API}/videos/models", headers=AUTH)
    assert answer.status_code == 200
    documented = set(golden("models")["data"][1])
    for model in answer.json()["data"]:
        assert documented - {"pricing_skus"} <= set(model), model["id"]


@pytest.mark.parametrize(("change", "words"), [
    ({"duration": "8"}, "duration '8' is not supported"),
    ({"duration": 7}, "duration 7 is not supported by google/veo-3.1"),
    ({"resolution": "4K"}, "resolution '4K' is not supported"),
    ({"aspect_ratio": "1:1"}, "aspect_ratio '1:1' is not supported"),
    ({"model": "google/veo-9"}, "is not a video generation model"),
    ({"seconds": "8"}, "Unrecognized key 'seconds'"),
    ({"input_reference": {}}, "Unrecognized key 'input_reference'"),
    ({"prompt": ""}, "prompt must be a non-empty string"),
    ({"seed": "42"}, "seed must be a int"),
])
def test_bodies_are_checked(change: dict[str, Any], words: str, http: httpx.Client,
                            stills: Stills) -> None:
    answer = http.post(f"{API}/videos", json=_documented("create_first_last", stills, **change),
                       headers=AUTH)
    assert answer.status_code == 400
    assert words in answer.json()["error"]["message"]
    assert answer.json()["error"]["code"] == 400


def test_frame_types_the_model_does_not_take_are_refused(http: httpx.Client,
                                                          stills: Stills) -> None:
    body = _documented("create_first_last", stills, model="openai/sora-2-pro", duration=4)
    answer = http.post(f"{API}/videos", json=body, headers=AUTH)
    assert answer.status_code == 400
    assert "frame_type 'last_frame' is not supported by openai/sora-2-pro" in \
        answer.json()["error"]["message"]
    body["frame_images"] = [{"type": "image_url", "image_url": {"url": "https://x/y.png"},
                             "frame_type": "first_frame"}]
    assert http.post(f"{API}/videos", json=body, headers=AUTH).status_code == 400


def test_keys_unknown_jobs_and_other_outputs(http: httpx.Client, stills: Stills) -> None:
    body = _documented("create_first_last", stills)
    missing = http.post(f"{API}/videos", json=body)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == 401
    wrong = http.post(f"{API}/videos", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert http.get(f"{API}/videos/job-0000", headers=AUTH).status_code == 404
    assert http.get(f"{API}/videos/video_0000", headers=AUTH).status_code == 404


def test_refusals_fail_the_job_naming_the_input(http: httpx.Client, server: RunningServer,
                                                stills: Stills) -> None:
    dialect_state(server.service).replace(DialectFaultPlan(refuse_images=1))
    created = http.post(f"{API}/videos", json=_documented("create_first_last", stills),
                        headers=AUTH).json()
    failed = _until_done(http, created["id"])
    assert shape(failed) == shape(golden("poll_failed"))
    assert "input image was flagged" in failed["error"]
    server.set_faults(moderation_words=["forbidden"])
    created = http.post(f"{API}/videos", json=_documented(
        "create_first_last", stills, prompt="A forbidden dance"), headers=AUTH).json()
    assert "prompt was flagged" in _until_done(http, created["id"])["error"]
