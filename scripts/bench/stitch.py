"""Benchmark: stillmotion's stitch against one bare ffmpeg command and MoviePy, in one run.

The job: join 8 clips of 8 s, 1280x720 at 30 fps (H.264 + AAC), letterboxed to 1920x1080 at
24000/1001 in DNxHR HQ with PCM sound. It runs three ways on the same inputs, then joins
already-conformed masters by stream copy. Printed: wall times, ratios against bare ffmpeg, the
stillmotion process's peak memory (frames never pass through Python, so this process stays
small; MoviePy runs in a child process so its numpy frames do not count here) and the copy
join's realtime factor. Targets: <= 1.15x bare ffmpeg, >= 4x faster than MoviePy, < 200 MB,
copy join >= 100x realtime. ``--quick`` runs a small smoke version.

Run: ``python scripts/bench/stitch.py [--quick] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from importlib import metadata
from pathlib import Path

from stillmotion.media.conform import conform
from stillmotion.media.ffmpeg import ffmpeg_exe
from stillmotion.media.probe import probe
from stillmotion.media.segments import Segment
from stillmotion.media.stitch import stitch
from stillmotion.media.synth import ClipSpec, render_clip

TARGET_SIZE = (1920, 1080)
TARGET_RATE = Fraction(24000, 1001)
SOURCE = (1280, 720, Fraction(30))


def peak_mb() -> float:
    """This process's peak resident memory in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def make_clips(folder: Path, count: int, seconds: int) -> list[Path]:
    """Frame-coded 1280x720@30 H.264 + AAC clips (the generated-clip shape)."""
    width, height, rate = SOURCE
    frames = int(seconds * rate)
    return [
        render_clip(folder / f"clip{k}.mp4",
                    ClipSpec(width, height, rate, frames, audio_rate=48000, label=f"C{k}"))
        for k in range(count)
    ]


def bare_ffmpeg(clips: list[Path], output: Path) -> None:
    """The same job as one hand-written ffmpeg command (what an expert would type)."""
    width, height = TARGET_SIZE
    rate = f"{TARGET_RATE.numerator}/{TARGET_RATE.denominator}"
    parts = []
    for k in range(len(clips)):
        parts.append(f"[{k}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,"
                     f"pad={width}:{height}:-1:-1,setsar=1,fps={rate},format=yuv422p[v{k}]")
        parts.append(f"[{k}:a]aresample=48000[a{k}]")
    pads = "".join(f"[v{k}][a{k}]" for k in range(len(clips)))
    parts.append(f"{pads}concat=n={len(clips)}:v=1:a=1[v][a]")
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs,
         "-filter_complex", ";".join(parts), "-map", "[v]", "-map", "[a]",
         "-c:v", "dnxhd", "-profile:v", "dnxhr_hq", "-pix_fmt", "yuv422p",
         "-c:a", "pcm_s24le", "-ar", "48000", "-ac", "2", str(output)],
        check=True,
    )


def bare_copy_join(masters: list[Path], output: Path, folder: Path) -> None:
    """The copy join as one hand-written concat-demuxer command."""
    listing = folder / "bare_join.txt"
    listing.write_text("".join(f"file '{m}'\n" for m in masters), encoding="utf-8")
    output.unlink(missing_ok=True)
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "concat",
         "-safe", "0", "-i", str(listing), "-map", "0:v", "-map", "0:a", "-c", "copy",
         str(output)],
        check=True,
    )


def moviepy_job(output: Path, clips: list[Path]) -> None:
    """The same job in MoviePy (run in a child process); prints seconds and peak MB as JSON."""
    from moviepy import VideoFileClip, concatenate_videoclips

    start = time.perf_counter()
    width, height = TARGET_SIZE
    fitted = []
    for path in clips:
        clip = VideoFileClip(str(path))
        scale = min(width / clip.w, height / clip.h)
        clip = clip.resized(scale)
        if (clip.w, clip.h) != TARGET_SIZE:
            clip = clip.with_background_color(size=TARGET_SIZE, color=(0, 0, 0), pos="center")
        fitted.append(clip)
    final = concatenate_videoclips(fitted)
    final.write_videofile(
        str(output), fps=float(TARGET_RATE), codec="dnxhd", audio_codec="pcm_s24le",
        audio_fps=48000, ffmpeg_params=["-profile:v", "dnxhr_hq", "-pix_fmt", "yuv422p"],
        temp_audiofile_path=str(output.parent),  # MoviePy's temporary WAV, not in the cwd
        logger=None,
    )
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak_mb()}))


def cpu_seconds() -> float:
    """User + system CPU of this process and of every finished child (ffmpeg) so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, action: Callable[[], object]) -> tuple[float, float]:
    """Run ``action`` once; print and return its wall time and CPU time."""
    start, cpu = time.perf_counter(), cpu_seconds()
    action()
    wall, used = time.perf_counter() - start, cpu_seconds() - cpu
    print(f"  {label:<34} {wall:8.2f} s  (cpu {used:6.2f} s)", flush=True)
    return wall, used


def check(output: Path, frames: int) -> str:
    """'ok' when ``output`` is the expected size, rate and frame count."""
    video = probe(output, count_frames=True).require_video()
    ok = (video.size, video.rate, video.frame_count) == (TARGET_SIZE, TARGET_RATE, frames)
    return "ok" if ok else f"differs ({video.size}, {video.rate} fps, {video.frame_count} frames)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark stillmotion stitch.")
    parser.add_argument("--quick", action="store_true", help="3 clips of 2 s (smoke run)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    parser.add_argument("--repeat", type=int, default=2,
                        help="interleaved runs of stillmotion and bare ffmpeg (best counts)")
    parser.add_argument("--moviepy-job", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.moviepy_job:
        output, *clips = (Path(p) for p in args.moviepy_job)
        moviepy_job(output, clips)
        return 0
    count, seconds = (3, 2) if args.quick else (8, 8)
    with tempfile.TemporaryDirectory(prefix="stillmotion-bench-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        return run_bench(folder, count, seconds, max(1, args.repeat))


def run_bench(folder: Path, count: int, seconds: int, repeat: int) -> int:
    media_seconds = count * seconds
    frames = count * round(seconds * TARGET_RATE)
    print(f"stitch bench: {count} clips x {seconds} s 1280x720@30 H.264+AAC -> 1920x1080 "
          f"24000/1001 DNxHR HQ + PCM ({media_seconds} s, {frames} frames)")
    print(f"  ffmpeg {ffmpeg_exe()}\n  moviepy {metadata.version('moviepy')}")
    t0 = time.perf_counter()
    clips = make_clips(folder, count, seconds)
    print(f"  {'generating inputs':<34} {time.perf_counter() - t0:8.2f} s")
    ours_out, bare_out, movie_out = (folder / f"{n}.mov" for n in ("ours", "bare", "moviepy"))
    for path in (ours_out, bare_out, movie_out):
        path.unlink(missing_ok=True)

    def ours_job() -> None:
        stitch([Segment(c) for c in clips], ours_out, size=TARGET_SIZE, rate=TARGET_RATE,
               overwrite=True)

    bare_runs, ours_runs = [], []
    for _ in range(repeat):  # interleaved, best of each: the machine is shared
        bare_runs.append(timed("bare ffmpeg (one command)", lambda: bare_ffmpeg(clips, bare_out)))
        ours_runs.append(timed("stillmotion stitch", ours_job))
    ours_peak = peak_mb()
    bare, ours = min(bare_runs), min(ours_runs)

    def movie_job() -> None:
        child = subprocess.run(
            [sys.executable, __file__, "--moviepy-job", str(movie_out), *map(str, clips)],
            check=True, capture_output=True, text=True, cwd=folder,
        )
        movie.update(json.loads(child.stdout.strip().splitlines()[-1]))

    movie: dict[str, float] = {}
    _, movie_cpu = timed("moviepy (child process)", movie_job)
    print(f"  {'':<34} (job {movie['seconds']:.2f} s, peak {movie['peak_mb']:.0f} MB)")

    masters = folder / "masters"
    masters.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    conformed = [conform(c, masters / f"{c.stem}.mov", size=TARGET_SIZE, rate=TARGET_RATE,
                         overwrite=True) for c in clips]
    print(f"  {'conform each clip to a master':<34} {time.perf_counter() - t0:8.2f} s")
    joined = folder / "joined.mov"
    joined.unlink(missing_ok=True)
    outcome: dict[str, str] = {}

    def copy_join() -> None:
        outcome["method"] = stitch([Segment(m) for m in conformed], joined).method

    copy_seconds, _ = timed("stillmotion stitch of masters", copy_join)
    bare_joined = folder / "bare_joined.mov"
    bare_copy, _ = timed("bare ffmpeg concat copy of masters",
                         lambda: bare_copy_join(conformed, bare_joined, folder))
    megabytes = sum(m.stat().st_size for m in conformed) / 1e6

    print("\noutputs: stillmotion", check(ours_out, frames), "| bare", check(bare_out, frames),
          "| moviepy", check(movie_out, frames), "| copy join", check(joined, frames),
          f"({outcome['method']})")
    ratio = ours[0] / bare[0]
    speedup = movie["seconds"] / ours[0]
    realtime = media_seconds / copy_seconds
    rows = [
        ("stillmotion / bare ffmpeg", f"{ratio:.2f}x", "<= 1.15x", ratio <= 1.15),
        ("  same, cpu time", f"{ours[1] / bare[1]:.2f}x", "", True),
        ("moviepy / stillmotion", f"{speedup:.1f}x faster", ">= 4x", speedup >= 4),
        ("  same, cpu time", f"{movie_cpu / ours[1]:.1f}x less", "", True),
        ("stillmotion peak memory", f"{ours_peak:.0f} MB", "< 200 MB", ours_peak < 200),
        ("copy join speed", f"{realtime:.0f}x realtime", ">= 100x",
         realtime >= 100 and outcome["method"] == "copy"),
    ]
    print()
    print(f"  (best of {repeat} interleaved runs for stillmotion and bare ffmpeg)")
    for name, value, target, met in rows:
        verdict = f"target {target:<9} {'met' if met else 'MISSED'}" if target else ""
        print(f"  {name:<28} {value:>16}   {verdict}")
    print(f"\ncopy join moves {megabytes:.0f} MB: stillmotion {megabytes / copy_seconds:.0f} MB/s; "
          f"bare ffmpeg concat copy {megabytes / bare_copy:.0f} MB/s "
          f"({media_seconds / bare_copy:.0f}x realtime)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
