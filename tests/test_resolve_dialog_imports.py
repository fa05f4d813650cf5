"""The Resolve Generate dialog opens without loading the job machinery.

Why: the dialog is opened from Resolve's Workspace > Scripts menu and showed its lists (providers,
models, grab routes, plate formats) and estimate only after importing the pipeline, ffmpeg,
PyAV, c2pa, cryptography, the keyring and OpenTimelineIO, which only a job needs; the job's
method now imports them when it starts (the dialog tests run every such method). Each check
runs in a fresh interpreter, as tests/test_cli_startup.py does, since the test process has
long imported all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "fastapi", "starlette", "uvicorn",  # the local server
    "av", "imageio_ffmpeg",  # media probing and the bundled ffmpeg
    "c2pa", "cryptography", "keyring",  # Content Credentials and the signing key
    "opentimelineio",  # timelines
    "httpx",  # requests to the services
    "stillmotion.jobs.pipeline", "stillmotion.media.plates", "stillmotion.media.ffmpeg",
    "stillmotion.finishing",
)
"""Modules only a running job needs."""

_SHOW_THE_DIALOG = """
import json, sys
from stillmotion.resolve import ui
from stillmotion.resolve.form import FormValues, build_args, model_names, summary_text
from stillmotion.settings import load_settings
settings = load_settings()
args = build_args(FormValues(prompt="slow dolly in over 4 s", provider="openai",
                             model="sora-2"), timeline_size=(1920, 1080), settings=settings)
shown = {"summary": summary_text(args), "models": model_names("runway", settings),
         "providers": list(ui.PROVIDERS), "grab": list(ui.GRAB_ROUTES),
         "plates": list(ui.PLATE_FORMATS)}
watched = json.loads(sys.argv[1])
print(json.dumps({"shown": shown, "loaded": [m for m in watched if m in sys.modules]}))
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The child's environment: no settings of the caller's, its folders in tmp_path."""
    child = {k: v for k, v in os.environ.items() if not k.upper().startswith("STILLMOTION_")}
    child["STILLMOTION_DATA_DIR"] = str(tmp_path / "user-data")
    child["STILLMOTION_CACHE_DIR"] = str(tmp_path / "user-cache")
    return child


def test_the_dialog_shows_its_lists_and_estimate_without_the_job_machinery(
        env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-c", _SHOW_THE_DIALOG, json.dumps(HEAVY)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    shown = result["shown"]
    assert shown["summary"].startswith("openai/sora-2, 1280x720, 4 s: estimated $0.40")
    assert shown["models"][0] == "gen4.5"
    assert shown["providers"][0] == "preview" and "runway" in shown["providers"]
    assert shown["grab"] == ["viewer", "source"]
    assert shown["plates"][:2] == ["exr", "dpx"]
    assert result["loaded"] == []


@pytest.mark.parametrize("module", ["stillmotion.resolve.form", "stillmotion.resolve.dialog",
                                    "stillmotion.resolve.still"])
def test_the_dialog_modules_import_no_job_machinery(module: str, env: dict[str, str]) -> None:
    code = (f"import json, sys, {module}; "
            f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == []
