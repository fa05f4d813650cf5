"""The import-linter contracts in pyproject.toml cover every part of the package.

`lint-imports` (run by .ci/run) only checks the modules a contract names: a new subpackage left
out of the layers, or out of a library boundary's source list, would escape every rule without
any failure. These tests make that omission fail instead.
"""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest

import stillmotion

tomllib = pytest.importorskip("tomllib")  # standard library from 3.11

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

# Library boundary contract id -> the modules allowed to import that library directly.
BOUNDARIES = {
    "httpx": {"stillmotion.api"},
    "web-server": {"stillmotion.server"},
    "otio": {"stillmotion.timeline", "stillmotion_otio"},
    "pyav": {"stillmotion.media.probe"},
    "ffmpeg": {"stillmotion.media.ffmpeg"},
    "keyring": {"stillmotion.keychain"},
    "c2pa": {"stillmotion.media.provenance"},
    "cryptography": {"stillmotion.media.identity"},
}


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return {contract["id"]: contract for contract in contracts}


def _children(package_name: str) -> set[str]:
    """Direct submodules and subpackages of an installed package, by full dotted name."""
    package = __import__(package_name, fromlist=["__path__"])
    return {f"{package_name}.{info.name}" for info in pkgutil.iter_modules(package.__path__)}


def _parts() -> set[str]:
    """What the contracts must place: stillmotion's top-level parts and the OTIO plugin."""
    return _children(stillmotion.__name__) | {"stillmotion_otio"}


def test_every_part_sits_in_exactly_one_layer() -> None:
    layers: list[str] = _contracts()["layers"]["layers"]
    placed = [name for layer in layers for name in re.split(r"[|:]", layer)]
    placed = [name.strip() for name in placed]
    assert sorted(placed) == sorted(_parts())


@pytest.mark.parametrize("contract_id", sorted(BOUNDARIES))
def test_each_library_boundary_covers_every_other_module(contract_id: str) -> None:
    allowed = BOUNDARIES[contract_id]
    contract = _contracts()[contract_id]
    # A part that holds an allowed module is listed by its other children instead.
    split = {name.rsplit(".", 1)[0] for name in allowed if name.count(".") > 1}
    expected = (_parts() - allowed - split).union(
        *((_children(part) - allowed) for part in split)
    )
    assert contract["type"] == "forbidden"
    assert sorted(contract["source_modules"]) == sorted(expected)
