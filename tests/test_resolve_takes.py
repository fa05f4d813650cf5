"""New takes: a generation added to the placed generated item with AddTake, not a new clip."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.errors import ResolveOperationError, TimelineError
from stillmotion.resolve import PlacedClip, generate_at_playhead
from stillmotion.settings import Settings
from support.resolve_env import (
    Scene,
    StandInPipeline,
    build_scene,
    generated_clips,
    pipeline,
    settings,
)

__all__ = ["generated_clips", "pipeline", "settings"]  # fixtures


def generate(scene: Scene, pipeline: StandInPipeline, settings: Settings, *, seconds: int,
             new_take: bool = False) -> PlacedClip:
    return generate_at_playhead(
        scene.resolve, prompt=f"take of {seconds} s", seconds=seconds, settings=settings,
        new_take=new_take, generate=pipeline, sleep=scene.resolve.sleep,
        clock=scene.resolve.clock,
    )


@pytest.fixture
def scene(make_clip: Callable[[str], Path]) -> Scene:
    return build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), playhead_offset=6)


def test_new_take_goes_onto_the_placed_item(
    scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    first = generate(scene, pipeline, settings, seconds=1)
    tracks_before = len(scene.timeline.tracks)
    second = generate(scene, pipeline, settings, seconds=2, new_take=True)

    assert len(scene.timeline.tracks) == tracks_before
    [item] = scene.timeline.tracks[1].items
    assert item.GetTakesCount() == 2 and item.GetSelectedTakeIndex() == 2
    assert item.GetMediaPoolItem().path == second.clip.conformed != first.clip.conformed
    assert second.take == 2 and second.record_frame == first.record_frame
    assert item.markers[1].custom_data == second.clip.job_id
    assert item.markers[0].custom_data == first.clip.job_id
    # The take belongs to the first clip's group and starts from the same still.
    (first_request, _), (take_request, _) = pipeline.calls
    assert take_request.new_take and take_request.take_group == first.clip.take_group
    assert take_request.image == first_request.image
    assert take_request.source is not None and take_request.source.grab == "first take"
    assert scene.timeline.playhead == first.record_frame
    assert scene.resolve.manager.saves == 2

    third = generate(scene, pipeline, settings, seconds=1, new_take=True)
    assert third.take == 3 and item.GetTakesCount() == 3
    assert item.markers[2].custom_data == third.clip.job_id


def test_take_needs_a_generated_clip_under_the_playhead(
    scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    with pytest.raises(TimelineError, match="No generated clip is under the playhead"):
        generate(scene, pipeline, settings, seconds=1, new_take=True)
    assert pipeline.calls == []


@pytest.mark.parametrize("existing_takes", [False, True])
def test_failed_take_is_undone(
    scene: Scene, pipeline: StandInPipeline, settings: Settings, existing_takes: bool
) -> None:
    generate(scene, pipeline, settings, seconds=1)
    if existing_takes:
        generate(scene, pipeline, settings, seconds=2, new_take=True)
        scene.timeline.tracks[1].items[0].SelectTakeByIndex(1)
    before = scene.timeline.snapshot()
    scene.resolve.failures["AddMarker"] = False
    with pytest.raises(ResolveOperationError, match="AddMarker returned False"):
        generate(scene, pipeline, settings, seconds=1, new_take=True)
    assert scene.timeline.snapshot() == before
