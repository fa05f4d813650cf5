"""Child-process bodies for the ledger tests: real processes racing on, or dying over, a ledger.

They live in an importable module because the tests start them with the ``spawn`` method, which
imports the target function by name in a fresh interpreter.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

from stillmotion.jobs.ledger import Ledger


def claim_rounds(
    rounds: list[tuple[str, str, bool]], barrier: Any, results: Any
) -> None:
    """For each (ledger path, request hash, new_take): wait for every racer, open, claim, report.

    Opening after the barrier makes the racers also race on creating a fresh ledger file. A
    failure is reported as a result (not a dead worker) so the test says what went wrong.
    """
    for path, request_hash, new_take in rounds:
        barrier.wait(timeout=60)
        try:
            with Ledger(path) as ledger:
                claim = ledger.claim(
                    request_hash, provider="preview", model="m", new_take=new_take
                )
        except Exception as exc:
            where = traceback.extract_tb((exc.__cause__ or exc).__traceback__)[-1].line
            results.put((path, request_hash, None, f"{exc!r} <- {exc.__cause__!r} at {where}", 0))
            continue
        results.put((path, request_hash, claim.is_new, claim.row.id, claim.row.take))


def crash_mid_job(path: str) -> None:
    """Leave one job in ``submitting`` and one in ``running``, then die without closing."""
    ledger = Ledger(path)
    first = ledger.claim("a" * 64, provider="openai", model="sora-2", prompt="first").row
    ledger.mark_submitting(first.id)
    second = ledger.claim("b" * 64, provider="openai", model="sora-2", prompt="second").row
    ledger.mark_submitting(second.id)
    ledger.record_submitted(second.id, "video_remote_2")
    ledger.advance(second.id, "running", progress=0.25)
    os._exit(3)  # no close, no checkpoint: what survives is what was committed to the WAL
