"""Secret redaction: what the ledger stores never holds a key, token or password.

Why at the ledger's door: records keep unknown keys (``extra``) and base URLs come from users,
so a credential could reach a row by any path; every JSON column passes :func:`dump_json` and
every stored base URL passes :func:`public_url`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_SECRET_PARTS = ("api_key", "apikey", "secret", "token", "password", "authorization", "cookie")


def public_url(url: str | None) -> str | None:
    """``url`` without user info, query or fragment, where keys sometimes hide."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _is_secret_key(key: str) -> bool:
    folded = key.lower().replace("-", "_")
    return any(part in folded for part in _SECRET_PARTS)


def scrub(value: Any) -> Any:
    """Drop entries whose key looks like a credential, at any depth."""
    if isinstance(value, Mapping):
        return {str(k): scrub(v) for k, v in value.items() if not _is_secret_key(str(k))}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot store a value of type {type(value).__name__} in the ledger")


def dump_json(value: Mapping[str, Any] | None) -> str:
    """``value`` as the ledger stores it: credentials dropped, keys sorted."""
    return json.dumps(scrub(dict(value or {})), default=_json_default, sort_keys=True)
