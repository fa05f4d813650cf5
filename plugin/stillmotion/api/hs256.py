"""HS256 JSON Web Tokens with the standard library: sign (Kling's client) and verify (its double).

Why not a JWT library: Kling's tokens are one fixed shape (header ``{"alg": "HS256", "typ":
"JWT"}``, claims ``iss``/``exp``/``nbf``), which is base64url, JSON and one HMAC-SHA256; a
dependency would bring algorithm negotiation we must then forbid. Both the client
(:mod:`stillmotion.api.providers.kling`) and ``stillmotion serve``'s Kling dialect use this
module, so a token one writes is exactly what the other reads. Tokens and secrets never appear
in an exception's words.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

HEADER = {"alg": "HS256", "typ": "JWT"}


class TokenError(ValueError):
    """A token that is malformed, wrongly signed, or outside its time window (no token text)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise TokenError("the token is not base64url") from exc


def _mac(signing_input: str, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"),
                    hashlib.sha256).digest()


def sign(claims: dict[str, Any], secret: str) -> str:
    """``header.claims.signature`` for ``claims`` signed with ``secret``."""
    head = _b64(json.dumps(HEADER, separators=(",", ":")).encode("utf-8"))
    body = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    signing_input = f"{head}.{body}"
    return f"{signing_input}.{_b64(_mac(signing_input, secret))}"


def verify(token: str, secret: str, *, now: float) -> dict[str, Any]:
    """The claims of ``token`` when its signature, header and time window are good.

    Raises :class:`TokenError` saying which check failed: ``alg`` other than HS256 (no
    ``none``), a missing ``typ``, a bad signature, ``nbf`` in the future, ``exp`` passed.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("the token does not have three parts")
    head, body, signature = parts
    try:
        header = json.loads(_unb64(head))
        claims = json.loads(_unb64(body))
    except ValueError as exc:
        raise TokenError("the token's header or claims are not JSON") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenError("the token is not signed with HS256")
    if header.get("typ") != "JWT":
        raise TokenError("the token's header has no typ JWT")
    if not hmac.compare_digest(_unb64(signature), _mac(f"{head}.{body}", secret)):
        raise TokenError("the token's signature does not match")
    if not isinstance(claims, dict):
        raise TokenError("the token's claims are not an object")
    for name in ("exp", "nbf"):
        if not isinstance(claims.get(name), int):
            raise TokenError(f"the token has no '{name}' time")
    if claims["nbf"] > now:
        raise TokenError("the token is not valid yet")
    if claims["exp"] <= now:
        raise TokenError("the token has expired")
    return claims
