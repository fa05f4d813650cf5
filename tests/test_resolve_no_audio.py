"""The Resolve dialog's *No audio* (``JobContext.no_audio``) asks the vendors for no sound too.

Two models with a sound switch (Runway's ``veo3.1_fast``: ``audio``; fal's Kling v2.6 pro:
``generate_audio``) run on one still against the real local server, through the same pipeline
as ``generate --no-audio``: each create carries its switch off, each downloaded original has no
sound, and the slot gets pictures only. Ticked off, the same models are asked for sound.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.jobs.choices import ModelChoice
from stillmotion.media.sound import file_has_sound
from stillmotion.resolve.models import generate_models
from stillmotion.server import RunningServer
from stillmotion.settings import Settings
from support.resolve_env import Scene, build_scene
from support.resolve_served import live, served, server

FAL_V26 = "fal-ai/kling-video/v2.6/pro/image-to-video"
CHOICES = [ModelChoice("runway", "veo3.1_fast"), ModelChoice("fal", FAL_V26)]
SWITCHES = {"runway": "audio", "fal": "generate_audio"}

__all__ = ["live", "served", "server"]  # fixtures


@pytest.fixture
def scene(make_clip: Callable[[str], Path]) -> Scene:
    return build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), left_offset=3,
                       playhead_offset=9, still_delay=0)


def _dialect_switches(server: RunningServer, prompt: str) -> dict[str, bool]:
    """Whether each dialect's job of ``prompt`` renders sound (the switch the server read)."""
    for _ in range(600):
        jobs = [r for r in server.service.store.jobs() if r.prompt == prompt]
        if len(jobs) == len(CHOICES):
            return {str(r.extra["dialect"]): bool(r.sound) for r in jobs}
        time.sleep(0.05)
    raise AssertionError(f"the jobs of {prompt!r} were not created")


@pytest.mark.parametrize("audio", [False, True])
def test_no_audio_in_resolve_asks_each_vendor_for_silence(
    audio: bool, live: RunningServer, served: Settings, scene: Scene
) -> None:
    prompt = f"Rain falls and thunder rolls, sound {'on' if audio else 'off'}"
    takes = generate_models(scene.resolve, CHOICES, prompt=prompt, seconds=None,
                            size=(1280, 720), grab="source", settings=served, audio=audio,
                            sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    assert [t.error for t in takes] == [None, None]
    assert _dialect_switches(live, prompt) == {"runway": audio, "fal": audio}
    for take in takes:
        assert take.placed is not None
        assert file_has_sound(take.placed.clip.original) is audio
    placed_sound = sum(len(t.items) for t in scene.timeline.audio_tracks[1:])
    assert (placed_sound > 0) is audio
