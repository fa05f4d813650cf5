"""Benchmark: how long the ``stillmotion`` command takes to start, as ratios to bare Python.

Why ratios: this machine is shared and its load changes from minute to minute, so a wall time in
milliseconds says little on its own. Each round runs every command once, in turn, so a busy
moment slows the baselines (``python -c pass`` and ``python -c "import typer"``, the floor any
typer command pays) as much as the commands measured against them. Printed per command: the
median wall time of N rounds and its ratio to each baseline.

The commands are those every editor and the DaVinci Resolve launcher pay for on each call:
``stillmotion --help``, ``stillmotion jobs --help`` and ``stillmotion jobs list`` on an empty
ledger (a real command that opens nothing heavy), plus ``import stillmotion.cli`` alone and the
DaVinci Resolve Lua launcher's cheapest question to Python (``lua_bridge supports``), which it
asks on every menu action.

Run: ``python scripts/bench/startup.py [--runs 15] [--venv DIR]``. ``--venv`` is the virtual
environment whose ``python`` and ``stillmotion`` are timed (default: the one running this
script), so the same script measures another checkout's install, e.g. ``--venv /work/venv``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINES = ("python -c pass", "python -c 'import typer'")


def commands(venv: Path, folder: Path) -> dict[str, list[str]]:
    """Each label with the argv it runs; the baselines first. ``folder`` holds the ledger (never
    created: ``jobs list`` only reads) and the Lua bridge's answer."""
    python = str(venv / "bin" / "python")
    stillmotion = str(venv / "bin" / "stillmotion")
    return {
        BASELINES[0]: [python, "-c", "pass"],
        BASELINES[1]: [python, "-c", "import typer"],
        "import stillmotion.cli": [python, "-c", "import stillmotion.cli"],
        "stillmotion --help": [stillmotion, "--help"],
        "stillmotion jobs --help": [stillmotion, "jobs", "--help"],
        "stillmotion jobs list (empty ledger)": [stillmotion, "jobs", "list", "--ledger",
                                                 str(folder / "ledger.sqlite3")],
        "lua_bridge supports": [python, "-m", "stillmotion.resolve.lua_bridge", "supports",
                                "--out", str(folder / "answer.txt"), "21.1.0.0", "DaVinci Resolve",
                                "Timeline.GetMarkers"],
    }


def wall_time(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit; a non-zero exit stops the benchmark (it would time an error)."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: "
                         f"{done.stderr.decode(errors='replace').strip()}")
    return elapsed


def measure(venv: Path, runs: int) -> dict[str, float]:
    """Median seconds per label over ``runs`` interleaved rounds."""
    with tempfile.TemporaryDirectory(prefix="stillmotion-startup-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "STILLMOTION_LEDGER": str(folder / "ledger.sqlite3")}
        argvs = commands(venv, folder)
        for argv in argvs.values():  # warm the file cache; not counted
            wall_time(argv, env)
        times: dict[str, list[float]] = {label: [] for label in argvs}
        for _ in range(runs):
            for label, argv in argvs.items():
                times[label].append(wall_time(argv, env))
    return {label: statistics.median(values) for label, values in times.items()}


def report(medians: dict[str, float], venv: Path, runs: int) -> str:
    """A table: label, median ms, ratio to each baseline."""
    floor, typer_floor = (medians[name] for name in BASELINES)
    lines = [f"venv {venv}, median of {runs} runs",
             f"{'command':40} {'ms':>8} {'x pass':>8} {'x typer':>8}"]
    for label, seconds in medians.items():
        lines.append(f"{label:40} {seconds * 1000:8.0f} {seconds / floor:8.2f} "
                     f"{seconds / typer_floor:8.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds to take the median of")
    parser.add_argument("--venv", type=Path, default=Path(sys.executable).parent.parent,
                        help="virtual environment to time (default: the one running this)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(report(measure(args.venv, args.runs), args.venv, args.runs))


if __name__ == "__main__":
    main()
