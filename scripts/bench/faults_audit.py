"""How the fault benchmark counts: what became of every job, on the server and on disk.

Why a module of its own: the columns are the claim ("0 duplicate creates, 0 lost, 0
half-written"), so their exact meaning lives in one place, next to the code that counts them:

- completed: ledger rows that reached ``placed`` (the clip conformed and on a written timeline).
- failed: jobs that did not, each with the class of its one-sentence reason.
- creates: job creations the server counted (``/_stats``, summed over server restarts).
- duplicates: creates beyond one per requested job (per prompt; each job has its own prompt).
- lost: jobs the server completed that no ``placed`` ledger row names, after ``jobs resume``
  (and ``--resubmit`` where the server shows it never made the job).
- half-written: any ``.partial-*``, hidden or temp file, zero-size file, unreadable media or
  timeline left in the project folder, or a placed row whose clip or timeline is missing.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stillmotion.errors import StillmotionError
from stillmotion.media.probe import probe
from stillmotion.timeline.io import read_timeline

MEDIA_SUFFIXES = (".mp4", ".mov")
REASON_CLASSES = (
    ("moderation", "refused by policy (moderation)"),
    ("render failed on the server", "the job failed on the server"),
    ("rate limit", "rate-limited at create (nothing was created)"),
    ("expired", "the download had expired"),
)


@dataclass
class Outcome:
    """One fault kind's row of the matrix."""

    kind: str
    jobs: int
    completed: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    creates: int = 0
    duplicates: int = 0
    lost: int = 0
    half_written: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fired: Counter[str] = field(default_factory=Counter)
    recovery: Counter[str] = field(default_factory=Counter)


def reason_class(reason: str) -> str:
    """A failure reason shortened to its class (the first sentence when no class fits)."""
    lowered = reason.lower()
    for needle, label in REASON_CLASSES:
        if needle in lowered:
            return label
    first = reason.split(". ", maxsplit=1)[0].strip()
    return first if len(first) <= 70 else first[:69] + "…"


def ledger_rows(listing: str) -> list[dict[str, Any]]:
    """The rows of ``stillmotion jobs list --json`` output."""
    rows: list[dict[str, Any]] = json.loads(listing) if listing.strip() else []
    return rows


def count(outcome: Outcome, prompts: list[str], rows: list[dict[str, Any]],
          creates: Counter[str], videos: list[dict[str, Any]], project: Path) -> Outcome:
    """Fill ``outcome`` from the ledger rows, the server's counters and jobs, and the files."""
    by_prompt: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_prompt.setdefault(row["prompt"], []).append(row)
    held = {video["prompt"] for video in videos}
    for prompt in prompts:
        mine = by_prompt.get(prompt, [])
        if any(row["state"] == "placed" for row in mine):
            outcome.completed += 1
        elif not mine:
            outcome.failed["never sent (service unreachable), not in the ledger"] += 1
        else:
            outcome.failed[_unfinished(mine[-1], prompt in held)] += 1
    outcome.creates = sum(creates.values())
    outcome.duplicates = sum(max(0, n - 1) for n in creates.values())
    strangers = set(creates) - set(prompts)
    if strangers:
        outcome.notes.append(f"creates for prompts nobody asked for: {sorted(strangers)}")
    placed = {row["remote_id"] for row in rows if row["state"] == "placed"}
    outcome.lost = sum(1 for video in videos
                       if video["status"] == "completed" and video["id"] not in placed)
    outcome.half_written = half_written(project, rows)
    return outcome


def _unfinished(row: dict[str, Any], server_holds_it: bool) -> str:
    state = row["state"]
    if state == "failed":
        return reason_class(str(row.get("failure_reason") or "no reason recorded"))
    if state == "submitting":
        where = "the server holds a job for it" if server_holds_it else "the server has none"
        return f"interrupted while sending ({where})"
    return f"unfinished ({state}) after jobs resume"


def half_written(project: Path, rows: list[dict[str, Any]]) -> list[str]:
    """Every file under ``project`` that is partial, empty or unreadable, and every placed row
    whose conformed clip or timeline is missing."""
    bad: list[str] = []
    for path in sorted(project.rglob("*")):
        if not path.is_file():
            continue
        name = path.name
        hidden = any(part.startswith(".") for part in path.relative_to(project).parts)
        # A partial sibling (.name.partial-XXXX.ext), anything in a hidden scratch folder, or a
        # tempfile default name; not "tmp" anywhere in a name (a job id can contain it).
        if ".partial-" in name or hidden or name.startswith("tmp"):
            bad.append(f"{path.relative_to(project)} (temporary)")
        elif path.stat().st_size == 0:
            bad.append(f"{path.relative_to(project)} (empty)")
        elif not _readable(path):
            bad.append(f"{path.relative_to(project)} (unreadable)")
    for row in rows:
        if row["state"] != "placed":
            continue
        for key in ("conformed", "timeline"):
            target = row["files"].get(key)
            if not target or not Path(target).is_file():
                bad.append(f"{row['id']}: placed without its {key}")
    return bad


def _readable(path: Path) -> bool:
    """Media with at least one frame; a timeline its adapter reads; anything else as is."""
    try:
        if path.suffix.lower() in MEDIA_SUFFIXES:
            return probe(path).require_video().frame_count > 0
        if path.name.endswith(".otio"):
            read_timeline(path)
    except StillmotionError:
        return False
    return True
