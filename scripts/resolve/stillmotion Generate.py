"""stillmotion: generate a clip from the frame under the playhead (Workspace > Scripts menu).

Thin on purpose: find the Python environment recorded by install_resolve_scripts.py, make its
packages importable, and hand Resolve's pre-bound objects to stillmotion.resolve.ui. Python menu
scripts run on DaVinci Resolve Studio, and on the free Resolve up to 21.0; on the free Resolve
21.1 and later use "stillmotion Generate (Lua)". The installer also installs this file as
"stillmotion Generate for selected clips.py" (MODE = "selection"), "stillmotion Turnover.py"
(MODE = "turnover") and "stillmotion Ingest versions.py" (MODE = "ingest").
"""

import configparser
import os
import site
import sys
from pathlib import Path
from typing import Any

MODE = "generate"
CONFIG_NAME = "stillmotion_resolve.ini"
# Where the installer puts this file, for Resolve builds that run menu scripts without __file__.
USER_SCRIPTS = {
    "darwin": Path("~/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/"
                   "Scripts").expanduser(),
    "win32": Path(os.environ.get("APPDATA", "~")).expanduser() / "Blackmagic Design" /
    "DaVinci Resolve" / "Support" / "Fusion" / "Scripts",
    "linux": Path("~/.local/share/DaVinciResolve/Fusion/Scripts").expanduser(),
}


# Signature annotations are quoted: Resolve's Python may be older than stillmotion's (3.10) and
# this file must still run far enough to say so (see main).
def config_path() -> "Path | None":
    folders: list[Path] = []
    if globals().get("__file__"):
        folders.append(Path(__file__).resolve().parent)
    root = USER_SCRIPTS.get(sys.platform, USER_SCRIPTS["linux"])
    folders += [root / "Utility", root / "Edit"]
    for folder in folders:
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    return None


def main(namespace: "dict[str, Any]") -> None:
    path = config_path()
    if path is None:
        print("stillmotion: not set up; run `python scripts/install_resolve_scripts.py` with the "
              "Python that has stillmotion, then try again.")
        return
    config = configparser.ConfigParser(interpolation=None)
    config.read(path, encoding="utf-8")
    record = config["stillmotion"]
    mine = "{}.{}".format(*sys.version_info[:2])
    wanted = record.get("python_version")
    if wanted != mine:
        print(f"stillmotion: Resolve runs Python {mine} but stillmotion was installed for Python "
              f"{wanted} ({record.get('python')}); install stillmotion with Python {mine}, or "
              f"point Resolve at Python {wanted}, then run the installer again.")
        return
    for folder in record.get("site_packages", "").split(os.pathsep):
        if folder:
            site.addsitedir(folder)
    try:
        from stillmotion.resolve.ui import run_menu_script
    except ImportError as exc:
        print(f"stillmotion: cannot import stillmotion from {record.get('site_packages')} "
              f"({exc}); run the installer again.")
        return
    run_menu_script(namespace, MODE)


main(globals())
