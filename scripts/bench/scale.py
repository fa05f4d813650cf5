"""Benchmark at night-run scale: a 300-marker batch and a 600-clip ``stitch --timeline``.

Both run through the real CLI as a user runs them; a watcher samples the process tree every
50 ms (Linux /proc) for resident memory and open file descriptors, so "bounded" is a printed
figure, not a hope.

- Batch: ``stillmotion batch --from-markers`` of N markers (default 300) against
  ``stillmotion serve --fast`` (tiny frames), every clip conformed and placed on one timeline.
  Baseline in the same run: one ``stillmotion generate`` of a single marker, the per-shot cost of
  running shots one command at a time. Printed: wall time, shots per minute, the batch's per-shot
  time as a ratio of the single generate, the peak memory of the batch process and the peak
  number of files it holds open (which must not grow with N).
- Render: a timeline of M cuts (default 600) over 12 frame-coded clips, rendered by
  ``stillmotion stitch --timeline``, which renders a long edit in parts of at most
  ``GRAPH_INPUTS`` ffmpeg inputs. Baseline in the same run: the naive single filter graph with
  one input per cut. Printed: wall times and their ratio, the exact frame count of both, and the
  peak open files and memory of the ffmpeg processes each way.

Run: ``python scripts/bench/scale.py [--shots N] [--clips M] [--only batch|render] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from stillmotion.media.assemble import GRAPH_INPUTS, assemble
from stillmotion.media.probe import probe
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.timeline.render import plan_timeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faults_rig import Server, cli_env, marker_project, stillmotion_command

SEND = ["--provider", "openai", "--model", "preview", "--size", "64x36", "--seconds", "4",
        "--preset", "h264-web"]
CLIP_RATE = 24
CLIP_SIZE = (256, 144)  # the smallest DNxHR HQ takes


@dataclass
class Peaks:
    """The largest figures seen in a process tree: memory (MB) and open descriptors."""

    root_mb: float = 0.0
    child_mb: float = 0.0
    root_files: int = 0
    child_files: int = 0
    tree_files: int = 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(x) for x in task.read_text().split()]
        except OSError:
            continue
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _files(pid: int) -> int:
    try:
        return sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return 0


class Watcher:
    """Samples a process and its descendants until stopped (skipping ``ignore`` subtrees)."""

    def __init__(self, pid: int, ignore: set[int] | None = None) -> None:
        self.pid = pid
        self.ignore = ignore or set()
        self.peaks = Peaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peaks.root_mb = max(self.peaks.root_mb, _rss_mb(self.pid))
            self.peaks.root_files = max(self.peaks.root_files, _files(self.pid))
            tree, queue = [], _children(self.pid)
            while queue:
                child = queue.pop()
                if child in self.ignore:
                    continue
                tree.append(child)
                queue += _children(child)
            if tree:
                self.peaks.child_mb = max(self.peaks.child_mb, *map(_rss_mb, tree))
                self.peaks.child_files = max(self.peaks.child_files, *map(_files, tree))
            total = _files(self.pid) + sum(map(_files, tree))
            self.peaks.tree_files = max(self.peaks.tree_files, total)
            time.sleep(0.05)

    def stop(self) -> Peaks:
        self._stop.set()
        self._thread.join()
        return self.peaks


def _run_watched(args: list[str], env: dict[str, str], log: Path) -> tuple[int, float, Peaks]:
    start = time.perf_counter()
    with log.open("ab") as sink:
        process = subprocess.Popen([*stillmotion_command(), *args], env=env, stdout=sink,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        watcher = Watcher(process.pid)
        code = process.wait()
    return code, time.perf_counter() - start, watcher.stop()


def bench_batch(root: Path, shots: int) -> None:
    """The N-marker batch against serve --fast, with a single generate as the baseline."""
    env = cli_env(root)
    server = Server(root, workers=2)
    server.start()
    log = root / "batch.log"
    try:
        one = marker_project(root / "one", ["a slow push in on the street"])
        code, single, _ = _run_watched(
            ["generate", str(one), "--at", "01:00:01:00", "--prompt", "a slow push in",
             "--base-url", server.base_url, "--ledger", str(root / "one.sqlite"), *SEND],
            env, log)
        if code != 0:
            raise SystemExit(f"the single generate failed (exit {code}); see {log}")
        project = marker_project(root / "many", [f"shot {n}: a slow push in"
                                                 for n in range(shots)])
        code, wall, peaks = _run_watched(
            ["batch", str(project), "--from-markers", "--base-url", server.base_url,
             "--ledger", str(root / "many.sqlite"), "--concurrency", "4", *SEND], env, log)
    finally:
        server.stop()
    if code != 0:
        raise SystemExit(f"the batch failed (exit {code}); see {log}")
    placed = root / "many" / "cut.stillmotion.otio"
    clips = sum(1 for track in otio.adapters.read_from_file(str(placed)).video_tracks()
                if track.name.startswith("AI Generated") for _ in track.find_clips())
    print(f"batch: {shots} markers, {clips} clips placed, {wall:.1f} s wall, "
          f"{shots / wall * 60:.1f} shots/min")
    print(f"batch: per shot {wall / shots:.2f} s = {wall / shots / single:.2f}x one "
          f"`generate` ({single:.2f} s) run alone")
    print(f"batch: peak memory {peaks.root_mb:.0f} MB (largest child {peaks.child_mb:.0f} MB), "
          f"peak open files {peaks.root_files} in the batch process, {peaks.tree_files} with "
          "its children")


def long_timeline(folder: Path, cuts: int) -> Path:
    """``cuts`` cuts of 4 frames each, cycling over 12 frame-coded 2 s clips (256x144, 24 fps)."""
    sources = [render_clip(folder / f"src{k}.mp4",
                           ClipSpec(*CLIP_SIZE, Fraction(CLIP_RATE), 48, label=f"S{k}"))
               for k in range(12)]
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for n in range(cuts):
        track.append(otio.schema.Clip(
            name=f"cut{n}",
            media_reference=otio.schema.ExternalReference(target_url=str(sources[n % 12])),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(n % 40, CLIP_RATE),
                otio.opentime.RationalTime(4, CLIP_RATE))))
    timeline = otio.schema.Timeline(name="long")
    timeline.tracks.append(track)
    path = folder / "long.otio"
    otio.adapters.write_to_file(timeline, str(path))
    return path


def bench_render(root: Path, cuts: int) -> None:
    """``stitch --timeline`` of a long edit against one naive graph of every cut."""
    folder = root / "render"
    folder.mkdir(parents=True, exist_ok=True)
    timeline = long_timeline(folder, cuts)
    env = cli_env(root)
    code, parts_wall, parts_peaks = _run_watched(
        ["stitch", "--timeline", str(timeline), "-o", str(folder / "parts.mov")], env,
        root / "render.log")
    if code != 0:
        raise SystemExit(f"stitch --timeline failed (exit {code}); see {root / 'render.log'}")
    watcher = Watcher(os.getpid())
    start = time.perf_counter()
    naive_error = ""
    try:
        assemble(plan_timeline(otio.adapters.read_from_file(str(timeline))),
                 folder / "naive.mov", max_inputs=10**9)
    except Exception as exc:  # the naive way may hit the file limit: that is a figure too
        naive_error = str(exc).splitlines()[0]
    naive_wall = time.perf_counter() - start
    naive_peaks = watcher.stop()
    frames = probe(folder / "parts.mov").require_video().frame_count
    print(f"render: {cuts} cuts, {frames} frames written of {cuts * 4} (parts of at most "
          f"{GRAPH_INPUTS} inputs), {parts_wall:.1f} s wall")
    print(f"render: peak open files {parts_peaks.child_files} in one ffmpeg, "
          f"{parts_peaks.tree_files} with the stillmotion process; largest ffmpeg "
          f"{parts_peaks.child_mb:.0f} MB")
    if naive_error:
        print(f"render: naive single graph failed after {naive_wall:.1f} s: {naive_error}")
    else:
        naive_frames = probe(folder / "naive.mov").require_video().frame_count
        print(f"render: naive single graph {naive_wall:.1f} s, {naive_frames} frames, peak open "
              f"files {naive_peaks.child_files} in one ffmpeg, largest ffmpeg "
              f"{naive_peaks.child_mb:.0f} MB")
        print(f"render: parts/naive time {parts_wall / naive_wall:.2f}x, open files per ffmpeg "
              f"{parts_peaks.child_files / max(naive_peaks.child_files, 1):.2f}x, ffmpeg memory "
              f"{parts_peaks.child_mb / max(naive_peaks.child_mb, 1):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=300, help="markers in the batch")
    parser.add_argument("--clips", type=int, default=600, help="cuts in the rendered timeline")
    parser.add_argument("--only", choices=("batch", "render"), help="run one half")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    if args.shots < 1 or args.clips < 1:
        parser.error("--shots and --clips must be 1 or more")
    with tempfile.TemporaryDirectory(prefix="stillmotion-scale-") as scratch:
        root = args.keep or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        if args.only in (None, "render"):
            bench_render(root, args.clips)
        if args.only in (None, "batch"):
            bench_batch(root, args.shots)


if __name__ == "__main__":
    main()
