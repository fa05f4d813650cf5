"""Reading a timeline through the OTIO plugin loads only what the plugin uses.

Why: OpenTimelineIO imports ``stillmotion_otio.media_linker`` whenever a timeline is read with
``media_linker_name="stillmotion_linker"``; an editor's script that only relinks files must not
pay for an HTTP client, PyAV, a web framework or the jobs layer. Each check runs a fresh
interpreter with ``-X importtime`` (the command the issue names) and reads which modules it
actually imported, so an import added anywhere down the chain makes it fail.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# The network and web libraries no plugin module needs; PyAV is checked separately because the
# render and Resolve adapters probe media and so rightly load it.
NETWORK = ("httpx", "fastapi", "starlette", "uvicorn")


def _imported(module: str) -> set[str]:
    """Every module name a fresh ``python -X importtime -c "import <module>"`` imports."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    names = set()
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        name = line.rsplit("|", 1)[1].strip()
        if name != "imported package":  # the header line
            names.add(name)
    assert module in names, run.stderr[-2000:]  # the parse saw the module itself
    return names


def test_media_linker_imports_no_http_client_pyav_or_web_framework() -> None:
    names = _imported("stillmotion_otio.media_linker")
    loaded = sorted(name for name in names if name.split(".")[0] in (*NETWORK, "av"))
    assert loaded == []


def test_media_linker_does_not_load_the_jobs_layer_or_settings() -> None:
    """The ledger is opened only as the last fallback, so it is imported only then."""
    names = _imported("stillmotion_otio.media_linker")
    loaded = sorted(
        name for name in names
        if name.startswith(("stillmotion.jobs", "stillmotion.settings", "pydantic"))
    )
    assert loaded == []


@pytest.mark.parametrize("module", ["stillmotion_otio", "stillmotion_otio.media_linker"])
def test_what_otio_loads_to_relink_imports_no_pyav(module: str) -> None:
    """The package is imported by every OTIO plugin discovery, the linker by every relink."""
    assert "av" not in _imported(module)


@pytest.mark.parametrize("module", [
    "stillmotion_otio", "stillmotion_otio.media_linker", "stillmotion_otio.render_adapter",
    "stillmotion_otio.resolve_adapter",
])
def test_no_plugin_module_imports_an_http_client_or_web_framework(module: str) -> None:
    """The adapters render and reshape timelines (they need media, not the network)."""
    loaded = sorted(name for name in _imported(module) if name.split(".")[0] in NETWORK)
    assert loaded == []
