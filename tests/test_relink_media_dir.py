"""``--media-dir`` relinks on every command that reads a timeline, and its first folder still
receives the generated clips; ``--relink-dir`` only searches; ``--rate`` on formats that carry
their own rate; the EDL's ``FCM`` line survives our writing.

Every generate runs through the real CLI against the local preview server on frame-coded
media; the EDLs are authored here as Resolve and Premiere write them (clip names only).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from stillmotion.jobs.records import TimelineReading
from stillmotion.server import RunningServer
from stillmotion.timeline.io import read_timeline
from support.generate_env import FAST, cli, code_of, generated, isolate, job, small_clip

# Resolve-style 59.94 DF EDL: reel and clip name only. Event 1 shows source 01:00:00;10
# (file frame 10 of media starting at 01:00:00;00) for 90 record frames.
EDL_5994 = """TITLE: DF5994 CUT
FCM: DROP FRAME

001  A001C003 V     C        01:00:00;10 01:00:01;40 01:00:00;00 01:00:01;30
* FROM CLIP NAME: A001C003.mov
"""
PROMPT = "Slow push in over 1 s"


def camera_card(media_dir: Path, folder: Path) -> Path:
    """``folder/A001C003.mov``: 59.94 DF media starting 01:00:00;00, frames coded 0…119."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "A001C003.mov"
    shutil.copyfile(small_clip(media_dir, "r5994_df"), target)
    return target


@dataclass(frozen=True)
class Shoot:
    """An isolated project: the clip-name EDL, the camera card under footage/day1, a ledger."""

    root: Path
    footage: Path
    media: Path
    edl: Path
    ledger: Path


@pytest.fixture
def shoot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, media_dir: Path) -> Shoot:
    isolate(monkeypatch, tmp_path)
    footage = tmp_path / "footage"
    media = camera_card(media_dir, footage / "day1")
    edl = tmp_path / "cut.edl"
    edl.write_text(EDL_5994)
    return Shoot(tmp_path, footage, media, edl, tmp_path / "ledger.sqlite3")


def _generate(capsys: pytest.CaptureFixture[str], server: RunningServer, edl: Path,
              ledger: Path, *flags: str | Path) -> tuple[dict[str, object], str]:
    code, out, err = cli(capsys, "generate", edl, "--at", "01:00:01;00", "--prompt", PROMPT,
                         "--ledger", ledger, "--provider", "preview", "--base-url",
                         server.base_url, *FAST, "--rate", "59.94", *flags, "--json")
    assert code == 0, err
    result: dict[str, object] = json.loads(out)
    return result, err


def test_generate_on_a_clip_name_edl_with_media_dir_grabs_the_right_frame(
    shoot: Shoot, tmp_path: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The must-show: only clip names, ``--media-dir`` and ``--rate 59.94``."""
    footage, media, edl, ledger = shoot.footage, shoot.media, shoot.edl, shoot.ledger
    result, err = _generate(capsys, preview_server, edl, ledger, "--media-dir", footage)
    assert f"Relinked 'A001C003.mov' to {media.absolute()}" in err
    row = job(ledger, str(result["job_id"]))
    assert row.files.source_image is not None
    assert code_of(row.files.source_image) == 10 + 60      # 60 record frames into the event
    # The first --media-dir keeps its meaning: the generated clip is written there.
    conformed = Path(str(result["conformed"]))
    assert conformed.parent == footage.absolute() and conformed.is_file()
    output = Path(str(result["timeline"]))
    placed = generated(output, rate="59.94")
    assert [g.record_start_frame for g in placed] == [60]
    assert output.read_text().splitlines()[1] == "FCM: DROP FRAME"
    # `jobs resume` reads the EDL again the same way.
    assert row.context.reading == TimelineReading(rate="59.94", relink_dirs=(str(footage),))


def test_the_first_media_dir_receives_clips_and_relink_dir_never_does(
    shoot: Shoot, tmp_path: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    footage, media, edl, ledger = shoot.footage, shoot.media, shoot.edl, shoot.ledger
    # A first --media-dir that does not exist yet is created for the clips; the second is
    # searched.
    clips = tmp_path / "ai clips"
    result, err = _generate(capsys, preview_server, edl, ledger, "--media-dir", clips,
                            "--media-dir", footage)
    assert f"to {media.absolute()}" in err
    assert Path(str(result["conformed"])).parent == clips.absolute()
    assert job(ledger, str(result["job_id"])).context.reading == TimelineReading(
        rate="59.94", relink_dirs=(str(footage),))
    before = sorted(footage.rglob("*"))
    # --relink-dir only searches: the clip goes to stillmotion_media/ beside the output.
    result, err = _generate(capsys, preview_server, edl, ledger, "--relink-dir", footage,
                            "--new-take", "--overwrite")
    assert f"to {media.absolute()}" in err
    assert Path(str(result["conformed"])).parent == (tmp_path / "stillmotion_media").absolute()
    assert sorted(footage.rglob("*")) == before


def test_review_of_a_timeline_relinks_from_media_dir_and_relink_dir(
    shoot: Shoot, tmp_path: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``review TIMELINE --media-dir DIR`` reads the timeline relinked from DIR (it used to
    refuse a timeline and --media-dir together); ``review --media-dir DIR`` alone still reviews
    the clips in DIR."""
    footage, media, edl, ledger = shoot.footage, shoot.media, shoot.edl, shoot.ledger
    result, _ = _generate(capsys, preview_server, edl, ledger, "--media-dir", tmp_path / "clips",
                          "--media-dir", footage)
    output = Path(str(result["timeline"]))
    # The camera card moves (a new mount): the output EDL's source event is offline now.
    moved = tmp_path / "new mount"
    shutil.move(str(footage), moved)
    for flag in ("--media-dir", "--relink-dir"):
        page = tmp_path / f"review{flag}.html"
        code, out, err = cli(capsys, "review", output, "--rate", "59.94", flag, moved,
                             "-o", page, "--ledger", ledger)
        assert code == 0, err
        now = (moved / media.relative_to(footage)).absolute()
        assert f"Relinked 'A001C003.mov' to {now}" in err
        assert "1 shot" in out and PROMPT in page.read_text()
    page = tmp_path / "folder.html"
    code, out, err = cli(capsys, "review", "--media-dir", tmp_path / "clips", "-o", page,
                         "--ledger", ledger)
    assert code == 0, err
    assert "1 shot" in out and "Relinked" not in err


def test_review_with_two_media_dirs_and_no_timeline_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    code, _, err = cli(capsys, "review", "--media-dir", tmp_path / "a", "--media-dir",
                       tmp_path / "b", "-o", tmp_path / "r.html")
    assert code == 3 and "one --media-dir folder" in err and err.count("\n") == 1, err
    assert not (tmp_path / "r.html").exists()


def test_a_missing_media_dir_on_a_reading_command_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """Only the folder that receives clips may not exist yet; `takes` receives none."""
    edl = tmp_path / "cut.edl"
    edl.write_text(EDL_5994)
    code, _, err = cli(capsys, "takes", edl, "--at", "01:00:01;00", "--use", "1", "--rate",
                       "59.94", "--media-dir", tmp_path / "nope")
    assert code == 3 and "The relink folder" in err and "nope" in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_jobs_resume_relinks_from_the_folders_the_run_searched(
    shoot: Shoot, tmp_path: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A run killed after the conform (state ``conformed``, no timeline written yet) is placed
    by ``jobs resume`` reading the EDL as the run did: at 59.94, relinked from --media-dir."""
    footage, media, edl, ledger = shoot.footage, shoot.media, shoot.edl, shoot.ledger
    result, err = _generate(capsys, preview_server, edl, ledger, "--media-dir", tmp_path / "clips",
                            "--media-dir", footage)
    # Reported once though the EDL is read twice; our DF marker is not counted as dropped.
    assert err.count("Relinked") == 1 and "drops" not in err, err
    output = Path(str(result["timeline"]))
    for written in output.parent.glob(f"{output.stem}*"):   # the EDL, its .otio, its sidecar
        written.unlink()
    with sqlite3.connect(ledger) as db:   # what a kill while placing leaves
        db.execute("UPDATE jobs SET state = 'conformed' WHERE id = ?", (result["job_id"],))
    code, _, err = cli(capsys, "jobs", "resume", str(result["job_id"]), "--ledger", ledger)
    assert code == 0, err
    [shot] = [clip for clip in read_timeline(output, rate="59.94").find_clips()
              if clip.name == "A001C003.mov"]
    assert shot.media_reference.target_url == str(media.absolute())
    assert [g.record_start_frame for g in generated(output, rate="59.94")] == [60]
