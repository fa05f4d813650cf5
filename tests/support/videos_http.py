"""Small helpers for talking to ``stillmotion serve`` over real HTTP with httpx in tests."""

from __future__ import annotations

import struct
import time
import zlib
from typing import Any

import httpx

PREVIEW_JOB = {"model": "preview", "size": "96x64", "seconds": "1"}
"""The cheapest job the server renders: the free-size local model, tiny, one second."""

TERMINAL = ("completed", "failed")


def png_bytes(width: int, height: int, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A solid-colour RGB PNG, built in memory (no ffmpeg needed for a reference image)."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw)
            + chunk(b"IEND", b""))


def create(client: httpx.Client, prompt: str, **fields: Any) -> dict[str, Any]:
    """POST a JSON create (tiny preview job unless ``fields`` say otherwise); asserts 200."""
    answer = client.post("/videos", json={"prompt": prompt, **PREVIEW_JOB, **fields})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def wait(client: httpx.Client, video_id: str, *, timeout: float = 90.0) -> dict[str, Any]:
    """Poll until the job is completed or failed (bounded); returns the last Video object."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get(f"/videos/{video_id}")
        assert answer.status_code == 200, answer.text
        video: dict[str, Any] = answer.json()
        if video["status"] in TERMINAL:
            return video
        assert time.monotonic() < deadline, f"job {video_id} still {video['status']}"
        time.sleep(0.05)


def error_of(answer: httpx.Response, status: int) -> dict[str, Any]:
    """Assert ``status`` and the OpenAI error envelope (all four keys); returns the error."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    return error
