"""A generated clip's sound on the timeline: placed under its picture, linked, switched with its
takes, left out for silent clips and ``--no-audio``; through the real local server, the real
ffmpeg and the real OTIO adapters.

"Has sound" is measured (integrated loudness above silence), so the preview's ``silence`` bed
(a prompt naming no sound) counts as no sound, and its ``speech-tone`` bed as sound.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.server import RunningServer
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.metadata import GeneratedClipMetadata, read_metadata
from stillmotion.timeline.place import place_generated
from stillmotion.timeline.sound import place_sound
from stillmotion.timeline.timebase import TimeBase
from support.generate_env import (
    FAST,
    TEN_25,
    Case,
    case_25,
    case_2997_df,
    case_23976,
    cli,
    cli_json,
    isolate,
    job,
    small_clip,
    snapshot,
    write_case,
)
from support.timelines import R23, gap, media_clip, timeline, track

SPEECH = 'Slow dolly in over 1 s; she says "we made it" quietly'
SILENT = "Slow dolly in over 1 s; warm evening light"
CASES: dict[str, tuple[Callable[[Path], Case], str]] = {
    "23.976": (case_23976, "r23_hour"), "25": (case_25, "r25_ten"),
    "29.97 DF": (case_2997_df, "r2997_df"),
}


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


def _local(server: RunningServer, ledger: Path) -> list[str]:
    return ["--provider", "preview", "--base-url", server.base_url, *FAST, "--ledger",
            str(ledger)]


def _clips(tl: Any, kind: str) -> list[tuple[str, Any, int, int]]:
    """(track name, clip, record start, duration) of every clip on tracks of ``kind``."""
    timebase = TimeBase.of(tl)
    found = []
    for tr in tl.tracks:
        if tr.kind != kind:
            continue
        for child in tr:
            if isinstance(child, otio.schema.Clip):
                where = child.range_in_parent()
                found.append((str(tr.name), child, round(timebase.frames(where.start_time)),
                              round(timebase.frames(where.duration))))
    return found


def _generated(tl: Any, kind: str) -> list[tuple[str, Any, int, int]]:
    return [c for c in _clips(tl, kind) if "stillmotion" in c[1].metadata]


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _block(clip: Any) -> dict[str, Any]:
    return dict(clip.metadata["stillmotion"])


@pytest.mark.parametrize("rate", list(CASES))
def test_sound_is_placed_under_its_picture_at_the_same_frame_and_linked(
    rate: str, preview_server: RunningServer, media_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make, clip_name = CASES[rate]
    case = make(small_clip(media_dir, clip_name))
    project = tmp_path / "project"
    source = write_case(case, project)
    before = snapshot(project), snapshot(media_dir)
    ledger = tmp_path / "ledger.sqlite3"

    # --for resolve: the sound clip passes the Resolve OTIO import rules too (shaping refuses).
    result = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", SPEECH,
                      "--preset", case.preset, "--for", "resolve", *_local(preview_server, ledger))

    placed = read_timeline(Path(result["timeline"]))
    pictures = _generated(placed, otio.schema.TrackKind.Video)
    sounds = _generated(placed, otio.schema.TrackKind.Audio)
    assert len(pictures) == 1 and len(sounds) == 1, (pictures, sounds)
    (_, picture, p_start, p_length), (a_track, sound, a_start, a_length) = pictures[0], sounds[0]
    assert a_track == "AI Generated"
    assert (a_start, a_length) == (p_start, p_length) == (case.record_frame, result["frames"])
    assert sound.source_range == picture.source_range
    assert str(sound.media_reference.target_url) == result["conformed"]
    link = _block(picture)["link_id"]
    assert link and _block(sound)["link_id"] == link
    assert read_metadata(sound) == read_metadata(picture)
    assert _block(picture)["audio"]["sound"] is True
    facts = job(ledger, result["job_id"]).context.audio
    assert facts is not None  # the job recorded what it found of the clip's sound
    assert facts["stream"] and facts["sound"] and not facts["silence_added"]
    assert facts["lufs"] > -70
    # The input timeline and media are untouched (only new files were added beside them).
    after = snapshot(project), snapshot(media_dir)
    assert {k: after[0][k] for k in before[0]} == before[0]
    assert after[1] == before[1]


def test_a_silent_generation_and_no_audio_place_picture_only(
    preview_server: RunningServer, media_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"

    silent = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", SILENT,
                      "-o", tmp_path / "project" / "silent.otio", *_local(preview_server, ledger))
    tl = read_timeline(Path(silent["timeline"]))
    assert len(_generated(tl, otio.schema.TrackKind.Video)) == 1
    assert _clips(tl, otio.schema.TrackKind.Audio) == []
    facts = job(ledger, silent["job_id"]).context.audio
    assert facts == {"stream": True, "lufs": None, "sound": False, "silence_added": False}

    muted = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", SPEECH,
                     "--no-audio", "-o", tmp_path / "project" / "muted.otio",
                     *_local(preview_server, ledger))
    tl = read_timeline(Path(muted["timeline"]))
    picture = _generated(tl, otio.schema.TrackKind.Video)
    assert len(picture) == 1 and _block(picture[0][1])["link_id"] == ""
    assert _clips(tl, otio.schema.TrackKind.Audio) == []


def test_switching_takes_switches_the_sound_with_the_picture(
    preview_server: RunningServer, media_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    speaking = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", SPEECH,
                        *_local(preview_server, ledger))
    output = Path(speaking["timeline"])
    audio = job(ledger, speaking["job_id"]).context.audio
    assert audio is not None
    lufs = audio["lufs"]
    code, out, err = cli(capsys, "jobs", "show", speaking["job_id"], "--ledger", ledger)
    assert code == 0, err
    # The preview promises sound (its engine renders a bed the prompt chooses) and has it.
    assert (f"sound           promised by the model; the file has sound, {lufs:g} LUFS "
            "integrated") in out

    # Take 2 (same shot, a silent prompt) replaces the slot: its sound goes with take 1.
    quiet = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", SILENT,
                     "--overwrite", *_local(preview_server, ledger))
    tl = read_timeline(output)
    (_, picture, start, _), = _generated(tl, "Video")
    assert _block(picture)["take"] == 2 and _block(picture)["job_id"] == quiet["job_id"]
    assert _clips(tl, "Audio") == [] and _block(picture)["link_id"] == ""
    assert [t["sound"] for t in _block(picture)["takes"]] == [True, False]
    page = tmp_path / "review.html"
    code, _, err = cli(capsys, "review", output, "-o", page, "--ledger", ledger)
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert (f"<dt>Sound</dt><dd>promised by the model; the file has sound, {lufs:g} LUFS "
            "integrated</dd>") in html
    assert ("<dt>Sound</dt><dd>promised by the model; the file&#x27;s audio is "
            "silent</dd>") in html  # take 2: a silent prompt gets the silent bed

    back = tmp_path / "project" / "take1.otio"
    code, _, err = cli(capsys, "takes", output, "--at", case.at, "--use", "1", "-o", back)
    assert code == 0, err
    tl = read_timeline(back)
    (_, picture, p_start, p_length), = _generated(tl, "Video")
    (a_track, sound, a_start, a_length), = _generated(tl, "Audio")
    assert (a_track, a_start, a_length) == ("AI Generated", p_start, p_length)
    assert p_start == start == case.record_frame
    assert str(sound.media_reference.target_url) == speaking["conformed"]
    assert _block(sound)["link_id"] == _block(picture)["link_id"] != ""

    muted = tmp_path / "project" / "take1-muted.otio"
    code, _, err = cli(capsys, "takes", output, "--at", case.at, "--use", "1", "--no-audio",
                       "-o", muted)
    assert code == 0, err
    assert _clips(read_timeline(muted), "Audio") == []


def _meta(job_id: str) -> GeneratedClipMetadata:
    return GeneratedClipMetadata(prompt="p", provider="preview", model="m", job_id=job_id,
                                 seconds=1, size="320x180")


def test_the_audio_track_is_reused_when_free_and_a_new_one_taken_when_busy(
    media_dir: Path,
) -> None:
    media = small_clip(media_dir, "r23_hour")
    music = otio.schema.Clip(name="music", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)))
    ai_audio = track("AI Generated", [gap(10, R23), music], kind="Audio")
    tl = timeline("t", R23, 86400, [track("V1", [gap(100, R23)]), ai_audio])

    first = place_generated(tl, record_start=40, media_path=media, duration_frames=12,
                            rate=R23, name="one", metadata=_meta("a"))
    free = place_sound(tl, first)
    assert (free.track_name, free.created_track, free.record_start_frame) == (
        "AI Generated", False, 40)

    second = place_generated(tl, record_start=20, media_path=media, duration_frames=12,
                             rate=R23, name="two", metadata=_meta("b"))
    busy = place_sound(tl, second)  # frames 20-31 overlap the music (10-33) on "AI Generated"
    assert (busy.track_name, busy.created_track) == ("AI Generated 2", True)
    assert busy.link_id != free.link_id
    assert [t.name for t in tl.tracks if t.kind == "Audio"] == ["AI Generated",
                                                                 "AI Generated 2"]
    assert ai_audio[1] is music  # nothing already there moved
    assert read_metadata(busy.clip) == read_metadata(second.clip)


def test_extend_and_fill_gap_place_sound_under_what_they_place(
    preview_server: RunningServer, media_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    media = small_clip(media_dir, "r25_ten")
    a = media_clip("A", media, rate=Fraction(25), source_start=TEN_25, duration=20,
                   available=(TEN_25, 50))
    b = media_clip("B", media, rate=Fraction(25), source_start=TEN_25 + 30, duration=20,
                   available=(TEN_25, 50))
    cut = write_timeline(timeline("gap", Fraction(25), TEN_25,
                                  [track("V1", [a, gap(15, Fraction(25)), b])]),
                         _folder(tmp_path / "project") / "cut.otio")
    ledger = tmp_path / "ledger.sqlite3"

    extended = cli_json(capsys, "extend", cut, "--clip", "B", "--prompt", SPEECH,
                        "-o", tmp_path / "project" / "extended.otio",
                        *_local(preview_server, ledger))
    monkeypatch.setenv("GEMINI_API_KEY", "dummy-test-key")
    filled = cli_json(capsys, "fill-gap", cut, "--at", "25", "--prompt", SPEECH,
                      "--provider", "veo", "--model", "veo-3.1-fast-generate-preview",
                      "--base-url", preview_server.root_url, "--preset", "h264-web",
                      "-o", tmp_path / "project" / "filled.otio", "--ledger", str(ledger))
    for result, start, frames in ((extended, 55, 25), (filled, 20, 15)):
        tl = read_timeline(Path(str(result["timeline"])))
        (_, picture, p_start, p_length), = _generated(tl, "Video")
        (a_track, sound, a_start, a_length), = _generated(tl, "Audio")
        assert (p_start, p_length) == (a_start, a_length) == (start, frames)
        assert a_track == "AI Generated" and sound.source_range == picture.source_range
        assert _block(sound)["link_id"] == _block(picture)["link_id"] != ""


@pytest.mark.parametrize("suffix", [".xml", ".fcpxml", ".edl", ".kdenlive"])
def test_the_sound_clip_survives_the_other_formats(
    suffix: str, preview_server: RunningServer, media_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project")
    output = tmp_path / "project" / f"placed{suffix}"
    result = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", SPEECH,
                      "-o", output, *_local(preview_server, tmp_path / "ledger.sqlite3"))
    tl = read_timeline(Path(str(result["timeline"])), rate="25" if suffix == ".edl" else None)
    # FCPXML keeps the sequence's tcStart (10:00:00:00): read back, its record frames count
    # from 00:00:00:00, as with every FCPXML read.
    at = case.record_frame + (TEN_25 if suffix == ".fcpxml" else 0)
    pictures = [c for c in _clips(tl, "Video") if c[2] == at]
    sounds = [c for c in _clips(tl, "Audio") if c[2] == at]
    assert [c[3] for c in pictures] == [result["frames"]]
    # The CMX 3600 writer (otio-cmx3600-adapter) writes picture events only: an EDL carries
    # the generated clip without its sound, which stays in the media file.
    assert [c[3] for c in sounds] == ([] if suffix == ".edl" else [result["frames"]])
