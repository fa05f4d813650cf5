"""Switching takes shows the switched-to take's own facts (job, remote id, provenance, sound),
never those of the take shown before: two real jobs from the local server, through the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stillmotion.server import RunningServer, serve_in_background
from stillmotion.timeline.generated import GeneratedClip
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serve_in_background(data_dir=tmp_path_factory.mktemp("server"), fast=True,
                             test_mode=True) as running:
        yield running


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
    server: RunningServer, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project")
    local = ["--provider", "preview", "--base-url", server.base_url, *FAST, "--ledger",
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
