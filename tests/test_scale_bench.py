"""The scale benchmark, small: a few markers and a timeline just over the graph input limit.

Run as a user runs it (``python scripts/bench/scale.py``); its printed figures must show every
marker placed, the exact frame count, and no ffmpeg holding more files open than the input limit
allows (plus its standard streams, pipes and the graph script).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from stillmotion.media.assemble import GRAPH_INPUTS

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench" / "scale.py"
OVERHEAD_FILES = 8  # std streams, progress pipe, graph script (5 seen)


def test_scale_bench_small(tmp_path: Path) -> None:
    cuts = GRAPH_INPUTS + 2 * OVERHEAD_FILES
    done = subprocess.run([sys.executable, str(BENCH), "--shots", "3", "--clips", str(cuts),
                           "--keep", str(tmp_path / "bench")], capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert f"render: {cuts} cuts, {cuts * 4} frames written of {cuts * 4}" in out, out
    parts = re.search(r"render: peak open files (\d+) in one ffmpeg", out)
    naive = re.search(r"naive single graph .* peak open files (\d+)", out)
    assert parts is not None and naive is not None, out  # the bench reports both peaks
    parts_files, naive_files = int(parts[1]), int(naive[1])
    assert parts_files <= GRAPH_INPUTS + OVERHEAD_FILES < naive_files, out
    assert "batch: 3 markers, 3 clips placed" in out, out
    assert re.search(r"batch: peak memory \d+ MB", out), out
