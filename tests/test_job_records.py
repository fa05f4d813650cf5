"""The typed job records: round trips, rows written before the records existed, and keys from
a newer stillmotion kept rather than dropped."""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stillmotion.jobs.ledger import SCHEMA_VERSION, Ledger, LedgerState
from stillmotion.jobs.records import (
    RECORD_VERSION,
    ConformSpec,
    GapFacts,
    JobContext,
    JobFiles,
    JobRequest,
    Provenance,
    ResolveSpot,
    SourceFacts,
    merged,
)
from stillmotion.jobs.store import MIGRATIONS

SOURCE = SourceFacts(clip="A001", media="/m/a001.mov", frame=29, timecode="10:00:01:04",
                     record_timecode="10:00:00:24")
FULL_REQUEST = JobRequest(prompt="slow dolly in", model="sora-2", size="1280x720", seconds=4,
                          source=SOURCE, remix_of="video_1", extend_of="video_2")
FULL_FILES = JobFiles(source_image=Path("/s/a.png"), last_source_image=Path("/s/b.png"),
                      image=Path("/m/j_first_frame.png"), last_image=Path("/m/j_last_frame.png"),
                      download=Path("/m/j_original.mp4"), conformed=Path("/m/j.mov"),
                      timeline=Path("/e/cut-2.otio"))
FULL_CONTEXT = JobContext(
    media_dir=Path("/m"), conform=ConformSpec(Fraction(24000, 1001), (1920, 1080), "h264-web",
                                              "crop"),
    timeline=Path("/e/cut.otio"), at="01:00:10:00", output=Path("/e/cut.ai.otio"),
    overwrite=True, for_resolve=True, record_frame=240, place_frames=36, tail_seconds=4,
    extends="sm_x", gap=GapFacts(10, 46, "A", "B", SourceFacts(clip="B", frame=0)),
    expires_at=1_790_000_000,
    provenance=Provenance(preview=True, c2pa=True, c2pa_manifest={"bytes": 10, "labels": []},
                          encoder="Lavf61"),
    download_sha256="ab" * 32, frames=96,
    resolve=ResolveSpot("Show", "Cut 1", 2, 86409, "01:00:00:09", take=2),
)


@pytest.mark.parametrize("record", [SOURCE, FULL_REQUEST, FULL_FILES, FULL_CONTEXT,
                                    JobRequest(), JobFiles(), JobContext(), Provenance()])
def test_every_record_survives_a_json_round_trip(record: Any) -> None:  # each has to/from_json
    data = record.to_json()
    again = type(record).from_json(json.loads(json.dumps(data)))
    assert again == record


def test_unknown_keys_are_tolerated_and_written_back() -> None:
    newer = {"prompt": "p", "models": ["veo-3.1", "sora-2"], "source": {"clip": "A",
             "lens": "35mm"}}
    request = JobRequest.from_json(newer)
    assert request.prompt == "p" and request.extra == {"models": ["veo-3.1", "sora-2"]}
    assert request.source == SourceFacts(clip="A", extra={"lens": "35mm"})
    assert request.to_json() == newer
    context = JobContext.from_json({"frames": 24, "silent_audio_added": True,
                                    "provenance": {"preview": False, "c2pa": True,
                                                   "c2pa_signer": "Example CA"}})
    assert context.extra == {"silent_audio_added": True}
    assert context.provenance == Provenance(c2pa=True, extra={"c2pa_signer": "Example CA"})
    assert context.to_json()["provenance"]["c2pa_signer"] == "Example CA"
    files = JobFiles.from_json({"conformed": "/m/j.mov", "proxy": "/m/j_proxy.mov"})
    assert list(files.paths()) == [Path("/m/j.mov"), Path("/m/j_proxy.mov")]


def test_a_merge_takes_what_the_patch_sets_and_keeps_the_rest() -> None:
    base = JobContext(media_dir=Path("/m"), frames=10, extra={"a": 1})
    patch = JobContext(frames=24, overwrite=True, extra={"b": 2})
    assert merged(base, patch) == JobContext(media_dir=Path("/m"), frames=24, overwrite=True,
                                             extra={"a": 1, "b": 2})
    assert merged(FULL_FILES, JobFiles()) == FULL_FILES


# What the ledger code before the records wrote (schema 1, no record version), byte for byte.
OLD_REQUEST = {"extend_of": None, "model": "preview", "prompt": "slow dolly in",
               "remix_of": None, "seconds": 1, "size": "320x180",
               "source": {"clip": "pal", "frame": 29, "media": "/m/pal.mov",
                          "record_timecode": "10:00:00:24", "timecode": "10:00:01:04"}}
OLD_CONTEXT = {"at": "10:00:00:24", "conform": {"fit": "letterbox", "preset": "h264-web",
                                                "rate": "25/1", "size": "320x180"},
               "download_sha256": "cd" * 32, "expires_at": None, "for_resolve": False,
               "frames": 25, "media_dir": "/e/stillmotion_media", "output": "/e/cut.ai.otio",
               "overwrite": False, "record_frame": None,
               "provenance": {"c2pa": False, "c2pa_manifest": None, "encoder": "Lavf61",
                              "preview": True},
               "source": OLD_REQUEST["source"], "timeline": "/e/cut.otio"}
OLD_FILES = {"conformed": "/e/stillmotion_media/sm_1_take1.mp4",
             "download": "/e/stillmotion_media/sm_1_take1_original.mp4",
             "image": "/e/stillmotion_media/sm_1_take1_first_frame.png",
             "source_image": "/e/stillmotion_media/stills/pal_f29.png"}
OLD_RESOLVE_REQUEST = {"prompt": "p", "source": {
    "host": "resolve", "project": "Show", "timeline": "Cut 1", "timecode": "01:00:00:09",
    "record_frame": 86409, "grab": "source", "clip": "A001", "still": "/c/s.png",
    "media": "/m/a001.mov", "source_frame": 13}}


def _old_ledger(path: Path) -> None:
    """A ledger file as stillmotion wrote it before the records: schema 1, two rows."""
    conn = sqlite3.connect(path)
    MIGRATIONS[0](conn)
    columns = ("id, request_hash, take, take_group, provider, base_url, model, size, seconds, "
               "prompt, state, goal, remote_id, request_json, files_json, context_json, "
               "cost_estimate, currency, created_at, updated_at")
    now = "2026-11-23T10:00:00.000000+00:00"
    conn.execute(f"INSERT INTO jobs ({columns}) VALUES ({', '.join('?' * 20)})", (
        "sm_1", "h1", 1, "g1", "preview", None, "preview", "320x180", 1, "slow dolly in",
        "conformed", "placed", "video_1", json.dumps(OLD_REQUEST), json.dumps(OLD_FILES),
        json.dumps(OLD_CONTEXT), "0.10", "USD", now, now))
    conn.execute(f"INSERT INTO jobs ({columns}) VALUES ({', '.join('?' * 20)})", (
        "sm_2", "h2", 1, "g2", "preview", None, "preview", "320x180", 1, "p", "placed",
        "placed", "video_2", json.dumps(OLD_RESOLVE_REQUEST), "{}",
        json.dumps({"resolve": {"project": "Show", "timeline": "Cut 1", "track": 2,
                                "record_frame": 86409, "timecode": "01:00:00:09",
                                "take": None}, "conform": OLD_CONTEXT["conform"]}),
        None, "USD", now, now))
    conn.execute("PRAGMA application_id = 1397574727")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_rows_written_before_the_records_load_as_records(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _old_ledger(path)
    with Ledger(path) as book:
        row = book.get("sm_1")
        resolve_row = book.get("sm_2")
    assert row.request.source == SourceFacts(clip="pal", media="/m/pal.mov", frame=29,
                                             timecode="10:00:01:04",
                                             record_timecode="10:00:00:24")
    assert row.files.conformed == Path(OLD_FILES["conformed"])
    assert row.files.source_image == Path(OLD_FILES["source_image"])
    context = row.context
    assert context.conform_spec() == ConformSpec(Fraction(25), (320, 180), "h264-web")
    assert (context.timeline, context.at, context.output) == (
        Path("/e/cut.otio"), "10:00:00:24", Path("/e/cut.ai.otio"))
    assert (context.frames, context.overwrite, context.record_frame) == (25, False, None)
    assert context.provenance == Provenance(preview=True, encoder="Lavf61")
    assert context.extra == {}  # the repeated source moved to the request only
    source = resolve_row.request.source
    assert source is not None and (source.host, source.frame, source.record_frame) == (
        "resolve", 13, 86409)  # "source_frame" of old Resolve rows is "frame" now
    assert resolve_row.context.resolve == ResolveSpot("Show", "Cut 1", 2, 86409,
                                                      "01:00:00:09")


def test_an_old_row_is_rewritten_in_the_current_shape_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _old_ledger(path)
    with Ledger(path) as book:
        before = book.get("sm_1")
        after = book.mark_placed("sm_1", files=JobFiles(timeline=Path("/e/cut.ai.otio")))
    assert after.state is LedgerState.PLACED
    assert (after.request, after.context) == (before.request, before.context)
    assert after.files == JobFiles(**{**before.files.__dict__,
                                      "timeline": Path("/e/cut.ai.otio")})
    conn = sqlite3.connect(path)
    version, context = conn.execute(
        "SELECT record_version, context_json FROM jobs WHERE id = 'sm_1'").fetchone()
    untouched = conn.execute("SELECT record_version FROM jobs WHERE id = 'sm_2'").fetchone()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    assert (version, untouched[0]) == (RECORD_VERSION, 0)
    assert "source" not in json.loads(context)


def test_a_row_from_a_newer_stillmotion_keeps_its_new_keys_through_an_update(
    tmp_path: Path
) -> None:
    with Ledger(tmp_path / "l.sqlite3") as book:
        row = book.claim("h", provider="preview", model="preview",
                         context=JobContext(media_dir=Path("/m"))).row
    conn = sqlite3.connect(tmp_path / "l.sqlite3")
    conn.execute("UPDATE jobs SET record_version = 7, context_json = ? WHERE id = ?",
                 (json.dumps({"media_dir": "/m", "models": ["a", "b"]}), row.id))
    conn.commit()
    conn.close()
    with Ledger(tmp_path / "l.sqlite3") as book:
        assert book.get(row.id).context.extra == {"models": ["a", "b"]}
        updated = book.update(row.id, context=JobContext(frames=12))
    assert updated.context == JobContext(media_dir=Path("/m"), frames=12,
                                         extra={"models": ["a", "b"]})
