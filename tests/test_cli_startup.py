"""The ``stillmotion`` command starts without loading what only some commands need.

Why: every command, every DaVinci Resolve launcher call and every process of the fault bench
used to import FastAPI, the job pipeline, c2pa, cryptography, keyring, PyAV and OpenTimelineIO
before parsing its arguments (about a second). Each check runs in a fresh interpreter, since the
test process itself has long imported all of them; none measures time (the figures are in
scripts/bench/startup.py). The command list is the one ``stillmotion --help`` printed before the
imports were deferred, kept here so a deferred module cannot silently drop a command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.records import JobFiles
from support.crash_run import stillmotion_command

HEAVY = (
    "fastapi", "starlette", "uvicorn",  # the local server (stillmotion serve, preview jobs)
    "av", "imageio_ffmpeg",  # media probing and the bundled ffmpeg
    "c2pa", "cryptography",  # Content Credentials and signing certificates
    "keyring",  # the signing key in the OS keyring
    "opentimelineio",  # timelines
    "httpx",  # the services' HTTP client
    "rich.progress",  # progress bars, drawn only by commands that run long
)
"""Modules no command needs before it runs; loaded by the commands that use them."""

SETTINGS = ("pydantic_settings",)
"""The settings model: loaded by commands that read settings, not to print help. (pydantic
itself is not watched once a command runs: typer 0.29 converts option values with it.)"""

ROOT_COMMANDS = [
    "demo", "generate", "batch", "extend", "remix", "takes", "probe", "grab", "webhooks",
    "jobs", "conform", "stitch", "serve", "providers", "fill-gap", "review", "turnover",
    "ingest", "provenance", "signing-key",
]
"""``stillmotion --help`` on main before the imports were deferred, in its order."""

COMMAND_TREE = sorted([
    *ROOT_COMMANDS, "jobs list", "jobs show", "jobs forget", "jobs resume", "webhooks listen",
    "signing-key store",
])

_IN_FRESH_PYTHON = """
import json, os, sys
from pathlib import Path
from stillmotion.cli import run
code = run(sys.argv[1:])
loaded = sorted(name for name in json.loads(os.environ["STARTUP_WATCH"]) if name in sys.modules)
Path(os.environ["STARTUP_REPORT"]).write_text(json.dumps({"exit": code, "loaded": loaded}))
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The child's environment: its data folder in tmp_path, no ledger from the caller."""
    child = {k: v for k, v in os.environ.items() if k != "STILLMOTION_LEDGER"}
    child["STILLMOTION_DATA_DIR"] = str(tmp_path / "user-data")
    return child


def run_fresh(args: list[str], env: dict[str, str], tmp_path: Path
              ) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """``stillmotion ARGS`` through :func:`stillmotion.cli.run` in a new interpreter; its exit
    code and which of HEAVY and SETTINGS were imported by the time it returned."""
    report = tmp_path / "startup-report.json"
    child = {**env, "STARTUP_REPORT": str(report),
             "STARTUP_WATCH": json.dumps([*HEAVY, *SETTINGS])}
    done = subprocess.run([sys.executable, "-c", _IN_FRESH_PYTHON, *args], env=child,
                          capture_output=True, text=True, timeout=120, check=False)
    assert report.exists(), done.stderr
    result: dict[str, Any] = json.loads(report.read_text())
    return result, done


def test_importing_the_cli_loads_no_heavy_module(env: dict[str, str], tmp_path: Path) -> None:
    code = ("import json, sys, stillmotion.cli; "
            f"print(json.dumps([m for m in {[*HEAVY, *SETTINGS, 'pydantic']!r} "
            "if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("args", [["--help"], ["jobs", "--help"], ["generate", "--help"],
                                  ["serve", "--help"], ["turnover", "--help"],
                                  ["signing-key", "store", "--help"]])
def test_help_loads_no_heavy_module(args: list[str], env: dict[str, str],
                                    tmp_path: Path) -> None:
    result, done = run_fresh(args, env, tmp_path)
    assert result == {"exit": 0, "loaded": []}
    assert done.stdout.startswith(f"Usage: stillmotion {' '.join(args[:-1])}".rstrip())


def test_help_lists_the_same_commands_as_before(env: dict[str, str]) -> None:
    done = subprocess.run([*stillmotion_command(), "--help"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("\nCommands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed if line.startswith("  ")] == ROOT_COMMANDS


def test_every_command_and_subcommand_is_still_registered() -> None:
    import typer

    from stillmotion.cli import app

    def walk(command: Any, path: list[str]) -> list[str]:
        names = [" ".join(path)] if path else []
        for name, sub in getattr(command, "commands", {}).items():
            names += walk(sub, [*path, name])
        return names

    assert sorted(walk(typer.main.get_command(app), [])) == COMMAND_TREE


def test_jobs_list_runs_end_to_end_without_the_job_machinery(
        env: dict[str, str], tmp_path: Path) -> None:
    """The cheap command reads a real ledger in a real process, and loads the settings model
    it needs but none of the pipeline's libraries."""
    ledger = tmp_path / "jobs.sqlite3"
    with Ledger(ledger) as book:
        row = book.claim("a" * 16, provider="openai", model="sora-2", size="1280x720",
                         seconds=8, prompt="slow dolly in", cost_estimate=Decimal("0.80"),
                         files=JobFiles(image=Path("/stills/a.png"))).row
    done = subprocess.run([*stillmotion_command(), "jobs", "list", "--ledger", str(ledger),
                           "--json"], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert [job["id"] for job in json.loads(done.stdout)] == [row.id]

    result, shown = run_fresh(["jobs", "list", "--ledger", str(ledger)], env, tmp_path)
    assert result["exit"] == 0
    assert result["loaded"] == sorted(SETTINGS)  # the ledger path comes from the settings
    assert row.id in shown.stdout


def test_a_missing_ledger_is_still_one_sentence_and_exit_1(env: dict[str, str],
                                                           tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite3"
    done = subprocess.run([*stillmotion_command(), "jobs", "show", "abc", "--ledger",
                           str(missing)], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1
    assert done.stderr == (f"stillmotion: There is no job abc: the job ledger {missing} does "
                           "not exist yet.\n")
    assert not missing.exists()


def test_a_deferred_command_imports_what_it_needs_when_it_runs(
        make_clip: Callable[[str], Path], env: dict[str, str], tmp_path: Path) -> None:
    """``probe`` reaches PyAV only from its body: in a fresh process it still reads the clip."""
    clip = make_clip("hd_23976_tc")
    result, done = run_fresh(["probe", str(clip), "--json"], env, tmp_path)
    assert result["exit"] == 0, done.stderr
    assert "av" in result["loaded"]
    video = json.loads(done.stdout)["video"]
    assert (video["width"], video["height"], video["frame_count"]) == (1920, 1080, 72)
    assert Fraction(video["rate"]) == Fraction(24000, 1001)


def test_the_lua_bridge_answers_supports_without_heavy_modules(env: dict[str, str],
                                                               tmp_path: Path) -> None:
    """The Lua launcher asks ``supports`` on every menu action: the version table needs
    neither the job pipeline (``stillmotion.resolve``'s re-exports) nor OTIO."""
    out = tmp_path / "answer.txt"
    code = ("import json, sys; from stillmotion.resolve.lua_bridge import main; "
            "code = main(sys.argv[1:]); "
            f"print(json.dumps([code, [m for m in {[*HEAVY, *SETTINGS, 'pydantic']!r} "
            "if m in sys.modules]]))")
    done = subprocess.run([sys.executable, "-c", code, "supports", "--out", str(out),
                           "21.0.3.1", "DaVinci Resolve", "Timeline.SetTrackLock",
                           "Timeline.GetSelectedClips"], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    assert json.loads(done.stdout) == [0, []]
    assert out.read_text(encoding="utf-8") == "1\n0\n"
