"""Switching takes shows the switched-to take's own facts (job, remote id, provenance, sound),
never those of the take shown before: two real jobs from the local server, through the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stillmotion.server import RunningServer
from stillmotion.timeline.generated import GeneratedClip
from stillmotion.timeline.metadata import GeneratedClipMetadata, TakeRecord
from stillmotion.timeline.takes import TAKE_IN_KEY, as_shown, remember_shown
from support.generate_env import (
    FAST,
    case_25,
    cli,
    cli_json,
    generated,
    isolate,
    small_clip,
    write_case,
)

SILENT = "Slow dolly in over 1 s; warm evening light"
SOUNDING = "Slow push in; city ambience and distant traffic sound"
PER_TAKE = ("remote_id", "provenance", "audio")


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


def _shown(path: Path) -> GeneratedClip:
    clips = [c for c in generated(path) if c.metadata is not None]
    assert len(clips) == 1, clips
    return clips[0]


def _facts(clip: GeneratedClip) -> dict[str, Any]:
    assert clip.metadata is not None
    return {"job_id": clip.metadata.job_id, "prompt": clip.metadata.prompt,
            "media": str(clip.clip.media_reference.target_url),
            **{key: clip.metadata.extra.get(key) for key in PER_TAKE}}


def test_takes_use_shows_each_takes_own_job_remote_id_provenance_and_sound(
    preview_server: RunningServer, media_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project")
    local = ["--provider", "preview", "--base-url", preview_server.base_url, *FAST, "--ledger",
             str(tmp_path / "ledger.sqlite3")]
    first = cli_json(capsys, "generate", str(source), "--at", case.at, "--prompt", SOUNDING,
                     *local)
    output = Path(first["timeline"])
    take1 = _facts(_shown(output))
    second = cli_json(capsys, "generate", str(source), "--at", case.at, "--prompt", SILENT,
                      "--new-take", "--overwrite", *local)
    take2 = _facts(_shown(output))
    assert (take1["job_id"], take2["job_id"]) == (first["job_id"], second["job_id"])
    assert take1["audio"] and take2["audio"]
    for key in ("job_id", "remote_id", "audio", "media"):
        assert take1[key] != take2[key], key  # two jobs that differ in their per-job facts
    assert take1["provenance"] and take2["provenance"]  # (the preview's are alike: kept too)

    flips = [("1", take1), ("2", take2), ("1", take1)]
    current = output
    for number, expected in flips:
        switched = tmp_path / "project" / f"use{number}-{len(list(tmp_path.rglob('use*')))}.otio"
        code, _out, err = cli(capsys, "takes", str(current), "--at", case.at, "--use", number,
                              "-o", str(switched))
        assert code == 0, err
        shown = _shown(switched)
        assert _facts(shown) == expected, number
        assert shown.metadata is not None and shown.metadata.take == int(number)
        assert [t.job_id for t in shown.metadata.takes] == [first["job_id"], second["job_id"]]
        current = switched


def test_a_take_record_without_facts_leaves_them_unset_and_keeps_the_slot() -> None:
    old = TakeRecord(take=1, job_id="job-1", media="/m/one.mov", prompt="first")
    shown = GeneratedClipMetadata(
        prompt="second", provider="preview", model="sora-2", job_id="job-2", seconds=4.0,
        size="320x180", source_clip="A001", take=2, take_group="group", link_id="link",
        takes=(old, TakeRecord(take=2, job_id="job-2", media="/m/two.mov", prompt="second")),
        crossfade_frames=6, conformed_file="/m/two.mov",
        extra={"remote_id": "video_2", "provenance": {"c2pa": True}, "audio": {"sound": True},
               TAKE_IN_KEY: {"1": 3}})
    slot = GeneratedClipMetadata.from_dict(remember_shown(shown).to_dict())  # round trip
    assert slot.takes[1].facts["remote_id"] == "video_2" and slot.takes[0].facts == {}

    first = as_shown(slot, slot.takes[0])
    assert (first.job_id, first.prompt, first.conformed_file) == ("job-1", "first",
                                                                  "/m/one.mov")
    for key in ("remote_id", "provenance", "audio"):
        assert key not in first.extra, key  # unknown for take 1: never take 2's
    assert (first.seconds, first.size, first.crossfade_frames) == (0.0, "", 0)
    assert (first.source_clip, first.take_group, first.link_id, first.take) == (
        "A001", "group", "link", 1)
    assert first.extra[TAKE_IN_KEY] == {"1": 3} and first.takes == slot.takes

    second = as_shown(remember_shown(first), slot.takes[1]).to_dict()
    expected = remember_shown(shown).to_dict()
    assert {k: v for k, v in second.items() if k != "takes"} == {
        k: v for k, v in expected.items() if k != "takes"}  # take 2 back exactly as it was
