"""Test doubles for the /v1/videos client: a scripted httpx MockTransport, bodies, media heads.

Why here: the client, retry and polling tests all need a transport that answers from a script
and records exactly what was sent (to prove, e.g., that a create went out once).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
from collections.abc import Callable
from typing import Any

import httpx

from stillmotion.api.client import VideosClient
from stillmotion.api.retry import RetryPolicy

BASE_URL = "https://videos.example.test/v1"
API_KEY = "test-key-DO-NOT-LEAK-1234"

MP4_HEAD = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
WEBP_HEAD = b"RIFF\x24\x00\x00\x00WEBPVP8 "
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def video_json(video_id: str = "video_1", status: str = "queued", **extra: Any) -> dict[str, Any]:
    """A full Video object as the service sends it."""
    body: dict[str, Any] = {
        "id": video_id, "object": "video", "model": "sora-2", "status": status,
        "progress": 0, "created_at": 1758941485, "completed_at": None, "expires_at": None,
        "prompt": "steam rising", "size": "1280x720", "seconds": "8",
        "remixed_from_video_id": None, "error": None,
    }
    body.update(extra)
    return body


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(),
                          headers={"Content-Type": "application/json", **(headers or {})})


def error_response(status: int, message: str, *, code: str | None = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None,
                      "code": code}}
    return json_response(status, body, headers)


class Script:
    """Answers requests from a list, in order; records every request with its body read."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not self.answers:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def methods(self) -> list[str]:
        return [request.method for request in self.requests]


def make_client(script: Script, *, base_url: str = BASE_URL, api_key: str | None = API_KEY,
                max_retries: int = 2, sleeps: list[float] | None = None,
                **options: Any) -> VideosClient:
    """A VideosClient on the script, with exact (jitter-free) retries and a recording sleep."""
    recorded = sleeps if sleeps is not None else []
    return VideosClient(base_url, api_key=api_key, transport=script.transport(),
                        retry=RetryPolicy(max_retries=max_retries, jitter=0.0),
                        sleep=recorded.append, **options)


def form_parts(request: httpx.Request) -> dict[str, tuple[str | None, str, bytes]]:
    """A multipart request's parts: name -> (filename, content type, bytes)."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    parts: dict[str, tuple[str | None, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes), name  # a leaf part decodes to its bytes
        parts[str(name)] = (part.get_filename(), part.get_content_type(), payload)
    return parts
