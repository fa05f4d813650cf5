"""The Lua launcher's review, turnover and ingest (free Resolve 21.1+) in LuaJIT against the
fake Resolve and the real CLI: two shots are generated through the launcher itself (batch on
markers with the preview provider), so the ledger, downloads and result timelines are the ones
a user would have; Resolve's OTIO export drops our metadata and the bridge puts it back."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from support.resolve_env import Scene, build_scene

lupa = pytest.importorskip("lupa.luajit21")  # LuaJIT, as Resolve's Fusion scripting runs

from support.lua_resolve import ai_items, run_command  # noqa: E402  (needs lupa)

NTSC_FILM = Fraction(24000, 1001)
SHOTS = (86405, 86440)  # the markers: one generated clip of 24 frames at each


@pytest.fixture(autouse=True)
def _private_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BASE_URL", "PROVIDER", "MODEL", "BUDGET", "DAILY_BUDGET", "LEDGER"):
        monkeypatch.delenv(f"STILLMOTION_{name}", raising=False)
    monkeypatch.setenv("STILLMOTION_DATA_DIR", str(tmp_path / "user-data"))  # ledger in here
    monkeypatch.setenv("STILLMOTION_SIZE", "320x180")


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., str]:
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().STILLMOTION_LAUNCHER_TEST = True
    config = {"cli": str(Path(sys.executable).with_name("stillmotion")),
              "python": sys.executable, "media_dir": str(tmp_path / "media")}

    def command(scene: Scene, name: str, answers: dict[str, str], **options: Any) -> str:
        return run_command(lua, scene.resolve, name, answers, config, **options)
    return command


@pytest.fixture
def two_shots(make_clip: Callable[[str], Path], run: Callable[..., str]) -> Scene:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, playhead_offset=3)
    scene.timeline.mark(SHOTS[0], "Green", "slow dolly in")
    scene.timeline.mark(SHOTS[1], "Green", "slow pan left")
    assert run(scene, "batch", {"seconds": "1", "provider": "preview"}) == \
        "2 clips placed on the current timeline."
    assert ai_items(scene.resolve) == [("AI Generated", s, 24) for s in SHOTS]
    return scene


def test_review_writes_the_page_of_the_timelines_takes_and_opens_it(
    two_shots: Scene, run: Callable[..., str], tmp_path: Path
) -> None:
    scene = two_shots
    scene.resolve.page = "color"
    before = scene.timeline.snapshot()
    opened: list[str] = []
    message = run(scene, "review", {}, opened=opened)

    page = tmp_path / "media" / "Show" / "review.html"
    assert message == f"the review page is {page}."
    assert opened == [page.as_uri()]
    text = page.read_text(encoding="utf-8")
    # Both takes by their job ids (the clips' third-party metadata says which), with prompts.
    jobs = [i.media.third_party["stillmotion.job_id"] for i in scene.timeline.tracks[1].items]
    assert len(set(jobs)) == 2 and all(job in text for job in jobs)
    assert "slow dolly in" in text and "slow pan left" in text
    assert (page.parent / "review_assets").is_dir()
    assert scene.timeline.snapshot() == before and scene.resolve.page == "color"


def test_review_failure_leaves_the_timeline(
    two_shots: Scene, run: Callable[..., str], tmp_path: Path
) -> None:
    scene = two_shots
    before = scene.timeline.snapshot()
    shutil.rmtree(tmp_path / "user-data")  # no ledger: the export has no generated clip
    with pytest.raises(lupa.LuaError, match=r"stillmotion: The timeline .* has no generated"):
        run(scene, "review", {})
    assert scene.timeline.snapshot() == before


def test_turnover_writes_one_shot_folder_per_generated_clip(
    two_shots: Scene, run: Callable[..., str], tmp_path: Path
) -> None:
    scene = two_shots
    before = scene.timeline.snapshot()
    out = tmp_path / "to vfx"
    message = run(scene, "turnover", {"handles": "4", "format": "prores4444",
                                      "folder": str(out)})

    assert message.startswith(f"2 shots turned over to {out}")
    shots = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(shots) == 2
    jobs = {i.media.third_party["stillmotion.job_id"] for i in scene.timeline.tracks[1].items}
    records = [json.loads((s / f"{s.name}.json").read_text()) for s in shots]
    assert {r["job_id"] for r in records} == jobs
    assert all((s / f"{s.name}.mov").is_file() for s in shots)
    assert scene.timeline.snapshot() == before  # a turnover only writes files


def test_turnover_failure_leaves_the_timeline(
    two_shots: Scene, run: Callable[..., str], tmp_path: Path
) -> None:
    scene = two_shots
    before = scene.timeline.snapshot()
    with pytest.raises(lupa.LuaError, match=r"stillmotion: Unknown plate format 'tiff'"):
        run(scene, "turnover", {"format": "tiff", "folder": str(tmp_path / "out")})
    assert scene.timeline.snapshot() == before
    assert not (tmp_path / "out").exists()


def _versions(scene: Scene, run: Callable[..., str], tmp_path: Path) -> Path:
    """Turn the shots over, then return each plate as the artist's v002 (JSON beside it)."""
    turnover, returned = tmp_path / "turnover", tmp_path / "returned"
    run(scene, "turnover", {"handles": "4", "format": "prores4444", "folder": str(turnover)})
    for shot in sorted(p for p in turnover.iterdir() if p.is_dir()):
        version = shot.name.replace("_v001", "_v002")
        (returned / version).mkdir(parents=True)
        shutil.copyfile(shot / f"{shot.name}.mov", returned / version / f"{version}.mov")
        shutil.copyfile(shot / f"{shot.name}.json", returned / version / f"{shot.name}.json")
    return returned


def test_ingest_adds_the_artists_version_as_a_take_in_each_slot(
    two_shots: Scene, run: Callable[..., str], tmp_path: Path
) -> None:
    scene = two_shots
    returned = _versions(scene, run, tmp_path)
    items = sorted(scene.timeline.tracks[1].items, key=lambda i: i.start)
    jobs = [i.media.third_party["stillmotion.job_id"] for i in items]
    saves = scene.resolve.manager.saves
    message = run(scene, "ingest", {"folder": str(returned)})

    assert message.startswith("2 takes placed on the current timeline")
    assert ai_items(scene.resolve) == [("AI Generated", s, 24) for s in SHOTS]  # same slots
    for item, job in zip(items, jobs, strict=True):
        assert item.GetTakesCount() == 2 and item.GetSelectedTakeIndex() == 2
        take = item.GetMediaPoolItem()
        assert "_v002" in take.path.name and take.frames == 24  # handles cut off
        assert take.third_party["stillmotion.job_id"] == job  # the AI job it came from
        assert item.markers[1].custom_data == job
    assert scene.resolve.manager.saves == saves + 1


def test_ingest_failure_part_way_leaves_the_timeline(
    two_shots: Scene, run: Callable[..., str], tmp_path: Path
) -> None:
    scene = two_shots
    returned = _versions(scene, run, tmp_path)
    before = scene.timeline.snapshot()
    saves = scene.resolve.manager.saves
    scene.resolve.failures["AddMarker"] = False  # after AddTake and the colour
    with pytest.raises(lupa.LuaError, match=r"stillmotion: Resolve did not add the job marker"):
        run(scene, "ingest", {"folder": str(returned)})
    assert scene.timeline.snapshot() == before
    assert scene.resolve.manager.saves == saves
    assert all(i.GetTakesCount() == 0 for i in scene.timeline.tracks[1].items)
