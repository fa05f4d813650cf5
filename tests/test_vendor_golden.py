"""Kling, Seedance and Wan held to their vendors' documented bodies, from both sides.

The client: what it sends has exactly the fields and value types of the documented request
(``tests/data/vendors/<vendor>/create_request.json``), to the documented path with the
documented headers (Kling's JWT checked claim by claim), and it reads every documented answer
(success, refusal, authentication error). The server: ``stillmotion serve --require-key``
accepts the documented request (its image URLs swapped for base64 stills, the server being
offline) and answers with at least the documented fields and types, for a created task, a
finished one, a refused one and a refused key. Both sides read the same files, so a change to
one that drifts from the vendor fails here.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from stillmotion.api import hs256
from stillmotion.api.providers.base import GenerationRequest, JobStatus
from stillmotion.api.providers.dialect import RESULT_URL, DialectProvider
from stillmotion.api.providers.kling import KlingProvider
from stillmotion.api.providers.seedance import LAST_FRAME_URL, SeedanceProvider
from stillmotion.api.providers.wan import WanProvider
from stillmotion.errors import AuthenticationError, PolicyRejectedError
from stillmotion.server import RunningServer
from stillmotion.server.dialects import DialectFaultPlan, dialect_state
from support.dialects import (
    NO_WAIT,
    Script,
    Stills,
    b64,
    body_of,
    data_uri,
    make_stills,
    make_stills_640,
)
from support.server import server_fixture
from support.vendor_golden import golden, golden_status, missing, shape

ACCESS = "golden-access-key"
SECRET = secrets.token_hex(16)
VENDORS = ("kling", "seedance", "wan")
ROOTS = {"kling": "https://api-singapore.klingai.com",
         "seedance": "https://ark.ap-southeast.bytepluses.com",
         "wan": "https://dashscope-intl.aliyuncs.com"}
CREATE_PATHS = {"kling": "/v1/videos/image2video",
                "seedance": "/api/v3/contents/generations/tasks",
                "wan": "/api/v1/services/aigc/video-generation/video-synthesis"}
SUCCEEDED = {"kling": "task_succeed", "seedance": "task_succeeded", "wan": "task_succeeded"}


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    """Two real stills of 640x360: Kling refuses stills under 300 px a side."""
    return make_stills_640(tmp_path_factory)


def _no_sleep(seconds: float) -> None:
    return None


def _provider(vendor: str, script: Script) -> DialectProvider:
    common: dict[str, Any] = {"transport": script.transport, "retry": NO_WAIT,
                              "sleep": _no_sleep}
    if vendor == "kling":
        return KlingProvider.open(ROOTS[vendor], ACCESS, secret=SECRET, **common)
    kind: type[DialectProvider] = SeedanceProvider if vendor == "seedance" else WanProvider
    return kind.open(ROOTS[vendor], ACCESS, **common)


def _request(vendor: str, stills: Stills) -> GenerationRequest:
    """The request the golden body documents: first and last frame, 720p 16:9, its knobs."""
    body = golden(vendor, "create_request")
    extra: dict[str, Any] = {}
    if vendor == "kling":
        extra = {"negative_prompt": body["negative_prompt"]}
    if vendor == "wan":
        extra = {"prompt_extend": True}
    seconds = int(body.get("duration") or body.get("parameters", {}).get("duration"))
    return GenerationRequest(prompt="a prompt", model=None, seconds=seconds, size=(1280, 720),
                             first_frame=stills.first, last_frame=stills.last, extra=extra)


# -- the client ------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_client_sends_the_documented_request(vendor: str, stills: Stills) -> None:
    script = Script().add(200, golden(vendor, "create_response"))
    _provider(vendor, script).submit(_request(vendor, stills))

    (sent,) = script.seen
    assert sent.method == "POST"
    assert str(sent.url) == ROOTS[vendor] + CREATE_PATHS[vendor]
    body = body_of(sent)
    assert shape(body) == shape(golden(vendor, "create_request"))
    if vendor == "kling":
        assert (body["model_name"], body["mode"], body["duration"]) == ("kling-v3", "std", "5")
        assert (body["image"], body["image_tail"]) == (b64(stills.first), b64(stills.last))
    elif vendor == "seedance":
        assert [(c["type"], c.get("role")) for c in body["content"]] == [
            ("text", None), ("image_url", "first_frame"), ("image_url", "last_frame")]
        assert body["content"][2]["image_url"]["url"] == data_uri(stills.last)
        assert (body["resolution"], body["ratio"], body["return_last_frame"]) == \
            ("720p", "16:9", True)
    else:
        assert sent.headers["X-DashScope-Async"] == "enable"
        assert [m["type"] for m in body["input"]["media"]] == ["first_frame", "last_frame"]
        assert body["input"]["media"][0]["url"] == data_uri(stills.first)
        assert body["parameters"]["resolution"] == "720P"


def test_the_kling_token_follows_the_documented_claims(stills: Stills) -> None:
    script = Script().add(200, golden("kling", "create_response"))
    before = int(time.time())
    _provider("kling", script).submit(_request("kling", stills))
    scheme, _, token = script.seen[0].headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = hs256.verify(token, SECRET, now=time.time())
    assert claims["iss"] == ACCESS
    assert before + 1800 <= claims["exp"] <= int(time.time()) + 1800
    assert claims["nbf"] == claims["exp"] - 1805
    with pytest.raises(hs256.TokenError, match="signature"):
        hs256.verify(token, "another-secret", now=time.time())


def test_the_kling_token_is_made_again_before_it_expires() -> None:
    from stillmotion.api.providers.kling import TokenHeaders

    now = [1_000_000.0]
    headers = TokenHeaders(ACCESS, SECRET, clock=lambda: now[0])
    first = headers["Authorization"]
    now[0] += 1400  # 400 s left: still good
    assert headers["Authorization"] == first
    now[0] += 150  # 250 s left, inside the five-minute margin: a new token
    second = headers["Authorization"]
    assert second != first
    assert hs256.verify(second.split()[1], SECRET, now=now[0])["exp"] == int(now[0]) + 1800
    assert SECRET not in repr(headers) and ACCESS not in repr(headers)


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_client_reads_the_documented_answers(vendor: str) -> None:
    done = golden(vendor, SUCCEEDED[vendor])
    script = Script().add(200, done).add(200, golden(vendor, "task_failed"))
    provider = _provider(vendor, script)

    state = provider.poll("task-1")
    assert state.status is JobStatus.COMPLETED
    url = {"kling": lambda: done["data"]["task_result"]["videos"][0]["url"],
           "seedance": lambda: done["content"]["video_url"],
           "wan": lambda: done["output"]["video_url"]}[vendor]()
    assert state.raw[RESULT_URL] == url
    if vendor == "seedance":
        assert state.raw[LAST_FRAME_URL] == done["content"]["last_frame_url"]
    with pytest.raises(PolicyRejectedError) as refused:
        provider.poll("task-2")
    named = "the request was refused" if vendor == "kling" else "the reference image was refused"
    assert f"{named} by {vendor}'s content policy" in refused.value.message


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_client_reads_the_documented_auth_error(vendor: str, stills: Stills) -> None:
    script = Script().add(golden_status(vendor, "error_auth"), golden(vendor, "error_auth"))
    with pytest.raises(AuthenticationError) as caught:
        _provider(vendor, script).submit(_request(vendor, stills))
    variable = {"kling": "KLING_ACCESS_KEY and KLING_SECRET_KEY", "seedance": "ARK_API_KEY",
                "wan": "DASHSCOPE_API_KEY"}[vendor]
    assert variable in caught.value.message
    assert ACCESS not in caught.value.message and SECRET not in caught.value.message


# -- the server ------------------------------------------------------------------------------


server = server_fixture(require_key=ACCESS, kling_secret=SECRET)


def _headers(vendor: str) -> dict[str, str]:
    if vendor == "kling":
        now = int(time.time())
        token = hs256.sign({"iss": ACCESS, "exp": now + 1800, "nbf": now - 5}, SECRET)
        return {"Authorization": f"Bearer {token}"}
    headers = {"Authorization": f"Bearer {ACCESS}"}
    return {**headers, "X-DashScope-Async": "enable"} if vendor == "wan" else headers


def _offline_body(vendor: str, stills: Stills) -> dict[str, Any]:
    """The golden request with its image URLs replaced by the stills, as the vendor takes
    inline images (Kling bare base64, the others data URIs), and a short duration."""
    body = copy.deepcopy(golden(vendor, "create_request"))
    if vendor == "kling":
        body.update(image=b64(stills.first), image_tail=b64(stills.last))
    elif vendor == "seedance":
        body["content"][1]["image_url"]["url"] = data_uri(stills.first)
        body["content"][2]["image_url"]["url"] = data_uri(stills.last)
        body["duration"] = 4
    else:
        body["input"]["media"][0]["url"] = data_uri(stills.first)
        body["input"]["media"][1]["url"] = data_uri(stills.last)
        body["parameters"]["duration"] = 2
    return body


def _task_url(vendor: str, created: dict[str, Any]) -> str:
    if vendor == "kling":
        return f"{CREATE_PATHS[vendor]}/{created['data']['task_id']}"
    if vendor == "seedance":
        return f"{CREATE_PATHS[vendor]}/{created['id']}"
    return f"/api/v1/tasks/{created['output']['task_id']}"


def _status(vendor: str, answer: dict[str, Any]) -> str:
    return str({"kling": lambda: answer["data"]["task_status"],
                "seedance": lambda: answer["status"],
                "wan": lambda: answer["output"]["task_status"]}[vendor]())


def _until_done(http: httpx.Client, vendor: str, url: str) -> dict[str, Any]:
    ended = {"succeed", "failed", "succeeded", "SUCCEEDED", "FAILED"}
    for _ in range(1200):
        answer: dict[str, Any] = http.get(url, headers=_headers(vendor)).json()
        if _status(vendor, answer) in ended:
            return answer
        time.sleep(0.05)
    raise AssertionError("the task did not finish")


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_server_answers_as_documented(vendor: str, server: RunningServer,
                                          stills: Stills) -> None:
    with httpx.Client(base_url=server.root_url, timeout=60) as http:
        sent = http.post(CREATE_PATHS[vendor], json=_offline_body(vendor, stills),
                         headers=_headers(vendor))
        assert sent.status_code == 200, sent.text
        created = sent.json()
        assert missing(created, golden(vendor, "create_response")) == []
        done = _until_done(http, vendor, _task_url(vendor, created))
        assert missing(done, golden(vendor, SUCCEEDED[vendor])) == []
        record = next(r for r in server.service.store.jobs()
                      if r.extra.get("dialect") == vendor)
        assert (record.size, record.last_image is not None) == ("1280x720", True)

        refused = {**_headers(vendor), "Authorization": "Bearer not-the-key"}
        answer = http.post(CREATE_PATHS[vendor], json=_offline_body(vendor, stills),
                           headers=refused)
        assert answer.status_code == golden_status(vendor, "error_auth")
        assert missing(answer.json(), golden(vendor, "error_auth")) == []


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_server_refuses_an_image_as_documented(vendor: str, server: RunningServer,
                                                   stills: Stills) -> None:
    dialect_state(server.service).replace(DialectFaultPlan(refuse_images=1))
    with httpx.Client(base_url=server.root_url, timeout=60) as http:
        created = http.post(CREATE_PATHS[vendor], json=_offline_body(vendor, stills),
                            headers=_headers(vendor)).json()
        failed = _until_done(http, vendor, _task_url(vendor, created))
    assert missing(failed, golden(vendor, "task_failed")) == []
    assert "image" in json.dumps(failed)


@pytest.mark.parametrize(("change", "words"), [
    (lambda b: b.update(duration=5), "a string"),
    (lambda b: b.update(model_name="kling-v2-6"), "image_tail"),
    (lambda b: b.update(mode="ultra"), "std or pro"),
    (lambda b: b.update(image="data:image/png;base64,AAAA"), "bare base64"),
])
def test_the_server_checks_kling_bodies(change: Callable[[dict[str, Any]], None], words: str,
                                        server: RunningServer, stills: Stills) -> None:
    body = _offline_body("kling", stills)
    change(body)
    with httpx.Client(base_url=server.root_url, timeout=60) as http:
        answer = http.post(CREATE_PATHS["kling"], json=body, headers=_headers("kling"))
    assert answer.status_code == 400 and words in answer.json()["message"]
    assert answer.json()["code"] == 1201


def test_the_server_refuses_kling_stills_under_300_px(
        server: RunningServer, stills: Stills, tmp_path_factory: pytest.TempPathFactory) -> None:
    body = _offline_body("kling", stills)
    body["image"] = b64(make_stills(tmp_path_factory).first)  # 160x90
    with httpx.Client(base_url=server.root_url, timeout=60) as http:
        answer = http.post(CREATE_PATHS["kling"], json=body, headers=_headers("kling"))
    assert answer.status_code == 400 and "at least 300 px" in answer.json()["message"]


def test_the_server_refuses_expired_and_foreign_kling_tokens(server: RunningServer) -> None:
    now = int(time.time())
    cases = {
        "expired": hs256.sign({"iss": ACCESS, "exp": now - 10, "nbf": now - 1900}, SECRET),
        "another access key": hs256.sign({"iss": "x", "exp": now + 60, "nbf": now - 5}, SECRET),
        "another secret": hs256.sign({"iss": ACCESS, "exp": now + 60, "nbf": now - 5}, "s"),
    }
    with httpx.Client(base_url=server.root_url, timeout=60) as http:
        codes = {name: http.get(f"{CREATE_PATHS['kling']}/00", headers={
            "Authorization": f"Bearer {token}"}).json()["code"] for name, token in cases.items()}
        bare = http.get(f"{CREATE_PATHS['kling']}/00").json()["code"]
    assert codes == {"expired": 1004, "another access key": 1002, "another secret": 1002}
    assert bare == 1001


def test_wan_needs_the_async_header_and_knows_no_stranger(server: RunningServer,
                                                          stills: Stills) -> None:
    headers = {"Authorization": f"Bearer {ACCESS}"}
    with httpx.Client(base_url=server.root_url, timeout=60) as http:
        sync = http.post(CREATE_PATHS["wan"], json=_offline_body("wan", stills), headers=headers)
        unknown = http.get("/api/v1/tasks/0385dc79-5ff8-4d82-bcb6-000000000000",
                           headers=headers).json()
    assert sync.status_code == 403 and "synchronous" in sync.json()["message"]
    assert unknown["output"]["task_status"] == "UNKNOWN"
