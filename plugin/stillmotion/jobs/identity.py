"""Request identity: the hash that makes one generation request one job, and job ids.

Why a hash: the same still, prompt and parameters must never be paid for twice by accident; the
ledger claims each hash once (``new_take`` aside), so equal requests must hash equally whatever
the key order, spelling of numbers or whitespace of the prompt.
"""

from __future__ import annotations

import enum
import hashlib
import json
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import PurePath
from typing import Any

HASH_VERSION = 1
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def normalise_prompt(prompt: str) -> str:
    """The prompt as hashed: Unicode NFC, whitespace runs collapsed, ends stripped; case kept."""
    return " ".join(unicodedata.normalize("NFC", prompt).split())


def _canonical(value: Any) -> Any:
    """A JSON-ready, order-independent form of a parameter value; None entries are dropped."""
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    raise TypeError(f"cannot hash a parameter of type {type(value).__name__}")


def request_hash(image: bytes | None, prompt: str, params: Mapping[str, Any]) -> str:
    """The identity of a generation request: sha256 of the image's sha256, prompt and parameters.

    ``params`` should hold everything that changes the result or the bill: provider, base URL,
    model, size (``"WxH"``), seconds, and dialect knobs. Key order and None values do not matter;
    the prompt is compared after :func:`normalise_prompt`. Pass values in one canonical spelling
    (size ``"1280x720"``, seconds as an int) so equal requests hash equally.
    """
    body = {
        "v": HASH_VERSION,
        "image": hashlib.sha256(image).hexdigest() if image is not None else None,
        "prompt": normalise_prompt(prompt),
        "params": _canonical(params),
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_job_id(now: datetime | None = None) -> str:
    """``sm_`` + 26 base-32 characters: 48 bits of milliseconds then 80 random bits (sortable)."""
    moment = now if now is not None else datetime.now(timezone.utc)
    value = (int(moment.timestamp() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "sm_" + "".join(reversed(chars))
