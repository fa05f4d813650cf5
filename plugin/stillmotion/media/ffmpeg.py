"""Finding and running ffmpeg: the only module that imports imageio-ffmpeg or spawns ffmpeg.

Why one place: the binary choice (bundled imageio-ffmpeg build, or STILLMOTION_FFMPEG), progress
parsing, argument escaping and the translation of failures into MediaError subclasses must be the
same for every caller. Callers build argv lists with :func:`filter_arg` / :func:`media_arg` and
hand them to :func:`run`; frames never pass through Python.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg

from stillmotion.errors import FFmpegNotFound, TranscodeError

ENV_VAR = "STILLMOTION_FFMPEG"
STDERR_TAIL_LINES = 25


@dataclass(frozen=True)
class Progress:
    """One progress report from ``-progress pipe:1``; ``total`` is None when unknown."""

    seconds: float
    total: float | None
    frame: int
    speed: float | None
    done: bool

    @property
    def fraction(self) -> float | None:
        """Share done in 0..1, or None without a known total."""
        if self.done:
            return 1.0
        if not self.total:
            return None
        return max(0.0, min(1.0, self.seconds / self.total))


ProgressCallback = Callable[[Progress], None]


@functools.lru_cache(maxsize=4)
def _verified(candidate: str) -> str:
    try:
        result = subprocess.run(
            [candidate, "-hide_banner", "-version"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FFmpegNotFound(
            f"ffmpeg at {candidate} does not run; fix {ENV_VAR} or unset it to use the bundled "
            "one.",
            path=candidate,
        ) from exc
    if result.returncode != 0 or not result.stdout.startswith(b"ffmpeg version"):
        raise FFmpegNotFound(
            f"{candidate} is not a working ffmpeg; fix {ENV_VAR} or unset it to use the bundled "
            "one.",
            path=candidate,
        )
    return candidate


def ffmpeg_exe(override: str | None = None) -> str:
    """The ffmpeg binary: explicit override, else $STILLMOTION_FFMPEG, else imageio-ffmpeg's."""
    choice = override or os.environ.get(ENV_VAR)
    if choice:
        found = shutil.which(choice) or choice
        return _verified(found)
    try:
        bundled = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise FFmpegNotFound(
            "No ffmpeg found: reinstall stillmotion (it bundles one via imageio-ffmpeg) or set "
            f"{ENV_VAR} to an ffmpeg binary."
        ) from exc
    return _verified(str(bundled))


def media_arg(path: Path | str) -> str:
    """An input/output path as ffmpeg must see it: absolute, behind ``file:``.

    Why: a relative name that starts with '-' would be read as an option, and one containing ':'
    as a protocol; the ``file:`` prefix and an absolute path rule out both.
    """
    return "file:" + str(Path(path).expanduser().absolute())


def filter_arg(value: str | float | int) -> str:
    """Escape one filter option value (a file name, text, an expression) for a filter graph.

    ffmpeg unescapes twice (its "Notes on filtergraph escaping"): the graph parser first, which
    treats ``[ ] , ;`` and quotes as structure, then the filter's option parser, which treats
    ``: =`` and quotes as structure. So the value is escaped for the option level, then that
    text again for the graph level; a backslash is escaped first at each level so the escapes
    added for the other characters survive.
    """
    return _backslash_escape(_backslash_escape(str(value), "'=:"), "'[],;")


def _backslash_escape(text: str, specials: str) -> str:
    """``text`` with every backslash and every character of ``specials`` behind a backslash."""
    return "".join("\\" + char if char == "\\" or char in specials else char for char in text)


def seconds_arg(value: Fraction) -> str:
    """An exact time as the decimal seconds ffmpeg parses (-ss, -t, filter options), to the
    microsecond, halves rounded up: one spelling so the same time always seeks the same way."""
    micros = math.floor(value * 1_000_000 + Fraction(1, 2))
    sign = "-" if micros < 0 else ""
    whole, part = divmod(abs(micros), 1_000_000)
    return f"{sign}{whole}.{part:06d}"


def _tail(lines: deque[str]) -> str:
    return "\n".join(lines)


def run(
    args: Sequence[str],
    *,
    output: Path | str | None = None,
    total_seconds: float | None = None,
    on_progress: ProgressCallback | None = None,
    exe: str | None = None,
    what: str = "ffmpeg",
    capture_stderr: bool = False,
) -> str:
    """Run ffmpeg with ``args`` (without the binary), reporting progress; TranscodeError on failure.

    ``-progress pipe:1 -nostats`` is added so progress can be parsed from stdout while stderr is
    drained in a thread (keeping its last lines for the error) so neither pipe can fill and block.
    With ``capture_stderr`` the log level is ``info`` and the whole stderr text is returned, for
    filters that report on stderr (loudnorm's measurement); otherwise the result is "".
    """
    argv = [
        ffmpeg_exe(exe),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "info" if capture_stderr else "error",
        "-progress",
        "pipe:1",
        "-nostats",
        *args,
    ]
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    captured: list[str] = []
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise FFmpegNotFound(f"Could not start ffmpeg ({exc.strerror}).", path=argv[0]) from exc

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if capture_stderr:
                captured.append(line)
            if line.strip():
                tail.append(line.rstrip())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    assert proc.stdout is not None
    state: dict[str, str] = {}
    try:
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            state[key] = value
            if key == "progress" and on_progress is not None:
                on_progress(_progress_from(state, total_seconds))
        proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        reader.join(timeout=5)
    if proc.returncode != 0:
        if _out_of_space(proc.returncode, tail):
            where = f" holding {Path(output).parent}" if output is not None else ""
            raise TranscodeError(
                f"{what} stopped because the disk{where} is full or a file size limit was "
                "reached; free some space or write elsewhere, then run it again (a job carries "
                "on with `stillmotion jobs resume`).",
                path=output, stderr_tail=_tail(tail),
            )
        detail = tail[-1] if tail else f"exit code {proc.returncode}"
        raise TranscodeError(
            f"{what} failed: {detail}", path=output, stderr_tail=_tail(tail)
        )
    return "".join(captured)


_NO_ROOM = "No space left on device"  # strerror(ENOSPC) in ffmpeg's messages
_TOO_LARGE = "File too large"  # strerror(EFBIG)


def _out_of_space(returncode: int, tail: Sequence[str]) -> bool:
    """Whether ffmpeg stopped for want of room: killed by SIGXFSZ (a file size limit, which
    Python's children get back at its default action) or told ENOSPC / EFBIG by the system."""
    xfsz = getattr(signal, "SIGXFSZ", None)  # not on Windows
    if xfsz is not None and returncode == -xfsz:
        return True
    return any(_NO_ROOM in line or _TOO_LARGE in line for line in tail)


def _progress_from(state: dict[str, str], total: float | None) -> Progress:
    micros = state.get("out_time_us") or state.get("out_time_ms") or "0"
    try:
        seconds = max(0, int(micros)) / 1_000_000
    except ValueError:
        seconds = 0.0
    speed_text = state.get("speed", "").rstrip("x").strip()
    try:
        speed: float | None = float(speed_text)
    except ValueError:
        speed = None
    frame_text = state.get("frame", "0")
    return Progress(
        seconds=seconds,
        total=total,
        frame=int(frame_text) if frame_text.isdigit() else 0,
        speed=speed,
        done=state.get("progress") == "end",
    )
