"""A new take's sound follows it in Resolve (the fake): the slot's old generated sound is
replaced by the new take's, linked to the picture; a take without sound (or with sound turned
off) leaves no stale generated sound; any failure puts the old sound back exactly."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stillmotion.errors import ResolveOperationError
from stillmotion.jobs.pipeline import GeneratedClip
from stillmotion.resolve import PlacedClip, generate_at_playhead
from stillmotion.settings import Settings
from support.fake_resolve import FakeMediaPool, FakeTimeline
from support.resolve_env import (
    Scene,
    SoundingPipeline,
    StandInPipeline,
    build_scene,
    generated_clips,
    pipeline,
    settings,
    voiced,
)

__all__ = ["generated_clips", "pipeline", "settings", "voiced"]  # fixtures


@pytest.fixture
def scene(make_clip: Callable[[str], Path]) -> Scene:
    return build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), playhead_offset=6)


def _run(scene: Scene, generate: Callable[..., GeneratedClip], settings: Settings, *,
         seconds: int, new_take: bool = False, audio: bool = True) -> PlacedClip:
    return generate_at_playhead(
        scene.resolve, prompt=f"she says hello, take of {seconds} s", seconds=seconds,
        settings=settings, new_take=new_take, generate=generate, audio=audio,
        sleep=scene.resolve.sleep, clock=scene.resolve.clock)


def _slot(timeline: FakeTimeline) -> Any:
    [picture] = timeline.tracks[1].items
    return picture


def test_a_take_with_sound_puts_its_sound_under_the_slot(
    scene: Scene, voiced: SoundingPipeline, settings: Settings
) -> None:
    first = _run(scene, voiced, settings, seconds=1)
    picture = _slot(scene.timeline)
    [old] = scene.timeline.audio_tracks[1].items
    assert old.media.path == first.clip.conformed

    second = _run(scene, voiced, settings, seconds=2, new_take=True)
    assert second.take == 2 and second.sound_track == 2
    assert picture.GetSelectedTakeIndex() == 2
    shown = picture.GetMediaPoolItem()
    assert shown.path == second.clip.conformed != first.clip.conformed
    [sound] = scene.timeline.audio_tracks[1].items  # the old sound is gone, not stacked
    assert sound.media is shown
    assert (sound.start, sound.duration) == (picture.start, picture.duration)
    assert sound.link is not None and sound.link == picture.link
    assert [len(t.items) for t in scene.timeline.audio_tracks] == [0, 1]


@pytest.mark.parametrize("muted", [False, True], ids=["silent take", "sound turned off"])
def test_a_take_without_sound_leaves_no_stale_generated_sound(
    scene: Scene, voiced: SoundingPipeline, pipeline: StandInPipeline, settings: Settings,
    muted: bool,
) -> None:
    _run(scene, voiced, settings, seconds=1)
    editors = scene.project.import_clip(scene.timeline.tracks[0].items[0].media.path)
    scene.timeline.put_sound(1, editors, scene.timeline.start_frame, 48)  # the editor's sound
    take = _run(scene, voiced if muted else pipeline, settings, seconds=2, new_take=True,
                audio=not muted)
    assert take.take == 2 and take.sound_track is None
    assert [len(t.items) for t in scene.timeline.audio_tracks] == [1, 0]
    assert scene.timeline.audio_tracks[0].items[0].media is editors  # never touched
    assert _slot(scene.timeline).link is None


def test_a_failed_new_sound_puts_the_old_sound_back(
    scene: Scene, voiced: SoundingPipeline, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(scene, voiced, settings, seconds=1)
    before, playhead = scene.timeline.snapshot(), scene.timeline.playhead
    real = FakeMediaPool.AppendToTimeline
    refused: list[int] = []

    def first_sound_refused(pool: FakeMediaPool, clips: list[dict[str, Any]]) -> Any:
        if clips[0].get("mediaType") == 2 and not refused:
            refused.append(1)
            return []
        return real(pool, clips)

    monkeypatch.setattr(FakeMediaPool, "AppendToTimeline", first_sound_refused)
    with pytest.raises(ResolveOperationError, match="track A2") as caught:
        _run(scene, voiced, settings, seconds=2, new_take=True)
    assert caught.value.operation == "AppendToTimeline" and refused == [1]
    # Take removed, old sound back on A2 at the same frames, linked to its picture again.
    assert scene.timeline.snapshot() == before
    assert scene.timeline.playhead == playhead
    assert scene.resolve.manager.saves == 1


@pytest.mark.parametrize("step", ["DeleteClips", "AddMarker"])
def test_a_failure_around_the_sound_swap_leaves_the_snapshot_unchanged(
    scene: Scene, voiced: SoundingPipeline, settings: Settings, step: str
) -> None:
    _run(scene, voiced, settings, seconds=1)
    before = scene.timeline.snapshot()
    if step == "DeleteClips":  # Resolve refuses to remove the old sound
        real = scene.timeline.DeleteClips

        def refuse_sound(items: list[Any], ripple: bool = False) -> bool:
            if any(item in scene.timeline.audio_tracks[1].items for item in items):
                return False
            return real(items, ripple)

        scene.timeline.DeleteClips = refuse_sound  # type: ignore[method-assign]
    else:  # the last step of the take fails after the sound was swapped
        scene.resolve.failures["AddMarker"] = False
    with pytest.raises(ResolveOperationError) as caught:
        _run(scene, voiced, settings, seconds=2, new_take=True)
    assert caught.value.operation == step
    assert scene.timeline.snapshot() == before


def test_a_take_leaves_the_sound_of_a_slot_stacked_at_the_same_frame(
    scene: Scene, voiced: SoundingPipeline, settings: Settings
) -> None:
    low = _run(scene, voiced, settings, seconds=1)
    high = _run(scene, voiced, settings, seconds=2)  # another span: the next AI track
    assert (low.track_index, high.track_index) == (2, 3)
    assert (low.sound_track, high.sound_track) == (2, 3)
    [low_sound] = scene.timeline.audio_tracks[1].items
    take = _run(scene, voiced, settings, seconds=1, new_take=True)  # onto the top-most slot
    assert take.track_index == 3 and take.sound_track == 3
    assert scene.timeline.audio_tracks[1].items == [low_sound]  # the lower slot keeps its own
    [new_sound] = scene.timeline.audio_tracks[2].items
    [top] = scene.timeline.tracks[2].items
    assert new_sound.media is top.GetMediaPoolItem() and new_sound.link == top.link
