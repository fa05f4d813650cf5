"""Benchmark: what signing Content Credentials adds to the conform of one generated clip.

The job: a 4 s 1280x720@30 H.264 + AAC clip (the generated-clip shape) signed by a stand-in
vendor, conformed to 1920x1080 at 24000/1001 in DNxHR HQ + PCM (the default preset), then
signed by stillmotion with the download as its ingredient (hashing the whole master, reading
and carrying the vendor's manifest store). Each repetition conforms and then signs in the same
process, so both see the same machine load; the printed share is the median of the
per-repetition ratios sign/conform (the issue's target is under 10%).

Why CPU seconds too: on a shared two-core machine the wall clock of the single-threaded
signature and of the multi-threaded ffmpeg conform stretch differently with load, so the CPU
seconds (ffmpeg's as a child process, ours as this process) are printed beside the wall ratio
together with the load average before and after. Nothing is asserted.

Run: ``python scripts/bench/sign.py [--repeat N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from stillmotion.media.conform import conform
from stillmotion.media.credentials import chosen_identity, conform_recipe, sign_into
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.settings import Settings

SIZE = (1920, 1080)
RATE = Fraction(24000, 1001)


def vendor_download(folder: Path, settings: Settings) -> Path:
    """A 4 s generated-clip-shaped MP4 carrying a C2PA manifest, as a vendor would ship it."""
    plain = render_clip(folder / "plain.mp4",
                        ClipSpec(1280, 720, Fraction(30), 120, audio_rate=48000, label="V"))
    identity = chosen_identity(settings)
    assert identity is not None
    download = folder / "download.mp4"
    sign_into(plain, download, conform_recipe(plain, "vendor stand-in"), identity)
    return download


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Keep the media in this folder.")
    args = parser.parse_args()
    load_before = _load()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        settings = Settings(data_dir=folder / "data")
        identity = chosen_identity(settings)
        assert identity is not None
        download = vendor_download(folder, settings)
        recipe = conform_recipe(download, "conformed to resolve-dnxhr-hq")
        rows = []
        for k in range(args.repeat):
            master, signed = folder / f"master{k}.mov", folder / f"signed{k}.mov"
            wall, cpu = time.perf_counter(), _children_cpu()
            conform(download, master, size=SIZE, rate=RATE)
            conform_wall, conform_cpu = time.perf_counter() - wall, _children_cpu() - cpu
            wall, cpu = time.perf_counter(), time.process_time()
            sign_into(master, signed, recipe, identity)
            sign_wall, sign_cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows.append((conform_wall, sign_wall, conform_cpu, sign_cpu))
            size_mb = master.stat().st_size / 1e6
            master.unlink()
            signed.unlink()

        def median(i: int) -> float:
            return round(statistics.median(row[i] for row in rows), 3)

        share = statistics.median(row[1] / row[0] for row in rows)
        result = {
            "conform_s": median(0), "sign_s": median(1),
            "sign_share_of_conform": round(share, 4),
            "per_run_share": [round(row[1] / row[0], 4) for row in rows],
            "conform_cpu_s": median(2), "sign_cpu_s": median(3),
            "sign_cpu_share": round(statistics.median(row[3] / row[2] for row in rows), 4),
            "master_mb": round(size_mb, 1), "repeat": args.repeat,
            "load_before": load_before, "load_after": _load(),
        }
        print(json.dumps(result, indent=2))
        print(f"signing adds {100 * share:.1f}% (median of {args.repeat}) to the conform "
              f"of a 4 s 1080p clip (target: under 10%)")


if __name__ == "__main__":
    main()
