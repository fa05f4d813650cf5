"""The place stage behind the Placer protocol: a job stopped after conforming is finished by
``resume_job`` through the OTIO-file placer or the Resolve placer, without a second create."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.jobs.ledger import Ledger, LedgerState
from stillmotion.jobs.pipeline import generate, resume_job
from stillmotion.jobs.placers import OtioPlacer
from stillmotion.jobs.providers import embedded_server
from stillmotion.jobs.shots import prepare_shot
from stillmotion.resolve.placer import ResolvePlacer
from stillmotion.resolve.workflow import capture_shot, run_pipeline
from stillmotion.server import embedded_base_url
from stillmotion.settings import Settings
from support.framecode import luma_of_image, read_code
from support.generate_env import case_25, code_of, generated, isolate, small_clip, write_case
from support.resolve_env import build_scene

PROMPT = "Slow dolly in over 1 s; warm evening light"
S = LedgerState


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    isolate(monkeypatch, tmp_path)
    return Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                    ledger=tmp_path / "ledger.sqlite3")


def test_a_timeline_file_job_stopped_before_placing_is_placed_by_the_otio_placer(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "media").mkdir()
    case = case_25(small_clip(tmp_path / "media", "r25_ten"))
    cut = write_case(case, tmp_path / "edit")
    shot = prepare_shot(cut, case.at, PROMPT, seconds=1, size=(320, 180), preset="h264-web")
    with Ledger(settings.ledger_path) as book:
        # Generated and conformed, then "stopped": nothing placed, no timeline written.
        with embedded_server(embedded_base_url):  # as the stillmotion command provides it
            clip = generate(shot.request, shot.target, media_dir=shot.media_dir,
                            settings=settings, ledger=book, context=shot.context)
        row = book.get(clip.job_id)
        assert (row.state, row.goal, row.attempts) == (S.CONFORMED, S.PLACED, 1)
        assert not shot.output.exists()
        shot.output.write_text("written by someone else meanwhile")
        assert not ResolvePlacer(object(), settings).accepts(row)  # type: ignore[arg-type]

        done = resume_job(row, settings, ledger=book)
    assert (done.state, done.attempts, done.remote_id) == (S.PLACED, 1, row.remote_id)
    written = done.files.timeline
    assert written is not None and written != shot.output  # the next free name, not overwritten
    assert shot.output.read_text() == "written by someone else meanwhile"
    [placed] = generated(written)
    assert placed.metadata is not None and placed.metadata.job_id == row.id
    assert placed.record_start_frame == case.record_frame
    assert code_of(done.files.image or "") == case.source_frame  # the still that was sent


def test_a_resolve_job_stopped_before_placing_is_placed_by_the_resolve_placer(
    settings: Settings, make_clip: Callable[[str], Path]
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), left_offset=4,
                        playhead_offset=9)
    shot = capture_shot(scene.resolve, grab="source", settings=settings,
                        sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    clip = run_pipeline(shot, prompt=PROMPT, seconds=1, size=(320, 180), settings=settings)
    assert len(scene.timeline.tracks) == 1  # nothing placed yet
    with Ledger(settings.ledger_path) as book:
        row = book.get(clip.job_id)
        assert row.state is S.CONFORMED
        assert row.request.source is not None and row.request.source.record_frame == 86409
        # The terminal's `jobs resume` has no Resolve: the row waits, conformed, for one.
        assert not OtioPlacer().accepts(row)
        assert resume_job(row, settings, ledger=book).state is S.CONFORMED

        scene.timeline.playhead = 86400  # the editor moved on; the row knows where it goes
        done = resume_job(row, settings, ledger=book,
                          placers=[ResolvePlacer(scene.resolve, settings)])
    assert (done.state, done.attempts) == (S.PLACED, 1)
    assert done.context.resolve is not None and done.context.resolve.record_frame == 86409
    [item] = scene.timeline.tracks[1].items
    assert (item.start, item.duration) == (86409, clip.frames)
    assert item.media.third_party["stillmotion.job_id"] == clip.job_id
    assert read_code(luma_of_image(clip.image)) == 13  # source frame 4 + 9, as grabbed


def test_the_resolve_placer_declines_a_job_of_another_timeline(
    settings: Settings, make_clip: Callable[[str], Path]
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001))
    shot = capture_shot(scene.resolve, grab="source", settings=settings,
                        sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    clip = run_pipeline(shot, prompt=PROMPT, seconds=1, size=(320, 180), settings=settings)
    scene.project.add_timeline("Cut 2", rate=Fraction(24000, 1001))  # now the current one
    with Ledger(settings.ledger_path) as book:
        row = book.get(clip.job_id)
        assert not ResolvePlacer(scene.resolve, settings).accepts(row)
        done = resume_job(row, settings, ledger=book,
                          placers=[ResolvePlacer(scene.resolve, settings)])
    assert done.state is S.CONFORMED
