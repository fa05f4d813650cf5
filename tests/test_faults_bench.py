"""The fault benchmark at K = 2 jobs per kind, and the server faults it relies on.

The benchmark runs as a user runs it (``python scripts/bench/faults.py``); its matrix must show
every kind, each fault really fired, the expected failures with their reason, and the total
line with no duplicate create, no lost job and nothing half-written. Two jobs is the fewest that
still plays every kind (one refused and one placed for 429, policy and job failure); three kinds
at a time overlap their waits. The full 225-job run is the benchmark itself:
``python scripts/bench/faults.py`` (README "Benchmarks").
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from stillmotion.server import RunningServer
from support.videos_http import PREVIEW_JOB, create, error_of, wait

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench" / "faults.py"
KINDS = ("429-retry-after", "5xx-on-polls", "dropped-create", "slow-past-timeout",
         "truncated-download", "expired-content-url", "job-failure", "policy-refusal",
         "server-restart")
BENCH_TIMEOUT = 900
ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$")


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    """The bench in a session of its own: if the test times out, its ``stillmotion serve``
    children are stopped with it instead of outliving the run."""
    process = subprocess.Popen([sys.executable, str(BENCH), *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=BENCH_TIMEOUT)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.timeout(BENCH_TIMEOUT + 60)  # above the suite's 300 s: the machine may be busy
def test_bench_at_two_jobs_per_kind(tmp_path: Path) -> None:
    done = run_bench("--jobs-per-kind", "2", "--parallel", "3", "--keep", str(tmp_path / "bench"))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    rows = {m.group(1): [int(g) for g in m.groups()[1:]] for m in map(ROW.match, lines) if m}
    assert tuple(rows) == KINDS, done.stdout
    for kind, (jobs, completed, failed, creates, duplicates, lost, half) in rows.items():
        assert jobs == 2 and completed + failed == 2 and creates <= 2, (kind, done.stdout)
        assert (duplicates, lost, half) == (0, 0, 0), (kind, done.stdout)
    # The faults that make a job fail, fail exactly the jobs they hit, with their reason.
    assert rows["job-failure"][1:4] == [1, 1, 2]
    assert rows["policy-refusal"][1:4] == [1, 1, 2]
    assert rows["429-retry-after"][1:4] == [1, 1, 1]  # a 429 on create made no job
    text = done.stdout
    assert "failed 1: the job failed on the server" in text
    assert "failed 1: refused by policy (moderation)" in text
    assert "failed 1: rate-limited at create (nothing was created)" in text
    # Every other kind ends with both jobs placed, after its fault really fired.
    for kind in set(KINDS) - {"job-failure", "policy-refusal", "429-retry-after"}:
        assert rows[kind][1] == 2 and rows[kind][3] == 2, (kind, text)
    fired = {lines[i - 1].split()[0]: lines[i] for i in range(1, len(lines))
             if "faults fired:" in lines[i]}
    for kind, name in (("5xx-on-polls", "server_errors"), ("dropped-create", "drop_creates"),
                       ("slow-past-timeout", "slow"), ("expired-content-url",
                                                       "expire_downloads"),
                       ("server-restart", "server SIGKILLed and restarted 1")):
        assert name in fired[kind], (kind, text)
    assert "resubmitted (server never made it) 1" in fired["dropped-create"], text
    assert lines[-1] == "total: 18 jobs, 0 duplicate creates, 0 lost, 0 half-written", text
    assert "Traceback" not in done.stderr and "NOTE:" not in text


def test_a_dropped_create_makes_no_job(clean_server: RunningServer) -> None:
    clean_server.set_faults(drop_creates=1)
    with httpx.Client(base_url=clean_server.base_url, timeout=30) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/videos", json={"prompt": "never made", **PREVIEW_JOB})
        assert create(http, "made")["status"] == "queued"
    stats = clean_server.stats()
    assert stats["creates"] == {"made": 1}
    assert stats["faults_fired"] == {"drop_creates": 1}


def test_an_expired_download_answers_410_once(clean_server: RunningServer) -> None:
    with httpx.Client(base_url=clean_server.base_url, timeout=60) as http:
        video = wait(http, create(http, "expire me")["id"])
        clean_server.set_faults(expire_downloads=1)
        answer = http.get(f"/videos/{video['id']}/content")
        assert error_of(answer, 410)["code"] == "video_expired"
        assert http.get(f"/videos/{video['id']}/content").status_code == 200


def test_slow_answers_can_be_kept_to_one_method(clean_server: RunningServer) -> None:
    """A create held past the client's patience wakes to a closed connection and makes no job
    (the crash tests rely on this to kill a run while its create is being sent)."""
    clean_server.set_faults(slow=5, slow_methods=["POST"], delay_ms=1500)
    with httpx.Client(base_url=clean_server.base_url, timeout=0.5) as http:
        assert http.get("/videos").status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            http.post("/videos", json={"prompt": "held", **PREVIEW_JOB})
    time.sleep(2.0)  # past the hold
    stats = clean_server.stats()
    assert stats["faults_fired"] == {"slow": 1}
    assert stats["total_creates"] == 0 and stats["requests"]["POST /v1/videos"] == 1
