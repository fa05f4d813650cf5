"""Kling's ``sound`` switch ("on"/"off", V2.6 and later) sent from the job's sound wishes.

``--no-audio`` sends ``sound: "off"`` (the editor wants no sound, and Kling bills sound
separately); a model whose row promises sound sends ``"on"`` where the mode renders it
(kling-v2-6 only in pro mode); nothing is sent for older models or when nobody said. The body
is held to the golden payload (tests/data/vendors/kling/create_request_sound.json, sources
named there) by our client and by ``stillmotion serve``, and the CLI is run end to end against
the server, which records the switch it received.
"""

from __future__ import annotations

import copy
import secrets
import time
from pathlib import Path

import httpx
import pytest

from stillmotion.api import capabilities, hs256
from stillmotion.api.providers.base import GenerationRequest
from stillmotion.api.providers.kling import KlingProvider
from stillmotion.media.probe import probe
from stillmotion.media.sound import file_has_sound
from stillmotion.server import RunningServer
from support.dialects import NO_WAIT, Script, Stills, b64, body_of, make_stills_640
from support.generate_env import cli, cli_json, isolate, one_clip_cut
from support.server import server_fixture
from support.vendor_golden import golden, shape

ACCESS = "sound-access-key"
SECRET = secrets.token_hex(16)
ROOT = "https://api-singapore.klingai.com"


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills_640(tmp_path_factory)


def _sent(stills: Stills, model: str, audio: bool | None,
          size: tuple[int, int] = (1280, 720)) -> dict[str, object]:
    script = Script().add(200, golden("kling", "create_response"))
    provider = KlingProvider.open(ROOT, ACCESS, secret=SECRET, transport=script.transport,
                                  retry=NO_WAIT)
    provider.submit(GenerationRequest(prompt="p", model=model, seconds=5, size=size,
                                      first_frame=stills.first, audio=audio))
    (request,) = script.seen
    body: dict[str, object] = body_of(request)
    return body


def test_the_switch_follows_the_jobs_wishes(stills: Stills) -> None:
    on = _sent(stills, "kling-v3", True)
    assert on["sound"] == "on"
    assert shape(on) == shape(golden("kling", "create_request_sound"))
    assert _sent(stills, "kling-v3", False)["sound"] == "off"
    assert "sound" not in _sent(stills, "kling-v3", None)
    # kling-v2-6 renders sound in pro mode only: std (720p) is asked for silence.
    assert _sent(stills, "kling-v2-6", True)["sound"] == "off"
    assert _sent(stills, "kling-v2-6", True, (1920, 1080))["sound"] == "on"


server = server_fixture(require_key=ACCESS, kling_secret=SECRET)


def _post(server: RunningServer, body: dict[str, object]) -> httpx.Response:
    now = int(time.time())
    token = hs256.sign({"iss": ACCESS, "exp": now + 1800, "nbf": now - 5}, SECRET)
    return httpx.post(f"{server.root_url}/v1/videos/image2video", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {token}"})


def test_the_server_takes_the_documented_switch_and_refuses_others(
        server: RunningServer, stills: Stills) -> None:
    body = copy.deepcopy(golden("kling", "create_request_sound"))
    body["image"] = b64(stills.first)
    answer = _post(server, body)
    assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
    task = answer.json()["data"]["task_id"]
    (record,) = [r for r in server.service.store.jobs() if r.id.endswith(task)]
    assert record.extra["sound"] == "on"
    for wrong, words in ((dict(body, sound="yes"), "sound must be on or off"),
                         (dict(body, model_name="kling-v2-6"), "does not support sound in std")):
        refused = _post(server, wrong)
        assert refused.status_code == 400 and words in refused.json()["message"]


@pytest.fixture
def cut(tmp_path: Path) -> Path:
    return one_clip_cut(tmp_path, (640, 360), "K")


def test_no_audio_asks_kling_for_silence_end_to_end(
        server: RunningServer, cut: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET)
    common = ["--at", "10:00:00:05", "--provider", "kling", "--model", "kling-v3",
              "--seconds", "3", "--base-url", server.root_url, "--preset", "h264-web",
              "--ledger", str(tmp_path / "ledger.sqlite3")]
    sounds, originals = {}, {}
    for extra, name in (([], "with.otio"), (["--no-audio"], "without.otio")):
        prompt = f"Slow dolly in, rain on the window {name}"  # a cue: the bed is audible
        result = cli_json(capsys, "generate", cut, "--prompt", prompt,
                          *common, *extra, "-o", str(tmp_path / "project" / name))
        assert result["model"] == "kling-v3"
        (record,) = [r for r in server.service.store.jobs() if r.prompt == prompt]
        sounds[name] = record.extra.get("sound")
        original = Path(result["original"])
        originals[name] = (probe(original).audio is not None, file_has_sound(original))
    assert sounds == {"with.otio": "on", "without.otio": "off"}
    # What Kling returns for "off": a clip without sound (the server renders no audio stream).
    assert originals == {"with.otio": (True, True), "without.otio": (False, False)}


def test_the_promise_follows_the_mode() -> None:
    """One rule (the row's ``audio_at``) for the promise and the switch: kling-v2-6 makes
    sound at its pro (1080p) sizes only, kling-v3 at every size."""
    v26, v3 = capabilities.lookup("kling", "kling-v2-6"), capabilities.lookup("kling", "kling-v3")
    for size in capabilities.SIZES_KLING:
        assert capabilities.kling_mode(size) == "std"
        assert not v26.audio_at(size) and v3.audio_at(size)
    for size in capabilities.SIZES_KLING_PRO:
        assert capabilities.kling_mode(size) == "pro"
        assert v26.audio_at(size) and v3.audio_at(size)


@pytest.mark.parametrize(("size", "sent", "promise"), [
    ("1280x720", None, "sound           not promised by the model"),
    ("1920x1080", "on", "sound           promised by the model")])
def test_kling_v2_6_promises_sound_only_in_pro_mode_end_to_end(
        size: str, sent: str | None, promise: str, server: RunningServer, cut: Path,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET)
    ledger = tmp_path / "ledger.sqlite3"
    prompt = f"Slow dolly in at {size}"
    result = cli_json(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt", prompt,
                      "--provider", "kling", "--model", "kling-v2-6", "--seconds", "5",
                      "--size", size, "--base-url", server.root_url, "--preset", "h264-web",
                      "--ledger", str(ledger))
    (record,) = [r for r in server.service.store.jobs() if r.prompt == prompt]
    assert record.extra.get("sound") == sent
    code, out, err = cli(capsys, "jobs", "show", result["job_id"], "--ledger", ledger)
    assert code == 0, err
    (line,) = [x for x in out.splitlines() if x.startswith("sound ")]
    assert line.startswith(promise + ";") or line == promise
