"""The OpenRouter golden payloads (tests/data/vendors/openrouter) and how to compare shapes.

Why here: the client tests and the server tests both assert against the same vendor documents,
so neither side can drift with the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "vendors" / "openrouter"


def golden(name: str) -> dict[str, Any]:
    """A golden payload without its ``_source`` note."""
    body = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(body, dict) and body.pop("_source")
    return body


def shape(value: Any) -> Any:
    """The structure of a JSON value: keys and value types, not the values themselves."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__
