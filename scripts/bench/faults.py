"""Benchmark: what faults do to real jobs, through the real CLI, counted on the server and disk.

The job: for each fault kind, a fresh ``stillmotion serve --fast --test-mode`` subprocess and a
25 fps timeline with K prompt markers (K = ``--jobs-per-kind``, default 25); one
``stillmotion batch --from-markers`` process sends every marker to the server as a ``/v1/videos``
gateway (``--provider openai --base-url http://127.0.0.1:PORT/v1``, 64x36, 4 s, conformed to
128x72 ``h264-web``) while the fault plays. Then, as a user would after a bad run, with the
service healthy again: ``stillmotion jobs resume``; for each job left "interrupted while
sending", a look at the server's job list (the dashboard) and ``jobs resume ID --resubmit`` only
when the server never made it; and a second ``batch --overwrite`` if some marker was never sent.

Printed per kind: jobs, completed, failed (with each reason's class), creates counted by the
server, duplicate creates, lost jobs and half-written files (see faults_audit.py for the exact
meanings), then ``total: N jobs, D duplicate creates, L lost, H half-written``. Any traceback a
command printed is named under its kind.

Run: ``python scripts/bench/faults.py [--jobs-per-kind 25] [--kinds a,b] [--parallel N]
[--keep DIR]``. The full run (25 jobs for each of the 9 kinds, 225 jobs) is the benchmark; the
test suite runs every kind at 2 jobs (tests/test_faults_bench.py). ``--parallel N`` plays N
kinds at a time (each has its own server, folders and ledger anyway); most of a kind's time is
process start-up and waiting out timeouts, so this shortens the run without changing what is
counted. The default, 1, keeps the timings of one kind free of the others' load.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faults_audit import Outcome, count, ledger_rows
from faults_rig import Server, cli_env, marker_project, run_cli

POLICY_WORD = "forbidden"
RETRY_AFTER_MS = 300
SEND = ["--provider", "openai", "--model", "preview", "--size", "64x36", "--seconds", "4",
        "--preset", "h264-web", "--concurrency", "4", "--json"]
Hook = Callable[[Server, int, threading.Event], None]
IN_PROCESS = threading.Lock()
"""Held around the bench's own OpenTimelineIO and PyAV calls (writing the marker timeline,
auditing the results): OTIO's plugin manifest is not safe to load from two threads at once, so
``--parallel`` kinds take turns there (the jobs themselves run in ``stillmotion`` processes)."""


def limit_polls_after_creates(server: Server, jobs: int, done: threading.Event) -> None:
    """Once the 429s meant for creates have fired, answer the next 2K GETs (polls and
    downloads) 429 with Retry-After."""
    while not done.is_set():
        fired = server.admin("GET", "/_stats")["faults_fired"].get("rate_limit", 0)
        if fired >= _share(jobs, 10):
            server.set_faults(rate_limit=2 * jobs, rate_limit_methods=["GET"],
                              retry_after_ms=RETRY_AFTER_MS)
            return
        time.sleep(0.05)


def restart_mid_job(server: Server, jobs: int, done: threading.Event) -> None:
    """Once half the jobs are created, hold new creates at the door, SIGKILL the server while
    jobs are queued or rendering, and start it again on the same data folder and port."""
    while not done.is_set():
        stats = server.admin("GET", "/_stats")
        busy = [v for v in server.videos() if v["status"] in ("queued", "in_progress")]
        if stats["total_creates"] >= max(1, jobs // 2) and busy:
            break
        time.sleep(0.05)
    if done.is_set():
        return
    server.set_faults(slow=10**6, slow_methods=["POST"], delay_ms=600_000)
    time.sleep(1.0)  # a create already past the door finishes; later ones wait at it
    server.kill()
    time.sleep(1.0)
    server.start()


@dataclass(frozen=True)
class Kind:
    """One fault: its plan (from K), an optional hook run during the batch, CLI settings."""

    name: str
    plan: Callable[[int], dict[str, Any]]
    hook: Hook | None = None
    env: dict[str, str] = field(default_factory=dict)
    refused_prompts: Callable[[int], bool] = lambda index: False


def _share(jobs: int, divisor: int) -> int:
    return max(1, jobs // divisor)


KINDS: tuple[Kind, ...] = (
    # 429 + Retry-After: first on a few creates (refused, so nothing is made), then on polls.
    Kind("429-retry-after", lambda k: {"rate_limit": _share(k, 10), "rate_limit_methods": [
        "POST"], "retry_after_ms": RETRY_AFTER_MS}, hook=limit_polls_after_creates),
    Kind("5xx-on-polls", lambda k: {"server_errors": 2 * k}),  # GETs only: polls, downloads
    Kind("dropped-create", lambda k: {"drop_creates": _share(k, 5)}),
    # Polls and downloads answered after the client's 3 s timeout (creates are not slowed).
    Kind("slow-past-timeout", lambda k: {"slow": k, "slow_methods": ["GET"], "delay_ms": 5000},
         env={"STILLMOTION_REQUEST_TIMEOUT": "3"}),
    Kind("truncated-download", lambda k: {"truncate_downloads": _share(k, 2),
                                          "drop_downloads": _share(k, 2)}),
    Kind("expired-content-url", lambda k: {"expire_downloads": _share(k, 2)}),
    Kind("job-failure", lambda k: {"fail_jobs": _share(k, 5)}),
    Kind("policy-refusal", lambda k: {"moderation_words": [POLICY_WORD]},
         refused_prompts=lambda index: index % 5 == 1),
    Kind("server-restart", lambda k: {}, hook=restart_mid_job),
)


def prompts_for(kind: Kind, jobs: int) -> list[str]:
    """One distinct prompt per job (some carrying the moderation word for the policy kind)."""
    return [f"Shot {i + 1}: slow dolly in" + (f", {POLICY_WORD} scene"
                                              if kind.refused_prompts(i) else "")
            for i in range(jobs)]


def run_kind(kind: Kind, jobs: int, root: Path) -> Outcome:
    """One row of the matrix: fault, batch, recovery as a user would, then the audit."""
    folder = root / kind.name
    project = folder / "project"
    prompts = prompts_for(kind, jobs)
    with IN_PROCESS:
        timeline = marker_project(project, prompts)
    ledger = str(folder / "ledger.sqlite3")
    env = cli_env(folder, **kind.env)
    log = folder / "cli.log"
    server = Server(folder)
    server.start()
    outcome = Outcome(kind.name, jobs)
    try:
        batch = ["batch", str(timeline), "--from-markers", "--base-url", server.base_url,
                 "--ledger", ledger, *SEND]
        server.set_faults(**kind.plan(jobs))
        done = threading.Event()
        hook = threading.Thread(target=kind.hook, args=(server, jobs, done), daemon=True) \
            if kind.hook else None
        if hook is not None:
            hook.start()
        errors = [run_cli(batch, env, log)[2]]
        done.set()
        if hook is not None:
            hook.join(timeout=300)
        server.set_faults()  # the service is healthy again; now the user recovers
        errors += recover(server, batch, prompts, ledger, env, log, outcome)
        rows = ledger_rows(run_cli(["jobs", "list", "--ledger", ledger, "--json"], env, log)[1])
        videos = server.videos()
        server.harvest()
    finally:
        server.stop()
    with IN_PROCESS:
        count(outcome, prompts, rows, server.creates, videos, project)
    outcome.fired = server.fired
    if server.kills:
        outcome.fired["server SIGKILLed and restarted"] = server.kills
    if any("Traceback" in text for text in errors):
        outcome.notes.append(f"TRACEBACK printed by a command; see {log}")
    return outcome


def recover(server: Server, batch: list[str], prompts: list[str], ledger: str,
            env: dict[str, str], log: Path, outcome: Outcome) -> list[str]:
    """``jobs resume``; ``--resubmit`` for jobs the server shows it never made; a second batch
    when some marker never reached the ledger. Returns every command's stderr; counts each
    recovery step in ``outcome.recovery``."""
    before = ledger_rows(run_cli(["jobs", "list", "--ledger", ledger, "--json"], env, log)[1])
    outcome.recovery["resumed"] = sum(
        1 for row in before if row["state"] not in ("placed", "failed", "submitting"))
    errors = [run_cli(["jobs", "resume", "--ledger", ledger], env, log)[2]]
    rows = ledger_rows(run_cli(["jobs", "list", "--ledger", ledger, "--json"], env, log)[1])
    held = {video["prompt"] for video in server.videos()}
    for row in rows:
        if row["state"] == "submitting" and row["prompt"] not in held:
            outcome.recovery["resubmitted (server never made it)"] += 1
            errors.append(run_cli(["jobs", "resume", row["id"], "--resubmit", "--ledger",
                                   ledger], env, log)[2])
    if {row["prompt"] for row in rows} < set(prompts):
        outcome.recovery["batch run again"] += 1
        errors.append(run_cli([*batch, "--overwrite"], env, log)[2])
        errors.append(run_cli(["jobs", "resume", "--ledger", ledger], env, log)[2])
    return errors


def print_matrix(outcomes: list[Outcome]) -> None:
    """The matrix, the failure reasons and notes under each kind, then the total line."""
    head = ("kind", "jobs", "completed", "failed", "creates", "duplicates", "lost",
            "half-written")
    print(f"{head[0]:<20}" + "".join(f"{h:>13}" for h in head[1:]))
    for o in outcomes:
        cells = (o.jobs, o.completed, sum(o.failed.values()), o.creates, o.duplicates, o.lost,
                 len(o.half_written))
        print(f"{o.kind:<20}" + "".join(f"{c:>13}" for c in cells))
        fired = ", ".join(f"{name} {n}" for name, n in sorted(o.fired.items())) or "none"
        steps = ", ".join(f"{name} {n}" for name, n in sorted(o.recovery.items()) if n)
        print(f"{'':<20}  faults fired: {fired}; recovery: {steps or 'none needed'}")
        for reason, n in sorted(o.failed.items()):
            print(f"{'':<20}  failed {n}: {reason}")
        for item in o.half_written:
            print(f"{'':<20}  HALF-WRITTEN: {item}")
        for note in o.notes:
            print(f"{'':<20}  NOTE: {note}")
    total = sum(o.jobs for o in outcomes)
    print(f"total: {total} jobs, {sum(o.duplicates for o in outcomes)} duplicate creates, "
          f"{sum(o.lost for o in outcomes)} lost, "
          f"{sum(len(o.half_written) for o in outcomes)} half-written")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs-per-kind", type=int, default=25,
                        help="jobs (markers) per fault kind (default 25)")
    parser.add_argument("--kinds", default="", help="comma-separated kinds (default: all of "
                        + ", ".join(k.name for k in KINDS) + ")")
    parser.add_argument("--parallel", type=int, default=1,
                        help="fault kinds played at the same time (default 1)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    wanted = [k for k in args.kinds.split(",") if k]
    unknown = set(wanted) - {k.name for k in KINDS}
    if unknown or args.jobs_per_kind < 1 or args.parallel < 1:
        parser.error(f"unknown kinds {sorted(unknown)}" if unknown
                     else "--jobs-per-kind and --parallel must be 1 or more")
    kinds = [k for k in KINDS if not wanted or k.name in wanted]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="stillmotion-bench-faults-") as scratch:
        root = args.keep.absolute() if args.keep else Path(scratch)
        root.mkdir(parents=True, exist_ok=True)

        def play(kind: Kind) -> Outcome:
            outcome = run_kind(kind, args.jobs_per_kind, root)
            print(f"[{kind.name} done after {time.perf_counter() - started:.0f} s]", flush=True)
            return outcome

        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            outcomes = list(pool.map(play, kinds))  # in KINDS order, whatever finished first
        print_matrix(outcomes)


if __name__ == "__main__":
    main()
