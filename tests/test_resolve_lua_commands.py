"""The Lua launcher's commands (free Resolve 21.1+) in LuaJIT against the fake and the real CLI:
batch on markers, a new take and fill-gap place their clips in the CURRENT timeline by the same
track rule as Python, and a failure part-way leaves the timeline as it was."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stillmotion.resolve.lua_bridge import main as bridge_main
from stillmotion.server import RunningServer
from support.fake_resolve import FakeResolve
from support.resolve_env import Scene, build_scene
from support.server import server_fixture

lupa = pytest.importorskip("lupa.luajit21")  # LuaJIT, as Resolve's Fusion scripting runs

NTSC_FILM = Fraction(24000, 1001)


@pytest.fixture(autouse=True)
def _private_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BASE_URL", "PROVIDER", "MODEL", "BUDGET", "DAILY_BUDGET", "LEDGER"):
        monkeypatch.delenv(f"STILLMOTION_{name}", raising=False)
    monkeypatch.setenv("STILLMOTION_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.setenv("STILLMOTION_SIZE", "320x180")  # a small render keeps the tests quick


@pytest.fixture
def lua() -> Any:
    runtime = lupa.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().STILLMOTION_LAUNCHER_TEST = True
    return runtime


@pytest.fixture
def config(tmp_path: Path) -> dict[str, str]:
    return {"cli": str(Path(sys.executable).with_name("stillmotion")),
            "python": sys.executable, "media_dir": str(tmp_path / "media")}


def command(lua: Any, resolve: FakeResolve, name: str, answers: dict[str, str],
            config: dict[str, str]) -> str:
    from support.lua_resolve import run_command  # needs lupa: imported once it is known present

    return run_command(lua, resolve, name, answers, config)


def ai_items(scene: Scene) -> list[tuple[str, int, int]]:
    from support.lua_resolve import ai_items as items

    return items(scene.resolve)


def test_batch_on_markers_places_one_clip_per_marker(
    lua: Any, make_clip: Callable[[str], Path], config: dict[str, str]
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, playhead_offset=3)
    scene.timeline.mark(86405, "Green", "slow dolly in", "steam rising")
    scene.timeline.mark(86440, "Green", "slow pan left")
    scene.timeline.mark(86420, "Blue", "not this one")
    scene.resolve.page = "color"
    message = command(lua, scene.resolve, "batch",
                      {"seconds": "1", "provider": "preview", "color": "Green"}, config)

    assert message == "2 clips placed on the current timeline."
    # 86405 + 24 overlaps nothing at 86440: both on the one AI track, at their markers.
    assert ai_items(scene) == [("AI Generated", 86405, 24), ("AI Generated", 86440, 24)]
    items = sorted(scene.timeline.tracks[1].items, key=lambda i: i.start)
    assert [i.media.third_party["stillmotion.prompt"] for i in items] == [
        "slow dolly in. steam rising", "slow pan left"]
    assert all(i.color == "Violet" and i.markers[0].custom_data for i in items)
    assert all(i.media.path.suffix == ".mov" for i in items)
    assert len(scene.project.timelines) == 1  # the current timeline, no new one
    assert scene.resolve.page == "color" and scene.timeline.playhead == 86403
    assert scene.resolve.manager.saves == 1
    # 21.0.4 has the call: background tasks paused once for the run, before the first clip.
    assert scene.resolve.called("DisableBackgroundTasksForCurrentResolveSession") == [()]
    assert scene.resolve.background_paused
    first = [name for _, name, _ in scene.resolve.calls].index
    assert first("DisableBackgroundTasksForCurrentResolveSession") < first("AppendToTimeline")


def test_older_builds_are_not_asked_to_pause_background_tasks(
    lua: Any, make_clip: Callable[[str], Path], config: dict[str, str]
) -> None:
    # On 20.2 the call is absent (a nil on Resolve's proxy): calling it would raise here.
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, playhead_offset=3,
                        version=(20, 2, 0))
    scene.timeline.mark(86405, "Green", "slow dolly in")
    message = command(lua, scene.resolve, "batch", {"seconds": "1", "provider": "preview"},
                      config)
    assert message == "1 clip placed on the current timeline."
    assert scene.resolve.called("DisableBackgroundTasksForCurrentResolveSession") == []
    assert not scene.resolve.background_paused
    assert ai_items(scene) == [("AI Generated", 86405, 24)]


def test_generate_then_a_new_take_goes_onto_the_generated_clip(
    lua: Any, make_clip: Callable[[str], Path], config: dict[str, str]
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, playhead_offset=6)
    command(lua, scene.resolve, "generate",
            {"prompt": "slow dolly in", "seconds": "1", "provider": "preview"}, config)
    # At the playhead on a new "AI Generated" track, as the Python front end places it.
    assert ai_items(scene) == [("AI Generated", 86406, 24)]
    [item] = scene.timeline.tracks[1].items
    first_job = item.media.third_party["stillmotion.job_id"]
    message = command(lua, scene.resolve, "take",
                      {"prompt": "slow dolly in, faster", "seconds": "1",
                       "provider": "preview"}, config)

    assert message == "1 clip placed on the current timeline."
    assert [i.name for i in scene.timeline.tracks] == ["Video 1", "AI Generated"]
    assert item.GetTakesCount() == 2 and item.GetSelectedTakeIndex() == 2
    take = item.GetMediaPoolItem()
    assert take.third_party["stillmotion.job_id"] != first_job
    assert item.markers[1].custom_data == take.third_party["stillmotion.job_id"]
    # The AI track was switched off only while the timeline was exported for the take.
    assert scene.resolve.called("SetTrackEnable") == [("video", 2, False), ("video", 2, True)]
    assert scene.resolve.manager.saves == 2
    assert scene.timeline.tracks[1].enabled


FAL_KEY = secrets.token_hex(8)  # made at run time: no key-like string in the repo
# The local server speaking fal's queue dialect: fill-gap needs a last-frame model.
fal_server = server_fixture(fast=False, require_key=FAL_KEY, workers=1)


def test_fill_gap_fills_exactly_the_gap(
    lua: Any, make_clip: Callable[[str], Path], config: dict[str, str],
    fal_server: RunningServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAL_KEY", FAL_KEY)
    monkeypatch.setenv("STILLMOTION_BASE_URL", fal_server.root_url)
    monkeypatch.setenv("STILLMOTION_MODEL", "fal-ai/kling-video/v2.1/pro/image-to-video")
    monkeypatch.delenv("STILLMOTION_SIZE")  # the model takes 1280x720 and up
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, left_offset=40,
                        playhead_offset=0)  # source frames 40-71 at 86400-86431
    media = scene.timeline.tracks[0].items[0].media
    scene.timeline.put(1, media, 86432 + 20, left_offset=0, duration=30)  # a 20-frame gap
    scene.timeline.playhead = 86440
    message = command(lua, scene.resolve, "fill-gap",
                      {"prompt": "the steam drifts to the right", "provider": "fal"},
                      config)

    assert message == "1 clip placed on the current timeline."
    assert ai_items(scene) == [("AI Generated", 86432, 20)]
    assert scene.timeline.playhead == 86440


def test_a_failure_part_way_leaves_the_timeline(
    lua: Any, make_clip: Callable[[str], Path], config: dict[str, str]
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, playhead_offset=3)
    scene.timeline.mark(86405, "Green", "slow dolly in")
    before = scene.timeline.snapshot()
    scene.resolve.failures["AddMarker"] = False
    with pytest.raises(lupa.LuaError, match=r"stillmotion: Resolve did not add the job marker"):
        command(lua, scene.resolve, "batch", {"seconds": "1", "provider": "preview"}, config)
    assert scene.timeline.snapshot() == before
    assert scene.resolve.manager.saves == 0


def test_the_bridge_answers_the_track_rule(tmp_path: Path) -> None:
    out = tmp_path / "answer.txt"
    assert bridge_main(["track", "--out", str(out), "1011|Video 1", "1011|AI Generated"]) == 0
    assert out.read_text() == "new\tAI Generated 2\n"
    assert bridge_main(["track", "--out", str(out), "1011|Video 1", "1000|AI Generated"]) == 0
    assert out.read_text() == "reuse\t2\tAI Generated\n"
    assert bridge_main(["track", "--out", str(out), "12|x"]) == 1


def test_the_bridge_answers_which_gated_calls_a_build_has(tmp_path: Path) -> None:
    out = tmp_path / "answer.txt"
    calls = ["Resolve.DisableBackgroundTasksForCurrentResolveSession",
             "Timeline.GetSelectedClips", "Timeline.SetTrackEnable"]
    for version, product, expected in (
            ("21.0.4.5.", "DaVinci Resolve Studio", "1\n1\n1\n"),
            ("21.0.3.1.", "DaVinci Resolve", "0\n0\n1\n"),
            ("17.4.0.0.", "DaVinci Resolve", "0\n0\n0\n"),
            ("", "DaVinci Resolve", "0\n0\n0\n")):  # a build that does not say
        assert bridge_main(["supports", "--out", str(out), version, product, *calls]) == 0
        assert out.read_text() == expected


def test_ai_tracks_come_back_on_when_the_export_fails(
    lua: Any, make_clip: Callable[[str], Path], config: dict[str, str]
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM)
    media = scene.timeline.tracks[0].items[0].media
    scene.timeline.add_track("AI Generated")
    scene.timeline.put(2, media, 86400, duration=24)
    scene.timeline.add_track("AI Generated 2", enabled=False)
    before = scene.timeline.snapshot()
    scene.resolve.failures["Export"] = False
    with pytest.raises(lupa.LuaError, match="did not export the timeline as OTIO"):
        command(lua, scene.resolve, "take", {"prompt": "again", "provider": "preview"}, config)
    assert scene.timeline.snapshot() == before
    assert scene.resolve.called("SetTrackEnable") == [("video", 2, False), ("video", 2, True)]


def test_extend_places_the_continuation_after_the_out_point(
    lua: Any, make_clip: Callable[[str], Path], config: dict[str, str]
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, left_offset=24,
                        playhead_offset=10)  # the shot: 86400-86447
    message = command(lua, scene.resolve, "extend",
                      {"prompt": "the camera keeps drifting", "seconds": "1",
                       "provider": "preview"}, config)
    assert message == "1 clip placed on the current timeline."
    assert ai_items(scene) == [("AI Generated", 86448, 24)]
    assert scene.timeline.playhead == 86410


def test_the_bridge_leaves_clips_no_job_made_as_exported(
    make_clip: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM)
    exported, annotated = tmp_path / "cut.otio", tmp_path / "cut-annotated.otio"
    assert scene.timeline.Export(str(exported), FakeResolve.EXPORT_OTIO)
    assert bridge_main(["annotate", str(exported), "--out", str(annotated)]) == 0
    out = tmp_path / "clips.txt"
    assert bridge_main(["clips", str(annotated), "--out", str(out)]) == 0
    assert out.read_text() == ""  # no ledger here: the camera clip stays a camera clip
    assert bridge_main(["annotate", "--out", str(out)]) == 2
    assert "reinstall the Resolve scripts" in capsys.readouterr().err
