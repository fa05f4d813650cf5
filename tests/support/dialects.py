"""Helpers for the Veo / Runway / fal provider tests: stills, a recording mock transport.

Why here: the request-shape and status tests of the three dialects all need two small real
PNG stills (a first and a last frame whose bytes can be compared after base64) and an
``httpx.MockTransport`` that answers from a script and keeps every request it saw.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest

from stillmotion.api.retry import RetryPolicy
from stillmotion.media.frames import grab_frame
from stillmotion.media.synth import ClipSpec, render_clip

NO_WAIT = RetryPolicy(max_retries=2, initial_delay=0.0, max_delay=0.0)
"""Retries without sleeping (the tests pass a no-op sleep too)."""


@dataclass(frozen=True)
class Stills:
    """Two PNG stills: ``first`` (frame 0) and ``last`` (frame 3) of a small coded clip."""

    first: Path
    last: Path


def make_stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    """Two distinct real PNGs (for a module-scoped ``stills`` fixture)."""
    folder = tmp_path_factory.mktemp("dialect-stills")
    clip = render_clip(folder / "tiny.mp4",
                       ClipSpec(160, 90, Fraction(25), 4, audio_rate=None, label="D"))
    first = grab_frame(clip, folder / "first.png", frame=0)
    last = grab_frame(clip, folder / "last.png", frame=3)
    return Stills(Path(first), Path(last))


def make_stills_640(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    """:func:`make_stills` fitted to 640x360: Kling refuses stills under 300 px a side."""
    from stillmotion.media.frames import fit_image

    small = make_stills(tmp_path_factory)
    folder = small.first.parent
    return Stills(fit_image(small.first, folder / "first_640.png", (640, 360)),
                  fit_image(small.last, folder / "last_640.png", (640, 360)))


def b64(path: Path) -> str:
    """The file's bytes as base64 text (what Veo's bytesBase64Encoded must hold)."""
    return base64.b64encode(path.read_bytes()).decode("ascii")


def data_uri(path: Path) -> str:
    """The file as a PNG data URI (what Runway's promptImage and fal's image_url must hold)."""
    return f"data:image/png;base64,{b64(path)}"


Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


@dataclass
class Script:
    """A MockTransport answering queued responses in order and recording every request."""

    answers: list[Answer] = field(default_factory=list)
    seen: list[httpx.Request] = field(default_factory=list)

    def add(self, status: int = 200, body: Any = None, *, content: bytes | None = None,
            headers: dict[str, str] | None = None) -> Script:
        """Queue one answer (JSON ``body`` or raw ``content``)."""
        if content is None:
            content = json.dumps(body).encode() if body is not None else b""
        self.answers.append(httpx.Response(status, content=content, headers=headers))
        return self

    def then(self, answer: Callable[[httpx.Request], httpx.Response]) -> Script:
        """Queue an answer computed from the request."""
        self.answers.append(answer)
        return self

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.seen.append(request)
        if not self.answers:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer

    @property
    def transport(self) -> httpx.MockTransport:
        """The transport to give a provider."""
        return httpx.MockTransport(self.handle)


def body_of(request: httpx.Request) -> Any:
    """A request's JSON body."""
    return json.loads(request.content)


MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
"""Enough of an MP4 for the download sniff (the provider does not decode it)."""
