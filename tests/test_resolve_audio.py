"""A generated clip's sound in Resolve (the fake): appended audio-only under its picture on an
audio track named like the video one, linked, verified; every failure undoes picture and sound."""

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
from support.fake_resolve import FakeMediaPool
from support.generate_env import small_clip
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

NTSC_FILM = Fraction(24000, 1001)
NTSC_VIDEO = Fraction(30000, 1001)


def _run(scene: Scene, generate: Callable[..., GeneratedClip], settings: Settings,
         **options: Any) -> PlacedClip:
    return generate_at_playhead(
        scene.resolve, prompt="she says hello", seconds=1, settings=settings,
        generate=generate, sleep=scene.resolve.sleep, clock=scene.resolve.clock, **options)


SCENES: dict[str, Callable[[Callable[[str], Path], Path], Scene]] = {
    "23.976": lambda make, media: build_scene(make("hd_23976_tc"), rate=NTSC_FILM,
                                              left_offset=10, playhead_offset=20),
    "25": lambda make, media: build_scene(small_clip(media, "r25_ten"), rate=Fraction(25),
                                          start="10:00:00:00", playhead_offset=7),
    "29.97 DF": lambda make, media: build_scene(make("ntsc_2997_df"), rate=NTSC_VIDEO,
                                                drop_frame=True, start="01:00:00;00",
                                                playhead_offset=40),
}


@pytest.mark.parametrize("rate", list(SCENES))
def test_sound_is_appended_under_the_picture_linked_and_verified(
    rate: str, make_clip: Callable[[str], Path], media_dir: Path, voiced: SoundingPipeline,
    settings: Settings,
) -> None:
    scene = SCENES[rate](make_clip, media_dir)
    placed = _run(scene, voiced, settings)

    [picture] = scene.timeline.tracks[1].items
    assert [t.name for t in scene.timeline.audio_tracks] == ["Audio 1", "AI Generated"]
    sound_track = scene.timeline.audio_tracks[1]
    assert sound_track.layout == "stereo"
    [sound] = sound_track.items
    assert placed.sound_track == 2
    assert (sound.start, sound.duration) == (picture.start, picture.duration)
    assert (picture.start, picture.duration) == (placed.record_frame, placed.clip.frames)
    assert sound.media is picture.media and sound.media.path == placed.clip.conformed
    assert picture.link is not None and sound.link == picture.link
    appends = scene.resolve.called("AppendToTimeline")
    assert {a[0][0]["mediaType"] for a in appends} == {1, 2}
    assert all(a[0][0]["recordFrame"] == placed.record_frame for a in appends)
    assert scene.resolve.called("AddTrack")[-1] == ("audio", "stereo")
    assert scene.resolve.manager.saves == 1


def test_a_failed_sound_append_leaves_the_timeline_exactly_as_it_was(
    make_clip: Callable[[str], Path], media_dir: Path, voiced: SoundingPipeline,
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    scene = SCENES["23.976"](make_clip, media_dir)
    before, playhead = scene.timeline.snapshot(), scene.timeline.playhead
    real = FakeMediaPool.AppendToTimeline

    def picture_only(pool: FakeMediaPool, clips: list[dict[str, Any]]) -> Any:
        return [] if clips[0].get("mediaType") == 2 else real(pool, clips)

    monkeypatch.setattr(FakeMediaPool, "AppendToTimeline", picture_only)
    with pytest.raises(ResolveOperationError, match="track A2") as caught:
        _run(scene, voiced, settings)
    assert caught.value.operation == "AppendToTimeline"
    assert scene.timeline.snapshot() == before  # picture, new V2 and new A2 all undone
    assert scene.timeline.playhead == playhead
    assert scene.resolve.manager.saves == 0


def test_a_refused_link_undoes_picture_and_sound(
    make_clip: Callable[[str], Path], media_dir: Path, voiced: SoundingPipeline,
    settings: Settings,
) -> None:
    scene = SCENES["25"](make_clip, media_dir)
    before = scene.timeline.snapshot()
    scene.resolve.failures["SetClipsLinked"] = False
    with pytest.raises(ResolveOperationError, match="did not link") as caught:
        _run(scene, voiced, settings)
    assert caught.value.operation == "SetClipsLinked"
    assert scene.timeline.snapshot() == before


def test_a_busy_audio_track_of_that_name_gives_the_next_ai_track(
    make_clip: Callable[[str], Path], media_dir: Path, voiced: SoundingPipeline,
    settings: Settings,
) -> None:
    scene = SCENES["23.976"](make_clip, media_dir)
    music = scene.project.import_clip(make_clip("hd_23976_tc"))
    scene.timeline.add_audio_track("AI Generated")
    scene.timeline.put_sound(2, music, 86400, 72)  # covers the playhead's span
    placed = _run(scene, voiced, settings)
    names = [t.name for t in scene.timeline.audio_tracks]
    assert names == ["Audio 1", "AI Generated", "AI Generated 2"]
    assert placed.sound_track == 3 and scene.timeline.tracks[1].name == "AI Generated"
    assert [i.media for i in scene.timeline.audio_tracks[1].items] == [music]


def test_silent_clips_and_no_audio_place_picture_only(
    make_clip: Callable[[str], Path], media_dir: Path, pipeline: StandInPipeline,
    voiced: SoundingPipeline, settings: Settings,
) -> None:
    silent = SCENES["23.976"](make_clip, media_dir)
    assert _run(silent, pipeline, settings).sound_track is None
    muted = SCENES["23.976"](make_clip, media_dir)
    assert _run(muted, voiced, settings, audio=False).sound_track is None
    for scene in (silent, muted):
        assert [len(t.items) for t in scene.timeline.audio_tracks] == [0]
        assert len(scene.timeline.tracks[1].items) == 1
        assert not any(a[0][0]["mediaType"] == 2
                       for a in scene.resolve.called("AppendToTimeline"))
