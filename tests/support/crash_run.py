"""Killing a real ``stillmotion generate`` at a chosen stage: start it, watch it, SIGKILL it.

Why in support: a crash test proves resume only if the kill lands in the stage it names, so
the waiting (on the ledger, read while the run writes it) and the ways of widening a stage that
passes too fast live here, shared by the crash tests: an ffmpeg that waits before it starts and
then reads its input in real time (``STILLMOTION_FFMPEG`` pointed at a wrapper; the product's
``-version`` check passes through), and a timeline so large that reading and writing it
(the placing stage) takes seconds.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import opentimelineio as otio
import pytest

from stillmotion.jobs.ledger import JobRow, Ledger
from stillmotion.media.ffmpeg import ffmpeg_exe
from support.timelines import R23, media_clip

DEADLINE = 120.0


def stillmotion_command() -> list[str]:
    """The installed ``stillmotion`` script beside this Python, else the module entry point."""
    script = Path(sys.executable).with_name("stillmotion")
    return [str(script)] if script.exists() else [
        sys.executable, "-c", "from stillmotion.cli import main; main()"]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``stillmotion args`` in a child process, its output into ``log``."""
    with log.open("wb") as sink:
        return subprocess.Popen([*stillmotion_command(), *args], env=env, stdout=sink,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes],
             log: Path) -> None:
    """Poll ``check`` until true; fail the test if the run ends first or it takes too long."""
    deadline = time.monotonic() + DEADLINE
    while not check():
        if proc.poll() is not None:
            pytest.fail(f"the run ended (exit {proc.returncode}) before {what}:\n"
                        f"{log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def row_for(ledger: Path, prompt: str) -> JobRow | None:
    """The newest ledger row for ``prompt`` (None before the run wrote one)."""
    if not ledger.exists():
        return None
    with Ledger(ledger) as book:
        rows = [r for r in book.jobs() if r.prompt == prompt]
    return rows[0] if rows else None


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc`` (nothing runs after it: no handler, no clean-up) and reap it."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def slow_ffmpeg(folder: Path, pause: float = 2.0) -> Path:
    """A wrapper around the real ffmpeg that, for any command with an input, waits ``pause``
    seconds and then reads the input at its own speed (``-re``), so a conform of a 4 s clip
    lasts about 4 s with its partial output on disk."""
    real = ffmpeg_exe()
    wrapper = folder / "slow-ffmpeg"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'case " $* " in *" -i "*) sleep {pause}; exec "{real}" -re "$@";; esac\n'
        f'exec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


def add_filler_track(timeline: object, media: Path, clips: int) -> None:
    """Put a bottom video track of ``clips`` one-frame clips under everything (the playhead's
    clip stays the top-most), so reading and writing the timeline takes seconds."""
    filler = otio.schema.Track(name="filler", kind=otio.schema.TrackKind.Video)
    for index in range(clips):
        filler.append(media_clip(f"f{index}", media, rate=R23, source_start=86400,
                                 duration=1, available=(86400, 72)))
    tracks = timeline.tracks  # type: ignore[attr-defined]
    tracks.insert(0, filler)
