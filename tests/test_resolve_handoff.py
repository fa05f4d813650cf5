"""Turnover and ingest from Resolve (the fake): the current timeline is exported as OTIO, our
clips tagged from the ledger, turned over by the finishing package; an artist's v002 made from
the plate comes back as a new take of the live slot, its generated sound removed, undone on
failure."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stillmotion.errors import ConfigError, TimelineError
from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.probe import probe
from stillmotion.resolve import PlacedClip, generate_at_playhead
from stillmotion.resolve.dialog import GenerateDialog
from stillmotion.resolve.form import FormValues, handoff_args
from stillmotion.resolve.handoff import export_timeline, ingest_versions, turnover_current
from stillmotion.settings import Settings
from stillmotion.timeline.generated import find_generated_clips
from stillmotion.timeline.io import read_timeline
from support.fake_resolve import FakeMediaPool
from support.resolve_dialog import RecordingView
from support.resolve_env import Scene, build_scene

BOX = "drawbox=x=0:y=0:w=iw*0.3:h=ih*0.3:color=white:t=fill"


@pytest.fixture
def real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("BASE_URL", "PROVIDER", "MODEL", "SIZE", "BUDGET", "DAILY_BUDGET", "LEDGER"):
        monkeypatch.delenv(f"STILLMOTION_{name}", raising=False)
    monkeypatch.setenv("STILLMOTION_DATA_DIR", str(tmp_path / "user-data"))
    return Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                    ledger=tmp_path / "ledger.sqlite3")


@pytest.fixture
def placed(make_clip: Callable[[str], Path], real: Settings) -> tuple[Scene, PlacedClip]:
    """A shot generated for real (embedded preview server) and placed on the fake timeline."""
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), left_offset=2,
                        playhead_offset=10, still_delay=0)
    done = generate_at_playhead(scene.resolve, prompt="slow dolly in over 1 s", seconds=1,
                                size=(320, 180), grab="source", settings=real,
                                sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    return scene, done


def test_the_export_carries_our_provenance_on_the_ai_track_only(
    placed: tuple[Scene, PlacedClip], real: Settings
) -> None:
    scene, done = placed
    exported = export_timeline(scene.resolve, real)
    [found] = find_generated_clips(read_timeline(exported))
    assert found.track_name == "AI Generated" and found.metadata is not None
    assert found.metadata.job_id == done.clip.job_id
    assert found.metadata.original_file == str(done.clip.original)
    assert scene.resolve.called("Export")[0][1] is scene.resolve.EXPORT_OTIO


def test_turnover_of_the_current_timeline(placed: tuple[Scene, PlacedClip], real: Settings,
                                          tmp_path: Path) -> None:
    scene, done = placed
    before = scene.timeline.snapshot()
    out = tmp_path / "turnover"
    result = turnover_current(scene.resolve, output=out, settings=real, handles=4,
                              format="prores4444")
    [shot] = result.shots
    assert shot["job_id"] == done.clip.job_id
    assert result.edl is not None and result.edl.is_file()
    assert result.csv is not None and len(result.csv.read_text().splitlines()) == 2
    plate = shot["plate"]
    assert shot["record"] == {"in": "01:00:00:10", "out": "01:00:01:10", "in_frame": 86410,
                              "frames": done.duration}
    frames = probe(out / shot["name"] / plate["files"][0],
                   count_frames=True).require_video().frame_count
    assert frames == plate["frames"] == done.duration + plate["head_handle"] + \
        plate["tail_handle"]
    if plate["head_handle"] + plate["tail_handle"] < 8:  # clamped to the download, and said
        assert result.notes
    assert scene.timeline.snapshot() == before  # turnover changes nothing in Resolve
    with pytest.raises(Exception, match="exists"):
        turnover_current(scene.resolve, output=out, settings=real, format="prores4444")


def _v002(turnover: Path, shot: dict[str, object], returned: Path, *,
          tone: bool = False) -> Path:
    """The plate with a white box drawn, named v002, its turnover JSON beside it; ``tone``:
    with the artist's sound (a 440 Hz tone) too."""
    name = str(shot["name"])
    version = returned / f"{name.replace('_v001', '_v002')}.mov"
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-map", "0:v",
             "-map", "1:a", "-shortest", "-c:a", "pcm_s16le"] if tone else []
    run(["-i", media_arg(turnover / name / f"{name}.mov"), *sound, "-vf", BOX,
         "-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuv444p10le", "-y",
         media_arg(version)], output=version, what="test v002")
    shutil.copyfile(turnover / name / f"{name}.json", returned / f"{name}.json")
    return version


def test_ingest_places_the_version_as_a_take_of_the_live_slot(
    placed: tuple[Scene, PlacedClip], real: Settings, tmp_path: Path
) -> None:
    scene, done = placed
    out = tmp_path / "turnover"
    [shot] = turnover_current(scene.resolve, output=out, settings=real, handles=4,
                              format="prores4444").shots
    returned = tmp_path / "returned"
    returned.mkdir()
    _v002(out, shot, returned)

    result = ingest_versions(scene.resolve, returned, settings=real, handles=4)
    assert result.refused == [], result.refused
    [version] = result.placed
    assert version["take"] == 2
    [item] = scene.timeline.tracks[1].items
    assert (item.start, item.duration) == (done.record_frame, done.duration)  # over the cut
    assert item.GetTakesCount() == 2 and item.GetSelectedTakeIndex() == 2
    shown = item.GetMediaPoolItem()
    assert shown.path == Path(version["media"]) and shown.frames == done.duration
    assert shown.third_party["stillmotion.ai_job"] == done.clip.job_id
    # The version held the cut plus its handles; the take holds the cut only.
    assert probe(Path(version["media"]), count_frames=True).require_video().frame_count == \
        done.duration
    assert shown.path.parent.parent.name == "Show"  # the project's media folder
    assert scene.resolve.manager.saves == 2
    assert json.loads((out / str(shot["name"]) / f"{shot['name']}.json").read_text())[
        "job_id"] == done.clip.job_id


def test_an_ingested_version_with_sound_puts_its_sound_under_the_slot(
    placed: tuple[Scene, PlacedClip], real: Settings, tmp_path: Path
) -> None:
    scene, _ = placed
    out = tmp_path / "turnover"
    [shot] = turnover_current(scene.resolve, output=out, settings=real, handles=4,
                              format="prores4444").shots
    returned = tmp_path / "returned"
    returned.mkdir()
    _v002(out, shot, returned, tone=True)
    assert [len(t.items) for t in scene.timeline.audio_tracks] == [0]  # a silent AI take

    [version] = ingest_versions(scene.resolve, returned, settings=real, handles=4).placed
    assert version["sound"] is True
    [picture] = scene.timeline.tracks[1].items
    shown = picture.GetMediaPoolItem()
    assert shown.path == Path(version["media"])
    sounds = [item for track in scene.timeline.audio_tracks for item in track.items]
    [sound] = sounds
    assert sound.media is shown  # the version's own sound, not the AI take's
    assert (sound.start, sound.duration) == (picture.start, picture.duration)
    assert sound.link is not None and sound.link == picture.link


def test_a_failed_version_sound_leaves_the_timeline_unchanged(
    placed: tuple[Scene, PlacedClip], real: Settings, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scene, _ = placed
    out = tmp_path / "turnover"
    [shot] = turnover_current(scene.resolve, output=out, settings=real, handles=4,
                              format="prores4444").shots
    returned = tmp_path / "returned"
    returned.mkdir()
    _v002(out, shot, returned, tone=True)
    before = scene.timeline.snapshot()
    real_append = FakeMediaPool.AppendToTimeline

    def no_sound(pool: FakeMediaPool, clips: list[dict[str, Any]]) -> Any:
        return [] if clips[0].get("mediaType") == 2 else real_append(pool, clips)

    monkeypatch.setattr(FakeMediaPool, "AppendToTimeline", no_sound)
    result = ingest_versions(scene.resolve, returned, settings=real, handles=4)
    assert result.placed == [] and len(result.refused) == 1, result.refused
    assert scene.timeline.snapshot() == before  # the take is undone with its sound


def test_a_failed_ingest_take_leaves_the_timeline_unchanged(
    placed: tuple[Scene, PlacedClip], real: Settings, tmp_path: Path
) -> None:
    scene, _ = placed
    out = tmp_path / "turnover"
    [shot] = turnover_current(scene.resolve, output=out, settings=real, handles=4,
                              format="prores4444").shots
    returned = tmp_path / "returned"
    returned.mkdir()
    _v002(out, shot, returned)
    before = scene.timeline.snapshot()
    scene.resolve.failures["SelectTakeByIndex"] = False
    result = ingest_versions(scene.resolve, returned, settings=real, handles=4)
    assert result.placed == [] and len(result.refused) == 1
    assert "did not select take 2" in result.refused[0]
    assert scene.timeline.snapshot() == before
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TimelineError, match="no versions"):
        ingest_versions(scene.resolve, empty, settings=real)


def _drive(dialog: GenerateDialog) -> None:
    for _ in range(6000):
        if not dialog.poll():
            return
        time.sleep(0.01)
    raise AssertionError("the worker did not finish")


def test_the_dialog_turns_over_then_ingests(
    placed: tuple[Scene, PlacedClip], real: Settings, tmp_path: Path
) -> None:
    scene, done = placed
    out = tmp_path / "turnover"
    view = RecordingView(FormValues(handoff_folder=str(out), handles="4",
                                    plate_format="prores4444"))
    dialog = GenerateDialog(scene.resolve, view, settings=real)
    assert dialog.start_turnover()
    _drive(dialog)
    assert view.errors == [], view.errors
    assert view.statuses[-1].startswith(f"Turned over 1 shot(s) into {out}")
    [shot_json] = out.glob("*/*.json")
    shot = json.loads(shot_json.read_text())
    returned = tmp_path / "returned"
    returned.mkdir()
    _v002(out, shot, returned)

    view.fields = FormValues(handoff_folder=str(returned), handles="4")
    assert dialog.start_ingest()
    _drive(dialog)
    assert view.errors == [], view.errors
    assert view.statuses[-1] == f"{shot['name'].replace('_v001', '_v002')}.mov -> " \
        f"{shot['shot']} take 2"
    [item] = scene.timeline.tracks[1].items
    assert item.GetTakesCount() == 2 and item.start == done.record_frame


@pytest.mark.parametrize(("values", "words"), [
    (FormValues(), "Type the hand-off folder"),
    (FormValues(handoff_folder="/nowhere/versions"), "does not exist"),
    (FormValues(handoff_folder=".", handles="many"), "not a whole number of handle frames"),
    (FormValues(handoff_folder=".", plate_format="gif"), "Unknown plate format 'gif'"),
])
def test_bad_handoff_fields_are_one_sentence(values: FormValues, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        handoff_args(values, ingest=True)
