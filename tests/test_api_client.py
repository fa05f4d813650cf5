"""The /v1/videos client on httpx.MockTransport, plus real HTTP on 127.0.0.1 for sockets."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from stillmotion.api.client import VideosClient
from stillmotion.api.params import FileIdReference, ImageUrlReference
from stillmotion.api.providers.base import GenerationRequest, JobState, JobStatus
from stillmotion.api.providers.openai_videos import VideosProvider
from stillmotion.api.retry import RetryPolicy
from stillmotion.errors import (
    AuthenticationError,
    ConfigError,
    JobError,
    ResponseValidationError,
    ServiceConnectionError,
    ServiceTimeoutError,
)
from stillmotion.settings import Settings
from support.videos_fakes import (
    API_KEY,
    BASE_URL,
    JPEG_HEAD,
    MP4_HEAD,
    PNG_HEAD,
    WEBP_HEAD,
    Script,
    error_response,
    form_parts,
    json_response,
    make_client,
    video_json,
)

MP4_BODY = MP4_HEAD + bytes(range(256)) * 8


@pytest.fixture
def still(tmp_path: Path) -> Path:
    path = tmp_path / "still.png"
    path.write_bytes(PNG_HEAD + b"\x01\x02pixel-bytes\x03")
    return path


def mp4_response(body: bytes = MP4_BODY, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "video/mp4", **headers})


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- create ---------------------------------------------------------------------------------------


def test_create_multipart_carries_the_file_and_string_seconds(still: Path) -> None:
    script = Script(json_response(200, video_json()))
    with make_client(script) as client:
        video = client.create("steam rising", model="sora-2", seconds=8, size=(1280, 720),
                              input_reference=still)
    assert video.id == "video_1"
    (request,) = script.requests
    assert (request.method, str(request.url)) == ("POST", f"{BASE_URL}/videos")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = form_parts(request)
    assert parts["prompt"] == (None, "text/plain", b"steam rising")
    assert parts["seconds"] == (None, "text/plain", b"8")
    assert parts["size"][2] == b"1280x720"
    assert parts["model"][2] == b"sora-2"
    assert parts["input_reference"] == ("still.png", "image/png", still.read_bytes())


def test_create_json_with_data_url_or_file_id(still: Path) -> None:
    script = Script(json_response(200, video_json("v1")), json_response(200, video_json("v2")),
                    json_response(200, video_json("v3")))
    with make_client(script) as client:
        client.create("p", seconds="4", size="720x1280",
                      input_reference=ImageUrlReference.from_file(still))
        client.create("p", input_reference=FileIdReference(file_id="file_abc"))
        client.create("p", seconds=12)
    first, second, third = (json.loads(r.content) for r in script.requests)
    assert script.requests[0].headers["content-type"] == "application/json"
    assert first["seconds"] == "4"
    assert first["size"] == "720x1280"
    assert first["input_reference"]["image_url"].startswith("data:image/png;base64,")
    assert second == {"prompt": "p", "input_reference": {"file_id": "file_abc"}}
    assert third == {"prompt": "p", "seconds": "12"}


def test_bad_request_values_fail_before_any_request(still: Path) -> None:
    script = Script()
    client = make_client(script)
    with pytest.raises(ConfigError, match="seconds"):
        client.create("p", seconds="ten")
    with pytest.raises(ConfigError, match="size"):
        client.create("p", size="1279x720")
    with pytest.raises(ConfigError, match="Cannot read"):
        client.create("p", input_reference=still.with_name("gone.png"))
    client.close()
    assert script.requests == []


# -- reads ----------------------------------------------------------------------------------------


def test_retrieve_and_poll_with_hint() -> None:
    script = Script(json_response(200, video_json(status="in_progress", progress=30)),
                    json_response(200, video_json(status="in_progress", progress=55),
                                  {"openai-poll-after-ms": "1500", "x-request-id": "req_7"}))
    with make_client(script) as client:
        video = client.retrieve("video_1")
        state = client.poll("video_1")
    assert video.progress == 30
    assert (state.status, state.progress, state.poll_after) == (JobStatus.RUNNING, 55.0, 1.5)
    assert [str(r.url) for r in script.requests] == [f"{BASE_URL}/videos/video_1"] * 2


def test_list_follows_cursor_pages() -> None:
    pages = [
        {"object": "list", "data": [video_json("a"), video_json("b")], "first_id": "a",
         "last_id": "b", "has_more": True},
        {"object": "list", "data": [video_json("c")], "first_id": "c", "last_id": "c",
         "has_more": True},
        {"object": "list", "data": [video_json("d")], "first_id": "d", "last_id": "d",
         "has_more": False},
    ]
    script = Script(*(json_response(200, page) for page in pages))
    with make_client(script) as client:
        ids = [video.id for video in client.list(limit=2, order="asc")]
    assert ids == ["a", "b", "c", "d"]
    queries = [dict(r.url.params) for r in script.requests]
    assert queries == [{"limit": "2", "order": "asc"},
                       {"after": "b", "limit": "2", "order": "asc"},
                       {"after": "c", "limit": "2", "order": "asc"}]


def test_list_stops_on_a_repeating_cursor() -> None:
    page = {"data": [video_json("a")], "last_id": "a", "has_more": True}
    script = Script(json_response(200, page), json_response(200, page))
    with make_client(script) as client, pytest.raises(ResponseValidationError, match="twice"):
        list(client.list())
    assert len(script.requests) == 2


def test_delete_remix_extend_edit_characters(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4_BODY)
    script = Script(
        json_response(200, {"id": "video_1", "object": "video.deleted", "deleted": True}),
        json_response(200, video_json("video_2", remixed_from_video_id="video_1")),
        json_response(200, video_json("video_3", seconds="16")),
        json_response(200, video_json("video_4")),
        json_response(200, video_json("video_5")),
        json_response(200, {"id": "char_1", "name": "Mia", "created_at": 1}),
        json_response(200, {"id": "char_1", "name": "Mia", "created_at": 1}),
    )
    with make_client(script) as client:
        assert client.delete("video_1").deleted
        assert client.remix("video_1", prompt="at night").remixed_from_video_id == "video_1"
        assert client.extend("video_1", prompt="keep going", seconds=8).seconds == "16"
        assert client.extend(clip, prompt="keep going", seconds="4").id == "video_4"
        assert client.edit("video_1", prompt="make it rain").id == "video_5"
        assert client.create_character(name="Mia", video=clip).id == "char_1"
        assert client.retrieve_character("char_1").name == "Mia"
    calls = [(r.method, r.url.path) for r in script.requests]
    assert calls == [("DELETE", "/v1/videos/video_1"), ("POST", "/v1/videos/video_1/remix"),
                     ("POST", "/v1/videos/extensions"), ("POST", "/v1/videos/extensions"),
                     ("POST", "/v1/videos/edits"), ("POST", "/v1/videos/characters"),
                     ("GET", "/v1/videos/characters/char_1")]
    assert json.loads(script.requests[1].content) == {"prompt": "at night"}
    assert json.loads(script.requests[2].content) == {
        "prompt": "keep going", "seconds": "8", "video": {"id": "video_1"}}
    upload = form_parts(script.requests[3])
    assert upload["seconds"][2] == b"4"
    assert upload["video"] == ("clip.mp4", "video/mp4", MP4_BODY)
    assert json.loads(script.requests[4].content) == {
        "prompt": "make it rain", "video": {"id": "video_1"}}
    character = form_parts(script.requests[5])
    assert character["name"][2] == b"Mia"
    assert character["video"][2] == MP4_BODY


def test_gateway_bodies_through_the_client() -> None:
    wrapped = {"code": 0, "data": {"task_id": "task_1", "status": "IN_PROGRESS"}}
    script = Script(json_response(200, wrapped),
                    json_response(200, {"task_id": "task_1", "status": "SUCCEEDED"}))
    with make_client(script) as client:
        created = client.create("p")
        state = client.poll("task_1")
    assert created.id == "task_1"
    assert created.job_status is JobStatus.RUNNING
    assert (state.id, state.status, state.raw_status) == ("task_1", JobStatus.COMPLETED,
                                                           "SUCCEEDED")


# -- downloads ------------------------------------------------------------------------------------


def test_download_video_streams_and_renames(tmp_path: Path) -> None:
    script = Script(mp4_response())
    dest = tmp_path / "out.mp4"
    with make_client(script) as client:
        assert client.download("video_1", dest) == dest
    assert dest.read_bytes() == MP4_BODY
    assert leftovers(tmp_path) == ["out.mp4"]
    (request,) = script.requests
    assert request.url.path == "/v1/videos/video_1/content"
    assert request.url.params["variant"] == "video"
    assert request.headers["accept"] == "application/binary"


@pytest.mark.parametrize(("variant", "head"), [("thumbnail", WEBP_HEAD),
                                               ("spritesheet", JPEG_HEAD)])
def test_download_image_variants(tmp_path: Path, variant: str, head: bytes) -> None:
    script = Script(httpx.Response(200, content=head + b"x" * 50))
    dest = tmp_path / f"{variant}.img"
    with make_client(script) as client:
        client.download("video_1", dest, variant=variant)
    assert dest.read_bytes().startswith(head)
    assert script.requests[0].url.params["variant"] == variant


def test_truncated_download_is_retried_then_refused_leaving_no_file(tmp_path: Path) -> None:
    short = MP4_BODY[:100]
    script = Script(*(mp4_response(short, **{"Content-Length": str(len(MP4_BODY))})
                      for _ in range(3)))
    sleeps: list[float] = []
    with (
        make_client(script, sleeps=sleeps) as client,
        pytest.raises(ServiceConnectionError, match="cut short after 100 of"),
    ):
        client.download("video_1", tmp_path / "out.mp4")
    assert len(script.requests) == 3
    assert sleeps == [0.5, 1.0]
    assert leftovers(tmp_path) == []


def test_truncated_then_whole_download_succeeds(tmp_path: Path) -> None:
    script = Script(mp4_response(MP4_BODY[:10], **{"Content-Length": str(len(MP4_BODY))}),
                    mp4_response())
    with make_client(script) as client:
        client.download("video_1", tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == MP4_BODY
    assert leftovers(tmp_path) == ["out.mp4"]


def test_wrong_content_is_refused_not_retried(tmp_path: Path) -> None:
    page = json.dumps({"error": {"message": "gateway says hi"}}).encode() + b" " * 40
    script = Script(httpx.Response(200, content=page, headers={"Content-Type": "video/mp4"}))
    with (
        make_client(script) as client,
        pytest.raises(ResponseValidationError, match="JSON text, not MP4"),
    ):
        client.download("video_1", tmp_path / "out.mp4")
    assert len(script.requests) == 1
    assert leftovers(tmp_path) == []


def test_thumbnail_that_is_a_video_is_refused(tmp_path: Path) -> None:
    script = Script(mp4_response())
    with (
        make_client(script) as client,
        pytest.raises(ResponseValidationError, match="MP4 data, not JPEG or PNG or WEBP"),
    ):
        client.download("video_1", tmp_path / "thumb.webp", variant="thumbnail")
    assert leftovers(tmp_path) == []


def test_download_size_cap_announced_and_streamed(tmp_path: Path) -> None:
    def endless(_: httpx.Request) -> httpx.Response:
        chunks = iter([MP4_HEAD, b"\0" * 600, b"\0" * 600])
        return httpx.Response(200, stream=httpx.ByteStream(b"".join(chunks)),
                              headers={"Transfer-Encoding": "chunked"})

    script = Script(mp4_response(), endless)
    client = make_client(script, max_download_bytes=1000)
    with pytest.raises(ResponseValidationError, match="over the 1000-byte download cap"):
        client.download("video_1", tmp_path / "a.mp4")
    with pytest.raises(ResponseValidationError, match="download cap"):
        client.download("video_1", tmp_path / "b.mp4")
    client.close()
    assert leftovers(tmp_path) == []


def test_download_refuses_to_overwrite(tmp_path: Path) -> None:
    dest = tmp_path / "mine.mp4"
    dest.write_bytes(b"editor's file")
    script = Script(mp4_response())
    client = make_client(script)
    with pytest.raises(ConfigError, match="already exists"):
        client.download("video_1", dest)
    assert script.requests == []
    client.download("video_1", dest, overwrite=True)
    client.close()
    assert dest.read_bytes() == MP4_BODY


def test_download_redirect_keeps_the_key_at_home(tmp_path: Path) -> None:
    script = Script(
        httpx.Response(302, headers={"Location": "https://cdn.example.test/signed/1.mp4"}),
        mp4_response(),
        httpx.Response(307, headers={"Location": "/v1/files/1.mp4"}),
        mp4_response(),
    )
    with make_client(script) as client:
        client.download("video_1", tmp_path / "a.mp4")
        client.download("video_1", tmp_path / "b.mp4")
    away, home = script.requests[1], script.requests[3]
    assert str(away.url) == "https://cdn.example.test/signed/1.mp4"
    assert "authorization" not in away.headers
    assert home.headers["authorization"] == f"Bearer {API_KEY}"


# -- variants and keys ----------------------------------------------------------------------------


def test_azure_header_and_path() -> None:
    script = Script(json_response(200, video_json()), json_response(200, video_json()))
    with make_client(script, base_url="https://myres.openai.azure.com/") as client:
        client.retrieve("video_1")
    with make_client(script, base_url="https://gw.example.test/openai",
                     auth_style="azure") as client:
        client.retrieve("video_1")
    for request, host in zip(script.requests, ("myres.openai.azure.com", "gw.example.test"),
                             strict=True):
        assert str(request.url) == f"https://{host}/openai/v1/videos/video_1"
        assert request.headers["api-key"] == API_KEY
        assert "authorization" not in request.headers


def test_missing_key_for_a_remote_service_names_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="set STILLMOTION_API_KEY"):
        VideosClient("https://api.openai.com/v1")
    monkeypatch.delenv("STILLMOTION_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"STILLMOTION_API_KEY \(or OPENAI_API_KEY\)"):
        VideosClient.from_settings(Settings())


def test_settings_key_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STILLMOTION_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fallback")
    monkeypatch.setenv("STILLMOTION_BASE_URL", "https://gw.example.test/v1")
    script = Script(json_response(200, video_json()))
    with VideosClient.from_settings(Settings(), transport=script.transport()) as client:
        client.retrieve("video_1")
    assert script.requests[0].headers["authorization"] == "Bearer sk-fallback"
    assert str(script.requests[0].url).startswith("https://gw.example.test/v1/")


def test_loopback_needs_no_key() -> None:
    script = Script(json_response(200, video_json()))
    with make_client(script, base_url="http://127.0.0.1:8765/v1", api_key=None) as client:
        client.retrieve("video_1")
    assert "authorization" not in script.requests[0].headers
    with pytest.raises(ConfigError, match="STILLMOTION_BASE_URL"):
        VideosClient.from_settings(Settings(), provider="preview", default_base_url=None)


def test_key_never_in_reprs_or_errors() -> None:
    script = Script(error_response(401, "Incorrect API key provided: sk-te***1234."),
                    httpx.ConnectError("refused"))
    client = make_client(script, max_retries=0)
    assert API_KEY not in repr(client)
    assert API_KEY not in repr(client.target)
    with pytest.raises(AuthenticationError) as auth:
        client.retrieve("video_1")
    with pytest.raises(ServiceConnectionError) as down:
        client.retrieve("video_1")
    for error in (auth.value, down.value):
        assert API_KEY not in str(error)
        assert API_KEY not in repr(error)
    client.close()


# -- provider -------------------------------------------------------------------------------------


def test_provider_submit_poll_download(still: Path, tmp_path: Path) -> None:
    script = Script(json_response(200, video_json()),
                    json_response(200, video_json(status="completed", progress=100)),
                    mp4_response(),
                    json_response(200, video_json("video_9")))
    provider = VideosProvider(make_client(script), name="preview", default_model="preview")
    request = GenerationRequest(prompt="dolly in", model=None, seconds=4, size=(1280, 720),
                                first_frame=still)
    submitted = provider.submit(request)
    assert (submitted.id, submitted.status) == ("video_1", JobStatus.QUEUED)
    parts = form_parts(script.requests[0])
    assert (parts["model"][2], parts["seconds"][2], parts["size"][2]) == (
        b"preview", b"4", b"1280x720")
    finished = provider.poll("video_1")
    assert provider.download(finished, tmp_path / "clip.mp4").read_bytes() == MP4_BODY
    as_url = VideosProvider(provider.client, reference="data_url")
    as_url.submit(request)
    body = json.loads(script.requests[3].content)
    assert body["input_reference"]["image_url"].startswith("data:image/png;base64,")
    provider.close()


def test_provider_refuses_what_the_dialect_lacks(still: Path, tmp_path: Path) -> None:
    provider = VideosProvider(make_client(Script()))
    with pytest.raises(ConfigError, match="last frame"):
        provider.submit(GenerationRequest("p", None, 4, (1280, 720), last_frame=still))
    with pytest.raises(ConfigError, match="seed"):
        provider.submit(GenerationRequest("p", None, 4, (1280, 720), extra={"seed": 1}))
    running = JobState(id="video_1", status=JobStatus.RUNNING, raw_status="in_progress")
    with pytest.raises(JobError, match="not completed"):
        provider.download(running, tmp_path / "x.mp4")


# -- real sockets on 127.0.0.1 --------------------------------------------------------------------

Handler = Callable[[BaseHTTPRequestHandler], None]


class _Stub:
    """A tiny HTTP server whose answers are plain functions; counts requests per method."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.seen: list[str] = []
        stub = self

        class RequestHandler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _dispatch(self) -> None:
                stub.seen.append(self.command)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                stub.handlers[self.command](self)

            do_GET = do_POST = _dispatch

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[_Stub]:
    server = _Stub()
    yield server
    server.close()


def test_real_truncated_download_leaves_no_file(stub: _Stub, tmp_path: Path) -> None:
    def cut(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Content-Length", str(len(MP4_BODY)))
        handler.end_headers()
        handler.wfile.write(MP4_BODY[:300])
        handler.wfile.flush()
        handler.close_connection = True

    stub.handlers["GET"] = cut
    sleeps: list[float] = []
    client = VideosClient(stub.base_url, retry=RetryPolicy(max_retries=1, jitter=0.0),
                          sleep=sleeps.append)
    with client, pytest.raises(ServiceConnectionError) as info:
        client.download("video_1", tmp_path / "out.mp4")
    assert stub.seen == ["GET", "GET"]
    assert "Downloading the video of video_1" in info.value.message
    assert leftovers(tmp_path) == []


def test_real_read_timeouts_typed_and_create_sent_once(stub: _Stub) -> None:
    release = threading.Event()

    def stall(handler: BaseHTTPRequestHandler) -> None:
        release.wait(5)

    stub.handlers["GET"] = stall
    stub.handlers["POST"] = stall
    client = VideosClient(stub.base_url, timeout=0.2, retry=RetryPolicy(max_retries=1,
                                                                        jitter=0.0),
                          sleep=lambda _: None)
    try:
        with pytest.raises(ServiceTimeoutError) as read:
            client.retrieve("video_1")
        with pytest.raises(ServiceTimeoutError) as create:
            client.create("p", seconds=4)
    finally:
        release.set()
        client.close()
    assert isinstance(read.value, TimeoutError)
    assert stub.seen == ["GET", "GET", "POST"]
    assert "may still have been created" in create.value.message


def test_real_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = VideosClient(f"http://127.0.0.1:{port}/v1", retry=RetryPolicy(max_retries=0))
    with client, pytest.raises(ServiceConnectionError, match="could not connect") as info:
        client.retrieve("video_1")
    assert not isinstance(info.value, ServiceTimeoutError)
