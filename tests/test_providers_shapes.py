"""Veo, Runway and fal requests, field by field against the reference (names, types, headers),
and the capability table that refuses a request before anything is sent.

Each provider runs against an ``httpx.MockTransport`` that records what it was sent, so the
assertions are on the bytes that would leave the machine: the method and URL (the vendor root,
or the ``--base-url`` root with the documented path appended), the authentication and version
headers, and the JSON body with its exact keys and value types.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import httpx
import pytest

from stillmotion.api import capabilities
from stillmotion.api.providers.base import GenerationRequest, JobStatus
from stillmotion.api.providers.fal import FalProvider
from stillmotion.api.providers.runway import RunwayProvider
from stillmotion.api.providers.veo import VeoProvider
from stillmotion.errors import ConfigError
from stillmotion.jobs.providers import open_provider
from stillmotion.settings import Settings
from support.dialects import (
    MP4_BYTES,
    NO_WAIT,
    Script,
    Stills,
    b64,
    body_of,
    data_uri,
    make_stills,
)

VEO_ROOT = "https://generativelanguage.googleapis.com"
RUNWAY_ROOT = "https://api.dev.runwayml.com"
FAL_ROOT = "https://queue.fal.run"
KLING_PRO = "fal-ai/kling-video/v2.1/pro/image-to-video"


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills(tmp_path_factory)


def _no_sleep(seconds: float) -> None:
    return None


def veo(script: Script, root: str = VEO_ROOT, key: str | None = "g-key") -> VeoProvider:
    return VeoProvider.open(root, key, transport=script.transport, retry=NO_WAIT,
                            sleep=_no_sleep)


def runway(script: Script, root: str = RUNWAY_ROOT) -> RunwayProvider:
    return RunwayProvider.open(root, "r-key", transport=script.transport, retry=NO_WAIT,
                               sleep=_no_sleep)


def fal(script: Script, root: str = FAL_ROOT) -> FalProvider:
    return FalProvider.open(root, "f-key", transport=script.transport, retry=NO_WAIT,
                            sleep=_no_sleep)


# -- Veo -------------------------------------------------------------------------------------


def test_veo_create_body_and_headers(stills: Stills) -> None:
    name = "models/veo-3.1-generate-preview/operations/op123"
    script = Script().add(200, {"name": name})
    state = veo(script).submit(GenerationRequest(
        prompt="slow dolly in", model="veo-3.1-generate-preview", seconds=6, size=(720, 1280),
        first_frame=stills.first, last_frame=stills.last,
        extra={"negativePrompt": "blur", "personGeneration": "allow_adult", "seed": 7}))

    (sent,) = script.seen
    assert sent.method == "POST"
    assert str(sent.url) == \
        f"{VEO_ROOT}/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
    assert sent.headers["x-goog-api-key"] == "g-key"
    assert "authorization" not in sent.headers
    assert sent.headers["content-type"] == "application/json"
    body = body_of(sent)
    assert set(body) == {"instances", "parameters"}
    assert body["instances"] == [{
        "prompt": "slow dolly in",
        "image": {"bytesBase64Encoded": b64(stills.first), "mimeType": "image/png"},
        "lastFrame": {"bytesBase64Encoded": b64(stills.last), "mimeType": "image/png"},
    }]
    assert body["parameters"] == {"aspectRatio": "9:16", "durationSeconds": 6,
                                  "resolution": "720p", "negativePrompt": "blur",
                                  "personGeneration": "allow_adult", "seed": 7}
    assert type(body["parameters"]["durationSeconds"]) is int
    assert state.id == name and state.status is JobStatus.RUNNING


def test_veo_poll_and_download_use_the_key_only_on_its_own_origin(
        stills: Stills, tmp_path: Path) -> None:
    name = "models/veo-3.1-fast-generate-preview/operations/op9"
    uri = f"{VEO_ROOT}/v1beta/files/abc:download?alt=media"
    script = (Script()
              .add(200, {"name": name, "done": True, "response": {"generateVideoResponse": {
                  "generatedSamples": [{"video": {"uri": uri}}]}}})
              .add(302, headers={"location": "https://storage.example.com/blob?sig=1"})
              .add(200, content=MP4_BYTES, headers={"content-type": "video/mp4"}))
    provider = veo(script)
    done = provider.poll(name)
    assert done.status is JobStatus.COMPLETED
    provider.download(done, tmp_path / "out.mp4")

    poll, first_hop, second_hop = script.seen
    assert poll.method == "GET" and str(poll.url) == f"{VEO_ROOT}/v1beta/{name}"
    assert poll.headers["x-goog-api-key"] == "g-key"
    assert str(first_hop.url) == uri and first_hop.headers["x-goog-api-key"] == "g-key"
    assert str(second_hop.url) == "https://storage.example.com/blob?sig=1"
    assert "x-goog-api-key" not in second_hop.headers
    assert (tmp_path / "out.mp4").read_bytes() == MP4_BYTES


def test_veo_extension_sends_the_sample_uri(stills: Stills) -> None:
    name = "models/veo-3.1-generate-preview/operations/src"
    uri = f"{VEO_ROOT}/v1beta/files/src:download?alt=media"
    script = (Script()
              .add(200, {"name": name, "done": True, "response": {"generateVideoResponse": {
                  "generatedSamples": [{"video": {"uri": uri}}]}}})
              .add(200, {"name": "models/veo-3.1-generate-preview/operations/ext"}))
    state = veo(script).extend(name, "the steam keeps rising", 8)
    sent = script.seen[1]
    assert str(sent.url) == \
        f"{VEO_ROOT}/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
    assert body_of(sent) == {
        "instances": [{"prompt": "the steam keeps rising", "video": {"uri": uri}}],
        "parameters": {"durationSeconds": 8}}
    assert state.id.endswith("/operations/ext")


def test_base_url_replaces_the_vendor_root(stills: Stills) -> None:
    script = Script().add(200, {"name": "models/veo-2.0-generate-001/operations/x"})
    veo(script, root="http://127.0.0.1:9/gemini/").submit(GenerationRequest(
        prompt="p", model="veo-2.0-generate-001", seconds=5, size=(1280, 720),
        first_frame=stills.first))
    assert str(script.seen[0].url) == \
        "http://127.0.0.1:9/gemini/v1beta/models/veo-2.0-generate-001:predictLongRunning"


def test_veo_refuses_unknown_knobs_before_sending(stills: Stills) -> None:
    script = Script()
    with pytest.raises(ConfigError, match="Veo has no setting 'fps'"):
        veo(script).submit(GenerationRequest(prompt="p", model="veo-3.1-generate-preview",
                                             seconds=8, size=(1280, 720),
                                             first_frame=stills.first, extra={"fps": 24}))
    assert script.seen == []


# -- Runway ----------------------------------------------------------------------------------


def test_runway_create_body_and_headers(stills: Stills) -> None:
    script = Script().add(200, {"id": "7f0d3c1e-0000-4000-8000-000000000001"})
    state = runway(script).submit(GenerationRequest(
        prompt="waves roll in", model="gen4_turbo", seconds=5, size=(1280, 720),
        first_frame=stills.first, extra={"seed": 42}))

    (sent,) = script.seen
    assert sent.method == "POST" and str(sent.url) == f"{RUNWAY_ROOT}/v1/image_to_video"
    assert sent.headers["authorization"] == "Bearer r-key"
    assert sent.headers["x-runway-version"] == "2024-11-06"
    body = body_of(sent)
    assert body == {"model": "gen4_turbo", "promptImage": data_uri(stills.first),
                    "promptText": "waves roll in", "ratio": "1280:720", "duration": 5,
                    "seed": 42}
    assert type(body["duration"]) is int and type(body["seed"]) is int
    assert state.id == "7f0d3c1e-0000-4000-8000-000000000001"
    assert state.status is JobStatus.QUEUED


def test_runway_first_and_last_frame_and_task_poll(stills: Stills, tmp_path: Path) -> None:
    task = "7f0d3c1e-0000-4000-8000-000000000002"
    signed = "https://dnznrvs05pmza.cloudfront.net/out.mp4?_jwt=abc"
    script = (Script().add(200, {"id": task})
              .add(200, {"id": task, "status": "SUCCEEDED", "output": [signed]})
              .add(200, content=MP4_BYTES))
    provider = runway(script)
    provider.submit(GenerationRequest(prompt="p", model="gen3a_turbo", seconds=10,
                                      size=(768, 1280), first_frame=stills.first,
                                      last_frame=stills.last))
    body = body_of(script.seen[0])
    assert body["promptImage"] == [{"uri": data_uri(stills.first), "position": "first"},
                                   {"uri": data_uri(stills.last), "position": "last"}]
    assert body["ratio"] == "768:1280" and body["duration"] == 10
    done = provider.poll(task)
    provider.download(done, tmp_path / "r.mp4")
    poll, fetch = script.seen[1:]
    assert str(poll.url) == f"{RUNWAY_ROOT}/v1/tasks/{task}"
    assert poll.headers["authorization"] == "Bearer r-key"
    assert poll.headers["x-runway-version"] == "2024-11-06"
    assert str(fetch.url) == signed
    assert "authorization" not in fetch.headers and "x-runway-version" not in fetch.headers


# -- fal -------------------------------------------------------------------------------------


def test_fal_submit_body_and_returned_urls_are_followed(stills: Stills, tmp_path: Path) -> None:
    base = f"{FAL_ROOT}/fal-ai/kling-video/requests/req-1"
    script = (Script()
              .add(200, {"request_id": "req-1", "response_url": base,
                         "status_url": f"{base}/status", "cancel_url": f"{base}/cancel"})
              .add(200, {"status": "IN_QUEUE", "queue_position": 2})
              .add(200, {"status": "COMPLETED", "response_url": base})
              .add(200, {"video": {"url": "https://v3.fal.media/files/x/out.mp4",
                                   "content_type": "video/mp4"}})
              .add(200, content=MP4_BYTES))
    provider = fal(script)
    state = provider.submit(GenerationRequest(
        prompt="a kite rises", model=KLING_PRO, seconds=10, size=(960, 960),
        first_frame=stills.first, last_frame=stills.last, extra={"cfg_scale": 0.4}))

    sent = script.seen[0]
    assert sent.method == "POST" and str(sent.url) == f"{FAL_ROOT}/{KLING_PRO}"
    assert sent.headers["authorization"] == "Key f-key"
    assert body_of(sent) == {"prompt": "a kite rises", "image_url": data_uri(stills.first),
                             "duration": "10", "tail_image_url": data_uri(stills.last),
                             "cfg_scale": 0.4}
    assert type(body_of(sent)["duration"]) is str
    assert state.id == "fal-ai/kling-video/requests/req-1"

    queued = provider.poll(state.id)
    assert queued.status is JobStatus.QUEUED and queued.raw["queue_position"] == 2
    done = provider.poll(state.id)
    assert done.status is JobStatus.COMPLETED
    provider.download(done, tmp_path / "f.mp4")
    status_1, status_2, result, fetch = script.seen[1:]
    assert str(status_1.url) == f"{base}/status" == str(status_2.url)
    assert status_1.headers["authorization"] == "Key f-key"
    assert str(result.url) == base and result.headers["authorization"] == "Key f-key"
    assert str(fetch.url) == "https://v3.fal.media/files/x/out.mp4"
    assert "authorization" not in fetch.headers


def test_fal_refuses_a_last_frame_the_model_has_no_field_for(stills: Stills) -> None:
    script = Script()
    with pytest.raises(ConfigError, match="cannot take a last frame"):
        fal(script).submit(GenerationRequest(
            prompt="p", model="fal-ai/kling-video/v2.1/standard/image-to-video", seconds=5,
            size=(1280, 720), first_frame=stills.first, last_frame=stills.last))
    with pytest.raises(ConfigError, match="does not know the request shape"):
        fal(script).submit(GenerationRequest(prompt="p", model="fal-ai/unknown", seconds=5,
                                             size=(1280, 720), first_frame=stills.first))
    assert script.seen == []


# -- keys and the capability table -------------------------------------------------------------


@pytest.mark.parametrize(("provider", "variable"), [
    ("veo", "GEMINI_API_KEY"), ("runway", "RUNWAYML_API_SECRET"), ("fal", "FAL_KEY"),
    ("kling", "KLING_ACCESS_KEY and KLING_SECRET_KEY"), ("seedance", "ARK_API_KEY"),
    ("wan", "DASHSCOPE_API_KEY")])
def test_a_missing_key_names_its_variable(
        monkeypatch: pytest.MonkeyPatch, provider: str, variable: str) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "RUNWAYML_API_SECRET", "FAL_KEY",
                 "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "ARK_API_KEY", "DASHSCOPE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STILLMOTION_API_KEY", "a-gateway-key-never-sent-to-vendors")
    with pytest.raises(ConfigError, match=f"set {variable}"), \
            open_provider(provider, Settings()):
        pass


def test_dialect_keys_come_from_the_vendor_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "from-fal-key")
    with open_provider("fal", Settings(base_url="http://127.0.0.1:1")) as provider:
        assert isinstance(provider, FalProvider)
        assert provider.http.target.credentials == {"Authorization": "Key from-fal-key"}
        assert "from-fal-key" not in repr(provider.http) + repr(provider.http.target)


def test_capabilities_refuse_before_sending() -> None:
    veo31 = capabilities.lookup("veo", "veo-3.1-generate-preview")
    capabilities.validate(veo31, (1920, 1080), 8)
    with pytest.raises(ConfigError, match=r"At 1920x1080, veo-3\.1-generate-preview takes only 8"):
        capabilities.validate(veo31, (1920, 1080), 4)
    with pytest.raises(ConfigError, match="7 s is not allowed"):
        capabilities.validate(veo31, (1280, 720), 7)
    gen4 = capabilities.lookup("runway", None)
    assert gen4.model == "gen4_turbo"
    with pytest.raises(ConfigError, match="cannot take a last frame"):
        capabilities.validate(gen4, (1280, 720), 5, last_frame=True)
    with pytest.raises(ConfigError, match="1280x768 is not allowed for gen4_turbo"):
        capabilities.validate(gen4, (1280, 768), 5)
    with pytest.raises(ConfigError, match="has no model 'gen9'"):
        capabilities.lookup("runway", "gen9")


def test_auto_size_and_seconds_follow_each_table() -> None:
    veo31 = capabilities.lookup("veo", None)
    assert capabilities.choose_size(veo31, Fraction(16, 9)) == (1280, 720)
    assert capabilities.choose_size(veo31, Fraction(9, 16)) == (720, 1280)
    gen3 = capabilities.lookup("runway", "gen3a_turbo")
    assert capabilities.choose_size(gen3, Fraction(16, 9)) == (1280, 768)
    kling = capabilities.lookup("fal", None)
    assert capabilities.choose_size(kling, Fraction(1)) == (960, 960)
    assert capabilities.nearest_seconds(veo31, Fraction(6, 5)) == 4
    assert capabilities.nearest_seconds(veo31, Fraction(5)) == 6
    assert capabilities.nearest_seconds(veo31, Fraction(3), (1920, 1080)) == 8
    assert capabilities.nearest_seconds(gen3, Fraction(6)) == 10
    assert (capabilities.aspect_ratio((1280, 720)), capabilities.resolution((1080, 1920)),
            capabilities.pixel_ratio((1584, 672))) == ("16:9", "1080p", "1584:672")


def test_transport_errors_on_create_are_not_retried(stills: Stills) -> None:
    calls: list[httpx.Request] = []

    def dropped(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("read timed out", request=request)

    script = Script().then(dropped)
    with pytest.raises(Exception, match="may still have been created"):
        runway(script).submit(GenerationRequest(prompt="p", model="gen4_turbo", seconds=5,
                                                size=(1280, 720), first_frame=stills.first))
    assert len(calls) == 1
