"""Shared fixtures: synthetic clips with burnt-in frame numbers, rendered once per session."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.media.synth import ClipSpec, render_clip
from support.containers import render_container_clip

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
