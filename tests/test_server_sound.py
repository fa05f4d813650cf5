"""``stillmotion serve`` answers a no-sound request as each vendor does (server/sound.py).

Each dialect's create goes over real HTTP to a real local server, the body taken from the
vendor's documented payload (tests/data/vendors, sources named there) with the sound switch
set, left out, or turned off, and the prompt swapped for one with sound cues (so a render with
sound is audible, not the preview's silent bed). The rendered file is then measured: a vendor
that makes sound gives a clip with audible sound; asked for none (or a model that has none), a
clip without an audio stream. ``generate --no-audio`` through the CLI on the ``preview``
provider places the picture only, and its downloaded original has no sound.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import opentimelineio as otio
import pytest
from pydantic import SecretStr

from stillmotion.api import hs256
from stillmotion.api.providers.base import GenerationRequest
from stillmotion.api.providers.openai_videos import VideosProvider
from stillmotion.media.probe import probe
from stillmotion.media.sound import file_has_sound, sound_facts
from stillmotion.server import RunningServer
from stillmotion.server.store import COMPLETED, FAILED
from stillmotion.settings import Settings
from stillmotion.timeline.io import read_timeline
from support.dialects import Stills, b64, data_uri, make_stills_640
from support.generate_env import cli_json, isolate, one_clip_cut
from support.server import server_fixture
from support.vendor_golden import golden, golden_status

KEY = "sound-test-key"
SECRET = secrets.token_hex(16)
RAIN = "Rain falls and thunder rolls over the street"
Poster = Callable[[RunningServer, Stills, str], httpx.Response]


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills_640(tmp_path_factory)


server = server_fixture(require_key=KEY, kling_secret=SECRET, workers=2)


def _bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


def _openrouter(body: dict[str, Any]) -> Poster:
    def post(server: RunningServer, stills: Stills, prompt: str) -> httpx.Response:
        sent = dict(copy.deepcopy(body), prompt=prompt, duration=4)
        sent["frame_images"][0]["image_url"]["url"] = data_uri(stills.first)
        return httpx.post(f"{server.root_url}/api/v1/videos", json=sent, headers=_bearer(),
                          timeout=30)
    return post


def _kling(**changes: Any) -> Poster:
    def post(server: RunningServer, stills: Stills, prompt: str) -> httpx.Response:
        sent = {k: v for k, v in golden("kling", "create_request_sound").items()
                if k != "sound"}
        sent.update(changes, prompt=prompt, image=b64(stills.first))
        now = int(time.time())
        token = hs256.sign({"iss": KEY, "exp": now + 1800, "nbf": now - 5}, SECRET)
        return httpx.post(f"{server.root_url}/v1/videos/image2video", json=sent, timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
    return post


def _runway(name: str, **changes: Any) -> Poster:
    def post(server: RunningServer, stills: Stills, prompt: str) -> httpx.Response:
        sent = dict(golden("runway", name), promptText=prompt, **changes)
        sent["promptImage"] = data_uri(stills.first)
        return httpx.post(f"{server.root_url}/v1/image_to_video", json=sent, timeout=30,
                          headers={**_bearer(), "X-Runway-Version": "2024-11-06"})
    return post


def _fal(model: str, name: str, *drop: str, image: str = "start_image_url",
         **changes: Any) -> Poster:
    """A fal create from a golden body (``drop``: fields the model does not take)."""
    def post(server: RunningServer, stills: Stills, prompt: str) -> httpx.Response:
        sent = {k: v for k, v in golden("fal", name).items()
                if k not in ("end_image_url", "start_image_url", *drop)}
        sent.update(changes, prompt=prompt)
        sent[image] = data_uri(stills.first)
        return httpx.post(f"{server.root_url}/{model}", json=sent, timeout=30,
                          headers={"Authorization": f"Key {KEY}"})
    return post


def _seedance(name: str) -> Poster:
    def post(server: RunningServer, stills: Stills, prompt: str) -> httpx.Response:
        sent = dict(golden("seedance", name), duration=4)
        sent["content"] = [{"type": "text", "text": prompt},
                           {"type": "image_url", "image_url": {"url": data_uri(stills.first)},
                            "role": "first_frame"}]
        return httpx.post(f"{server.root_url}/api/v3/contents/generations/tasks", json=sent,
                          headers=_bearer(), timeout=30)
    return post


def _wan(**parameters: Any) -> Poster:
    def post(server: RunningServer, stills: Stills, prompt: str) -> httpx.Response:
        sent = golden("wan", "create_request")
        sent["input"] = {"prompt": prompt,
                         "media": [{"type": "first_frame", "url": data_uri(stills.first)}]}
        sent["parameters"].update(duration=2, **parameters)
        return httpx.post(
            f"{server.root_url}/api/v1/services/aigc/video-generation/video-synthesis",
            json=sent, timeout=30, headers={**_bearer(), "X-DashScope-Async": "enable"})
    return post


def _veo(model: str, seconds: int) -> Poster:
    def post(server: RunningServer, stills: Stills, prompt: str) -> httpx.Response:
        sent = golden("veo", "create_first_last")
        sent["instances"] = [{"prompt": prompt, "image": {"bytesBase64Encoded": b64(
            stills.first), "mimeType": "image/png"}}]
        sent["parameters"]["durationSeconds"] = seconds
        return httpx.post(f"{server.root_url}/v1beta/models/{model}:predictLongRunning",
                          json=sent, headers={"x-goog-api-key": KEY}, timeout=30)
    return post


def _videos(header: dict[str, str]) -> Poster:
    def post(server: RunningServer, stills: Stills, prompt: str) -> httpx.Response:
        return httpx.post(f"{server.base_url}/videos", timeout=30,
                          json={"prompt": prompt, "model": "preview", "size": "320x180",
                                "seconds": "1"}, headers={**_bearer(), **header})
    return post


NO_AUDIO = golden("openrouter", "create_no_audio")
CASES: dict[str, tuple[Poster, bool]] = {
    "openrouter generate_audio false": (_openrouter(NO_AUDIO), False),
    "openrouter default": (_openrouter({k: v for k, v in NO_AUDIO.items()
                                        if k != "generate_audio"}), True),
    "kling sound on": (_kling(sound="on"), True),
    "kling sound off": (_kling(sound="off"), False),
    "kling sound left out (default off)": (_kling(), False),
    "kling-v2-6 std": (_kling(model_name="kling-v2-6", mode="std"), False),
    "runway veo3.1_fast audio false": (_runway("create_veo_no_audio"), False),
    "runway veo3.1_fast default": (_runway("create_veo_no_audio", audio=True), True),
    "runway gen4.5 (no sound model)": (_runway("create_gen45", duration=2), False),
    "fal kling v2.6 generate_audio false": (_fal(
        "fal-ai/kling-video/v2.6/pro/image-to-video", "create_kling_v26_no_audio"), False),
    "fal kling v3 generate_audio true": (_fal(
        "fal-ai/kling-video/v3/pro/image-to-video", "create_kling_v3", duration="3"), True),
    "fal kling v2.1 (no sound model)": (_fal(
        "fal-ai/kling-video/v2.1/standard/image-to-video", "create_kling_v26_no_audio",
        "generate_audio", image="image_url"), False),
    "seedance default": (_seedance("create_request"), True),
    "seedance generate_audio false": (_seedance("create_no_audio"), False),
    "wan default": (_wan(), True),
    "wan audio false": (_wan(audio=False), False),
    "veo 3.1 (always sound)": (_veo("veo-3.1-fast-generate-preview", 4), True),
    "veo 2 (no sound model)": (_veo("veo-2.0-generate-001", 5), False),
    "/v1/videos (Sora: always sound)": (_videos({}), True),
    "/v1/videos preview sound off": (_videos({"X-Stillmotion-Sound": "off"}), False),
}


def _rendered(server: RunningServer, prompt: str) -> Path:
    """The file the job of ``prompt`` rendered (what every dialect serves as its result)."""
    for _ in range(600):
        found = [r for r in server.service.store.jobs() if r.prompt == prompt]
        if found and found[0].status in (COMPLETED, FAILED):
            assert found[0].status == COMPLETED, found[0].error
            return server.service.store.job_dir(found[0].id) / "video.mp4"
        time.sleep(0.1)
    raise AssertionError(f"the job of {prompt!r} did not finish")


@pytest.mark.parametrize("case", list(CASES))
def test_the_file_has_sound_as_the_vendor_documents(case: str, server: RunningServer,
                                                   stills: Stills) -> None:
    post, sound = CASES[case]
    prompt = f"{RAIN} ({case})"
    answer = post(server, stills, prompt)
    assert answer.status_code in (200, 201, 202), answer.text
    video = _rendered(server, prompt)
    facts = sound_facts(video)
    assert probe(video).require_video()
    if sound:
        assert facts.stream and facts.sound, facts
    else:
        assert not facts.stream and probe(video).audio is None
        assert not file_has_sound(video)


def test_veo_on_the_gemini_api_refuses_generate_audio(server: RunningServer,
                                                      stills: Stills) -> None:
    sent = golden("veo", "create_generate_audio")
    sent["instances"][0]["image"]["bytesBase64Encoded"] = b64(stills.first)
    before = len(server.service.store.jobs())
    answer = httpx.post(f"{server.root_url}/v1beta/models/veo-3.1-fast-generate-preview"
                        ":predictLongRunning", json=sent, headers={"x-goog-api-key": KEY},
                        timeout=30)
    assert answer.status_code == golden_status("veo", "create_generate_audio")
    assert answer.json()["error"]["message"] == ("generateAudio parameter is not supported "
                                                 "in Gemini API.")
    assert len(server.service.store.jobs()) == before


def _audio_clips(timeline_path: str) -> list[otio.schema.Clip]:
    timeline = read_timeline(timeline_path)
    return [clip for track in timeline.tracks if track.kind == otio.schema.TrackKind.Audio
            for clip in track if isinstance(clip, otio.schema.Clip)]


@pytest.mark.parametrize(("flags", "sound"), [([], True), (["--no-audio"], False)])
def test_generate_no_audio_on_preview_places_the_picture_only(
        flags: list[str], sound: bool, server: RunningServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("STILLMOTION_API_KEY", KEY)
    cut = one_clip_cut(tmp_path, (320, 180), "P")
    prompt = f"{RAIN}, preview {'with' if sound else 'without'} sound"
    result = cli_json(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt", prompt,
                      "--provider", "preview", "--base-url", server.base_url, "--model",
                      "preview", "--size", "320x180", "--seconds", "1", "--preset",
                      "h264-web", *flags, "--ledger", str(tmp_path / "ledger.sqlite3"),
                      "-o", str(tmp_path / "project" / "out.otio"))
    original = Path(result["original"])
    assert (probe(original).audio is not None) is sound
    assert file_has_sound(original) is sound
    assert len(_audio_clips(result["timeline"])) == (1 if sound else 0)
    (record,) = [r for r in server.service.store.jobs() if r.prompt == prompt]
    assert record.sound is sound


@pytest.mark.parametrize(("provider", "sound"), [("preview", False), ("openai", True)])
def test_only_the_preview_provider_asks_for_no_sound(provider: str, sound: bool,
                                                      server: RunningServer) -> None:
    """``--no-audio`` (``audio=False``) reaches our own server as the sound header; an OpenAI
    gateway is never sent it (OpenAI has no sound switch), so there the clip keeps its sound."""
    settings = Settings(base_url=server.base_url, api_key=SecretStr(KEY), model="preview")
    videos = VideosProvider.from_settings(settings, name=provider, default_base_url=None)
    prompt = f"{RAIN}, {provider} provider without sound"
    try:
        videos.submit(GenerationRequest(prompt=prompt, model="preview", seconds=1,
                                        size=(320, 180), audio=False))
    finally:
        videos.close()
    (record,) = [r for r in server.service.store.jobs() if r.prompt == prompt]
    assert record.sound is sound
    assert (probe(_rendered(server, prompt)).audio is not None) is sound
