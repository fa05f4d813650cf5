#!/usr/bin/env python3
"""Install (or remove) stillmotion's DaVinci Resolve menu scripts for the current user.

Why a script and not a copy by hand: Resolve lists the files in per-OS user folders
(``Fusion/Scripts/Utility`` shows on every page, ``Edit`` on the Edit page), and the launchers
must find the Python environment that has stillmotion, which Resolve's own interpreter does not
know. So the launchers are copied into both folders together with ``stillmotion_resolve.ini``
recording this interpreter, its version, its site-packages, the ``stillmotion`` command (for the
Lua launcher) and the folder generated clips are kept in. The Lua launcher's modules go to
``Fusion/Modules/Lua/stillmotion_lua`` (every file in a Scripts menu folder would show as a menu
entry); the launcher finds them there from its own folder or the same per-user Fusion root.

Run it with the Python that has stillmotion installed::

    .venv/bin/python scripts/install_resolve_scripts.py [--uninstall] [--dry-run]
"""

from __future__ import annotations

import argparse
import configparser
import importlib.util
import io
import os
import shutil
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent / "resolve"
LAUNCHERS = ("stillmotion Generate.py", "stillmotion Generate (Lua).lua")
# Menu entries made from a launcher by changing one line (one launcher to maintain, not two):
# installed name -> (launcher, line in it, replacement line).
VARIANTS = {
    "stillmotion Generate for selected clips.py": (
        "stillmotion Generate.py", 'MODE = "generate"\n', 'MODE = "selection"\n'),
    "stillmotion Turnover.py": (
        "stillmotion Generate.py", 'MODE = "generate"\n', 'MODE = "turnover"\n'),
    "stillmotion Ingest versions.py": (
        "stillmotion Generate.py", 'MODE = "generate"\n', 'MODE = "ingest"\n'),
}
CONFIG_NAME = "stillmotion_resolve.ini"
MENUS = ("Utility", "Edit")
LUA_MODULES = "stillmotion_lua"  # the Lua launcher's modules: a folder of *.lua beside it here
OS_NAMES = ("darwin", "windows", "linux")


def current_os() -> str:
    """'darwin', 'windows' or 'linux' for this machine."""
    if sys.platform == "darwin":
        return "darwin"
    return "windows" if sys.platform.startswith(("win", "cygwin")) else "linux"


def scripts_root(os_name: str, home: Path, env: Mapping[str, str]) -> Path:
    """The per-user ``Fusion/Scripts`` folder Resolve reads on ``os_name``."""
    if os_name == "darwin":
        return (home / "Library" / "Application Support" / "Blackmagic Design" /
                "DaVinci Resolve" / "Fusion" / "Scripts")
    if os_name == "windows":
        appdata = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
        return (appdata / "Blackmagic Design" / "DaVinci Resolve" / "Support" / "Fusion" /
                "Scripts")
    if os_name == "linux":
        return home / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts"
    raise SystemExit(f"Unknown OS '{os_name}'; choose one of: {', '.join(OS_NAMES)}.")


def modules_folder(os_name: str, home: Path, env: Mapping[str, str]) -> Path:
    """Where the Lua launcher's modules go: ``Fusion/Modules/Lua/stillmotion_lua``."""
    return scripts_root(os_name, home, env).parent / "Modules" / "Lua" / LUA_MODULES


def lua_modules(source: Path) -> list[Path]:
    """The Lua launcher's module files in ``source``."""
    return sorted((source / LUA_MODULES).glob("*.lua"))


def interpreter_record(python: Path, cli: Path | None) -> str:
    """The ini text telling the launchers which Python, packages and command to use."""
    spec = importlib.util.find_spec("stillmotion")
    if spec is None or spec.origin is None:
        raise SystemExit("stillmotion is not importable by this Python; run the installer with "
                         "the Python you installed stillmotion into (e.g. .venv/bin/python).")
    package_root = Path(spec.origin).resolve().parent.parent
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                           str(package_root)])
    from stillmotion.resolve.workflow import media_root
    from stillmotion.settings import load_settings

    config = configparser.ConfigParser(interpolation=None)
    config["stillmotion"] = {
        "python": str(python),
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "site_packages": os.pathsep.join(paths),
        "cli": str(cli) if cli else "",
        "media_dir": str(media_root(load_settings())),
    }
    text = io.StringIO()
    config.write(text)
    return text.getvalue()


def find_cli(python: Path) -> Path | None:
    """The ``stillmotion`` console script installed beside ``python`` (for the Lua launcher)."""
    found = shutil.which("stillmotion", path=str(python.parent))
    return Path(found) if found else None


def install(*, home: Path, os_name: str, env: Mapping[str, str], dry_run: bool,
            python: Path, source: Path = HERE) -> list[Path]:
    """Copy the launchers and write the ini into each menu folder; returns the files written."""
    record = interpreter_record(python, find_cli(python))
    written = []
    for menu in MENUS:
        folder = scripts_root(os_name, home, env) / menu
        for name in LAUNCHERS:
            written.append(folder / name)
            say(dry_run, f"copy {source / name} -> {folder / name}")
            if not dry_run:
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / name, folder / name)
        for name, (launcher, line, replacement) in VARIANTS.items():
            written.append(folder / name)
            say(dry_run, f"write {folder / name} (from {launcher})")
            if not dry_run:
                text = (source / launcher).read_text(encoding="utf-8")
                if line not in text:
                    raise SystemExit(f"{source / launcher} has no line {line.strip()}; "
                                     "reinstall stillmotion and try again.")
                (folder / name).write_text(text.replace(line, replacement, 1), encoding="utf-8")
        written.append(folder / CONFIG_NAME)
        say(dry_run, f"write {folder / CONFIG_NAME} (python {python})")
        if not dry_run:
            (folder / CONFIG_NAME).write_text(record, encoding="utf-8")
    modules = modules_folder(os_name, home, env)
    for module in lua_modules(source):
        written.append(modules / module.name)
        say(dry_run, f"copy {module} -> {modules / module.name}")
        if not dry_run:
            modules.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(module, modules / module.name)
    return written


def uninstall(*, home: Path, os_name: str, env: Mapping[str, str], dry_run: bool) -> list[Path]:
    """Remove only the files this installer writes; folders and other scripts stay."""
    removed = []
    for menu in MENUS:
        folder = scripts_root(os_name, home, env) / menu
        for name in (*LAUNCHERS, *VARIANTS, CONFIG_NAME):
            target = folder / name
            if target.exists():
                removed.append(target)
                say(dry_run, f"remove {target}")
                if not dry_run:
                    target.unlink()
    modules = modules_folder(os_name, home, env)
    for target in sorted(modules.glob("*.lua")) if modules.is_dir() else []:
        removed.append(target)
        say(dry_run, f"remove {target}")
        if not dry_run:
            target.unlink()
    if modules.is_dir() and not dry_run and not any(modules.iterdir()):
        modules.rmdir()  # our own folder; Modules/Lua stays for other tools
    return removed


def say(dry_run: bool, text: str) -> None:
    print(("would " if dry_run else "") + text)


def main(argv: Sequence[str] | None = None, *, home: Path | None = None,
         env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--uninstall", action="store_true", help="remove the menu scripts")
    parser.add_argument("--dry-run", action="store_true", help="show what would change")
    parser.add_argument("--os", choices=OS_NAMES, default=current_os(), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    where = home if home is not None else Path.home()
    environment = env if env is not None else os.environ
    if args.uninstall:
        removed = uninstall(home=where, os_name=args.os, env=environment, dry_run=args.dry_run)
        if not removed:
            print("Nothing to remove: the stillmotion menu scripts are not installed.")
        return 0
    install(home=where, os_name=args.os, env=environment, dry_run=args.dry_run,
            python=Path(sys.executable))
    if not args.dry_run:
        print("Done: in Resolve, open Workspace > Scripts > stillmotion Generate or stillmotion "
              "Generate for selected clips (restart Resolve if it was running).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
