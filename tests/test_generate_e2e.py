"""``stillmotion generate`` end to end on the embedded preview provider, at every editorial rate.

Each run is the real command (in-process): read the timeline, locate the top-most enabled clip,
grab the exact source frame, send it to the local /v1/videos server, wait, download, conform with
ffmpeg, place on "AI Generated" and write a new timeline. The still that was sent is read back
from the ledger's files and its burnt-in frame code checked, so "the frame under the playhead"
means those pixels; the new timeline is re-read through its adapter to check the record frame.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stillmotion.jobs.ledger import LedgerState
from stillmotion.media.probe import probe
from stillmotion.timecode import parse_rate
from stillmotion.timeline.io import read_timeline
from stillmotion.timeline.resolve_shape import resolve_problems
from support.generate_env import (
    HOUR_23,
    Case,
    ai_items,
    case_25,
    case_2997_df,
    case_5994,
    case_23976,
    case_stacked,
    case_time_warp,
    case_transition,
    cli_json,
    code_of,
    generated,
    isolate,
    job,
    small_clip,
    snapshot,
    write_case,
)

PROMPT = "Slow dolly in over 1 s; warm evening light"

CASES: dict[str, tuple[Callable[[Path], Case], str]] = {
    "23.976 from 01:00:00:00": (case_23976, "r23_hour"),
    "25 from 10:00:00:00": (case_25, "r25_ten"),
    "29.97 DF": (case_2997_df, "r2997_df"),
    "59.94 DF": (case_5994, "r5994_df"),
    "stacked, top track disabled": (case_stacked, "r23_hour"),
    "2x LinearTimeWarp": (case_time_warp, "r23_hour"),
    "transition beside the playhead": (case_transition, "r23_hour"),
}


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


@pytest.mark.parametrize("name", list(CASES))
def test_generate_grabs_the_exact_frame_and_places_at_the_playhead(
    name: str, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build, clip_name = CASES[name]
    case = build(small_clip(media_dir, clip_name))
    project = tmp_path / "project"
    source = write_case(case, project)
    before = snapshot(project)
    ledger = tmp_path / "ledger.sqlite3"

    result = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                      "--provider", "preview", "--size", "320x180", "--seconds", "1",
                      "--preset", case.preset, "--ledger", ledger)

    row = job(ledger, result["job_id"])
    assert row.state is LedgerState.PLACED
    # The still sent to the service, as grabbed and as fitted to 320x180, is the source frame.
    assert row.files.source_image is not None and row.files.image is not None
    assert code_of(row.files.source_image) == case.source_frame
    assert code_of(row.files.image) == case.source_frame
    assert probe(row.files.image).require_video().size == (320, 180)
    # The input timeline and its media are untouched; the output is new, beside it.
    after = snapshot(project)
    assert {k: after[k] for k in before} == before
    written = Path(result["timeline"])
    assert written == project / "cut.stillmotion.otio"
    # The conformed clip runs at the timeline's rate for the seconds asked.
    rate = parse_rate(case.timeline.global_start_time.rate)
    facts = probe(Path(result["conformed"])).require_video()
    assert facts.rate == rate and result["frames"] == facts.frame_count == round(rate)
    # Re-read: one generated clip on "AI Generated", starting exactly at the playhead frame.
    clips = generated(written)
    assert len(clips) == 1
    placed = clips[0]
    assert placed.track_name == "AI Generated"
    assert (placed.record_start_frame, placed.duration_frames) == (case.record_frame,
                                                                     facts.frame_count)
    assert placed.metadata is not None
    assert placed.metadata.job_id == row.id and placed.metadata.source_frame == case.source_frame
    assert placed.metadata.preview is True
    assert list(ai_items(read_timeline(written))) == [
        ("AI Generated", placed.clip.name, case.record_frame,
         case.record_frame + facts.frame_count)]


def test_other_formats_keep_the_generated_clip_in_place(
    media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """FCP 7 XML, EDL and Kdenlive outputs: same clip, same record frame (one job, reused)."""
    case = case_23976(small_clip(media_dir, "r23_hour"))
    project = tmp_path / "project"
    source = write_case(case, project)
    ledger = tmp_path / "ledger.sqlite3"
    results = {}
    for suffix in ("xml", "edl", "kdenlive", "otio"):
        results[suffix] = cli_json(
            capsys, "generate", source, "--at", case.at, "--prompt", PROMPT, "--provider",
            "preview", "--size", "320x180", "--seconds", "1", "--preset", "h264-web",
            "--ledger", ledger, "-o", project / f"out.{suffix}")
    assert len({r["job_id"] for r in results.values()}) == 1
    assert [r["reused"] for r in results.values()] == [False, True, True, True]
    frames = results["xml"]["frames"]
    conformed = results["xml"]["conformed"]
    name = "AI hour take 1"
    end = case.record_frame + frames

    xml = read_timeline(project / "out.xml")
    assert xml.global_start_time.value == HOUR_23
    assert ("AI Generated", name, case.record_frame, end) in _layout(xml)
    (marked,) = generated(project / "out.xml")        # metadata kept in <comments>
    assert marked.record_start_frame == case.record_frame
    assert marked.metadata is not None and marked.metadata.prompt == PROMPT
    assert _media_of(marked.clip) == conformed

    # An EDL has no leading gap: its start is the first event's record in (01:00:00:03), so
    # compare absolute record frames (the record timecode the editor sees).
    edl = read_timeline(project / "out.edl", rate="23.976")
    lead = round(edl.global_start_time.value) - HOUR_23
    assert lead == 3
    rows = [(n, s + lead, e + lead) for _, n, s, e in _layout(edl)]
    # One picture track: the source shot, the generated clip over it, the rest of the shot.
    assert rows == [("hour", 3, case.record_frame), (name, case.record_frame, end),
                    ("hour", end, 63)]
    (marked,) = generated(project / "out.edl", rate="23.976")
    assert marked.record_start_frame + lead == case.record_frame
    assert marked.metadata is not None and marked.metadata.prompt == PROMPT   # the sidecar

    kdenlive = read_timeline(project / "out.kdenlive")
    assert ("AI Generated", name, case.record_frame, end) in _layout(kdenlive)
    (converted,) = generated(project / "out.kdenlive")   # metadata in producer properties
    assert converted.metadata is not None and converted.metadata.prompt == PROMPT

    otio_file = generated(project / "out.otio")
    assert otio_file[0].metadata is not None and otio_file[0].metadata.prompt == PROMPT


def _layout(tl: object) -> list[tuple[str, str, int, int]]:
    from support.timelines import record_layout

    return [row for row in record_layout(tl) if row[0] != "A1"]


def _media_of(clip: Any) -> str:  # an OTIO clip (OTIO ships no types)
    url = str(clip.media_reference.target_url)
    return url[len("file://"):] if url.startswith("file://") else url


def test_for_resolve_writes_a_timeline_resolve_accepts(
    media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--for resolve`: the new .otio breaks none of Resolve's import rules, clip in place."""
    case = case_23976(small_clip(media_dir, "r23_hour"))
    project = tmp_path / "project"
    source = write_case(case, project)
    result = cli_json(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                      "--provider", "preview", "--size", "320x180", "--seconds", "1",
                      "--preset", "resolve-dnxhr-hq", "--for", "resolve",
                      "--ledger", tmp_path / "ledger.sqlite3")
    written = Path(result["timeline"])
    text = written.read_text(encoding="utf-8")
    shaped = read_timeline(written)
    assert resolve_problems(shaped, serialized=text) == []
    assert "file://" not in text and '"Clip.2"' in text
    clips = generated(written)
    assert [(c.track_name, c.record_start_frame) for c in clips] == [
        ("AI Generated", case.record_frame)]
