"""Webhooks finish jobs: ``generate --webhook-port`` waits on the service's signed events and
polls only as a fallback; events that are tampered, stale or replayed wake nothing.

The end-to-end tests run the real CLI against a real /v1/videos server that signs and sends
Standard Webhooks to the CLI's receiver on 127.0.0.1. The fallback poll interval is set far
longer than the test's own time limit, so a wait that was not woken by the event cannot pass:
it would sit in its fallback sleep until the test times out.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stillmotion.api.webhook_receiver import WebhookReceiver
from stillmotion.api.webhook_wake import WebhookWake
from stillmotion.api.webhooks import WebhookVerifier, new_secret, signed_headers
from stillmotion.jobs.ledger import LedgerState
from stillmotion.server import RunningServer
from stillmotion.timeline.io import write_timeline
from support.crash_run import row_for
from support.generate_env import case_23976, cli, generated, isolate, small_clip
from support.server import MakeServer

POLL_ROUTE = "GET /v1/videos/{video_id}"
FALLBACK_SECONDS = "600"  # far past the test's time limit: only an event can end the wait


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def secret() -> str:
    return new_secret()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def server(make_server: MakeServer, secret: str, port: int) -> RunningServer:
    return make_server(render_delay=1.5, webhook_url=f"http://127.0.0.1:{port}/",
                       webhook_secret=secret)


@pytest.fixture
def webhook_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, secret: str) -> None:
    """An isolated environment with the webhook secret and a fallback no test outlives."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("STILLMOTION_PRICES", '{"openai/preview": 0}')
    monkeypatch.setenv("STILLMOTION_WEBHOOK_SECRET", secret)
    monkeypatch.setenv("STILLMOTION_WEBHOOK_FALLBACK", FALLBACK_SECONDS)


def _generate(capsys: pytest.CaptureFixture[str], server: RunningServer, media_dir: Path,
              tmp_path: Path, prompt: str, port: int) -> tuple[int, str, Path, Path]:
    case = case_23976(small_clip(media_dir, "r23_hour"))
    project = tmp_path / "project"
    project.mkdir()
    timeline = write_timeline(case.timeline, project / "cut.otio")
    ledger = tmp_path / "ledger.sqlite3"
    code, out, err = cli(capsys, "generate", timeline, "--at", case.at, "--prompt", prompt,
                         "--provider", "openai", "--base-url", server.base_url, "--model",
                         "preview", "--size", "320x180", "--seconds", "4", "--preset",
                         "h264-web", "--ledger", ledger, "--webhook-port", str(port))
    return code, out + err, ledger, project


@pytest.mark.timeout(120)
def test_a_completed_event_finishes_the_job_with_at_most_two_polls(
    server: RunningServer, media_dir: Path, tmp_path: Path, secret: str, port: int,
    webhook_env: None, capsys: pytest.CaptureFixture[str],
) -> None:
    prompt = "Slow dolly in, told by webhook"
    code, text, ledger, project = _generate(capsys, server, media_dir, tmp_path, prompt, port)
    assert code == 0, text
    assert f"Listening for webhooks on http://127.0.0.1:{port}/" in text
    assert secret not in text
    assert server.stats()["requests"][POLL_ROUTE] <= 2
    row = row_for(ledger, prompt)
    assert row is not None and row.state is LedgerState.PLACED
    assert len(generated(project / "cut.stillmotion.otio")) == 1


@pytest.mark.timeout(120)
def test_a_failed_event_fails_the_job_with_at_most_two_polls(
    server: RunningServer, media_dir: Path, tmp_path: Path, port: int,
    webhook_env: None, capsys: pytest.CaptureFixture[str],
) -> None:
    server.set_faults(fail_jobs=1)
    prompt = "Slow dolly in that fails"
    code, text, ledger, _ = _generate(capsys, server, media_dir, tmp_path, prompt, port)
    assert code == 6, text
    assert "Traceback" not in text
    assert server.stats()["requests"][POLL_ROUTE] <= 2
    row = row_for(ledger, prompt)
    assert row is not None and row.state is LedgerState.FAILED


def test_no_secret_is_refused_before_anything_is_sent(
    server: RunningServer, media_dir: Path, tmp_path: Path, port: int,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("STILLMOTION_PRICES", '{"openai/preview": 0}')
    monkeypatch.delenv("STILLMOTION_WEBHOOK_SECRET", raising=False)
    code, text, _, _ = _generate(capsys, server, media_dir, tmp_path, "Dolly in", port)
    assert code == 3 and "STILLMOTION_WEBHOOK_SECRET" in text, text
    assert server.stats()["total_creates"] == 0


def _post(port: int, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, method="POST",
                                     headers={"content-type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_tampered_stale_and_replayed_events_wake_nothing(secret: str) -> None:
    wake = WebhookWake(fallback=600)
    body = json.dumps({"id": "evt_1", "type": "video.completed", "created_at": int(time.time()),
                       "data": {"id": "video_abc"}}).encode()
    with WebhookReceiver(WebhookVerifier(secret), wake.on_event) as receiver:
        good = signed_headers(body, secret=secret)
        tampered = _post(receiver.port, body.replace(b"video_abc", b"video_xyz"), good)
        stale = _post(receiver.port, body,
                      signed_headers(body, secret=secret, timestamp=int(time.time()) - 3600))
        forged = _post(receiver.port, body, signed_headers(body, secret=new_secret()))
        assert (tampered, stale, forged) == (401, 401, 401)
        assert sum(wake.events.values()) == 0
        assert _post(receiver.port, body, good) == 200
        assert _post(receiver.port, body, good) == 200  # the replay is answered, not taken
    assert wake.events == {"video_abc": 1}
    sleep = wake.sleeper("video_abc")
    sleep(600)  # returns at once: the event came before the wait began
