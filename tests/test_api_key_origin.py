"""Which URLs receive a service's key: the configured root's own origin, and nothing else.

One rule for every dialect (/v1/videos, Veo, Runway, fal), decided by one function,
``Target.headers_for``: each dialect runs submit -> poll -> download on an ``httpx.MockTransport``
whose result URL (or, for /v1/videos, the content redirect) lies on the root's origin or on
another one (a CDN, the same host on another port or scheme, a sub-domain). The key (and
Runway's version header) must reach every request on the root's origin and no other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from stillmotion.api._target import Target
from stillmotion.api.client import VideosClient
from stillmotion.api.providers.base import GenerationRequest, JobState, JobStatus, Provider
from stillmotion.api.providers.dialect import RESULT_URL
from stillmotion.api.providers.fal import FalProvider
from stillmotion.api.providers.openai_videos import VideosProvider
from stillmotion.api.providers.runway import RunwayProvider
from stillmotion.api.providers.veo import VeoProvider
from support.dialects import MP4_BYTES, NO_WAIT, Script
from support.videos_fakes import PNG_HEAD, video_json

KEY = "k-origin-test-0000"
CREDENTIAL_HEADERS = ("authorization", "x-goog-api-key", "api-key", "x-runway-version")
OP = "models/veo-3.1-fast-generate-preview/operations/op1"
TASK = "0b7a0c55-1111-4222-8333-444455556666"


def _no_sleep(seconds: float) -> None:
    return None


@dataclass(frozen=True)
class Dialect:
    """One dialect: its root, how to open it, the headers its key travels in, and a script of
    answers leading to a download of ``result_url``."""

    name: str
    root: str
    open: Callable[[str, httpx.MockTransport], Provider]
    credentials: dict[str, str]
    answers: Callable[[Script, str, str], Script]


def _videos(root: str, transport: httpx.MockTransport) -> Provider:
    client = VideosClient(root, api_key=KEY, transport=transport, retry=NO_WAIT,
                          sleep=_no_sleep)
    return VideosProvider(client, name="openai", default_model="sora-2")


def _videos_answers(script: Script, root: str, result_url: str) -> Script:
    return (script.add(200, video_json())
            .add(200, video_json(status="completed", progress=100))
            .add(302, headers={"location": result_url})
            .add(200, content=MP4_BYTES, headers={"content-type": "video/mp4"}))


def _veo_answers(script: Script, root: str, result_url: str) -> Script:
    sample = {"generateVideoResponse": {"generatedSamples": [{"video": {"uri": result_url}}]}}
    return (script.add(200, {"name": OP})
            .add(200, {"name": OP, "done": True, "response": sample})
            .add(200, content=MP4_BYTES))


def _runway_answers(script: Script, root: str, result_url: str) -> Script:
    return (script.add(200, {"id": TASK})
            .add(200, {"id": TASK, "status": "SUCCEEDED", "output": [result_url]})
            .add(200, content=MP4_BYTES))


def _fal_answers(script: Script, root: str, result_url: str) -> Script:
    base = f"{root}/fal-ai/kling-video/requests/req-1"
    return (script.add(200, {"request_id": "req-1", "response_url": base,
                             "status_url": f"{base}/status"})
            .add(200, {"status": "COMPLETED", "response_url": base})
            .add(200, {"video": {"url": result_url, "content_type": "video/mp4"}})
            .add(200, content=MP4_BYTES))


DIALECTS = [
    Dialect("videos", "https://videos.example.test/v1", _videos,
            {"authorization": f"Bearer {KEY}"}, _videos_answers),
    Dialect("veo", "https://generativelanguage.googleapis.com",
            lambda root, transport: VeoProvider.open(root, KEY, transport=transport,
                                                     retry=NO_WAIT, sleep=_no_sleep),
            {"x-goog-api-key": KEY}, _veo_answers),
    Dialect("runway", "https://api.dev.runwayml.com",
            lambda root, transport: RunwayProvider.open(root, KEY, transport=transport,
                                                        retry=NO_WAIT, sleep=_no_sleep),
            {"authorization": f"Bearer {KEY}", "x-runway-version": "2024-11-06"},
            _runway_answers),
    Dialect("fal", "https://queue.fal.run",
            lambda root, transport: FalProvider.open(root, KEY, transport=transport,
                                                     retry=NO_WAIT, sleep=_no_sleep),
            {"authorization": f"Key {KEY}"}, _fal_answers),
]


def _host(root: str) -> str:
    return httpx.URL(root).host


RESULT_URLS: list[tuple[Callable[[str], str], bool]] = [
    (lambda root: f"https://{_host(root)}/files/out.mp4?sig=1", True),
    (lambda root: f"https://{_host(root)}:443/files/out.mp4?sig=1", True),  # default port
    (lambda root: "https://cdn.example.net/out.mp4?sig=1", False),
    (lambda root: f"https://cdn.{_host(root)}/out.mp4?sig=1", False),  # a sub-domain
    (lambda root: f"https://{_host(root)}:8443/out.mp4?sig=1", False),  # another port
    (lambda root: f"http://{_host(root)}/out.mp4?sig=1", False),  # plain http
]


@pytest.fixture
def still(tmp_path: Path) -> Path:
    path = tmp_path / "still.png"
    path.write_bytes(PNG_HEAD + b"\x00pixels")
    return path


def _run(dialect: Dialect, result_url: str, still: Path, out: Path) -> list[httpx.Request]:
    script = dialect.answers(Script(), dialect.root, result_url)
    provider = dialect.open(dialect.root, script.transport)
    submitted = provider.submit(GenerationRequest(prompt="steam rising", model=None, seconds=5,
                                                  size=(1280, 720), first_frame=still))
    done = provider.poll(submitted.id)
    assert done.status is JobStatus.COMPLETED
    provider.download(done, out)
    assert out.read_bytes() == MP4_BYTES
    assert script.answers == []
    return script.seen


def _credentials(request: httpx.Request) -> dict[str, str]:
    return {name: request.headers[name] for name in CREDENTIAL_HEADERS
            if name in request.headers}


@pytest.mark.parametrize("dialect", DIALECTS, ids=[d.name for d in DIALECTS])
@pytest.mark.parametrize(("result_url", "gets_key"), RESULT_URLS,
                         ids=["root", "root-443", "cdn", "subdomain", "port", "http"])
def test_the_key_goes_only_to_the_roots_origin(
        dialect: Dialect, result_url: Callable[[str], str], gets_key: bool, still: Path,
        tmp_path: Path) -> None:
    url = result_url(dialect.root)
    seen = _run(dialect, url, still, tmp_path / "out.mp4")
    *on_root, fetch = seen
    for request in on_root:
        assert _credentials(request) == dialect.credentials, request.url
    assert str(fetch.url) == str(httpx.URL(url))
    assert _credentials(fetch) == (dialect.credentials if gets_key else {})
    for request in seen:
        assert KEY not in str(request.url)


def test_a_redirect_back_to_the_root_gets_the_key_again(tmp_path: Path) -> None:
    root = "https://generativelanguage.googleapis.com"
    away = "https://storage.example.com/blob?sig=1"
    script = (Script()
              .add(302, headers={"location": away})
              .add(302, headers={"location": f"{root}/v1beta/files/f:download"})
              .add(200, content=MP4_BYTES))
    provider = VeoProvider.open(root, KEY, transport=script.transport, retry=NO_WAIT,
                                sleep=_no_sleep)
    job = JobState(id=OP, status=JobStatus.COMPLETED, raw_status="done",
                   raw={RESULT_URL: "https://cdn.example.net/start"})
    provider.download(job, tmp_path / "out.mp4")
    start, storage, home = script.seen
    assert _credentials(start) == {} and _credentials(storage) == {}
    assert _credentials(home) == {"x-goog-api-key": KEY}


def test_every_request_of_every_dialect_takes_its_headers_from_the_one_rule(
        monkeypatch: pytest.MonkeyPatch, still: Path, tmp_path: Path) -> None:
    """Replace the rule with one that never grants the key: no request may carry it then, so
    no dialect adds the key anywhere else; and the rule saw every request that was sent."""
    asked: list[tuple[str, str, int | None, str]] = []

    def never(self: Target, url: httpx.URL | str, accept: str) -> dict[str, Any]:
        parsed = httpx.URL(str(url))
        asked.append((parsed.scheme, parsed.host, parsed.port, parsed.path))
        return {"Accept": accept}

    monkeypatch.setattr(Target, "headers_for", never)
    for dialect in DIALECTS:
        asked.clear()
        root_result = f"https://{_host(dialect.root)}/files/out.mp4"
        seen = _run(dialect, root_result, still, tmp_path / f"{dialect.name}.mp4")
        assert [_credentials(request) for request in seen] == [{}] * len(seen), dialect.name
        sent = [(r.url.scheme, r.url.host, r.url.port, r.url.path) for r in seen]
        assert asked == sent, dialect.name


@pytest.mark.parametrize("dialect", DIALECTS, ids=[d.name for d in DIALECTS])
def test_every_dialect_holds_one_target_type_and_no_key_in_its_repr(dialect: Dialect) -> None:
    provider = dialect.open(dialect.root, Script().transport)
    target = (provider.client.target if isinstance(provider, VideosProvider)
              else provider.http.target)  # type: ignore[attr-defined]
    assert type(target) is Target
    assert KEY not in repr(target) + repr(provider)
