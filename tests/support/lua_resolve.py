"""Resolve objects as Lua sees them, for running the Lua launcher in LuaJIT (lupa) on the fake.

Why: Resolve's Lua bridge calls methods with ':' (the object is not passed again), hands lists
and dicts over as Lua tables (1-based), and takes Lua tables as lists and dicts. The proxy here
does the same for the fake's Python objects, so the launcher meets what it would meet in Resolve.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lupa import luajit21 as lupa

from support.fake_resolve import FakeResolve

LAUNCHER = Path(__file__).resolve().parents[2] / "scripts" / "resolve" / \
    "stillmotion Generate (Lua).lua"
PROXY = """
local get, call = ...
local function wrap(obj)
  return setmetatable({__obj = obj}, {__index = function(_, key)
    local kind, value = get(obj, key)
    if kind == 'method' then return function(_, ...) return call(obj, key, ...) end end
    return value
  end})
end
return wrap
"""


class LuaResolve:
    """Builds the Lua proxy of a fake Resolve inside one Lua runtime."""

    def __init__(self, lua: Any) -> None:
        self.lua = lua
        self.wrap = lua.execute(PROXY, self._get, self._call)

    def proxy(self, resolve: FakeResolve) -> Any:
        return self.wrap(resolve)

    def _get(self, obj: Any, key: str) -> tuple[str, Any]:
        value = getattr(obj, key, None)
        if callable(value):
            return "method", None
        return "value", self.to_lua(value)

    def _call(self, obj: Any, key: str, *args: Any) -> Any:
        return self.to_lua(getattr(obj, key)(*[self.to_py(arg) for arg in args]))

    def to_lua(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return self.lua.table_from([self.to_lua(v) for v in value])
        if isinstance(value, dict):
            return self.lua.table_from({k: self.to_lua(v) for k, v in value.items()})
        if hasattr(value, "root") and isinstance(getattr(value, "root", None), FakeResolve):
            return self.wrap(value)
        return value

    def to_py(self, value: Any) -> Any:
        if lupa.lua_type(value) != "table":
            return value
        inner = value["__obj"]
        if inner is not None:
            return inner
        keys = list(value.keys())
        if keys and all(isinstance(k, int) for k in keys):
            return [self.to_py(value[k]) for k in sorted(keys)]
        return {k: self.to_py(v) for k, v in value.items()}


def run_command(lua: Any, resolve: FakeResolve, name: str, answers: dict[str, str],
                config: dict[str, str], *, opened: list[str] | None = None) -> str:
    """Run the Lua launcher's command ``name`` on ``resolve`` in ``lua``; its message.

    Fusion's ``bmd.wait`` is the fake's sleep; ``bmd.openurl`` records into ``opened``.
    """
    launcher = lua.globals().dofile(str(LAUNCHER))
    bmd: dict[str, Callable[..., None]] = {"wait": resolve.sleep}
    if opened is not None:
        bmd["openurl"] = opened.append
    lua.globals().bmd = lua.table_from(bmd)
    proxy = LuaResolve(lua).proxy(resolve)
    return str(launcher.command(proxy, name, lua.table_from(answers), lua.table_from(config)))


def ai_items(resolve: FakeResolve) -> list[tuple[str, int, int]]:
    """(track, start, duration) of every item on the current timeline's AI tracks."""
    project = resolve.manager.current
    timeline = project.current_timeline if project is not None else None
    assert timeline is not None, "no current timeline"
    return sorted((t.name, i.start, i.duration) for t in timeline.tracks
                  if t.name.startswith("AI Generated") for i in t.items)
