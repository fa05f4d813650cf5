"""scripts/install_resolve_scripts.py against temporary home folders of each OS layout."""

from __future__ import annotations

import configparser
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = {
    "darwin": "Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
    "windows": "AppData/Roaming/Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts",
    "linux": ".local/share/DaVinciResolve/Fusion/Scripts",
}


@pytest.fixture(scope="module")
def installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "install_resolve_scripts", ROOT / "scripts" / "install_resolve_scripts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("os_name", sorted(LAYOUTS))
def test_install_and_uninstall_per_os(
    installer: ModuleType, tmp_path: Path, os_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    root = home / LAYOUTS[os_name]
    other = root / "Utility" / "someone else's script.py"
    other.parent.mkdir(parents=True)
    other.write_text("print('keep me')\n")

    assert installer.main(["--os", os_name], home=home, env={}) == 0
    for menu in ("Utility", "Edit"):
        for name in installer.LAUNCHERS:
            copied = root / menu / name
            assert copied.read_bytes() == (ROOT / "scripts" / "resolve" / name).read_bytes()
        launcher = (ROOT / "scripts" / "resolve" / "stillmotion Generate.py").read_text()
        for entry, mode in (("Generate for selected clips", "selection"),
                            ("Turnover", "turnover"), ("Ingest versions", "ingest")):
            variant = (root / menu / f"stillmotion {entry}.py").read_text()
            assert variant == launcher.replace('MODE = "generate"', f'MODE = "{mode}"')
            assert variant != launcher
        config = configparser.ConfigParser(interpolation=None)
        config.read(root / menu / "stillmotion_resolve.ini", encoding="utf-8")
        record = config["stillmotion"]
        assert record["python"] == sys.executable
        assert record["python_version"] == "{}.{}".format(*sys.version_info[:2])
        folders = record["site_packages"].split(os.pathsep)
        assert str(ROOT / "plugin") in folders  # the editable install's source root
        assert Path(record["cli"]).name.startswith("stillmotion")
        assert record["media_dir"]
    modules = home / LAYOUTS[os_name] / ".." / "Modules" / "Lua" / "stillmotion_lua"
    shipped = sorted((ROOT / "scripts" / "resolve" / "stillmotion_lua").glob("*.lua"))
    assert len(shipped) >= 7
    for module in shipped:
        assert (modules / module.name).read_bytes() == module.read_bytes()
    # Nothing but the menu entries in the menu folders (each file there is a menu entry).
    assert not list((root / "Utility").glob("*/*.lua"))
    assert "Done" in capsys.readouterr().out

    assert installer.main(["--uninstall", "--os", os_name], home=home, env={}) == 0
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == [other.name]
    assert (root / "Edit").is_dir()  # folders stay, only our files go


def test_windows_uses_appdata_when_set(installer: ModuleType, tmp_path: Path) -> None:
    appdata = tmp_path / "Roaming Elsewhere"
    installer.main(["--os", "windows"], home=tmp_path / "home", env={"APPDATA": str(appdata)})
    assert (appdata / "Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts/Utility" /
            "stillmotion Generate.py").is_file()
    assert not (tmp_path / "home").exists()


def test_dry_run_writes_nothing(
    installer: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    installer.main(["--dry-run", "--os", "linux"], home=home, env={})
    out = capsys.readouterr().out
    assert "would copy" in out and "would write" in out
    assert not home.exists()
    installer.main(["--os", "linux"], home=home, env={})
    installer.main(["--uninstall", "--dry-run", "--os", "linux"], home=home, env={})
    assert "would remove" in capsys.readouterr().out
    assert len(list(home.rglob("*.ini"))) == 2


def test_uninstall_when_nothing_is_installed(
    installer: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert installer.main(["--uninstall", "--os", "darwin"], home=tmp_path, env={}) == 0
    assert "Nothing to remove" in capsys.readouterr().out


def test_python_launcher_finds_its_config_and_hands_over(tmp_path: Path) -> None:
    """Run the installed Python launcher as Resolve would, without Resolve's globals."""
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home)}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "install_resolve_scripts.py"),
                    "--os", "linux"], env=env, check=True, capture_output=True)
    launcher = home / LAYOUTS["linux"] / "Utility" / "stillmotion Generate.py"
    clean = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-S", str(launcher)], env=clean,
                            capture_output=True, text=True, check=True)
    # It imported stillmotion from the recorded site-packages and reached the package's entry
    # point, which explains that Resolve's objects are missing outside Resolve.
    assert "run this from DaVinci Resolve's Workspace > Scripts menu" in result.stdout

    config = launcher.with_name("stillmotion_resolve.ini")
    config.write_text(config.read_text().replace("python_version = ", "python_version = 2."))
    result = subprocess.run([sys.executable, "-S", str(launcher)], env=clean,
                            capture_output=True, text=True, check=True)
    assert "but stillmotion was installed for Python 2." in result.stdout


@pytest.mark.parametrize("os_name", sorted(LAYOUTS))
def test_installed_lua_launcher_loads_the_installed_modules(
    tmp_path: Path, os_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the installed Lua menu script in LuaJIT: it finds its modules from its own folder."""
    lupa = pytest.importorskip("lupa.luajit21")
    home = tmp_path / "home"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "install_resolve_scripts.py"),
                    "--os", os_name], env={**os.environ, "HOME": str(home), "APPDATA": ""},
                   check=True, capture_output=True)
    fusion = (home / LAYOUTS[os_name]).parent
    for menu in ("Utility", "Edit"):
        lua = lupa.LuaRuntime(unpack_returned_tuples=True)
        lua.globals().STILLMOTION_LAUNCHER_TEST = True
        launcher = lua.globals().dofile(
            str(fusion / "Scripts" / menu / "stillmotion Generate (Lua).lua"))
        found = Path(str(launcher.modules.folder)).resolve()
        assert found == (fusion / "Modules" / "Lua" / "stillmotion_lua").resolve()
        for name in ("util", "session", "place", "generate", "new_timeline", "finishing", "ui"):
            assert launcher.modules.need(name) is not None

    # A chunk without a file name (some Resolve builds): found under the user's Fusion folder.
    if os_name == "linux":
        monkeypatch.setenv("HOME", str(home))
        lua = lupa.LuaRuntime(unpack_returned_tuples=True)
        lua.globals().STILLMOTION_LAUNCHER_TEST = True
        text = (fusion / "Scripts" / "Utility" / "stillmotion Generate (Lua).lua").read_text()
        launcher = lua.execute(text)
        assert Path(str(launcher.modules.folder)) == fusion / "Modules" / "Lua" / "stillmotion_lua"
