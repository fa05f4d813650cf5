"""Repeats, takes, dry runs, marker batches, extend and remix against a real local server whose
request counters prove what was (and was not) sent."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from stillmotion.jobs.ledger import Ledger, LedgerState
from stillmotion.server import FaultPlan, RunningServer
from stillmotion.timeline.generated import GeneratedClip
from support.generate_env import (
    FAST,
    HOUR_23,
    case_25,
    cli,
    cli_json,
    code_of,
    generated,
    isolate,
    job,
    small_clip,
    write_case,
)
from support.server import server_fixture
from support.timelines import R23, media_clip, rt, timeline, track

PROMPT = "Slow dolly in over 1 s; warm evening light"
BANNED = "forbidden"


server = server_fixture(faults=FaultPlan(moderation_words=[BANNED]))


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: RunningServer) -> None:
    isolate(monkeypatch, tmp_path)
    server.reset_stats()


def _local(server: RunningServer, ledger: Path) -> list[str]:
    return ["--provider", "preview", "--base-url", server.base_url, *FAST, "--ledger",
            str(ledger)]


def _only(path: Path) -> GeneratedClip:
    clips = generated(path)
    assert len(clips) == 1, clips
    return clips[0]


def _media(clip: GeneratedClip) -> str:
    return str(clip.clip.media_reference.target_url)


def test_repeat_reuses_new_take_shares_the_slot_and_takes_switch_back(
    server: RunningServer, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    generate = ["generate", str(source), "--at", case.at, "--prompt", PROMPT,
                *_local(server, ledger)]

    first = cli_json(capsys, *generate)
    output = Path(first["timeline"])
    slot = _only(output)
    assert server.stats()["creates"] == {PROMPT: 1}

    code, out, err = cli(capsys, *generate, "--overwrite")
    assert code == 0, err
    assert f"Job {first['job_id']} take 1 (already generated: reused, nothing sent)" in out
    assert server.stats()["total_creates"] == 1

    second = cli_json(capsys, *generate, "--overwrite", "--new-take")
    assert second["job_id"] != first["job_id"] and not second["reused"]
    assert server.stats()["creates"] == {PROMPT: 2}
    shown = _only(output)
    assert (shown.track_name, shown.record_start_frame, shown.duration_frames) == (
        slot.track_name, slot.record_start_frame, slot.duration_frames)
    assert shown.record_start_frame == case.record_frame
    assert shown.metadata is not None and shown.metadata.take == 2
    assert [(t.take, t.job_id, t.media) for t in shown.metadata.takes] == [
        (1, first["job_id"], first["conformed"]), (2, second["job_id"], second["conformed"])]
    assert _media(shown) == second["conformed"]
    assert job(ledger, first["job_id"]).take_group == job(ledger, second["job_id"]).take_group

    switched = tmp_path / "project" / "take1.otio"
    code, out, err = cli(capsys, "takes", output, "--at", case.at, "--use", "1", "-o", switched)
    assert code == 0, err
    back = _only(switched)
    assert back.metadata is not None and back.metadata.take == 1
    assert back.metadata.job_id == first["job_id"] and len(back.metadata.takes) == 2
    assert _media(back) == first["conformed"]
    assert back.record_start_frame == case.record_frame
    assert server.stats()["total_creates"] == 2


def test_dry_run_sends_nothing_and_prints_the_estimate(
    server: RunningServer, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    code, out, err = cli(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                         "--dry-run", *_local(server, ledger))
    assert code == 0, err
    assert "Dry run: nothing was sent." in out
    assert "estimate      $0.00 (1 s at $0.00/s" in out
    assert f"source_frame  {case.source_frame}" in out
    stats = server.stats()
    assert stats["total_creates"] == 0
    assert not any(route.startswith("POST") for route in stats["requests"])
    assert not (tmp_path / "project" / "cut.stillmotion.otio").exists()
    with Ledger(ledger) as book:
        assert book.jobs() == []


def _marker_timeline(media: Path) -> otio.schema.Timeline:
    """Four 18-frame shots (source frames 0-71 in order), a prompt marker 2 frames into each;
    the third prompt is one the server's moderation refuses."""
    prompts = ["Push in on the first shot", "Pan left across the second",
               f"A {BANNED} third shot", "Tilt up on the fourth"]
    shots = []
    for index, prompt in enumerate(prompts):
        clip = media_clip(f"S{index + 1}", media, rate=R23, source_start=HOUR_23 + 18 * index,
                          duration=18, available=(HOUR_23, 72))
        start = clip.source_range.start_time + rt(2, R23)
        clip.markers.append(otio.schema.Marker(
            name=prompt, marked_range=otio.opentime.TimeRange(start, rt(0, R23)),
            color=otio.schema.MarkerColor.GREEN))
        shots.append(clip)
    return timeline("markers", R23, HOUR_23, [track("V1", shots)])


def test_batch_from_markers_places_the_others_when_one_is_refused(
    server: RunningServer, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    source = project / "markers.otio"
    otio.adapters.write_to_file(_marker_timeline(small_clip(media_dir, "r23_hour")), str(source))
    ledger = tmp_path / "ledger.sqlite3"
    code, out, err = cli(capsys, "batch", source, "--from-markers", *_local(server, ledger))
    assert code == 6, err
    assert "3 placed, 1 failed." in out
    failures = [line for line in err.splitlines() if line.startswith("stillmotion: ")]
    assert len(failures) == 1 and "marker at 01:00:01:14" in failures[0], err
    assert "moderation" in failures[0]
    assert "Traceback" not in err
    placed = generated(project / "markers.stillmotion.otio")
    assert sorted(p.record_start_frame for p in placed) == [2, 20, 56]
    for clip in placed:
        assert clip.metadata is not None
        assert clip.metadata.source_frame == clip.record_start_frame
        sent = job(ledger, clip.metadata.job_id).files.image
        assert sent is not None and code_of(sent) == clip.record_start_frame
    assert server.stats()["total_creates"] == 4
    with Ledger(ledger) as book:
        states = sorted(row.state.value for row in book.jobs())
    assert states == ["failed", "placed", "placed", "placed"]


def test_extend_places_right_after_the_clips_out_point(
    server: RunningServer, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))      # "pal": record 0-40, source 5-45
    source = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    result = cli_json(capsys, "extend", source, "--clip", "pal", "--prompt", "Keep drifting",
                      *_local(server, ledger))
    row = job(ledger, result["job_id"])
    assert row.files.source_image is not None
    assert code_of(row.files.source_image) == 44       # the clip's last frame
    extension = _only(Path(result["timeline"]))
    assert extension.record_start_frame == 40
    assert extension.duration_frames == round(Fraction(25))
    assert server.stats()["creates"] == {"Keep drifting": 1}


def test_extend_with_new_take_never_replaces_the_generated_clip_it_starts_from(
    server: RunningServer, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--new-take`` puts a take in the slot under the playhead for ``generate`` only; an
    extension starts on that clip's last frame but goes after it."""
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    first = cli_json(capsys, "generate", source, "--at", "10:00:00:02", "--prompt", PROMPT,
                     *_local(server, ledger))  # 1 s at 25: over the shot (record 0-40) to 27
    placed = _only(Path(first["timeline"]))
    extended = cli_json(capsys, "extend", first["timeline"], "--clip", str(placed.clip.name),
                        "--prompt", "Keep drifting", "--new-take", *_local(server, ledger))
    clips = sorted(generated(Path(extended["timeline"])), key=lambda g: g.record_start_frame)
    assert [(c.record_start_frame, c.metadata.job_id if c.metadata else None)
            for c in clips] == [
        (placed.record_start_frame, first["job_id"]),
        (placed.record_start_frame + placed.duration_frames, extended["job_id"])]


def test_remix_makes_a_new_take_grouped_with_the_first(
    server: RunningServer, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    first = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                     *_local(server, ledger))
    remixed = cli_json(capsys, "remix", first["job_id"], "--prompt", "Same shot at night",
                       "--ledger", ledger, "--base-url", server.base_url)
    assert server.stats()["creates"] == {PROMPT: 1, "Same shot at night": 1}
    assert server.stats()["requests"].get("POST /v1/videos/{video_id}/remix") == 1
    original, remix = job(ledger, first["job_id"]), job(ledger, remixed["job_id"])
    assert remix.state is LedgerState.PLACED
    assert remix.request.remix_of == original.remote_id
    assert remix.take_group == original.take_group
    written = Path(remixed["timeline"])
    assert written == tmp_path / "project" / "cut-2.stillmotion.otio"
    shown = _only(written)
    assert shown.record_start_frame == case.record_frame
    assert shown.metadata is not None and shown.metadata.take == 2
    assert shown.metadata.prompt == "Same shot at night"
    assert [t.job_id for t in shown.metadata.takes] == [original.id, remix.id]
    assert _media(shown) == remixed["conformed"]
