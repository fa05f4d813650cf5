"""``stillmotion serve`` fault injection, counters, webhooks, restarts and the command line."""

from __future__ import annotations

import base64
import os
import queue
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stillmotion.api.webhook_receiver import WebhookReceiver
from stillmotion.api.webhooks import WebhookEvent, WebhookVerifier, new_secret
from stillmotion.cli import run
from stillmotion.errors import TranscodeError
from stillmotion.server import RunningServer, serve_in_background
from stillmotion.server.engine import PreviewEngine
from support.server import MakeServer
from support.videos_http import PREVIEW_JOB, create, error_of, png_bytes, wait


@pytest.fixture
def client(clean_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=clean_server.base_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def finished_id(preview_server: RunningServer) -> str:
    with httpx.Client(base_url=preview_server.base_url, timeout=30) as http:
        video = wait(http, create(http, "download me")["id"])
    assert video["status"] == "completed"
    return str(video["id"])


# --------------------------------------------------------------------------- faults


def test_rate_limit_for_the_next_requests(client: httpx.Client,
                                          clean_server: RunningServer) -> None:
    clean_server.set_faults(rate_limit=2, retry_after_ms=1500)
    for _ in range(2):
        answer = client.get("/videos")
        assert error_of(answer, 429)["code"] == "rate_limit_exceeded"
        assert answer.headers["retry-after-ms"] == "1500"
        assert answer.headers["retry-after"] == "2"
    assert client.get("/videos").status_code == 200
    clean_server.set_faults(rate_limit=1, rate_limit_methods=["POST"])
    assert client.get("/videos").status_code == 200
    assert error_of(client.post("/videos", json={"prompt": "limited", **PREVIEW_JOB}), 429)
    stats = clean_server.stats()
    assert stats["faults_fired"] == {"rate_limit": 3}
    assert stats["total_creates"] == 0, "a refused create made no job"


def test_server_errors_hit_gets_only(client: httpx.Client, clean_server: RunningServer,
                                     finished_id: str) -> None:
    clean_server.set_faults(server_errors=2)
    assert error_of(client.post("/videos/nope/remix", json={"prompt": "x"}), 404)
    assert error_of(client.get(f"/videos/{finished_id}"), 500)["type"] == "server_error"
    assert error_of(client.get(f"/videos/{finished_id}/content"), 500)
    assert client.get(f"/videos/{finished_id}").status_code == 200


def test_slow_answers_trip_a_client_timeout(clean_server: RunningServer) -> None:
    clean_server.set_faults(slow=1, delay_ms=2000)
    with httpx.Client(base_url=clean_server.base_url, timeout=0.2) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.get("/videos")
        assert impatient.get("/videos").status_code == 200
    assert clean_server.stats()["faults_fired"] == {"slow": 1}


@pytest.mark.parametrize("fault", ["drop_downloads", "truncate_downloads"])
def test_broken_downloads_are_incomplete(client: httpx.Client, clean_server: RunningServer,
                                         finished_id: str, fault: str) -> None:
    whole = client.get(f"/videos/{finished_id}/content").content
    faults: dict[str, Any] = {fault: 1}  # one named FaultPlan field, not a plan
    clean_server.set_faults(**faults)
    received = bytearray()
    with client.stream("GET", f"/videos/{finished_id}/content") as answer:
        declared = int(answer.headers["content-length"])
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in answer.iter_raw():
                received += chunk
    if fault == "drop_downloads":
        assert declared == len(whole) > len(received) > 0
    else:
        assert declared > len(received) == len(whole)
    assert whole.startswith(bytes(received))
    assert clean_server.stats()["faults_fired"] == {fault: 1}
    assert client.get(f"/videos/{finished_id}/content").content == whole


def test_failing_jobs_moderation_and_create_counters(client: httpx.Client,
                                                     clean_server: RunningServer) -> None:
    clean_server.set_faults(moderation_words=["forbidden"], fail_jobs=1)
    broken = wait(client, create(client, "an ordinary shot")["id"])
    assert broken["status"] == "failed" and broken["error"]["code"] == "internal_error"
    blocked = wait(client, create(client, "a FORBIDDEN scene")["id"])
    assert blocked["status"] == "failed"
    assert blocked["error"]["code"] == "moderation_blocked"
    assert blocked["error"]["message"]
    assert error_of(client.get(f"/videos/{blocked['id']}/content"), 400)["code"] == \
        "video_failed"
    stats = clean_server.stats()
    assert stats["creates"] == {"an ordinary shot": 1, "a FORBIDDEN scene": 1}
    assert stats["requests"]["POST /v1/videos"] == 2
    assert stats["faults_fired"] == {"fail_jobs": 1, "moderation": 1}


def test_admin_endpoints_only_in_test_mode(clean_server: RunningServer,
                                           make_server: MakeServer) -> None:
    root = clean_server.root_url
    plan = httpx.post(root + "/_faults", json={"rate_limit": 1}).json()
    assert plan["rate_limit"] == 1
    assert httpx.get(root + "/_faults").json()["rate_limit"] == 1
    assert httpx.get(clean_server.base_url + "/videos").status_code == 429
    assert httpx.get(root + "/_faults").json()["rate_limit"] == 0
    assert error_of(httpx.post(root + "/_faults", json={"explode": 1}), 400)
    stats = httpx.get(root + "/_stats").json()
    assert stats["requests"] == {"GET /v1/videos": 1}
    assert httpx.delete(root + "/_stats").json()["total_requests"] == 0
    production = make_server(test_mode=False)
    assert error_of(httpx.post(production.root_url + "/_faults", json={}), 404)
    assert error_of(httpx.get(production.root_url + "/_stats"), 404)


class _FailingEngine(PreviewEngine):
    """The real engine, except that "explode" prompts fail like ffmpeg and thumbnails crash."""

    def render(self, output: Path, **kwargs: Any) -> None:
        if "explode" in kwargs["prompt"]:
            raise TranscodeError("Rendering the preview failed: simulated encoder error.",
                                 path=output)
        super().render(output, **kwargs)

    def thumbnail(self, video: Path, output: Path) -> None:
        raise RuntimeError("simulated bug")


def test_engine_failures_become_failed_jobs_and_500s(make_server: MakeServer) -> None:
    server = make_server(engine=_FailingEngine())
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        failed = wait(http, create(http, "explode the cup")["id"])
        assert failed["status"] == "failed"
        assert failed["error"] == {"code": "render_failed", "message": (
            "Rendering the preview failed: simulated encoder error.")}
        fine = wait(http, create(http, "a calm cup")["id"])
        assert fine["status"] == "completed"
        crashed = error_of(http.get(f"/videos/{fine['id']}/content",
                                    params={"variant": "thumbnail"}), 500)
        assert crashed["type"] == "server_error"
        assert "simulated" not in crashed["message"]
        assert http.get(f"/videos/{fine['id']}/content").status_code == 200


# --------------------------------------------------------------------------- webhooks


def test_webhooks_are_signed_retried_and_never_block(make_server: MakeServer) -> None:
    secret = new_secret()
    events: queue.Queue[WebhookEvent] = queue.Queue()
    refusals = [1]

    def receive(event: WebhookEvent) -> None:
        if refusals[0]:
            refusals[0] -= 1
            raise RuntimeError("receiver busy: the sender must retry")
        events.put(event)

    with WebhookReceiver(WebhookVerifier(secret), receive) as receiver:
        server = make_server(webhook_url=receiver.url, webhook_secret=secret,
                             webhook_backoff=0.05)
        server.set_faults(moderation_words=["blocked"])
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            done = wait(http, create(http, "a fine shot")["id"])
            failed = wait(http, create(http, "a blocked shot")["id"])
        got = {}
        for _ in range(2):
            event = events.get(timeout=30)
            got[event.type] = event
    assert got["video.completed"].video_id == done["id"]
    assert got["video.failed"].video_id == failed["id"]
    assert all(e.id.startswith("evt_") and e.object == "event" for e in got.values())
    assert refusals == [0], "the first delivery was refused and retried"
    wrong = new_secret()
    with WebhookReceiver(WebhookVerifier(wrong), events.put) as other:
        server = make_server(webhook_url=other.url, webhook_secret=secret, webhook_attempts=2,
                             webhook_backoff=0.05)
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            assert wait(http, create(http, "badly signed")["id"])["status"] == "completed"
        deadline = time.monotonic() + 10
        sender = server.service.webhooks
        assert sender is not None
        while sender.failed == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert events.empty(), "a receiver with another secret accepts nothing"
    dead = make_server(webhook_url="http://127.0.0.1:9/", webhook_secret=secret)
    with httpx.Client(base_url=dead.base_url, timeout=30) as http:
        assert wait(http, create(http, "nobody listens")["id"])["status"] == "completed"


# --------------------------------------------------------------------------- restarts


def test_jobs_and_files_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "kept"
    reference = "data:image/png;base64," + base64.b64encode(png_bytes(96, 64)).decode()
    with serve_in_background(data, fast=True, workers=1) as first, \
            httpx.Client(base_url=first.base_url, timeout=30) as http:
        done = wait(http, create(http, "kept", input_reference={"image_url": reference})["id"])
        clip = http.get(f"/videos/{done['id']}/content").content
        character = http.post("/videos/characters", data={"name": "Kay"},
                              files={"video": ("k.mp4", clip, "video/mp4")}).json()
        first.service.options.render_delay = 30.0  # the next jobs cannot finish before stop
        running = create(http, "interrupted")
        queued = create(http, "still waiting")
        while http.get(f"/videos/{running['id']}").json()["status"] != "in_progress":
            time.sleep(0.02)
    with serve_in_background(data, fast=True, workers=2) as second, \
            httpx.Client(base_url=second.base_url, timeout=30) as http:
        assert http.get(f"/videos/{done['id']}").json() == done
        assert http.get(f"/videos/{done['id']}/content").content == clip
        assert http.get(f"/videos/characters/{character['id']}").json() == character
        for job in (running, queued):
            assert wait(http, job["id"])["status"] == "completed"
        remix = http.post(f"/videos/{done['id']}/remix", json={"prompt": "after restart"})
        assert wait(http, remix.json()["id"])["status"] == "completed"


# --------------------------------------------------------------------------- command line


def _free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return int(probe_socket.getsockname()[1])


def test_serve_command_runs_until_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    data = tmp_path / "cli-data"
    command = [sys.executable, "-c", "from stillmotion.cli import main; main()", "serve",
               "--port", str(port), "--data-dir", str(data), "--fast", "--log-level",
               "warning"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/videos", timeout=10,
                            json={"prompt": "from the command line", **PREVIEW_JOB})
        assert answer.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/_stats").status_code == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert f"http://127.0.0.1:{port}/v1" in out.decode()
    assert (data / "jobs.sqlite3").exists()


def test_serve_refuses_a_taken_port(capsys: pytest.CaptureFixture[str],
                                    clean_server: RunningServer) -> None:
    code = run(["serve", "--port", str(clean_server.port)])
    assert code == 3
    err = capsys.readouterr().err
    assert f"Cannot listen on 127.0.0.1:{clean_server.port}" in err
    assert "Traceback" not in err
