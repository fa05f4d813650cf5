"""``generate --no-audio`` asks fal, Runway, Seedance and Wan for no sound, end to end.

The CLI runs against ``stillmotion serve`` over real HTTP. The create body the server received
is held to the vendor's golden no-sound body (tests/data/vendors, sources named there): the
same fields with the same types, the switch off. The server renders as the vendor documents
(server/sound.py), so the downloaded original has no sound and only the picture is placed.
Without ``--no-audio`` the switch is on (the model's row promises sound) and the original has
sound. A model without the switch (fal's Kling v2.1, Runway's gen4.5) gets no sound field on
``--no-audio`` and still places the picture only; Veo on the Gemini API, which refuses
``generateAudio``, is sent none either and its clip keeps its sound off the timeline.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest
from starlette.requests import Request

from stillmotion.api.providers import fal
from stillmotion.api.providers.base import GenerationRequest
from stillmotion.jobs.records import JobContext
from stillmotion.jobs.stages import sound_wish
from stillmotion.media.probe import probe
from stillmotion.media.sound import file_has_sound
from stillmotion.server import RunningServer
from stillmotion.timeline.io import read_timeline
from support.dialects import Stills, make_stills_640
from support.generate_env import cli_json, isolate, one_clip_cut
from support.server import server_fixture
from support.vendor_golden import golden, shape

KEY = "no-audio-test-key"
KEY_VARIABLES = ("FAL_KEY", "RUNWAYML_API_SECRET", "ARK_API_KEY", "DASHSCOPE_API_KEY",
                 "GEMINI_API_KEY")
RAIN = "Rain falls and thunder rolls over the street"
SOUND_FIELDS = ("generate_audio", "audio", "sound", "generateAudio")
"""Every vendor's spelling of a sound switch, wherever it sits in the body."""


@dataclass(frozen=True)
class Case:
    """One dialect's model with a sound switch, and its golden no-sound create body."""

    provider: str
    model: str
    seconds: int
    path: str
    golden: tuple[str, str]
    switch: tuple[str, ...]
    """Where the switch sits in the body."""
    unsent: tuple[str, ...] = ()
    """Optional golden fields the CLI does not send (knobs nobody set)."""
    also: dict[str, Any] = field(default_factory=dict)
    """Fields the vendor documents in another form we send (from another golden body)."""
    extra: tuple[str, ...] = ()
    """Fields our client sends that another golden body of the vendor documents."""


FAL_V26 = "fal-ai/kling-video/v2.6/pro/image-to-video"
CASES = {
    "fal": Case("fal", FAL_V26, 5, f"/{FAL_V26}", ("fal", "create_kling_v26_no_audio"),
                ("generate_audio",), unsent=("negative_prompt",)),
    "runway": Case("runway", "veo3.1_fast", 4, "/v1/image_to_video",
                   ("runway", "create_veo_no_audio"), ("audio",),
                   also={"promptImage": golden("runway", "create_gen45")["promptImage"]}),
    "seedance": Case("seedance", "dreamina-seedance-2-0-260128", 4,
                     "/api/v3/contents/generations/tasks", ("seedance", "create_no_audio"),
                     ("generate_audio",), extra=("return_last_frame", "watermark")),
    "wan": Case("wan", "wan2.7-i2v", 2, "/api/v1/services/aigc/video-generation/video-synthesis",
                ("wan", "create_no_audio"), ("parameters", "audio")),
}


server = server_fixture(require_key=KEY, workers=2)


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    """The JSON bodies the server decoded, by path (a tap on the request it parses)."""
    seen: dict[str, list[dict[str, Any]]] = {}
    parse = Request.json

    async def tapped(self: Request) -> Any:
        body = await parse(self)
        if self.method == "POST" and isinstance(body, dict):
            seen.setdefault(self.url.path, []).append(copy.deepcopy(body))
        return body

    monkeypatch.setattr(Request, "json", tapped)
    return seen


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    isolate(monkeypatch, tmp_path)
    for variable in KEY_VARIABLES:
        monkeypatch.setenv(variable, KEY)
    yield tmp_path


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills_640(tmp_path_factory)


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return one_clip_cut(tmp_path_factory.mktemp("cut"), (640, 360), "N")


def _generate(server: RunningServer, cut: Path, folder: Path, provider: str, model: str,
              seconds: int, flags: list[str], capsys: pytest.CaptureFixture[str]
              ) -> dict[str, Any]:
    name = f"{provider}-{model}-{'off' if flags else 'on'}".replace("/", "_")
    (folder / "project").mkdir(exist_ok=True)
    return cli_json(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt",
                    f"{RAIN} ({name})", "--provider", provider, "--model", model,
                    "--seconds", str(seconds), "--size", "1280x720", "--base-url",
                    server.root_url, "--preset", "h264-web", *flags,
                    "--ledger", str(folder / "ledger.sqlite3"),
                    "-o", str(folder / "project" / f"{name}.otio"))


def _at(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


def _sound_fields(value: Any) -> list[str]:
    """Every sound switch in a body, at any depth."""
    if isinstance(value, dict):
        return [k for k in value if k in SOUND_FIELDS] + [
            f for v in value.values() for f in _sound_fields(v)]
    if isinstance(value, list):
        return [f for v in value for f in _sound_fields(v)]
    return []


def _audio_clips(timeline_path: str) -> int:
    timeline = read_timeline(timeline_path)
    return sum(1 for track in timeline.tracks if track.kind == otio.schema.TrackKind.Audio
               for item in track if isinstance(item, otio.schema.Clip))


@pytest.mark.parametrize("dialect", list(CASES))
def test_no_audio_sends_the_golden_switch_and_places_the_picture_only(
        dialect: str, server: RunningServer, cut: Path, sandbox: Path,
        received: dict[str, list[dict[str, Any]]],
        capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[dialect]
    result = _generate(server, cut, sandbox, case.provider, case.model, case.seconds,
                       ["--no-audio"], capsys)
    (body,) = received[case.path]
    assert _at(body, case.switch) is False
    expected = {k: v for k, v in golden(*case.golden).items() if k not in case.unsent}
    expected.update(case.also)
    sent = {k: v for k, v in body.items() if k not in case.extra}
    assert shape(sent) == shape(expected)
    assert set(case.extra) <= set(body)
    assert _sound_fields(body) == [case.switch[-1]]
    original = Path(result["original"])
    assert probe(original).audio is None and not file_has_sound(original)
    assert _audio_clips(result["timeline"]) == 0


@pytest.mark.parametrize("dialect", list(CASES))
def test_without_no_audio_the_switch_is_on_and_the_clip_has_sound(
        dialect: str, server: RunningServer, cut: Path, sandbox: Path,
        received: dict[str, list[dict[str, Any]]],
        capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[dialect]
    result = _generate(server, cut, sandbox, case.provider, case.model, case.seconds, [],
                       capsys)
    (body,) = received[case.path]
    assert _at(body, case.switch) is True
    original = Path(result["original"])
    assert file_has_sound(original)
    assert _audio_clips(result["timeline"]) == 1


@pytest.mark.parametrize(("provider", "model", "seconds", "path", "sound"), [
    ("fal", "fal-ai/kling-video/v2.1/standard/image-to-video", 5,
     "/fal-ai/kling-video/v2.1/standard/image-to-video", False),
    ("runway", "gen4.5", 2, "/v1/image_to_video", False),
    ("veo", "veo-3.1-fast-generate-preview", 4,
     "/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning", True)])
def test_a_model_without_the_switch_is_sent_none_and_places_the_picture_only(
        provider: str, model: str, seconds: int, path: str, sound: bool,
        server: RunningServer, cut: Path, sandbox: Path,
        received: dict[str, list[dict[str, Any]]],
        capsys: pytest.CaptureFixture[str]) -> None:
    """fal's Kling v2.1 and Runway's gen4.5 make no sound and document no switch; Veo on the
    Gemini API refuses ``generateAudio``, so its clip comes with sound that is not placed."""
    result = _generate(server, cut, sandbox, provider, model, seconds, ["--no-audio"], capsys)
    (body,) = received[path]
    assert _sound_fields(body) == []
    assert file_has_sound(Path(result["original"])) is sound
    assert _audio_clips(result["timeline"]) == 0


def test_a_declared_fal_model_without_generate_audio_is_sent_no_switch(stills: Stills) -> None:
    """The switch goes only to fal models whose page lists it: a declared model's knobs say."""
    still = stills.first
    for knobs, sent in (((), None), (("generate_audio",), False)):
        declared = {"owner/model": fal.FalModel(knobs=knobs)}
        spec = fal.create_request("owner/model", GenerationRequest(
            prompt="p", model="owner/model", seconds=5, size=(1280, 720), first_frame=still,
            audio=False), declared)
        assert spec.json is not None and spec.json.get("generate_audio") is sent


@pytest.mark.parametrize(("no_audio", "promised", "wish"), [
    (True, True, False), (False, True, True),
    (True, False, None), (False, False, None),  # the row says the model makes no sound
    (True, None, False), (False, None, None)])  # an older ledger: promise unknown
def test_the_sound_wish_of_a_job(no_audio: bool, promised: bool | None,
                                 wish: bool | None) -> None:
    assert sound_wish(JobContext(no_audio=no_audio, audio_promised=promised)) is wish


def test_each_golden_no_sound_body_has_its_switch_off() -> None:
    """The golden bodies (each names its source) are the vendors' no-sound requests."""
    for case in CASES.values():
        assert _at(golden(*case.golden), case.switch) is False
