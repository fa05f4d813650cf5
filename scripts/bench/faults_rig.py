"""The rig of the fault benchmark: a ``stillmotion serve --test-mode`` subprocess that can be
killed and restarted on its data folder, ``stillmotion`` CLI runs, and a marker timeline.

Why a module apart from ``faults.py``: the benchmark's matrix (which faults, how they are
counted) reads better without the process plumbing, and the plumbing is the same for every
fault kind. Everything here talks to the product only as a user would: processes, HTTP and files.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.timeline.io import write_timeline
from stillmotion.timeline.shots import sample_timeline

RATE = Fraction(25)
SHOT_FRAMES = 100  # four seconds per marker, so every 4 s clip fits on one "AI Generated" track
START_FRAME = 90000  # 01:00:00:00 at 25 fps
SOURCE_SIZE = (128, 72)
SETTING_PREFIXES = ("STILLMOTION_", "OPENAI_API_KEY")


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stillmotion_command() -> list[str]:
    """The installed ``stillmotion`` script beside this Python, else the module entry point."""
    script = Path(sys.executable).with_name("stillmotion")
    return [str(script)] if script.exists() else [
        sys.executable, "-c", "from stillmotion.cli import main; main()"]


def cli_env(root: Path, **extra: str) -> dict[str, str]:
    """An environment without the caller's stillmotion settings, its data folders under root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    env["STILLMOTION_DATA_DIR"] = str(root / "user-data")
    env["STILLMOTION_CACHE_DIR"] = str(root / "user-cache")
    env["STILLMOTION_PRICES"] = '{"openai/preview": 0}'
    env.update(extra)
    return env


class Server:
    """``stillmotion serve --fast --test-mode`` on a fixed port and data folder.

    The request counters (``/_stats``) live in the server's memory, so :meth:`kill` reads them
    first and :attr:`creates` sums every lifetime's creates per prompt.
    """

    def __init__(self, root: Path, *, workers: int = 2) -> None:
        self.root = root
        self.port = free_port()
        self.data_dir = root / "server-data"
        self.workers = workers
        self.log = root / "server.log"
        self.creates: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.fired: Counter[str] = Counter()
        self.kills = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The /v1 base URL a provider is given."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        """Start (or restart) the server; returns once it answers /healthz.

        A restart right after :meth:`kill` may find the port still taken: the killed server's
        connections linger (FIN_WAIT) until their clients notice, up to the kernel's FIN
        timeout, and SO_REUSEADDR does not cover them. The server then refuses to start with
        "Address already in use", and it is started again, as a user would, until it listens.
        """
        command = [*stillmotion_command(), "serve", "--port", str(self.port), "--data-dir",
                   str(self.data_dir), "--fast", "--test-mode", "--workers", str(self.workers),
                   "--poll-after-ms", "200", "--log-level", "warning"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with self.log.open("ab") as sink:
                self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL)
            if self._answers(deadline):
                return
            if "Address already in use" not in self.log.read_text(errors="replace")[-300:]:
                raise SystemExit(f"stillmotion serve exited with code "
                                 f"{self.process.returncode}; see {self.log}")
            time.sleep(0.5)
        raise SystemExit("stillmotion serve did not start within 120 s")

    def _answers(self, deadline: float) -> bool:
        """Whether the process just started answers /healthz (False once it has exited)."""
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                self.admin("GET", "/healthz")
                return True
            except OSError:
                time.sleep(0.1)
        raise SystemExit("stillmotion serve did not start within 120 s")

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One JSON request to the server (``/_faults``, ``/_stats``, ``/v1/videos`` …)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                         method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def set_faults(self, **plan: Any) -> None:
        """Replace the fault plan (no arguments: no faults)."""
        self.admin("POST", "/_faults", plan)

    def harvest(self) -> None:
        """Add this lifetime's counters to the totals and zero the server's."""
        stats = self.admin("GET", "/_stats")
        self.creates.update(stats["creates"])
        self.requests.update(stats["requests"])
        self.fired.update(stats["faults_fired"])
        self.admin("DELETE", "/_stats")

    def kill(self) -> None:
        """SIGKILL the server (its counters harvested first), as a crash or power cut would."""
        self.harvest()
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self.kills += 1

    def stop(self) -> None:
        """Harvest the counters and stop the server cleanly."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.harvest()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=60)

    def videos(self) -> list[dict[str, Any]]:
        """Every job the server holds, through the public list call (what a dashboard shows)."""
        found: list[dict[str, Any]] = []
        after = ""
        while True:
            page = self.admin("GET", f"/v1/videos?limit=100&order=asc{after}")
            found.extend(page["data"])
            if not page.get("has_more"):
                return found
            after = f"&after={page['data'][-1]['id']}"


def run_cli(args: list[str], env: dict[str, str], log: Path,
            timeout: float = 1800) -> tuple[int, str, str]:
    """Run ``stillmotion args``; (exit code, stdout, stderr), both also appended to ``log``."""
    try:
        done = subprocess.run([*stillmotion_command(), *args], env=env, capture_output=True,
                              check=False, stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out, err, code = exc.stdout or b"", (exc.stderr or b"") + b"\n[timed out]", -9
    else:
        out, err, code = done.stdout, done.stderr, done.returncode
    text_out, text_err = out.decode(errors="replace"), err.decode(errors="replace")
    with log.open("a", encoding="utf-8") as sink:
        sink.write(f"$ stillmotion {' '.join(args)}\n[exit {code}]\n{text_out}\n{text_err}\n")
    return code, text_out, text_err


def marker_project(folder: Path, prompts: list[str]) -> Path:
    """A 25 fps timeline of one frame-coded 128x72 clip, one prompt marker every 4 s."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = SHOT_FRAMES * len(prompts)
    clip_path = render_clip(folder / "source.mp4", ClipSpec(
        *SOURCE_SIZE, RATE, frames, audio_rate=None, label="F"))
    timeline = sample_timeline("faults", [(clip_path, frames)], RATE, START_FRAME)
    clip = next(iter(timeline.tracks[0]))
    for index, prompt in enumerate(prompts):
        at = otio.opentime.RationalTime(SHOT_FRAMES * index, float(RATE))
        clip.markers.append(otio.schema.Marker(
            name=prompt, marked_range=otio.opentime.TimeRange(at, otio.opentime.RationalTime(
                0, float(RATE))), color=otio.schema.MarkerColor.GREEN))
    return write_timeline(timeline, folder / "cut.otio")
