"""generate_for_selection: selected clips on 21.0.4+, markers on older builds, failures apart."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stillmotion.errors import JobFailedError, ResolveOperationError, TimelineError
from stillmotion.resolve import PlacedClip, PlacedClips, generate_for_selection
from stillmotion.settings import Settings
from support.fake_resolve import FakeResolve, FakeTimelineItem
from support.framecode import luma_of_image, read_code
from support.resolve_env import (
    TIMELINE_SIZE,
    Scene,
    StandInPipeline,
    generated_clips,
    pipeline,
    settings,
)

__all__ = ["generated_clips", "pipeline", "settings"]  # fixtures

NTSC_FILM = Fraction(24000, 1001)


def three_shots(clip: Path, *, version: tuple[int, int, int] = (21, 0, 4)
                ) -> tuple[Scene, list[FakeTimelineItem]]:
    """Shots A, B, C of 40 frames back to back from 01:00:00:00, from source frames 0, 10, 20
    on; a green marker inside C at 01:00:03:13 (record 86485: source frame 25)."""
    resolve = FakeResolve(version=version)
    project = resolve.add_project("Show")
    timeline = project.add_timeline("Cut 1", rate=NTSC_FILM, size=TIMELINE_SIZE)
    media = project.import_clip(clip)
    items = [timeline.put(1, media, 86400 + 40 * n, left_offset=10 * n, duration=40)
             for n in range(3)]
    for item, name in zip(items, "ABC", strict=True):
        item.name = f"shot {name}"
    timeline.mark(86485, "Green", "marker prompt", "slow push in")
    timeline.playhead = 86401
    return Scene(resolve, project, timeline), items


def select(scene: Scene, pipeline: Any, settings: Settings, **options: Any) -> PlacedClips:
    kwargs: dict[str, Any] = {"prompt": "slow dolly in", "seconds": 1, "provider": "preview"}
    kwargs.update(options)
    return generate_for_selection(scene.resolve, settings=settings, generate=pipeline,
                                  sleep=scene.resolve.sleep, clock=scene.resolve.clock, **kwargs)


def still_codes(pipeline: StandInPipeline) -> dict[int, int | None]:
    """The burnt-in frame of each still sent, by the record frame its job says it came from."""
    codes: dict[int, int | None] = {}
    for request, _ in pipeline.calls:
        assert request.source is not None and request.source.record_frame is not None
        codes[request.source.record_frame] = read_code(luma_of_image(request.image))
    return codes


def test_three_selected_clips_give_three_clips_at_their_own_shots(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene, items = three_shots(make_clip("hd_23976_tc"))
    scene.timeline.select(*items)
    events: list[str] = []
    placed = select(scene, pipeline, settings, on_event=lambda label, e: events.append(label))

    assert placed.failures == [] and len(placed) == 3
    # A and B at their middles, C at the marker inside it; each still is its own shot's frame.
    assert sorted(p.record_frame for p in placed) == [86420, 86460, 86485]
    assert still_codes(pipeline) == {86420: 20, 86460: 30, 86485: 25}
    assert sorted(p.clip.prompt for p in placed) == ["slow dolly in"] * 3
    ai = scene.timeline.tracks[1]
    assert ai.name == "AI Generated"
    assert sorted((i.start, i.duration) for i in ai.items) == [(86420, 24), (86460, 24),
                                                               (86485, 24)]
    assert {label.split(" at ")[0] for label in events} == {"shot A", "shot B", "shot C"}
    # Saved once for the run; the playhead is back where the editor left it.
    assert scene.resolve.manager.saves == 1
    assert scene.timeline.playhead == 86401
    assert scene.resolve.background_paused


def test_one_failure_is_reported_while_the_others_are_placed(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene, items = three_shots(make_clip("hd_23976_tc"))
    scene.timeline.select(*items)

    def flaky(request: Any, target: Any, **kwargs: Any) -> Any:
        if request.source.clip == "shot B":
            raise JobFailedError("The service refused the job (content policy); change the "
                                 "prompt and try again.", code="policy", job_message="policy")
        return pipeline(request, target, **kwargs)

    failures: list[str] = []
    placed = select(scene, flaky, settings, on_failure=lambda f: failures.append(f.message))

    assert sorted(p.record_frame for p in placed) == [86420, 86485]
    [failure] = placed.failures
    assert failure.label == "shot B at 01:00:02:12" and "content policy" in failure.message
    assert failures == [failure.message]
    assert sorted(i.start for i in scene.timeline.tracks[1].items) == [86420, 86485]
    assert scene.resolve.manager.saves == 1


def test_a_resolve_failure_mid_run_undoes_only_that_clip(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene, items = three_shots(make_clip("hd_23976_tc"))
    scene.timeline.select(*items)
    after_first: list[Any] = []

    def first_placed(label: str, placed: PlacedClip) -> None:
        if not after_first:
            after_first.append(scene.timeline.snapshot())
            scene.resolve.failures["AddMarker"] = False  # every later placement fails late

    placed = select(scene, pipeline, settings, on_placed=first_placed)
    assert len(placed) == 1 and len(placed.failures) == 2
    assert all(isinstance(f.error, ResolveOperationError) for f in placed.failures)
    assert scene.timeline.snapshot() == after_first[0]
    assert scene.resolve.manager.saves == 1


def test_without_get_selected_clips_the_marker_route_runs(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene, items = three_shots(make_clip("hd_23976_tc"), version=(20, 2, 0))
    scene.timeline.select(*items)  # a selection 20.2 cannot report
    scene.timeline.mark(86405, "Blue", "other")
    placed = select(scene, pipeline, settings, prompt="", marker_color="Green")
    [clip] = placed
    assert clip.record_frame == 86485 and clip.clip.prompt == "marker prompt. slow push in"
    assert scene.resolve.called("GetSelectedClips") == []
    assert scene.resolve.called("DisableBackgroundTasksForCurrentResolveSession") == []
    # No colour asked: every marker.
    more = select(scene, pipeline, settings, prompt="", seconds=1)
    assert sorted(p.record_frame for p in more) == [86405, 86485]


def test_a_marker_colour_asks_for_markers_on_21(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene, items = three_shots(make_clip("hd_23976_tc"))
    scene.timeline.select(*items)
    [clip] = select(scene, pipeline, settings, marker_color="green")
    assert clip.record_frame == 86485 and clip.clip.prompt == "slow dolly in"


def test_nothing_selected_or_no_markers_is_one_sentence(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene, _ = three_shots(make_clip("hd_23976_tc"))
    before = scene.timeline.snapshot()
    with pytest.raises(TimelineError, match="No clips are selected"):
        select(scene, pipeline, settings)
    with pytest.raises(TimelineError, match="no Red markers"):
        select(scene, pipeline, settings, marker_color="Red")
    assert pipeline.calls == [] and scene.timeline.snapshot() == before


def test_when_every_shot_fails_the_first_error_is_raised(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene, items = three_shots(make_clip("hd_23976_tc"))
    scene.timeline.select(*items)
    before = scene.timeline.snapshot()
    scene.resolve.failures["ImportMedia"] = []
    with pytest.raises(ResolveOperationError, match="did not import"):
        select(scene, pipeline, settings)
    assert scene.timeline.snapshot() == before
    assert scene.resolve.manager.saves == 0
