"""Benchmark: what signing Content Credentials adds to the conform of one generated clip.

The job: a 4 s 1280x720@30 H.264 + AAC clip (the generated-clip shape) signed by a stand-in
vendor, conformed to 1920x1080 at 24000/1001 in DNxHR HQ + PCM (the default preset), then
signed by stillmotion with the download as its ingredient (hashing the whole master, reading
and carrying the vendor's manifest store). Printed: the conform's wall time, the signing's, and
signing as a share of the conform (the issue's target is under 10%), best of ``--repeat`` runs.
The vendor manifest is signed with the per-install development identity made in a temporary
data folder; nothing is asserted.

Run: ``python scripts/bench/sign.py [--repeat N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
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


def best(runs: list[float]) -> float:
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep the media in this folder.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        settings = Settings(data_dir=folder / "data")
        identity = chosen_identity(settings)
        assert identity is not None
        download = vendor_download(folder, settings)
        recipe = conform_recipe(download, "conformed to resolve-dnxhr-hq")
        conform_times, sign_times = [], []
        for k in range(args.repeat):
            master, signed = folder / f"master{k}.mov", folder / f"signed{k}.mov"
            start = time.perf_counter()
            conform(download, master, size=SIZE, rate=RATE)
            conform_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            sign_into(master, signed, recipe, identity)
            sign_times.append(time.perf_counter() - start)
        result = {
            "conform_s": round(best(conform_times), 3),
            "sign_s": round(best(sign_times), 3),
            "sign_share_of_conform": round(best(sign_times) / best(conform_times), 4),
            "master_mb": round(master.stat().st_size / 1e6, 1),
            "repeat": args.repeat,
        }
        print(json.dumps(result, indent=2))
        print(f"signing adds {100 * result['sign_share_of_conform']:.1f}% to the conform "
              f"of a 4 s 1080p clip (target: under 10%)")


if __name__ == "__main__":
    main()
