"""Check a downloaded body while it streams: size cap, magic-byte sniff, completeness.

Why: a generated clip is only worth placing on a timeline if every byte arrived and the bytes are
what was asked for; services send JSON error pages as ``video/mp4`` and connections drop mid-file.
The sink is fed chunks by the client core (for every dialect) and raises before anything is
renamed into place (the core writes through :func:`stillmotion.files.atomic_path`, so a refused
body leaves no file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import BinaryIO

from stillmotion.api.sniff import IMAGE_KINDS, SNIFF_BYTES, describe, sniff
from stillmotion.errors import ResponseValidationError

DEFAULT_MAX_DOWNLOAD_BYTES = 1024 * 1024 * 1024
"""1 GiB: far above a 20 s 1080p clip, low enough to stop a runaway body."""

EXPECTED_KINDS: dict[str, frozenset[str]] = {
    "video": frozenset({"mp4"}),
    "thumbnail": IMAGE_KINDS,
    "spritesheet": IMAGE_KINDS,
}


class TruncatedBody(Exception):
    """The body ended before its Content-Length: retried like a dropped connection."""

    def __init__(self, received: int, expected: int) -> None:
        super().__init__(f"{received} of {expected} bytes")
        self.received = received
        self.expected = expected


def expected_length(headers: Mapping[str, str]) -> int | None:
    """Content-Length when it describes the decoded body (no content encoding), else None."""
    lowered = {key.lower(): value for key, value in headers.items()}
    encoding = lowered.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        return None
    try:
        length = int(lowered.get("content-length", ""))
    except ValueError:
        return None
    return length if length >= 0 else None


class ContentSink:
    """Writes a streamed body to ``handle`` while checking it.

    Raises ResponseValidationError for a body over ``max_bytes`` (announced or actual) or whose
    first bytes are not the ``variant``'s kind; :meth:`finish` raises TruncatedBody for a short
    body. ``kind`` is the sniffed kind once known.
    """

    def __init__(
        self,
        handle: BinaryIO,
        *,
        variant: str,
        max_bytes: int,
        headers: Mapping[str, str],
        what: str,
    ) -> None:
        self._handle = handle
        self._expected_kinds = EXPECTED_KINDS[variant]
        self._variant = variant
        self._max_bytes = max_bytes
        self._what = what
        self._head = b""
        self.kind: str | None = None
        self.received = 0
        self.expected = expected_length(headers)
        if self.expected is not None and self.expected > max_bytes:
            raise self._too_big(self.expected)

    def _too_big(self, size: int) -> ResponseValidationError:
        return ResponseValidationError(
            f"{self._what} is {size} bytes, over the {self._max_bytes}-byte download cap; "
            "nothing was saved, raise the cap if the file is genuine.")

    def _check_kind(self) -> None:
        kind = sniff(self._head)
        if kind not in self._expected_kinds:
            wanted = " or ".join(sorted(k.upper() for k in self._expected_kinds))
            raise ResponseValidationError(
                f"{self._what} is {describe(kind, self._head)}, not {wanted}; nothing was "
                "saved, check the base URL and the job.")
        self.kind = kind

    def write(self, chunk: bytes) -> None:
        """Check and write one chunk."""
        if not chunk:
            return
        self.received += len(chunk)
        if self.received > self._max_bytes:
            raise self._too_big(self.received)
        if self.kind is None:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES:
                self._check_kind()
        self._handle.write(chunk)

    def finish(self) -> None:
        """Check the end of the body: complete, and sniffed even when shorter than the sniff."""
        if self.expected is not None and self.received < self.expected:
            raise TruncatedBody(self.received, self.expected)
        if self.kind is None:
            self._check_kind()
