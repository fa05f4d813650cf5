"""Benchmark: many concurrent jobs through one VideosClient against ``stillmotion serve``.

The job: N jobs (200 by default) run at once the way ``stillmotion batch`` runs them: one shared
:class:`~stillmotion.api.client.VideosClient` (the client core every dialect uses) and a thread
per job (``--concurrency``, default all), each job created, polled with the server's
``openai-poll-after-ms`` hint (stillmotion's own poll schedule) and downloaded (sniffed and
size-checked by the client). The server runs in a *subprocess* with
``--fast`` and tiny renders (64x64, 1 s), so its CPU and ffmpeg's do not count as the client's.
Printed: wall time and jobs per second; HTTP requests per job as the client sent them (retries
included) and as the server counted them (``/_stats``); client CPU seconds per job
(``time.process_time`` of this process, all threads: httpx, parsing, polling); and, for scale, the
server's CPU per job including its ffmpeg children.

Run: ``python scripts/bench/jobs.py [--jobs 200] [--concurrency N] [--workers 2]
[--poll-after-ms 500]``; ``--jobs 5`` is a quick smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from stillmotion.api.client import VideosClient
from stillmotion.api.polling import wait_for_job
from stillmotion.errors import StillmotionError

SIZE = "64x64"
SECONDS = 1
MODEL = "preview"


class CountingTransport(httpx.HTTPTransport):
    """Counts every request the client really sends (each retry too), by method, and the time
    until each answer's headers arrived (under a lock: the job threads share it)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: Counter[str] = Counter()
        self.latencies: list[float] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent[request.method] += 1
        start = time.perf_counter()
        response = super().handle_request(request)
        with self._lock:
            self.latencies.append(time.perf_counter() - start)
        return response


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, data_dir: Path, workers: int,
                 poll_after_ms: int) -> subprocess.Popen[bytes]:
    """``stillmotion serve --fast --test-mode`` in a child process; returns once it answers."""
    command = [sys.executable, "-c", "from stillmotion.cli import main; main()", "serve",
               "--port", str(port), "--data-dir", str(data_dir), "--fast", "--test-mode",
               "--workers", str(workers), "--poll-after-ms", str(poll_after_ms),
               "--log-level", "warning"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"stillmotion serve exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("stillmotion serve did not start within 60 s")


def one_job(client: VideosClient, index: int, out_dir: Path) -> str:
    """Create, wait, download one job; returns 'completed' or the error's class name."""
    try:
        video = client.create(f"bench job {index}: slow dolly in", model=MODEL,
                              seconds=SECONDS, size=SIZE)
        wait_for_job(lambda: client.poll(video.id), deadline_seconds=1800,
                     min_interval=0.5, max_interval=5.0)
        client.download(video.id, out_dir / f"{index}.mp4")
    except StillmotionError as exc:
        return type(exc).__name__
    return "completed"


def run_jobs(base_url: str, jobs: int, concurrency: int, out_dir: Path,
             transport: CountingTransport) -> Counter[str]:
    """Every job on one shared client, ``concurrency`` threads at a time (as batch runs them)."""
    with VideosClient(base_url, api_key="bench", transport=transport, timeout=120.0) as client, \
            ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(lambda i: one_job(client, i, out_dir), range(jobs)))
    return Counter(outcomes)


def server_stats(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=10) as answer:
        stats: dict[str, Any] = json.loads(answer.read())
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200, help="concurrent jobs (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="server render workers")
    parser.add_argument("--poll-after-ms", type=int, default=500,
                        help="the server's poll hint (default 500, the serve default)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="jobs running at once (default: all of them)")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="stillmotion-bench-jobs-") as scratch:
        root = Path(scratch)
        downloads = root / "downloads"
        downloads.mkdir()
        server = start_server(port, root / "server", args.workers, args.poll_after_ms)
        try:
            cpu_before = time.process_time()
            wall_before = time.perf_counter()
            transport = CountingTransport()
            outcomes = run_jobs(f"http://127.0.0.1:{port}/v1", args.jobs,
                                args.concurrency or args.jobs, downloads, transport)
            wall = time.perf_counter() - wall_before
            client_cpu = time.process_time() - cpu_before
            stats = server_stats(port)
            downloaded = sum(p.stat().st_size for p in downloads.iterdir())
        finally:
            server.terminate()
            server.wait(timeout=60)
    server_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    jobs = args.jobs
    sent = sum(transport.sent.values())
    print(f"jobs: {jobs} ({dict(outcomes)}) on {args.concurrency or jobs} threads, {SIZE}, "
          f"{SECONDS} s, model {MODEL}, server "
          f"--fast --workers {args.workers} --poll-after-ms {args.poll_after_ms}, "
          f"{os.cpu_count()} CPUs")
    print(f"wall time: {wall:.2f} s ({jobs / wall:.1f} jobs/s), {downloaded / 1e3:.0f} kB "
          "downloaded")
    print(f"HTTP requests per job: client sent {sent / jobs:.2f} "
          f"({', '.join(f'{m} {n / jobs:.2f}' for m, n in sorted(transport.sent.items()))}); "
          f"server counted {stats['total_requests'] / jobs:.2f}; creates seen "
          f"{stats['total_creates']} for {jobs} jobs")
    latencies = sorted(transport.latencies)
    print(f"answer latency: median {latencies[len(latencies) // 2] * 1000:.0f} ms, p95 "
          f"{latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms")
    print(f"client CPU: {client_cpu:.2f} s total, {client_cpu / jobs * 1000:.1f} ms per job")
    print(f"server CPU incl. ffmpeg (for scale): "
          f"{(server_cpu.ru_utime + server_cpu.ru_stime) / jobs * 1000:.0f} ms per job")


if __name__ == "__main__":
    main()
