"""Shared fixtures: synthetic clips with burnt-in frame numbers, rendered once per session; and
private user folders for every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.media.synth import ClipSpec, render_clip
from support.containers import render_container_clip

# Where the product and the libraries it runs find the user's folders (settings.py reads the
# STILLMOTION_* pair; platformdirs reads the XDG_* ones on Linux). Tests must never touch the
# real ones: a test would pick up a developer's ledger or signing identity, and parallel
# workers (pytest-xdist) would share one ledger and race to create one identity.
USER_FOLDER_VARIABLES = {
    "STILLMOTION_DATA_DIR": "stillmotion-data",
    "STILLMOTION_CACHE_DIR": "stillmotion-cache",
    "XDG_DATA_HOME": "xdg-data",
    "XDG_CACHE_HOME": "xdg-cache",
    "XDG_CONFIG_HOME": "xdg-config",
    "XDG_STATE_HOME": "xdg-state",
}


def _point_user_folders(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    for variable, name in USER_FOLDER_VARIABLES.items():
        monkeypatch.setenv(variable, str(root / name))


@pytest.fixture(scope="session", autouse=True)
def worker_user_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """User folders for session- and module-scoped fixtures, one set per worker process."""
    root = tmp_path_factory.mktemp("worker-user-folders")
    with pytest.MonkeyPatch.context() as patch:
        _point_user_folders(patch, root)
        yield root


@pytest.fixture(autouse=True)
def user_folders(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fresh user data, cache and config folders for each test (kept apart from ``tmp_path``,
    whose contents some tests list). A test may still set its own STILLMOTION_DATA_DIR."""
    root = tmp_path_factory.mktemp("user-folders")
    _point_user_folders(monkeypatch, root)
    return root


# The clip shapes the issues name: generated-clip sizes and the editorial rates.
CLIP_SPECS: dict[str, ClipSpec] = {
    "landscape_30": ClipSpec(1280, 720, Fraction(30), 90, audio_rate=44100, label="L30"),
    "portrait_30": ClipSpec(720, 1280, Fraction(30), 90, audio_rate=48000, label="P30"),
    "wide_30_silent": ClipSpec(1792, 1024, Fraction(30), 90, audio_rate=None, label="W30"),
    "hd_23976_tc": ClipSpec(1920, 1080, Fraction(24000, 1001), 72, audio_rate=48000,
                            start_timecode="01:00:00:00", label="HD"),
    "ntsc_2997_df": ClipSpec(640, 360, Fraction(30000, 1001), 90, audio_rate=48000,
                             start_timecode="00:59:59;28", label="DF"),
}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of rendered fixture media for the whole session."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def make_clip(media_dir: Path) -> Callable[[str], Path]:
    """Render (once) and return the fixture clip named in CLIP_SPECS."""
    cache: dict[str, Path] = {}

    def make(name: str) -> Path:
        if name not in cache:
            spec = CLIP_SPECS[name]
            suffix = ".mov" if spec.start_timecode else ".mp4"
            cache[name] = render_clip(media_dir / f"{name}{suffix}", spec)
        return cache[name]

    return make


@pytest.fixture(scope="session")
def make_container(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Render (once per session) and return the container fixture named in
    support.containers.CONTAINER_CLIPS (camera and broadcast media with burnt-in codes)."""
    folder = tmp_path_factory.mktemp("containers")
    cache: dict[str, Path] = {}

    def make(name: str) -> Path:
        if name not in cache:
            cache[name] = render_container_clip(folder, name)
        return cache[name]

    return make


pytest_plugins = ("support.server",)  # preview_server, clean_server, make_server
