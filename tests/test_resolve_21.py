"""Resolve 21: version gating, the fake's 21.0.4 quirks, and the viewer grab over AI tracks."""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stillmotion.errors import ResolveOperationError, TimelineError
from stillmotion.resolve import PlacedClip, generate_at_playhead
from stillmotion.resolve import versions as versions_mod
from stillmotion.resolve.session import ResolveSession
from stillmotion.resolve.workflow import GenerateFn
from stillmotion.settings import Settings
from support.fake_resolve import ADDED_IN, FakeResolve
from support.framecode import luma_of_image, read_code
from support.resolve_env import (
    Scene,
    StandInPipeline,
    build_scene,
    generated_clips,
    pipeline,
    settings,
)

__all__ = ["generated_clips", "pipeline", "settings"]  # fixtures

NTSC_FILM = Fraction(24000, 1001)
NTSC_VIDEO = Fraction(30000, 1001)


def run_generate(scene: Scene, pipeline: GenerateFn, settings: Settings,
                 **options: Any) -> PlacedClip:
    kwargs: dict[str, Any] = {"prompt": "slow dolly in, steam rising", "seconds": 1}
    kwargs.update(options)
    return generate_at_playhead(
        scene.resolve, settings=settings, generate=pipeline, sleep=scene.resolve.sleep,
        clock=scene.resolve.clock, **kwargs,
    )


def enabled(scene: Scene) -> list[bool]:
    return [t.enabled for t in scene.timeline.tracks]


# --- version gating ------------------------------------------------------------------------

@pytest.mark.parametrize(("reported", "version"), [
    ([21, 0, 4, 5, "b"], (21, 0, 4)), ("21.0.4.5", (21, 0, 4)), ("20.2", (20, 2, 0)),
    ({1: 19, 2: 1, 3: 3, 4: 7, 5: ""}, (19, 1, 3)), (None, (0, 0, 0)), ("", (0, 0, 0)),
    ("21.1b2", (21, 1, 0)),
])
def test_version_is_read_from_what_resolve_reports(reported: object,
                                                   version: tuple[int, int, int]) -> None:
    assert versions_mod.parse_version(reported) == version


def test_the_table_agrees_with_the_fake_and_not_with_hasattr() -> None:
    for call, since in versions_mod.CALLS.items():
        method = call.split(".")[1]
        if method in ADDED_IN:
            assert since.version == ADDED_IN[method], call
    old = FakeResolve(version=(20, 2, 0))
    project = old.add_project()
    timeline = project.add_timeline("T", rate=Fraction(24))
    # hasattr answers True for any name, so it tells nothing; calling what 20.2 lacks raises.
    assert hasattr(timeline, "GetSelectedClips") and hasattr(old, "NoSuchCall")
    with pytest.raises(TypeError):
        timeline.GetSelectedClips()
    with pytest.raises(TypeError):
        old.DisableBackgroundTasksForCurrentResolveSession()
    session = ResolveSession(old)
    assert session.version == (20, 2, 0)
    assert not session.supports("Timeline.GetSelectedClips")
    assert session.supports("Timeline.SetTrackEnable")
    assert not session.quiet_background()
    new = ResolveSession(FakeResolve())
    assert new.supports("Timeline.GetSelectedClips") and new.quiet_background()
    assert new.resolve.background_paused  # type: ignore[attr-defined]


def test_delete_clips_acts_only_on_the_current_timeline(
    make_clip: Callable[[str], Path]
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM)
    [item] = scene.timeline.tracks[0].items
    scene.project.add_timeline("Cut 2", rate=NTSC_FILM)  # now the current one
    assert scene.timeline.DeleteClips([item]) is False
    assert scene.timeline.tracks[0].items == [item]
    scene.project.current_timeline = scene.timeline
    assert scene.timeline.DeleteClips([item], False) is True
    assert scene.timeline.tracks[0].items == []


# --- viewer grab over AI tracks ------------------------------------------------------------

@pytest.fixture(params=["23.976", "29.97 DF"])
def busy_scene(request: pytest.FixtureRequest, make_clip: Callable[[str], Path]) -> Scene:
    """A shot with a disabled B-roll track above it and the playhead inside (frame 30 of the
    source), on a 23.976 timeline at 01:00:00:00 or a 29.97 drop-frame one."""
    if request.param == "23.976":
        scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, left_offset=10,
                            playhead_offset=20)
    else:
        scene = build_scene(make_clip("ntsc_2997_df"), rate=NTSC_VIDEO, drop_frame=True,
                            start="01:00:00;00", record_frame=107892 + 1800 - 20,
                            left_offset=10, playhead_offset=20)
    scene.timeline.add_track("B-roll", enabled=False)
    return scene


def test_viewer_route_over_a_busy_ai_track_adds_a_take_in_the_slot(
    busy_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = busy_scene
    first = run_generate(scene, pipeline, settings)
    assert (first.track_index, first.track_name) == (3, "AI Generated")
    # A disabled AI track above stays as it is, and is not touched.
    scene.timeline.add_track("AI Generated 2", enabled=False)
    states = enabled(scene)
    assert states == [True, False, True, False]
    scene.resolve.calls.clear()

    again = run_generate(scene, pipeline, settings, prompt="another take, push in harder")

    assert again.take == 2 and (again.track_index, again.record_frame) == (3, first.record_frame)
    [item] = scene.timeline.tracks[2].items
    assert item.GetTakesCount() == 2 and item.GetSelectedTakeIndex() == 2
    assert item.markers[1].custom_data == again.clip.job_id
    # The still is the shot (source frame 30), not the generated clip that covered it, and only
    # the enabled AI track was switched off for the export, then back on.
    request, _ = pipeline.calls[-1]
    assert read_code(luma_of_image(request.image)) == 30
    assert request.source is not None and request.source.grab == "viewer"
    assert scene.resolve.called("SetTrackEnable") == [("video", 3, False), ("video", 3, True)]
    assert enabled(scene) == states
    assert scene.timeline.playhead == first.record_frame
    assert scene.resolve.manager.saves == 2


def test_a_new_clip_of_another_span_goes_on_the_next_ai_track(
    busy_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = busy_scene
    first = run_generate(scene, pipeline, settings)
    states = enabled(scene)
    longer = run_generate(scene, pipeline, settings, prompt="a longer idea", seconds=2)
    assert (longer.track_index, longer.track_name, longer.take) == (4, "AI Generated 2", None)
    assert [i.GetTakesCount() for i in scene.timeline.tracks[2].items] == [0]
    assert scene.timeline.tracks[2].items[0].start == first.record_frame
    assert enabled(scene) == [*states, True]
    request, _ = pipeline.calls[-1]
    assert read_code(luma_of_image(request.image)) == 30


def test_a_clip_of_another_shot_is_no_slot(
    busy_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = busy_scene
    run_generate(scene, pipeline, settings)
    media = scene.timeline.tracks[2].items[0].media
    media.third_party["stillmotion.source_clip"] = "another shot.mov"
    second = run_generate(scene, pipeline, settings, prompt="another idea")
    assert (second.track_index, second.take) == (4, None)


@pytest.mark.parametrize("fault", ["export refused", "still never lands", "re-enable refused"])
def test_track_states_come_back_when_the_export_fails(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings, fault: str
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, left_offset=10,
                        playhead_offset=20)
    run_generate(scene, pipeline, settings)
    before = scene.timeline.snapshot()
    calls = len(pipeline.calls)
    if fault == "export refused":
        scene.resolve.failures["ExportCurrentFrameAsStill"] = False
        words = "ExportCurrentFrameAsStill returned False"
    elif fault == "still never lands":
        scene.resolve.still_delay = 10_000
        words = "did not appear within 15 s"
    else:
        original = scene.timeline.SetTrackEnable

        def refuse_on(track_type: str, index: int, on: bool, /) -> bool:
            return False if on else original(track_type, index, on)

        scene.timeline.SetTrackEnable = refuse_on  # type: ignore[method-assign]
        words = "did not switch track V2 back on (SetTrackEnable): switch it on by hand"
    with pytest.raises(ResolveOperationError, match=re.escape(words)):
        run_generate(scene, pipeline, settings, prompt="another take")
    assert len(pipeline.calls) == calls  # nothing was sent
    if fault == "re-enable refused":
        assert not scene.timeline.tracks[1].enabled
    else:
        assert scene.timeline.snapshot() == before


def test_a_build_without_set_track_enable_keeps_the_old_advice(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, version=(17, 4, 6))
    run_generate(scene, pipeline, settings, grab="source")
    before = scene.timeline.snapshot()
    with pytest.raises(TimelineError, match="use the source grab route or disable"):
        run_generate(scene, pipeline, settings, prompt="again")
    assert scene.timeline.snapshot() == before
    assert scene.resolve.called("DisableBackgroundTasksForCurrentResolveSession") == []
    # The source route stays, and the same-shot slot takes the clip as a take.
    placed = run_generate(scene, pipeline, settings, prompt="again", grab="source")
    assert placed.take == 2


def test_background_tasks_are_paused_before_our_edits(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM)
    run_generate(scene, pipeline, settings)
    names = [name for _, name, _ in scene.resolve.calls]
    paused = names.index("DisableBackgroundTasksForCurrentResolveSession")
    assert paused < names.index("ImportMedia") and scene.resolve.background_paused
    assert scene.resolve.manager.saves == 1
    # A refusal (False) does not stop the work on a build that has the call.
    scene.resolve.failures["DisableBackgroundTasksForCurrentResolveSession"] = False
    scene.timeline.playhead += 30
    assert run_generate(scene, pipeline, settings, grab="source").duration == 24


@pytest.mark.parametrize("operation", ["AddTake", "SelectTakeByIndex", "AddMarker",
                                       "SetClipColor"])
def test_a_failure_in_the_middle_of_a_slot_take_leaves_the_timeline(
    busy_scene: Scene, pipeline: StandInPipeline, settings: Settings, operation: str
) -> None:
    scene = busy_scene
    run_generate(scene, pipeline, settings)
    before = scene.timeline.snapshot()
    scene.resolve.failures[operation] = False
    with pytest.raises(ResolveOperationError, match=f"{operation} returned False"):
        run_generate(scene, pipeline, settings, prompt="another take")
    assert scene.timeline.snapshot() == before
    assert scene.resolve.manager.saves == 1
