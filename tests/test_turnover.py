"""``stillmotion turnover``: three generated shots at 23.976 from 01:00:00:00 handed over with
8-frame handles as EXR and ProRes 4444; frame counts, burnt-in codes on the first and last plate
frames, header timecodes, and the EDL/OTIO/CSV re-read through the real adapters."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

import stillmotion.finishing.turnover as turnover_module
from stillmotion.errors import TranscodeError
from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.records import JobFiles
from stillmotion.media.imageheaders import (
    read_dpx_timecode,
    read_exr_chromaticities,
    read_exr_timecode,
)
from stillmotion.media.plates import write_plate
from stillmotion.media.probe import probe
from stillmotion.media.sampling import shown_frame
from stillmotion.server import RunningServer
from stillmotion.timecode import Timecode
from stillmotion.timeline.io import read_timeline
from support.finishing import (
    HANDLES,
    PROMPTS,
    ShotCase,
    ThreeShots,
    make_three_shots,
    record_ranges,
)
from support.framecode import luma_frames, luma_of_image, read_code
from support.generate_env import cli, isolate, snapshot
from support.timelines import R23

CLOCK = Timecode(R23)


@pytest.fixture(scope="module")
def three(preview_server: RunningServer, media_dir: Path, tmp_path_factory: pytest.TempPathFactory,
          ) -> ThreeShots:
    folder = tmp_path_factory.mktemp("three")
    with pytest.MonkeyPatch.context() as patch:
        isolate(patch, folder)
        return make_three_shots(preview_server, media_dir, folder / "project")


def _expected(shot: ShotCase) -> tuple[int, int, int]:
    head = min(HANDLES, shot.media_in)
    tail = min(HANDLES, shot.available - shot.media_in - shot.duration)
    return head, tail, head + shot.duration + tail



def _turn_over(capsys: pytest.CaptureFixture[str], three: ThreeShots, out: Path,
               fmt: str, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "turnover", three.timeline, "--handles", str(HANDLES), "--format", fmt,
               "-o", out, "--ledger", three.ledger, *extra)


def _codes_expected(shot: ShotCase) -> tuple[int, int]:
    """Burnt-in codes of the first and last plate frames (the fps rule from the original)."""
    head, _, count = _expected(shot)
    step = shot.rate / R23
    first = shot.media_in - head
    return shown_frame(first, step), shown_frame(first + count - 1, step)


def _check_records(out: Path, three: ThreeShots, fmt: str) -> list[dict[str, object]]:
    records = []
    for index, shot in enumerate(three.shots):
        name = f"sh{(index + 1) * 10:03d}_comp_v001"
        record = json.loads((out / name / f"{name}.json").read_text())
        head, tail, count = _expected(shot)
        plate = record["plate"]
        assert (plate["frames"], plate["head_handle"], plate["tail_handle"]) == (count, head, tail)
        assert (plate["first_frame"], plate["last_frame"]) == (1001, 1000 + count)
        assert plate["cut_first_frame"] == 1001 + head
        assert plate["format"] == fmt
        assert record["job_id"] == shot.job_id and record["provider"] == "preview"
        assert record["prompt"] == PROMPTS[index]
        assert record["record"]["in"] == CLOCK.to_text(shot.record_start)
        assert record["source"]["in_frame"] == shot.media_in
        assert plate["timecode"] == CLOCK.to_text(shot.record_start - head)
        assert record["provenance"]["original_download"] == str(shot.download)
        assert (out / name / record["still"]).is_file()
        records.append(record)
    return records


def _check_edit(out: Path, three: ThreeShots) -> None:
    """EDL and OTIO re-read through the adapters: record and source ranges, comments."""
    for path in (out / "turnover.edl", out / "turnover.otio"):
        rows = record_ranges(read_timeline(path, rate="23.976"))
        assert len(rows) == 3, path
        for index, (row, shot) in enumerate(zip(rows, three.shots, strict=True)):
            name, rec_in, rec_out, src_in, src_out, comments = row
            head, _, count = _expected(shot)
            assert (rec_in, rec_out) == (shot.record_start, shot.record_start + shot.duration)
            # the plate carries the record timecode, so the cut's source range equals it
            assert (src_in, src_out) == (rec_in, rec_out), path
            shot_name = f"sh{(index + 1) * 10:03d}"
            assert name == f"{shot_name}_comp_v001"
            assert f"SHOT {shot_name} NAME {name}" in comments
            assert (f"FRAMES CUT {1001 + head}-{1000 + head + shot.duration} PLATE 1001-"
                    f"{1000 + count} HANDLES") in " ".join(comments)


def _check_csv(out: Path) -> None:
    with (out / "shots.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["shot"] for r in rows] == ["sh010", "sh020", "sh030"]
    assert [r["prompt"] for r in rows] == list(PROMPTS)


def test_exr_turnover_plates_codes_timecodes_edl_otio_csv(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "exr"
    code, _, err = _turn_over(capsys, three, out, "exr")
    assert code == 0, err
    # the third shot starts 3 frames into its clip: its head handle is clamped and reported
    assert "sh030_comp_v001: the original has 3 frames before and 8 after the cut" in err
    assert err.count("stillmotion:") == 1
    _check_records(out, three, "exr")
    for index, shot in enumerate(three.shots):
        name = f"sh{(index + 1) * 10:03d}_comp_v001"
        head, _, count = _expected(shot)
        frames = sorted((out / name).glob("*.exr"))
        assert [f.name for f in frames] == [f"{name}.{1001 + i}.exr" for i in range(count)]
        with av.open(str(frames[0])) as container:
            assert container.streams.video[0].codec_context.pix_fmt == "gbrpf16le"  # half
        codes = (read_code(luma_of_image(frames[0])), read_code(luma_of_image(frames[-1])))
        assert codes == _codes_expected(shot)
        assert read_exr_timecode(frames[0]) == CLOCK.to_text(shot.record_start - head)
        assert read_exr_timecode(frames[-1]) == CLOCK.to_text(shot.record_start - head
                                                              + count - 1)
    _check_edit(out, three)
    _check_csv(out)
    assert not [p for p in out.rglob(".*")]  # no temporary folders or files left


def test_prores4444_turnover_movie_with_timecode_track(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "prores"
    code, _, err = _turn_over(capsys, three, out, "prores4444")
    assert code == 0, err
    records = _check_records(out, three, "prores4444")
    for record, shot in zip(records, three.shots, strict=True):
        head, _, count = _expected(shot)
        movie = out / str(record["name"]) / f"{record['name']}.mov"
        facts = probe(movie).require_video()
        assert (facts.codec, facts.frame_count, facts.rate) == ("prores", count, R23)
        assert facts.profile == "4444"  # the decoder presents 4444 as yuv444p12le
        assert facts.start_timecode == CLOCK.to_text(shot.record_start - head)
        lumas = luma_frames(movie)
        assert (read_code(lumas[0]), read_code(lumas[-1])) == _codes_expected(shot)
    _check_edit(out, three)
    _check_csv(out)


def test_dpx_is_10_bit_with_header_timecode_and_start_frame(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "dpx"
    code, _, err = _turn_over(capsys, three, out, "dpx", "--track", "AI Generated",
                              "--start-frame", "101", "--name", "{shot}_{task}_v{version:03d}",
                              "--task", "paint", "--version", "3")
    assert code == 0, err
    shot = three.shots[1]
    head, _, count = _expected(shot)
    frames = sorted((out / "sh020_paint_v003").glob("*.dpx"))
    assert frames[0].name == "sh020_paint_v003.0101.dpx"
    assert len(frames) == count
    data = frames[0].read_bytes()
    assert data[:4] in (b"SDPX", b"XPDS") and data[803] == 10  # bits per element of image element 1
    assert read_dpx_timecode(frames[0]) == CLOCK.to_text(shot.record_start - head)
    assert read_code(luma_of_image(frames[-1])) == _codes_expected(shot)[1]


def test_existing_turnover_folder_is_kept_without_overwrite(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "again"
    assert _turn_over(capsys, three, out, "prores4444")[0] == 0
    before = snapshot(out)
    code, _, err = _turn_over(capsys, three, out, "prores4444")
    assert code == 3
    assert err.strip() == (f"stillmotion: The turnover folder {out} already exists; choose "
                           "another -o or pass --overwrite to replace its shots.")
    assert snapshot(out) == before
    code, _, err = _turn_over(capsys, three, out, "prores4444", "--overwrite", "--shots", "RED")
    assert code == 8 and "no generated clips on this timeline with a RED marker" in err
    assert snapshot(out) == before
    assert _turn_over(capsys, three, out, "prores4444", "--overwrite")[0] == 0
    assert not [p for p in out.rglob(".*")]


def test_no_generated_clips_on_the_chosen_track(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "none"
    code, _, err = _turn_over(capsys, three, out, "exr", "--track", "V1")
    assert code == 8
    assert err.strip() == ("stillmotion: There are no generated clips on the tracks V1; check "
                           "the track names and marker colour (`--all` takes every generated "
                           "clip).")
    assert not out.exists()


def _moved(path: Path) -> Path:
    moved = path.with_name(path.name + ".moved")
    path.rename(moved)
    return moved


def test_missing_original_download_and_conformed_clip_say_where_they_were(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    download = three.shots[1].download
    conformed = _conformed(three, 1)
    moved = [(_moved(download), download), (_moved(conformed), conformed)]
    try:
        out = tmp_path / "missing"
        code, _, err = _turn_over(capsys, three, out, "exr")
    finally:
        for now, before in moved:
            now.rename(before)
    assert code == 7
    assert err.strip() == (f"stillmotion: The original download of shot sh020 (AI hour take 1) "
                           f"is missing: it was at {download}; put it back there (or regenerate "
                           "the shot) and run again.")
    assert not out.exists()


def _conformed(three: ThreeShots, index: int) -> Path:
    with Ledger(three.ledger) as book:
        found = book.get(three.shots[index].job_id).files.conformed
    assert found is not None
    return Path(found)


def test_a_download_the_ledger_knows_elsewhere_is_used(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The download moved and the ledger was told (the timeline still names the old path)."""
    isolate(monkeypatch, tmp_path)
    shot = three.shots[1]
    elsewhere = tmp_path / "archive" / shot.download.name
    elsewhere.parent.mkdir()
    shot.download.rename(elsewhere)
    with Ledger(three.ledger) as book:
        book.update(shot.job_id, files=JobFiles(download=elsewhere))
    try:
        out = tmp_path / "relinked"
        code, _, err = _turn_over(capsys, three, out, "exr")
    finally:
        elsewhere.rename(shot.download)
        with Ledger(three.ledger) as book:
            book.update(shot.job_id, files=JobFiles(download=shot.download))
    assert code == 0, err
    assert "sh020" not in err  # nothing to report: the plate is from the original
    frames = sorted((out / "sh020_comp_v001").glob("*.exr"))
    assert len(frames) == _expected(shot)[2]
    codes = (read_code(luma_of_image(frames[0])), read_code(luma_of_image(frames[-1])))
    assert codes == _codes_expected(shot)
    record = json.loads((out / "sh020_comp_v001" / "sh020_comp_v001.json").read_text())
    assert record["source"]["media"] == str(elsewhere)


def test_without_the_download_the_plate_comes_from_the_conformed_clip(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    shot = three.shots[1]
    conformed = _conformed(three, 1)
    moved = _moved(shot.download)
    try:
        out = tmp_path / "from_conformed"
        code, _, err = _turn_over(capsys, three, out, "exr")
    finally:
        moved.rename(shot.download)
    assert code == 0, err
    assert (f"stillmotion: sh020_comp_v001: the original download is missing (it was at "
            f"{shot.download}), so the plate is taken from the conformed clip {conformed}."
            ) in err.splitlines()
    head, _, count = _expected(shot)
    frames = sorted((out / "sh020_comp_v001").glob("*.exr"))
    assert len(frames) == count
    # plate frame j is the conformed clip's frame (media in - head + j)
    lumas = luma_frames(conformed)
    for frame, index in ((frames[0], shot.media_in - head),
                         (frames[-1], shot.media_in - head + count - 1)):
        assert float(np.mean(np.abs(luma_of_image(frame) - lumas[index]))) < 3
    record = json.loads((out / "sh020_comp_v001" / "sh020_comp_v001.json").read_text())
    assert record["provenance"]["original_download"] == str(shot.download)
    assert record["provenance"]["plate_from"] == str(conformed)


def test_handles_longer_than_the_media_are_clamped_and_reported(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "long"
    code, _, err = cli(capsys, "turnover", three.timeline, "--handles", "100", "--format",
                       "prores4444", "-o", out, "--ledger", three.ledger)
    assert code == 0, err
    for index, shot in enumerate(three.shots):
        name = f"sh{(index + 1) * 10:03d}_comp_v001"
        after = shot.available - shot.media_in - shot.duration
        assert (f"{name}: the original has {shot.media_in} frames before and {after} after "
                "the cut, so the handles are") in err
        facts = probe(out / name / f"{name}.mov").require_video()
        assert facts.frame_count == shot.available  # the whole original, nothing invented


@pytest.mark.parametrize(("args", "message"), [
    (("--format", "tiff"), "Unknown plate format 'tiff'; choose one of: exr, dpx, prores4444, "
                           "dnxhr444, dnxhr-hqx."),
    (("--format", "exr", "--colour-space", "p3"), "Unknown colour space 'p3'"),
    (("--format", "dpx", "--colour-space", "acescg"), "dpx plates cannot be ACEScg"),
    (("--format", "exr", "--name", "{task}_v{version:03d}"), "must use {shot} and {version}"),
    (("--format", "exr", "--handles", "-2"), "--handles must be 0 or more, not -2."),
])
def test_bad_options_are_one_sentence(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str,
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "bad"
    argv: list[str | Path] = ["turnover", three.timeline, "--handles", "8", "-o", out,
                              "--ledger", three.ledger, *args]
    if "--handles" in args:
        argv[2:4] = []
    code, _, err = cli(capsys, *argv)
    assert code == 3 and message in err and err.count("\n") <= 1
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize(("fmt", "profile", "pix_fmt"), [
    ("dnxhr444", "DNXHR 444", "yuv444p10le"),
    ("dnxhr-hqx", "DNXHR HQX", "yuv422p10le"),
])
def test_dnxhr_plates_are_10_bit_with_timecode(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], fmt: str, profile: str, pix_fmt: str,
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / fmt
    code, _, err = cli(capsys, "turnover", three.timeline, "--handles", "2", "--format", fmt,
                       "-o", out, "--ledger", three.ledger, "--shots", "purple")
    assert code == 0, err
    shot = three.shots[0]
    facts = probe(out / "sh010_comp_v001" / "sh010_comp_v001.mov").require_video()
    assert (facts.profile, facts.pix_fmt) == (profile, pix_fmt)
    assert facts.frame_count == shot.duration + 4
    assert facts.start_timecode == CLOCK.to_text(shot.record_start - 2)


def test_a_shot_that_fails_mid_write_leaves_no_partial_folder(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ffmpeg failing after some frames of the second shot (here: the real writer runs, then
    the disk 'fills'): the first shot stays complete, the second leaves nothing behind."""
    isolate(monkeypatch, tmp_path)
    real = write_plate  # the writer turnover imports, patched there below

    def failing(*args: Any, **kwargs: Any) -> list[Path]:
        written = real(*args, **kwargs)
        if args[2].startswith("sh020"):
            raise TranscodeError("Writing the exr plate sh020_comp_v001 failed: No space left "
                                 "on device", path=args[1])
        return written

    monkeypatch.setattr(turnover_module, "write_plate", failing)
    out = tmp_path / "fails"
    code, _, err = _turn_over(capsys, three, out, "exr")
    assert code == 7
    assert err.strip() == ("stillmotion: Writing the exr plate sh020_comp_v001 failed: No "
                           "space left on device")
    assert sorted(p.name for p in out.iterdir()) == ["sh010_comp_v001"]
    _, _, count = _expected(three.shots[0])
    assert len(list((out / "sh010_comp_v001").glob("*.exr"))) == count


def test_colour_spaces_reach_the_plates_and_acescg_movies_are_refused(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Pixels are checked in test_plate_colour; here the flag reaches every plate and JSON."""
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "rec2020"
    code, _, err = _turn_over(capsys, three, out, "prores4444", "--colour-space", "Rec.2020")
    assert code == 0, err
    for index in range(3):
        name = f"sh{(index + 1) * 10:03d}_comp_v001"
        video = probe(out / name / f"{name}.mov").require_video()
        assert (video.color_primaries, video.color_trc, video.colorspace) == (
            "bt2020", "bt2020-10", "bt2020nc")
        record = json.loads((out / name / f"{name}.json").read_text())
        assert record["plate"]["colour_space"] == "rec2020"
    aces = tmp_path / "aces"
    code, _, err = _turn_over(capsys, three, aces, "exr", "--colour-space", "acescg")
    assert code == 0, err
    frames = sorted((aces / "sh010_comp_v001").glob("*.exr"))
    assert read_exr_chromaticities(frames[0]) == pytest.approx(
        (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767))
    assert read_exr_timecode(frames[0]) == CLOCK.to_text(three.shots[0].record_start - HANDLES)
    refused = tmp_path / "refused"
    code, _, err = _turn_over(capsys, three, refused, "prores4444", "--colour-space", "acescg")
    assert code == 3
    assert err.strip() == ("stillmotion: prores4444 plates cannot be ACEScg (linear light "
                           "needs float EXR); use --format exr or another colour space.")
    assert not refused.exists()
