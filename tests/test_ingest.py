"""``stillmotion ingest``: an artist's ``v002`` made from the turnover's plates (the plates with a
visible box drawn in a corner) comes back as a new take in each slot, exactly over the cut with
the handles cut off (burnt-in codes), the provenance chain in metadata; ``takes --use 1`` goes
back to the AI take; bad versions are refused with one sentence each."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.sampling import shown_frame
from stillmotion.review.from_timeline import review_timeline
from stillmotion.review.rows import LedgerIndex
from stillmotion.server import RunningServer
from stillmotion.timecode import Timecode
from stillmotion.timeline.handoff import ShotSlot, shot_slots
from stillmotion.timeline.io import read_timeline, write_timeline
from support.finishing import ShotCase, ThreeShots, make_three_shots, run_json
from support.framecode import luma_frames, read_code
from support.generate_env import cli, isolate, snapshot
from support.server import serving
from support.timelines import R23

CLOCK = Timecode(R23)
BOX = "drawbox=x=0:y=0:w=iw*0.3:h=ih*0.3:color=white:t=fill"


@dataclass(frozen=True)
class Turned:
    three: ThreeShots
    turnover: Path
    records: tuple[dict[str, object], ...]


@pytest.fixture(scope="module")
def turned(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> Iterator[Turned]:
    folder = tmp_path_factory.mktemp("ingest")
    with pytest.MonkeyPatch.context() as patch:
        isolate(patch, folder)
        with serving(folder / "server") as server:  # stopped: turnover needs no server
            three = _three(server, media_dir, folder)
        out = folder / "turnover"
        result = run_json("turnover", three.timeline, "--handles", "8", "--format", "exr",
                          "-o", out, "--ledger", three.ledger)
        yield Turned(three, out, tuple(result["shots"]))


def _three(server: RunningServer, media_dir: Path, folder: Path) -> ThreeShots:
    return make_three_shots(server, media_dir, folder / "project")


def _v002_sequence(turned: Turned, index: int, into: Path, *, with_json: bool = True,
                   drop_tail: int = 0) -> Path:
    """The plates of shot ``index`` with a white box drawn: ``sh0X0_comp_v002.NNNN.exr``."""
    record = turned.records[index]
    name = str(record["name"])
    version = name.replace("_v001", "_v002")
    folder = into / version
    folder.mkdir(parents=True)
    plate = record["plate"]
    assert isinstance(plate, dict)
    count = int(plate["frames"]) - drop_tail
    run(["-start_number", "1001", "-i", media_arg(turned.turnover / name / f"{name}.%04d.exr"),
         "-vf", f"{BOX},format=gbrpf32le", "-frames:v", str(count), "-c:v", "exr",
         "-format", "half", "-start_number", "1001",
         "-y", media_arg(folder / f"{version}.%04d.exr")], what="test v002")
    if with_json:
        shutil.copyfile(turned.turnover / name / f"{name}.json", folder / f"{name}.json")
    return folder


def _v002_movie(turned: Turned, index: int, path: Path, *, rate: str = "24000/1001",
                frames: int | None = None, pad: int = 0) -> Path:
    """The plates of shot ``index`` with the box, as ProRes 4444 at ``rate`` (no JSON)."""
    record = turned.records[index]
    name = str(record["name"])
    plate = record["plate"]
    assert isinstance(plate, dict)
    count = (frames if frames is not None else int(plate["frames"])) + pad
    path.parent.mkdir(parents=True, exist_ok=True)
    run(["-framerate", rate, "-start_number", "1001",
         "-i", media_arg(turned.turnover / name / f"{name}.%04d.exr"),
         "-vf", f"{BOX},tpad=stop={pad}:stop_mode=clone",
         "-frames:v", str(count), "-c:v", "prores_ks", "-profile:v", "4",
         "-pix_fmt", "yuv444p10le", "-y", media_arg(path)], what="test v002 movie")
    return path


def _slot(path: Path, shot: str) -> ShotSlot:
    return next(s for s in shot_slots(read_timeline(path)) if s.shot == shot)


def _check_take(out: Path, shot: ShotCase, name: str, take: int) -> None:
    """The slot shows a take of exactly the cut, the cut's first and last codes, the box."""
    slot = _slot(out, name)
    assert (slot.record_start, slot.duration) == (shot.record_start, shot.duration)
    meta = slot.metadata
    assert meta is not None and meta.take == take
    media = Path(slot.media_path)
    lumas = luma_frames(media)
    assert len(lumas) == shot.duration and slot.media_in == 0
    step = shot.rate / R23
    assert read_code(lumas[0]) == shown_frame(shot.media_in, step)
    assert read_code(lumas[-1]) == shown_frame(shot.media_in + shot.duration - 1, step)
    corner = lumas[0][: lumas[0].shape[0] // 5, : lumas[0].shape[1] // 5]
    assert float(np.mean(corner)) > 200  # the artist's change is what the slot shows


def test_v002_lands_in_each_slot_over_the_cut_and_takes_switch_back(
    turned: Turned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    returned = tmp_path / "returned"
    _v002_sequence(turned, 0, returned)
    _v002_sequence(turned, 1, returned)
    _v002_movie(turned, 2, returned / "sh030_comp_v002.mov")  # by name, handles recomputed
    out = tmp_path / "with_v002.otio"
    code, stdout, err = cli(capsys, "ingest", turned.three.timeline, returned, "-o", out,
                            "--ledger", turned.three.ledger)
    assert code == 0, err
    assert err == ""
    assert "sh030_comp_v002.mov -> sh030 take 2" in stdout
    for index, shot in enumerate(turned.three.shots):
        name = f"sh{(index + 1) * 10:03d}"
        _check_take(out, shot, name, 2)
        meta = _slot(out, name).metadata
        assert meta is not None
        chain = meta.extra["finishing"]["2"]
        assert chain["ai_job"] == shot.job_id and chain["ai_take"] == 1
        assert (chain["turnover_shot"], chain["task"], chain["version"]) == (name, "comp", 2)
        assert chain["handles_removed"] == [min(8, shot.media_in),
                                            min(8, shot.available - shot.media_in
                                                - shot.duration)]
        assert [t.take for t in meta.takes] == [1, 2] and meta.job_id == shot.job_id
    turned_over = _slot(out, "sh010").metadata
    assert turned_over is not None
    assert turned_over.extra["finishing"]["2"]["turnover_name"] == "sh010_comp_v001"

    # the review page shows the artist's version beside the AI take, the version in use
    review = review_timeline(out, LedgerIndex.load(turned.three.ledger))
    assert [len(s.takes) for s in review.shots] == [2, 2, 2]
    takes = [t for s in review.shots for t in s.takes]
    artist = [t for t in takes if t.provider == "artist"]
    assert len(artist) == 3 and all(t.in_use and t.model == "comp v002" for t in artist)
    assert [t.in_use for t in takes if t.provider == "preview"] == [False] * 3
    assert "made from AI job" in artist[0].notes[0]
    page = tmp_path / "review.html"
    code, _, err = cli(capsys, "review", out, "-o", page, "--ledger", turned.three.ledger)
    assert code == 0, err
    assert page.read_text().count("Artist version sh0") == 3

    # a slot showing an artist's version is not turned over again by mistake
    code, _, err = cli(capsys, "turnover", out, "--handles", "8", "--format", "exr", "-o",
                       tmp_path / "again", "--ledger", turned.three.ledger)
    assert code == 8 and not (tmp_path / "again").exists()
    assert err.strip() == ("stillmotion: Shot sh010 shows an artist's version (take 2); show "
                           "its AI take again (`stillmotion takes --use 1`) to turn it over.")

    back = tmp_path / "back.otio"
    shot = turned.three.shots[0]
    code, _, err = cli(capsys, "takes", out, "--at", CLOCK.to_text(shot.record_start + 2),
                       "--use", "1", "-o", back)
    assert code == 0, err
    slot = _slot(back, "sh010")
    assert slot.metadata is not None and slot.metadata.take == 1
    assert (slot.record_start, slot.duration, slot.media_in) == (
        shot.record_start, shot.duration, shot.media_in)  # the editor's trim is kept
    assert slot.media_path == str(slot.metadata.takes[0].media)


def test_wrong_rate_is_conformed_with_a_warning_and_long_versions_too(
    turned: Turned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    returned = tmp_path / "returned"
    _v002_movie(turned, 0, returned / "sh010_comp_v002.mov", rate="25")
    _v002_movie(turned, 1, returned / "sh020_comp_v003.mov", pad=4)
    out = tmp_path / "rate.otio"
    code, _, err = cli(capsys, "ingest", turned.three.timeline, returned, "-o", out,
                       "--ledger", turned.three.ledger)
    assert code == 0, err
    assert err.strip().splitlines() == [
        "stillmotion: sh010_comp_v002.mov is at 25 fps; its frames are taken one for one at "
        "the timeline's 23.976.",
        "stillmotion: sh020_comp_v003.mov has 36 frames instead of the plate's 32; its first "
        "frame is taken as the plate's first."]
    _check_take(out, turned.three.shots[0], "sh010", 2)
    _check_take(out, turned.three.shots[1], "sh020", 2)


def test_short_version_unmatched_and_ambiguous_names_are_refused_nothing_written(
    turned: Turned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    shot = turned.three.shots[1]
    returned = tmp_path / "returned"
    # too short: its tail does not reach the end of the cut (matched through its JSON's job)
    _v002_sequence(turned, 1, returned, drop_tail=32 - (8 + shot.duration - 1))
    _v002_movie(turned, 0, returned / "sh090_comp_v002.mov")  # no such shot
    # an edit where the AI clip of sh010 was duplicated and both moved: its JSON's job is twice
    dup = _duplicated(turned.three.timeline, tmp_path / "dup.otio")
    _v002_sequence(turned, 0, returned)
    before = snapshot(tmp_path)
    out = tmp_path / "refused.otio"
    code, stdout, err = cli(capsys, "ingest", dup, returned, "-o", out,
                            "--ledger", turned.three.ledger)
    assert code == 8, stdout
    lines = err.strip().splitlines()
    assert (f"stillmotion: sh020_comp_v002.[1001-{1000 + 8 + shot.duration - 1}].exr has "
            f"{8 + shot.duration - 1} frames but the cut "
            f"of sh020 needs {8 + shot.duration} (8 handle + {shot.duration} cut); not placed."
            ) in lines
    assert ("stillmotion: sh090_comp_v002.mov is for shot sh090, which is not on this "
            "timeline; not placed.") in lines
    assert any("sh010_comp_v002.[1001-1036].exr matches two shots, sh010 (AI Generated) and "
               "sh020 (AI Generated); not placed" in line for line in lines), lines
    assert len(lines) == 3
    assert not out.exists()
    assert snapshot(tmp_path) == before


def _duplicated(source: Path, path: Path) -> Path:
    """The timeline with the first AI clip pasted again right after itself, and the lead gap
    two frames longer: neither copy is where the turnover saw the shot."""
    timeline = read_timeline(source)
    track = next(t for t in timeline.tracks if t.name == "AI Generated")
    lead = track[0]
    track.insert(2, track[1].deepcopy())
    span = lead.source_range
    lead.source_range = otio.opentime.TimeRange(span.start_time, otio.opentime.RationalTime(
        span.duration.value + 2, span.duration.rate))
    return write_timeline(timeline, path)


def test_existing_output_timeline_is_refused_before_any_work(
    turned: Turned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    returned = tmp_path / "returned"
    _v002_sequence(turned, 0, returned)
    out = tmp_path / "taken.otio"
    out.write_text("keep me")
    code, _, err = cli(capsys, "ingest", turned.three.timeline, returned, "-o", out)
    assert code == 3
    assert err.strip() == (f"stillmotion: {out} already exists; choose another name or pass "
                           "--overwrite to replace it.")
    assert out.read_text() == "keep me"
    assert not (tmp_path / "stillmotion_media").exists()


def test_plates_of_the_turnover_itself_are_not_versions(
    turned: Turned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    code, _, err = cli(capsys, "ingest", turned.three.timeline, turned.turnover, "-o",
                       tmp_path / "x.otio")
    assert code == 8
    assert err.strip().startswith("stillmotion: There are no versions named like")


def test_a_cut_retrimmed_after_the_turnover_is_followed(
    turned: Turned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The editor slips the first shot's in-point 3 frames later (and shortens it) after the
    turnover: the version, matched through its JSON, is cut where the slot now is."""
    isolate(monkeypatch, tmp_path)
    timeline = read_timeline(turned.three.timeline)
    track = next(t for t in timeline.tracks if t.name == "AI Generated")
    clip = track[1]
    start, length = clip.source_range.start_time, clip.source_range.duration
    clip.source_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(start.value + 3, start.rate),
        otio.opentime.RationalTime(length.value - 5, length.rate))
    track.insert(2, otio.schema.Gap(source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, length.rate), otio.opentime.RationalTime(5, length.rate))))
    retrimmed = write_timeline(timeline, tmp_path / "retrimmed.otio")
    returned = tmp_path / "returned"
    _v002_sequence(turned, 0, returned)
    out = tmp_path / "followed.otio"
    code, _, err = cli(capsys, "ingest", retrimmed, returned, "-o", out,
                       "--ledger", turned.three.ledger)
    assert code == 0, err
    shot = turned.three.shots[0]
    moved = dataclasses.replace(shot, media_in=shot.media_in + 3, duration=shot.duration - 5)
    _check_take(out, moved, "sh010", 2)
