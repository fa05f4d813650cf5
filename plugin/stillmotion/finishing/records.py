"""What a turnover tells people: the per-shot JSON, the CSV shot list and the EDL comments.

Why one module: the JSON beside a plate is also what ingest reads back to find a returned
version's shot, so its keys are written here and read here (:func:`read_shot_record`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stillmotion.finishing.plan import ShotPlan, timecodes
from stillmotion.media.plates import PlateFormat
from stillmotion.timeline.handoff import TurnoverEdit
from stillmotion.timeline.metadata import plain

RECORD_KIND = "stillmotion-turnover-shot"
RECORD_VERSION = 1
CSV_COLUMNS = (
    "shot", "name", "track", "clip", "record_in", "record_out", "cut_frames", "plate_first",
    "plate_last", "cut_first", "cut_last", "head_handle", "tail_handle", "format", "job_id",
    "provider", "model", "cost_estimate", "currency", "prompt",
)


def shot_record(plan: ShotPlan, fmt: PlateFormat, start_frame: int, colour_space: str,
                files: Sequence[str], still: str | None, *, timeline: Path) -> dict[str, Any]:
    """The per-shot JSON: prompt, job, cost, provenance, source clip, timecodes and plate."""
    meta = plan.metadata
    slot = plan.slot
    codes = timecodes(plan)
    cut_first = start_frame + plan.plate.head
    extra = plain(meta.extra)
    return {
        "kind": RECORD_KIND, "version": RECORD_VERSION,
        "shot": plan.shot, "name": plan.name, "task": plan.version.task,
        "shot_version": plan.version.version,
        "timeline": str(timeline.expanduser().absolute()), "track": slot.track_name,
        "clip": slot.clip_name,
        "prompt": meta.prompt, "provider": meta.provider, "model": meta.model,
        "job_id": meta.job_id, "take": meta.take, "take_group": meta.take_group,
        "cost_estimate": meta.cost_estimate, "currency": meta.currency,
        "provenance": {
            "original_download": str(plan.files.download or plan.download),
            "conformed": slot.media_path, "plate_from": str(plan.download),
            "job_in_ledger": plan.files.in_ledger, "preview": meta.preview,
            "created_at": meta.created_at, "remote_id": extra.get("remote_id"),
            "content": extra.get("provenance"),
        },
        "source_clip": {
            "name": meta.source_clip, "media": meta.source_media,
            "timecode": meta.source_timecode, "frame": meta.source_frame,
        },
        "record": {"in": codes["record_in"], "out": codes["record_out"],
                   "in_frame": slot.record_start, "frames": slot.duration},
        "source": {"media": str(plan.download), "in": codes["source_in"],
                   "out": codes["source_out"], "in_frame": slot.media_in},
        "plate": {
            "format": fmt.name, "description": fmt.description, "colour_space": colour_space,
            "files": list(files), "first_frame": start_frame,
            "last_frame": start_frame + plan.plate.count - 1, "frames": plan.plate.count,
            "cut_first_frame": cut_first, "cut_last_frame": cut_first + slot.duration - 1,
            "head_handle": plan.plate.head, "tail_handle": plan.plate.tail,
            "handles_requested": plan.plate.requested, "timecode": codes["plate_in"],
            "rate": str(plan.rate),
        },
        "still": still,
    }


def edit_entry(plan: ShotPlan, record: dict[str, Any], folder: Path,
               fmt: PlateFormat) -> TurnoverEdit:
    """The shot as an event of the turnover edit (EDL comments carry name and frame ranges)."""
    plate = record["plate"]
    if fmt.sequence:
        path = folder / plan.name / f"{plan.name}.%04d{fmt.suffix}"
    else:
        path = folder / plan.name / plate["files"][0]
    timecode_frame = plan.slot.record_start - plan.plate.head
    comments = (
        f"SHOT {plan.shot} NAME {plan.name}",
        f"FRAMES CUT {plate['cut_first_frame']}-{plate['cut_last_frame']} PLATE "
        f"{plate['first_frame']}-{plate['last_frame']} HANDLES {plan.plate.head}/"
        f"{plan.plate.tail}",
        f"AI JOB {plan.metadata.job_id} SOURCE {record['source']['in']}-{record['source']['out']}",
    )
    return TurnoverEdit(
        name=plan.name, reel=plan.shot[:8], record_start=plan.slot.record_start,
        duration=plan.slot.duration, plate=path, plate_start_frame=plate["first_frame"],
        plate_frames=plate["frames"], plate_timecode_frame=timecode_frame,
        head=plan.plate.head, sequence=fmt.sequence, comments=comments,
        metadata={"turnover": {k: record[k] for k in ("shot", "name", "job_id", "plate")}},
    )


def csv_text(records: Sequence[dict[str, Any]]) -> str:
    """The shot list, one row per shot, for a coordinator's spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        plate = r["plate"]
        writer.writerow([
            r["shot"], r["name"], r["track"], r["clip"], r["record"]["in"], r["record"]["out"],
            r["record"]["frames"], plate["first_frame"], plate["last_frame"],
            plate["cut_first_frame"], plate["cut_last_frame"], plate["head_handle"],
            plate["tail_handle"], plate["format"], r["job_id"], r["provider"], r["model"],
            "" if r["cost_estimate"] is None else r["cost_estimate"], r["currency"], r["prompt"],
        ])
    return out.getvalue()


def read_shot_record(path: Path) -> dict[str, Any] | None:
    """A turnover shot JSON, or None when ``path`` is not one (unreadable, other JSON)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("kind") != RECORD_KIND:
        return None
    return data
