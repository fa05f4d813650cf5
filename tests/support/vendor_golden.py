"""The vendor golden payloads in tests/data/vendors: loading them and comparing shapes.

Why shapes: the documented bodies carry the vendors' own values (remote image URLs, their task
ids); what must not drift is which fields exist and what type each holds. ``shape`` turns a
body into that skeleton; ``missing`` lists where an answer lacks a golden field or holds
another type (extra fields are allowed: every vendor adds some).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "vendors"


def _raw(vendor: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / vendor / f"{name}.json").read_text("utf-8"))
    assert loaded.get("_source"), f"{vendor}/{name}.json names no source"
    return loaded


def golden(vendor: str, name: str) -> dict[str, Any]:
    """The payload of ``tests/data/vendors/<vendor>/<name>.json`` without its ``_`` keys."""
    return {k: v for k, v in _raw(vendor, name).items() if not k.startswith("_")}


def golden_status(vendor: str, name: str) -> int:
    """The HTTP status the golden body comes with (200 unless ``_status`` says otherwise)."""
    return int(_raw(vendor, name).get("_status", 200))


def shape(value: Any) -> Any:
    """The skeleton of a JSON value: dicts and lists kept, scalars replaced by type names."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return "null" if value is None else type(value).__name__


def missing(actual: Any, expected: Any, path: str = "$") -> list[str]:
    """Where ``actual`` lacks a field of ``expected`` or has another type there."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path} is not an object"]
        found: list[str] = []
        for key, item in expected.items():
            if key not in actual:
                found.append(f"{path}.{key} is missing")
            else:
                found.extend(missing(actual[key], item, f"{path}.{key}"))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return [f"{path} is not a list of at least {len(expected)}"]
        return [m for i, item in enumerate(expected) for m in missing(actual[i], item,
                                                                       f"{path}[{i}]")]
    if shape(actual) != shape(expected):
        return [f"{path} is {shape(actual)}, not {shape(expected)}"]
    return []
