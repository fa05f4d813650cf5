"""The Lua launcher (free Resolve 21.1+) run in LuaJIT against the fake Resolve and the real CLI.

LuaJIT comes from the lupa wheel; Resolve's Fusion scripting is LuaJIT too. Resolve objects are
called with ':' in Lua, so the fake's Python objects are wrapped in a Lua proxy that drops the
implicit self argument, as Resolve's own bridge does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from support.fake_resolve import FakeResolve
from support.resolve_env import build_scene

lupa = pytest.importorskip("lupa.luajit21")

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / "scripts" / "resolve" / "stillmotion Generate (Lua).lua"
WRAP = """
local function wrap(obj)
  if type(obj) ~= 'userdata' then return obj end
  return setmetatable({}, {__index = function(_, key)
    local member = obj[key]
    if type(member) == 'userdata' and python.builtins.callable(member) then
      return function(_, ...) return wrap(member(...)) end
    end
    return member
  end})
end
return wrap
"""


@pytest.fixture
def lua() -> Any:
    runtime = lupa.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().STILLMOTION_LAUNCHER_TEST = True
    return runtime


@pytest.fixture
def launcher(lua: Any) -> Any:
    return lua.globals().dofile(str(LAUNCHER))


@pytest.fixture(autouse=True)
def _private_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BASE_URL", "PROVIDER", "MODEL", "SIZE", "BUDGET", "DAILY_BUDGET", "LEDGER"):
        monkeypatch.delenv(f"STILLMOTION_{name}", raising=False)
    monkeypatch.setenv("STILLMOTION_DATA_DIR", str(tmp_path / "user-data"))


def call(lua: Any, launcher: Any, resolve: FakeResolve, answers: dict[str, str],
         config: dict[str, str]) -> tuple[str, Any]:
    # Fusion's bmd.wait is how the launcher pauses; the fake's still lands after its sleeps.
    lua.globals().bmd = lua.table_from({"wait": resolve.sleep})
    proxy = lua.execute(WRAP)(resolve)
    result: tuple[str, Any] = launcher.generate(proxy, lua.table_from(answers),
                                                lua.table_from(config))
    return result


def test_lua_launcher_generates_into_a_new_timeline(
    lua: Any, launcher: Any, make_clip: Callable[[str], Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STILLMOTION_SIZE", "320x180")  # a small render keeps the test quick
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), left_offset=4,
                        playhead_offset=9)
    scene.resolve.page = "fairlight"  # no playhead timecode there: the launcher moves to Edit
    cli = Path(sys.executable).with_name("stillmotion")
    config = {"cli": str(cli), "media_dir": str(tmp_path / "media")}
    answers = {"prompt": "slow dolly in over 1 s", "seconds": "1", "provider": "preview"}
    message, _ = call(lua, launcher, scene.resolve, answers, config)
    assert scene.resolve.page == "fairlight"

    assert "new timeline 'Cut 1 + AI" in message and "01:00:00:09" in message
    [original, generated] = scene.project.timelines
    assert scene.project.current_timeline is original
    assert original.playhead == 86409
    names = [t.name for t in generated.tracks]
    assert names[-1] == "AI Generated"
    [item] = generated.tracks[-1].items
    assert item.start == 86409 and item.duration == 24  # 1 s conformed to 23.976
    assert item.media.path.suffix == ".mov"
    [shot] = generated.tracks[0].items
    assert (shot.start, shot.left_offset) == (86400, 4)
    # The exported timeline and the command's log stay beside the media for provenance.
    folder = tmp_path / "media" / "Show"
    assert len(list(folder.glob("Cut_1-*.otio"))) == 2


def test_lua_launcher_reports_failures_in_one_sentence(
    lua: Any, launcher: Any, make_clip: Callable[[str], Path], tmp_path: Path
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001))
    config = {"cli": str(Path(sys.executable).with_name("stillmotion")),
              "media_dir": str(tmp_path / "media")}
    answers = {"prompt": "slow dolly in", "seconds": "3", "provider": "nope"}
    with pytest.raises(lupa.LuaError, match=r"stillmotion: Unknown provider 'nope'"):
        call(lua, launcher, scene.resolve, answers, config)
    assert len(scene.project.timelines) == 1

    scene.resolve.failures["Export"] = False
    with pytest.raises(lupa.LuaError, match="did not export the timeline as OTIO"):
        call(lua, launcher, scene.resolve, {"prompt": "x"}, config)
    with pytest.raises(lupa.LuaError, match="not set up"):
        call(lua, launcher, scene.resolve, {"prompt": "x"}, {"media_dir": str(tmp_path)})
    scene.resolve.manager.current = None
    with pytest.raises(lupa.LuaError, match="no project is open"):
        call(lua, launcher, scene.resolve, {"prompt": "x"}, config)


def test_export_needs_the_constant_not_a_string(make_clip: Callable[[str], Path],
                                                tmp_path: Path) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001))
    assert scene.timeline.Export(str(tmp_path / "a.otio"), "otio")
    assert not (tmp_path / "a.otio").exists()
    assert scene.timeline.Export(str(tmp_path / "b.otio"), FakeResolve.EXPORT_OTIO)
    assert (tmp_path / "b.otio").stat().st_size > 0


def test_launcher_reads_the_installer_ini_and_quotes_arguments(
    lua: Any, launcher: Any, tmp_path: Path
) -> None:
    (tmp_path / "stillmotion_resolve.ini").write_text(
        "[stillmotion]\npython = /x/python\ncli = /x/bin/stillmotion\n"
        "media_dir = /data/resolve media\n")
    config = launcher.read_config(lua.table_from([str(tmp_path / "missing"), str(tmp_path)]))
    assert (config.cli, config["media_dir"]) == ("/x/bin/stillmotion", "/data/resolve media")
    log = tmp_path / "out.log"
    argv = lua.table_from(["printf", "%s|", "it's", "a b", "$HOME"])
    assert launcher.run(argv, str(log))
    assert log.read_text() == "it's|a b|$HOME|"
    assert not launcher.run(lua.table_from(["false"]), str(log))


def test_every_lua_file_is_a_small_module_that_loads(launcher: Any) -> None:
    """The launcher is split into modules with one job each, none over the 450-line limit."""
    folder = LAUNCHER.parent / "stillmotion_lua"
    files = [LAUNCHER, *sorted(folder.glob("*.lua"))]
    assert len(files) >= 8
    for path in files:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 450, path.name
    assert Path(str(launcher.modules.folder)) == folder
    for path in files[1:]:
        assert launcher.modules.need(path.stem) is not None
