"""fal's current image-to-video models, and any fal model the user declares, against fal's pages.

The documented bodies in tests/data/vendors/fal (sources in its README) are checked from both
sides: our client's one table (``FAL_MODELS``) must build the same keys, values and value types
for the same job, and our server must accept the documented body over real HTTP and answer in the
queue's documented shape. A model id we do not list is sent only when the user declares it, in
the spelling they declared (or fal's common defaults).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from stillmotion.api import capabilities, model_rows
from stillmotion.api.providers import fal
from stillmotion.api.providers.base import GenerationRequest
from stillmotion.errors import ConfigError
from stillmotion.server import RunningServer
from stillmotion.settings import Settings
from support.dialects import NO_WAIT, Script, Stills, body_of, data_uri, make_stills
from support.server import server_fixture

DATA = Path(__file__).parent / "data" / "vendors" / "fal"
KEY = "fal-golden-key"
FIRST_FIELDS = ("image_url", "start_image_url", "first_frame_url")
LAST_FIELDS = ("end_image_url", "last_frame_url")
GOLDEN = [  # (file, model, seconds, size)
    ("create_wan27.json", "fal-ai/wan/v2.7/image-to-video", 5, (1280, 720)),
    ("create_kling_v3.json", "fal-ai/kling-video/v3/pro/image-to-video", 10, (1280, 720)),
    ("create_veo31_flf.json", "fal-ai/veo3.1/fast/first-last-frame-to-video", 8, (1280, 720)),
    ("create_seedance2.json", "bytedance/seedance-2.0/image-to-video", 5, (1280, 720)),
]


def _golden(name: str) -> dict[str, Any]:
    body = json.loads((DATA / name).read_text(encoding="utf-8"))
    assert body.pop("_source")
    return dict(body)


def _with_stills(body: dict[str, Any], stills: Stills) -> dict[str, Any]:
    """The documented body with our stills' data URIs in place of the example URLs."""
    swapped = {k: data_uri(stills.first) if k in FIRST_FIELDS else v for k, v in body.items()}
    return {k: data_uri(stills.last) if k in LAST_FIELDS else v for k, v in swapped.items()}


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills(tmp_path_factory)


server = server_fixture(require_key=KEY)


@pytest.mark.parametrize(("name", "model", "seconds", "size"), GOLDEN)
def test_the_client_builds_the_documented_body(name: str, model: str, seconds: int,
                                               size: tuple[int, int], stills: Stills) -> None:
    documented = _with_stills(_golden(name), stills)
    knobs = {k: v for k, v in documented.items() if k in fal.FAL_MODELS[model].knobs}
    spec = fal.create_request(model, GenerationRequest(
        documented["prompt"], model, seconds, size, first_frame=stills.first,
        last_frame=stills.last, extra=knobs))
    assert spec.json == documented
    assert {k: type(v) for k, v in (spec.json or {}).items()} == \
        {k: type(v) for k, v in documented.items()}  # "5" is not 5
    assert spec.path == f"/{model}"
    row = capabilities.lookup("fal", model)  # a row says what the table sends
    capabilities.validate(row, size, seconds, last_frame=True)


@pytest.mark.parametrize(("name", "model", "seconds", "size"), GOLDEN)
def test_the_server_accepts_the_documented_body(name: str, model: str, seconds: int,
                                                size: tuple[int, int], server: RunningServer,
                                                stills: Stills) -> None:
    with httpx.Client(base_url=server.root_url, timeout=30,
                      headers={"Authorization": f"Key {KEY}"}) as http:
        answer = http.post(f"/{model}", json=_with_stills(_golden(name), stills))
        assert answer.status_code == 200, answer.text
        assert set(_golden("queued.json")) <= set(answer.json())
        record = server.service.store.get(f"video_{answer.json()['request_id'].replace('-', '')}")
        assert record is not None and record.seconds == str(seconds)
        assert record.last_image is not None


@pytest.mark.parametrize(("model", "change", "field"), [
    ("fal-ai/wan/v2.7/image-to-video", {"duration": "5"}, "duration"),  # an int there
    ("fal-ai/kling-video/v3/pro/image-to-video", {"duration": 5}, "duration"),  # a string
    ("fal-ai/kling-video/v3/pro/image-to-video", {"image_url": "x"}, "image_url"),
    ("fal-ai/veo3.1/fast/first-last-frame-to-video", {"duration": "8"}, "duration"),
    ("fal-ai/wan/v2.7/image-to-video", {"resolution": "4k"}, "resolution"),
])
def test_the_server_refuses_each_models_wrong_spelling(
        model: str, change: dict[str, Any], field: str, server: RunningServer,
        stills: Stills) -> None:
    name = next(g[0] for g in GOLDEN if g[1] == model)
    body = {**_with_stills(_golden(name), stills), **change}
    with httpx.Client(base_url=server.root_url, timeout=30,
                      headers={"Authorization": f"Key {KEY}"}) as http:
        answer = http.post(f"/{model}", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", field]


def test_a_first_last_endpoint_is_refused_without_a_last_frame(stills: Stills) -> None:
    with pytest.raises(ConfigError, match="renders only between a first and a last frame"):
        fal.create_request("fal-ai/veo3.1/fast/first-last-frame-to-video", GenerationRequest(
            "p", None, 8, (1280, 720), first_frame=stills.first))
    with pytest.raises(ConfigError, match=r"cannot take a last frame; use one of: .*wan/v2\.7"):
        fal.create_request("fal-ai/ltx-2/image-to-video", GenerationRequest(
            "p", None, 6, (1920, 1080), first_frame=stills.first, last_frame=stills.last))


def _provider(script: Script) -> fal.FalProvider:
    return fal.FalProvider.open("https://queue.fal.run", "k", transport=script.transport,
                                retry=NO_WAIT, sleep=lambda s: None)


DECLARED = {
    "fal/acme/motion-9/image-to-video": {
        "sizes": ["1280x720"], "durations": [4, 8], "last_frame": True,
        "price_per_second": 0.2,
        "request_fields": {"image": "first_image", "last_image": "final_image",
                           "duration": "seconds", "shape": ["aspect_ratio"],
                           "knobs": ["motion_strength"]}},
    "fal/acme/plain/image-to-video": {"sizes": ["1280x720"], "durations": [5],
                                      "last_frame": True, "price_per_second": 0.1},
}


def test_a_declared_model_is_sent_in_its_declared_spelling(stills: Stills) -> None:
    settings = Settings(models=DECLARED)
    row = model_rows.find("fal", "acme/motion-9/image-to-video", settings)
    assert row.source == "settings" and row.last_frame
    script = Script().add(200, _golden("queued.json"))
    provider = _provider(script)
    provider.declare(settings.models)
    provider.submit(GenerationRequest("p", "acme/motion-9/image-to-video", 8, (1280, 720),
                                      first_frame=stills.first, last_frame=stills.last,
                                      extra={"motion_strength": 0.7}))
    provider.close()
    (sent,) = script.seen
    assert str(sent.url) == "https://queue.fal.run/acme/motion-9/image-to-video"
    assert body_of(sent) == {"prompt": "p", "first_image": data_uri(stills.first),
                             "final_image": data_uri(stills.last), "duration": "8s",
                             "aspect_ratio": "16:9", "motion_strength": 0.7}


def test_a_declared_model_without_fields_gets_fals_common_spelling(stills: Stills) -> None:
    specs = fal.declared_specs(DECLARED)
    spec = fal.create_request("acme/plain/image-to-video", GenerationRequest(
        "p", None, 5, (1280, 720), first_frame=stills.first, last_frame=stills.last), specs)
    assert spec.json == {"prompt": "p", "image_url": data_uri(stills.first),
                         "duration": "5", "end_image_url": data_uri(stills.last)}


def test_an_undeclared_model_is_refused_before_sending() -> None:
    with pytest.raises(ConfigError, match=r"has no model 'acme/other'.*declare"):
        model_rows.find("fal", "acme/other", Settings())
    with pytest.raises(ConfigError, match="request_fields with duration 'minutes'"):
        fal.declared_specs({"fal/x/y": {"request_fields": {"duration": "minutes"}}})
    with pytest.raises(ConfigError, match="unknown request_fields name 'image_field'"):
        fal.declared_specs({"fal/x/y": {"request_fields": {"image_field": "a"}}})
