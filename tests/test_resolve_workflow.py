"""generate_at_playhead against the fake Resolve: exact placement, tags, etiquette, failures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stillmotion.errors import (
    BudgetExceededError,
    ResolveOperationError,
    StillmotionError,
    TimelineError,
)
from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.resolve import PlacedClip, generate_at_playhead
from stillmotion.resolve import placement as placement_mod
from stillmotion.resolve.workflow import GenerateFn
from stillmotion.settings import Settings
from support.fake_resolve import FakeResolve
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


@pytest.fixture
def film_scene(make_clip: Callable[[str], Path]) -> Scene:
    """23.976 timeline at 01:00:00:00 (record frame 86400); shot from source frame 10 on."""
    return build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, left_offset=10,
                       playhead_offset=20)


def test_places_at_exact_record_frame_on_23976(
    film_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = film_scene
    assert scene.timeline.start_frame == 86400
    placed = run_generate(scene, pipeline, settings)

    assert placed.record_frame == 86420
    assert placed.timecode == "01:00:00:20"
    assert (placed.track_index, placed.track_name, placed.new_track) == (2, "AI Generated", True)
    track = scene.timeline.tracks[1]
    assert track.name == "AI Generated"
    [item] = track.items
    assert item.start == 86420
    # 1 s at 30 fps conformed to 23.976 keeps the duration: 24 frames, all of them placed.
    assert item.duration == placed.duration == placed.clip.frames == 24
    assert item.media.path == placed.clip.conformed
    # The still is the real frame under the playhead: source frame 10 + 20 = 30.
    request, target = pipeline.calls[0]
    assert read_code(luma_of_image(request.image)) == 30
    assert (target.rate, target.size, target.preset) == (NTSC_FILM, (320, 180),
                                                           "resolve-dnxhr-hq")
    assert request.source is not None  # the job says which source frame the still is
    assert request.source.timecode == "01:00:00:20"
    assert request.source.frame == 30


def test_endframe_convention_is_fixed_by_readback(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    for inclusive, appends in ((False, 2), (True, 1)):
        scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM,
                            end_frame_inclusive=inclusive)
        placed = run_generate(scene, pipeline, settings)
        calls = scene.resolve.called("AppendToTimeline")
        assert len(calls) == appends
        assert [i.duration for i in scene.timeline.tracks[1].items] == [placed.clip.frames]


def test_places_on_2997_drop_frame_timeline(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    # 01:01:00;02 is the first label of minute 1 (;00 and ;01 are dropped): 1800 frames after
    # 01:00:00;00, whose record frame is 107892.
    scene = build_scene(make_clip("ntsc_2997_df"), rate=NTSC_VIDEO, drop_frame=True,
                        start="01:00:00;00", record_frame=107892 + 1800 - 40,
                        playhead_offset=40)
    assert scene.timeline.GetSetting("timelineFrameRate") == "29.97 DF"
    assert scene.timeline.GetCurrentTimecode() == "01:01:00;02"
    placed = run_generate(scene, pipeline, settings, grab="source")

    assert placed.record_frame == 109692
    assert placed.timecode == "01:01:00;02"
    [item] = scene.timeline.tracks[1].items
    assert (item.start, item.duration) == (109692, placed.clip.frames)
    assert placed.clip.frames == 30  # 1 s at 30 -> 29.97 keeps 30 frames
    assert scene.timeline.playhead == 109692
    request, _ = pipeline.calls[0]
    assert read_code(luma_of_image(request.image)) == 40


def test_tags_marks_restores_and_saves(
    film_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = film_scene
    scene.resolve.page = "fusion"  # no playhead timecode there: the work moves to Edit
    placed = run_generate(scene, pipeline, settings)

    media = scene.timeline.tracks[1].items[0].media
    assert media.third_party["stillmotion.job_id"] == placed.clip.job_id
    assert media.third_party["stillmotion.prompt"] == "slow dolly in, steam rising"
    assert media.third_party["stillmotion.source_timecode"] == "01:00:00:20"
    assert placed.clip.job_id in media.metadata["Comments"]
    assert "slow dolly in" in media.metadata["Comments"]
    item = scene.timeline.tracks[1].items[0]
    assert item.color == "Violet"
    assert item.markers[0].custom_data == placed.clip.job_id
    # etiquette: the work happened on the Edit page, then page, playhead and bin came back
    assert ("edit",) in scene.resolve.called("OpenPage")
    assert scene.resolve.page == "fusion"
    assert scene.timeline.playhead == 86420
    pool = scene.project.media_pool
    assert pool.current is pool.root_folder
    [ai_bin] = [f for f in pool.root_folder.subfolders if f.name == "AI Generated"]
    assert ai_bin.clips == [media]
    assert scene.resolve.manager.saves == 1


def test_reuses_a_free_ai_track_and_never_overlaps_a_busy_one(
    film_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = film_scene
    first = run_generate(scene, pipeline, settings, seconds=2)
    # Same spot, another length: the slot does not fit, the AI track is busy there, so a second
    # AI track goes on top (a clip of the slot's length would become a take: test_resolve_21).
    second = run_generate(scene, pipeline, settings, prompt="another idea")
    assert (second.track_index, second.track_name, second.new_track, second.take) == (
        3, "AI Generated 2", True, None)
    assert [i.start for i in scene.timeline.tracks[1].items] == [first.record_frame]
    assert scene.timeline.tracks[1].items[0].media.path == first.clip.conformed
    # Further along, the first AI track is still busy and the second is free over the whole
    # span: it is reused (the track rule of timeline/tracks.py, as for timeline files).
    scene.timeline.playhead = 86400 + 50
    third = run_generate(scene, pipeline, settings, grab="source")
    assert (third.track_index, third.new_track) == (3, False)
    assert len(scene.timeline.tracks) == 3


def test_an_append_onto_a_busy_track_is_caught_and_undone(
    film_scene: Scene, pipeline: StandInPipeline, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Resolve drops the overlapping append but still returns an item: the readback sees it."""
    scene = film_scene
    run_generate(scene, pipeline, settings)
    before = scene.timeline.snapshot()
    monkeypatch.setattr(placement_mod, "choose_track", lambda *a, **k: (2, "AI Generated", False))
    with pytest.raises(ResolveOperationError, match="does not hold it") as caught:
        run_generate(scene, pipeline, settings, prompt="take the busy track", grab="source",
                     seconds=2)
    assert caught.value.operation == "AppendToTimeline"
    assert scene.timeline.snapshot() == before


@pytest.mark.parametrize(
    ("setup", "operation", "words"),
    [
        ("no_project", "GetCurrentProject", "No project is open"),
        ("no_timeline", "GetCurrentTimeline", "no current timeline"),
        ("export_fails", "ExportCurrentFrameAsStill", "did not export the viewer frame"),
        ("import_empty", "ImportMedia", "did not import"),
        ("append_nothing", "AppendToTimeline", "did not place the clip on track V2"),
        ("marker_refused", "AddMarker", "did not add the job marker"),
    ],
)
def test_each_failure_is_one_message_and_leaves_the_timeline(
    film_scene: Scene, pipeline: StandInPipeline, settings: Settings, setup: str,
    operation: str, words: str,
) -> None:
    scene = film_scene
    resolve = scene.resolve
    if setup == "no_project":
        resolve.manager.current = None
    elif setup == "no_timeline":
        scene.project.current_timeline = None
    else:
        method = {"export_fails": "ExportCurrentFrameAsStill", "import_empty": "ImportMedia",
                  "append_nothing": "AppendToTimeline", "marker_refused": "AddMarker"}[setup]
        resolve.failures[method] = {"ImportMedia": [], "AppendToTimeline": None}.get(
            method, False)
    before = scene.timeline.snapshot()
    with pytest.raises(ResolveOperationError) as caught:
        run_generate(scene, pipeline, settings)
    error = caught.value
    assert error.operation == operation
    assert words in error.message
    assert operation in error.message
    assert error.message.count(". ") == 0 and error.message.endswith(".")
    assert scene.timeline.snapshot() == before
    assert scene.timeline.playhead == 86420
    assert scene.project.media_pool.current is scene.project.media_pool.root_folder
    assert resolve.manager.saves == 0
    # Nothing is generated (or paid for) when Resolve fails before the pipeline runs.
    assert len(pipeline.calls) == (1 if setup in ("import_empty", "append_nothing",
                                                  "marker_refused") else 0)


def test_studio_only_still_export_on_free_says_what_to_do(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, edition="free",
                        studio_only=["ExportCurrentFrameAsStill"])
    before = scene.timeline.snapshot()
    with pytest.raises(ResolveOperationError) as caught:
        run_generate(scene, pipeline, settings)
    message = caught.value.message
    assert "ExportCurrentFrameAsStill returned False" in message
    assert "may need Studio" in message and "'source' grab route" in message
    assert scene.resolve.upsells == 1
    assert scene.timeline.snapshot() == before
    assert pipeline.calls == []
    # The source route needs no Studio-only call.
    placed = run_generate(scene, pipeline, settings, grab="source")
    assert placed.record_frame == 86412


def test_black_viewer_frame_is_rejected(
    tmp_path: Path, pipeline: StandInPipeline, settings: Settings
) -> None:
    black = tmp_path / "black.mov"
    run(["-f", "lavfi", "-i", "color=black:s=320x180:r=24000/1001", "-frames:v", "24",
         "-c:v", "mjpeg", "-y", media_arg(black)], what="black clip")
    scene = build_scene(black, rate=NTSC_FILM)
    with pytest.raises(TimelineError, match="all black"):
        run_generate(scene, pipeline, settings)
    assert pipeline.calls == []


def test_still_that_never_lands_times_out(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=NTSC_FILM, still_delay=10_000)
    with pytest.raises(ResolveOperationError, match="did not appear within 15 s"):
        run_generate(scene, pipeline, settings)
    assert scene.resolve.now >= 15
    assert pipeline.calls == []


def test_no_clip_under_the_playhead(
    film_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    film_scene.timeline.playhead = 86400 + 500
    with pytest.raises(TimelineError, match=r"No enabled video clip .* at 01:00:20:20"):
        run_generate(film_scene, pipeline, settings)


def test_topmost_enabled_clip_is_the_shot(
    film_scene: Scene, make_clip: Callable[[str], Path], pipeline: StandInPipeline,
    settings: Settings,
) -> None:
    scene = film_scene
    cover = scene.project.import_clip(make_clip("ntsc_2997_df"))
    top = scene.timeline.add_track("B-roll", enabled=False)
    scene.timeline.put(top, cover, 86400, duration=48)
    run_generate(scene, pipeline, settings, grab="source")
    request, _ = pipeline.calls[0]
    assert request.source is not None
    assert request.source.clip == "hd_23976_tc.mov"
    assert read_code(luma_of_image(request.image)) == 30


def test_pipeline_failure_leaves_resolve_untouched(
    film_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    pipeline.error = BudgetExceededError("This job is estimated at $4.00, above the run budget.")
    before = film_scene.timeline.snapshot()
    with pytest.raises(StillmotionError, match="run budget"):
        run_generate(film_scene, pipeline, settings)
    assert film_scene.timeline.snapshot() == before
    assert film_scene.project.media_pool.root_folder.subfolders == []


def test_timeline_switched_while_generating(
    film_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    from stillmotion.resolve.workflow import capture_shot, place_generated, run_pipeline

    scene = film_scene
    shot = capture_shot(scene.resolve, settings=settings, sleep=scene.resolve.sleep,
                        clock=scene.resolve.clock)
    clip = run_pipeline(shot, prompt="x", seconds=1, settings=settings, generate=pipeline)
    other = scene.project.add_timeline("Cut 2", rate=NTSC_FILM)
    with pytest.raises(TimelineError, match="changed from 'Cut 1' to 'Cut 2'"):
        place_generated(scene.resolve, shot, clip, settings=settings)
    assert other.tracks[0].items == [] and len(other.tracks) == 1


def test_fake_resolve_is_checked_against_the_protocol() -> None:
    """The fake must keep matching resolve/protocol.py (structural check at runtime)."""
    from stillmotion.resolve import protocol

    resolve = FakeResolve()
    project = resolve.add_project()
    timeline = project.add_timeline("T", rate=Fraction(24))
    for fake, proto in ((resolve, protocol.Resolve), (project, protocol.Project),
                        (timeline, protocol.Timeline),
                        (project.media_pool, protocol.MediaPool),
                        (resolve.manager, protocol.ProjectManager)):
        wanted = {n for n in dir(proto) if n[:1].isupper()}
        assert wanted <= set(dir(fake)), wanted - set(dir(fake))


def test_a_clip_at_another_rate_is_floored_and_refused(
    film_scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    """Resolve floors a 30 fps clip on a 23.976 timeline (one frame short): caught, undone."""

    def unconformed(request: Any, conform: Any, **kwargs: Any) -> Any:
        return pipeline(request, replace(conform, rate=Fraction(30)), **kwargs)

    before = film_scene.timeline.snapshot()
    with pytest.raises(ResolveOperationError, match=r"placed 23 frames on track V2 at "
                       r"01:00:00:20 instead of the clip's 30; its rate \(30\) must match"):
        run_generate(film_scene, unconformed, settings)
    assert film_scene.timeline.snapshot() == before
