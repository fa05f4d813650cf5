"""Recognise media by its first bytes: MP4, WebP, JPEG, PNG.

Why: services and gateways label content carelessly (a JSON error page served as ``video/mp4``,
a JPEG thumbnail where WebP was promised), so downloads and uploads trust the bytes, not the
names or the Content-Type header.
"""

from __future__ import annotations

SNIFF_BYTES = 12
"""How many leading bytes :func:`sniff` needs to decide."""

MIME_TYPES = {"mp4": "video/mp4", "webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}

IMAGE_KINDS = frozenset({"webp", "jpeg", "png"})


def sniff(head: bytes) -> str | None:
    """The kind of the data starting with ``head`` ('mp4', 'webp', 'jpeg', 'png'), else None.

    MP4 (and the other ISO base media files) carry ``ftyp`` at offset 4; WebP is a RIFF
    container whose form type is ``WEBP``; JPEG starts with FF D8 FF; PNG with its 8-byte
    signature.
    """
    if len(head) >= 8 and head[4:8] == b"ftyp":
        return "mp4"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None


def describe(kind: str | None, head: bytes) -> str:
    """A few words naming what was received, for an error message."""
    if kind is not None:
        return f"{kind.upper()} data"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "JSON text"
    if stripped[:1] == b"<":
        return "HTML or XML text"
    if not head:
        return "an empty body"
    return "unrecognised data"
