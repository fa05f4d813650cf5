"""Retry policy and the HTTP/transport error matrix of the client (httpx.MockTransport)."""

from __future__ import annotations

import email.utils
from pathlib import Path

import httpx
import pytest

from stillmotion.api.retry import RetryPolicy, retry_after_seconds, should_retry_header
from stillmotion.errors import (
    AuthenticationError,
    ContentExpiredError,
    NotFoundError,
    PolicyRejectedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    ServiceConnectionError,
    ServiceError,
    ServiceStatusError,
    ServiceTimeoutError,
)
from support.videos_fakes import (
    Script,
    error_response,
    json_response,
    make_client,
    video_json,
)

NOW = 1_760_000_000.0


def test_retry_after_headers() -> None:
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "1.5"}) == 1.5
    date = email.utils.formatdate(NOW + 7, usegmt=True)
    assert retry_after_seconds({"retry-after": date}, now=lambda: NOW) == 7.0
    assert retry_after_seconds({"retry-after-ms": "soon", "retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after": "whenever"}) is None
    assert retry_after_seconds({}) is None
    assert should_retry_header({"X-Should-Retry": "true"}) is True
    assert should_retry_header({"x-should-retry": "false"}) is False
    assert should_retry_header({"x-should-retry": "maybe"}) is None


def test_backoff_doubles_from_half_a_second_to_eight() -> None:
    policy = RetryPolicy(max_retries=10)
    assert [policy.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    jittered = RetryPolicy(jitter=0.25)
    assert all(0.375 <= jittered.backoff(0) <= 0.5 for _ in range(50))


def test_status_decisions() -> None:
    policy = RetryPolicy(max_retries=3)
    delay = policy.delay_after_status
    assert delay(0, idempotent=True, status=503, headers={}) == 0.5
    assert delay(2, idempotent=True, status=408, headers={}) == 2.0
    assert delay(3, idempotent=True, status=503, headers={}) is None
    assert delay(0, idempotent=True, status=400, headers={}) is None
    assert delay(0, idempotent=True, status=400, headers={"x-should-retry": "true"}) == 0.5
    assert delay(0, idempotent=True, status=500, headers={"x-should-retry": "false"}) is None
    assert delay(0, idempotent=True, status=429, headers={"retry-after": "4"}) == 4.0
    assert delay(0, idempotent=True, status=429, headers={"retry-after": "0"}) == 0.5
    assert delay(0, idempotent=True, status=429, headers={"retry-after": "121"}) is None
    for status in (408, 409, 429, 500, 503):
        assert delay(0, idempotent=False, status=status,
                     headers={"x-should-retry": "true"}) is None


def test_transport_decisions() -> None:
    policy = RetryPolicy(max_retries=1)
    assert policy.delay_after_transport(0, idempotent=True, reached_server=True) == 0.5
    assert policy.delay_after_transport(1, idempotent=True, reached_server=True) is None
    assert policy.delay_after_transport(0, idempotent=False, reached_server=True) is None
    assert policy.delay_after_transport(0, idempotent=False, reached_server=False) == 0.5


# -- the client's error matrix --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ServiceStatusError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (409, ServiceStatusError),
        (422, ServiceStatusError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_error_class(status: int, cls: type[ServiceStatusError]) -> None:
    script = Script(error_response(status, "The thing went wrong.",
                                   headers={"x-request-id": "req_abc", "x-should-retry": "false"}))
    with make_client(script) as client, pytest.raises(ServiceError) as info:
        client.retrieve("video_1")
    error = info.value
    assert type(error) is cls
    assert isinstance(error, ServiceStatusError)
    assert error.status_code == status
    assert error.request_id == "req_abc"
    assert error.provider == "openai"
    message = error.message
    assert message.startswith("Retrieving video video_1 failed with HTTP")
    assert f"HTTP {status}: The thing went wrong; " in message
    assert message.endswith("(request id req_abc).")
    assert "\n" not in message


def test_auth_message_names_the_key_variable() -> None:
    script = Script(error_response(401, "Incorrect API key provided."))
    with make_client(script) as client, pytest.raises(AuthenticationError, match="check the key "
                                                      "in STILLMOTION_API_KEY"):
        client.retrieve("video_1")


def test_other_error_shapes_keep_the_servers_words() -> None:
    script = Script(json_response(502, {"detail": "upstream exploded"},
                                  {"x-should-retry": "false"}),
                    json_response(400, {"code": 1001, "message": "bad size for this model"}),
                    httpx.Response(500, text="plain failure text",
                                   headers={"x-should-retry": "false"}),
                    httpx.Response(500, text="<html>oops</html>",
                                   headers={"x-should-retry": "false"}))
    client = make_client(script)
    with pytest.raises(ServerError, match="upstream exploded"):
        client.retrieve("v")
    with pytest.raises(ServiceStatusError, match="bad size for this model"):
        client.retrieve("v")
    with pytest.raises(ServerError, match="plain failure text"):
        client.retrieve("v")
    with pytest.raises(ServerError) as html:
        client.retrieve("v")
    client.close()
    assert "<html>" not in html.value.message


def test_get_retried_on_5xx_then_succeeds() -> None:
    sleeps: list[float] = []
    script = Script(error_response(503, "busy"), error_response(502, "busy"),
                    json_response(200, video_json()))
    with make_client(script, sleeps=sleeps) as client:
        assert client.retrieve("video_1").id == "video_1"
    assert script.methods() == ["GET", "GET", "GET"]
    assert sleeps == [0.5, 1.0]


def test_retry_after_and_ms_are_honoured() -> None:
    sleeps: list[float] = []
    date = email.utils.formatdate(usegmt=True)  # "now": not positive, so backoff applies
    script = Script(error_response(429, "slow down", headers={"retry-after": "3"}),
                    error_response(503, "busy", headers={"retry-after-ms": "250",
                                                         "retry-after": "9"}),
                    error_response(503, "busy", headers={"retry-after": date}),
                    json_response(200, video_json()))
    with make_client(script, sleeps=sleeps, max_retries=3) as client:
        client.retrieve("video_1")
    assert sleeps == [3.0, 0.25, 2.0]


def test_long_retry_after_is_not_waited_for() -> None:
    sleeps: list[float] = []
    script = Script(error_response(429, "Too many running tasks",
                                   headers={"retry-after": "300", "x-request-id": "req_9"}))
    with make_client(script, sleeps=sleeps) as client, pytest.raises(RateLimitError) as info:
        client.retrieve("video_1")
    assert sleeps == []
    assert info.value.retry_after == 300.0
    assert "Too many running tasks" in info.value.message
    assert "wait 300 s" in info.value.message


def test_x_should_retry_overrides_status() -> None:
    sleeps: list[float] = []
    script = Script(error_response(500, "no", headers={"x-should-retry": "false"}),
                    error_response(400, "flaky", headers={"x-should-retry": "true"}),
                    json_response(200, video_json()))
    client = make_client(script, sleeps=sleeps)
    with pytest.raises(ServerError):
        client.retrieve("video_1")
    client.retrieve("video_1")
    client.close()
    assert script.methods() == ["GET", "GET", "GET"]
    assert sleeps == [0.5]


def test_retries_run_out() -> None:
    sleeps: list[float] = []
    script = Script(*(error_response(500, "down") for _ in range(4)))
    with (
        make_client(script, sleeps=sleeps, max_retries=3) as client,
        pytest.raises(ServerError, match="try again later"),
    ):
        client.delete("video_1")
    assert script.methods() == ["DELETE"] * 4
    assert sleeps == [0.5, 1.0, 2.0]


# -- creates are never retried blindly ------------------------------------------------------------


def _post_count(script: Script) -> int:
    return script.methods().count("POST")


def test_create_not_retried_after_a_500() -> None:
    script = Script(error_response(500, "internal", headers={"x-should-retry": "true"}),
                    json_response(200, video_json()))
    with make_client(script) as client, pytest.raises(ServerError) as info:
        client.create("p", seconds=4)
    assert _post_count(script) == 1
    assert "may still have been created" in info.value.message


def test_create_not_retried_after_a_read_timeout() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    script = Script(timeout, json_response(200, video_json()))
    with make_client(script) as client, pytest.raises(ServiceTimeoutError) as info:
        client.create("p", seconds=4)
    assert _post_count(script) == 1
    assert isinstance(info.value, TimeoutError)
    assert "may still have been created" in info.value.message


@pytest.mark.parametrize("status", [408, 409, 429])
def test_create_not_retried_on_retryable_statuses(status: int) -> None:
    script = Script(error_response(status, "no", headers={"retry-after": "1"}),
                    json_response(200, video_json()))
    with make_client(script) as client, pytest.raises(ServiceStatusError):
        client.create("p")
    assert _post_count(script) == 1


def test_create_not_retried_after_connection_dropped(tmp_path: Path) -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                        request=request)

    script = Script(reset, json_response(200, video_json()))
    with make_client(script) as client, pytest.raises(ServiceConnectionError) as info:
        client.remix("video_1", prompt="again")
    assert _post_count(script) == 1
    assert "may still have been created" in info.value.message


def test_create_retried_when_nothing_was_sent() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    def connect_timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    sleeps: list[float] = []
    script = Script(refused, connect_timeout, json_response(200, video_json()))
    with make_client(script, sleeps=sleeps) as client:
        assert client.create("p").id == "video_1"
    assert _post_count(script) == 3
    assert sleeps == [0.5, 1.0]


def test_get_timeouts_are_typed_and_retried() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    script = Script(timeout, timeout, timeout, refused, refused, refused)
    client = make_client(script)
    with pytest.raises(ServiceTimeoutError, match="timed out while waiting for the answer"):
        client.retrieve("video_1")
    with pytest.raises(ServiceConnectionError, match="Connection refused") as info:
        client.retrieve("video_1")
    client.close()
    assert not isinstance(info.value, ServiceTimeoutError)
    assert script.methods() == ["GET"] * 6


# -- policy refusals and bodies that do not fit ---------------------------------------------------


@pytest.mark.parametrize("code", ["moderation_blocked", "content_policy_violation"])
def test_policy_refusal_is_verbatim_and_not_retried(code: str) -> None:
    words = "Your request was blocked by our moderation system."
    script = Script(error_response(400, words, code=code, headers={"x-request-id": "req_p"}))
    with make_client(script) as client, pytest.raises(PolicyRejectedError) as info:
        client.create("p")
    assert f'"{words}"' in info.value.message
    assert info.value.request_id == "req_p"
    assert info.value.exit_code == 5
    assert _post_count(script) == 1


def test_plain_400_is_not_a_policy_refusal() -> None:
    script = Script(error_response(400, "Invalid value: '10'. Supported values are: '4', '8', "
                                   "and '12'.", code="invalid_value"))
    with make_client(script) as client, pytest.raises(ServiceStatusError) as info:
        client.create("p")
    assert not isinstance(info.value, PolicyRejectedError)
    assert "Supported values are" in info.value.message


def test_2xx_bodies_that_do_not_fit() -> None:
    script = Script(httpx.Response(200, text="<html>login page</html>"),
                    json_response(200, {"object": "video", "status": "queued"}),
                    json_response(200, {"code": 500, "message": "upstream quota exhausted",
                                        "data": None}))
    client = make_client(script)
    with pytest.raises(ResponseValidationError, match="not JSON"):
        client.retrieve("video_1")
    with pytest.raises(ResponseValidationError, match="id: Field required"):
        client.retrieve("video_1")
    with pytest.raises(ResponseValidationError, match="upstream quota exhausted"):
        client.retrieve("video_1")
    client.close()


def test_expired_content_is_its_own_error(tmp_path: Path) -> None:
    script = Script(error_response(410, "Content expired"))
    with make_client(script) as client, pytest.raises(ContentExpiredError, match="expired"):
        client.download("video_1", tmp_path / "out.mp4")
