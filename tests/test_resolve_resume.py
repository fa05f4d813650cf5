"""Resume jobs in Resolve: a job the service finished but stillmotion never placed (the script
died after the download) is conformed and placed by the dialog's "Resume jobs" action through
the Resolve placer, at the record frame it was grabbed at, without a second create."""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.jobs import stages
from stillmotion.jobs.ledger import Ledger, LedgerState
from stillmotion.resolve.dialog import GenerateDialog
from stillmotion.resolve.form import FormValues
from stillmotion.resolve.resume import resume_jobs
from stillmotion.resolve.workflow import capture_shot, run_pipeline
from stillmotion.server import RunningServer
from stillmotion.settings import Settings
from support.resolve_dialog import RecordingView
from support.resolve_env import Scene, build_scene
from support.resolve_served import creates, live, served, server

__all__ = ["live", "served", "server"]  # fixtures


class Crash(BaseException):
    """Resolve (and the script in it) dying mid-job: not an error anything catches."""


@pytest.fixture
def scene(make_clip: Callable[[str], Path]) -> Scene:
    return build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), playhead_offset=7,
                       still_delay=0)


def _crash_after_download(scene: Scene, settings: Settings,
                          monkeypatch: pytest.MonkeyPatch) -> str:
    """Grab, submit, wait and download for real; die before the conform. Returns the job id."""
    shot = capture_shot(scene.resolve, grab="source", settings=settings)

    def die(*_args: object, **_kwargs: object) -> None:
        raise Crash()

    with monkeypatch.context() as patch:
        patch.setattr(stages, "conform", die)
        with pytest.raises(Crash):
            run_pipeline(shot, prompt="slow dolly in over 5 s", seconds=5, provider="runway",
                         model="gen4.5", settings=settings)
    with Ledger(settings.ledger_path) as ledger:
        [row] = ledger.jobs()
    assert row.state is LedgerState.DOWNLOADED and row.goal is LedgerState.PLACED
    return row.id


def test_the_resume_action_places_a_downloaded_job_without_sending_it_again(
    live: RunningServer, served: Settings, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _crash_after_download(scene, served, monkeypatch)
    assert creates(live) == 1 and scene.timeline.tracks[1:] == []

    view = RecordingView(FormValues())
    dialog = GenerateDialog(scene.resolve, view, settings=served, sleep=scene.resolve.sleep,
                            clock=scene.resolve.clock)
    assert dialog.start_resume()
    for _ in range(3000):
        if not dialog.poll():
            break
        time.sleep(0.01)
    assert view.errors == [], view.errors
    assert view.statuses[-1] == f"placed job {job_id} from runway"
    assert dialog.resumed is not None and [r.id for r in dialog.resumed.placed] == [job_id]

    [item] = scene.timeline.tracks[1].items
    assert scene.timeline.tracks[1].name == "AI Generated"
    assert item.start == 86407  # the record frame the still was grabbed at
    assert item.media.third_party["stillmotion.job_id"] == job_id
    with Ledger(served.ledger_path) as ledger:
        row = ledger.get(job_id)
    assert row.state is LedgerState.PLACED
    assert row.context.resolve is not None and row.context.resolve.record_frame == 86407
    assert creates(live) == 1  # the job was fetched, never created a second time
    assert scene.resolve.manager.saves == 1

    again = resume_jobs(scene.resolve, settings=served)
    assert again.text() == "Nothing to resume in this project."
    assert len(scene.timeline.tracks[1].items) == 1 and creates(live) == 1


def test_a_job_of_another_timeline_is_finished_and_left_for_it(
    live: RunningServer, served: Settings, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _crash_after_download(scene, served, monkeypatch)
    scene.project.add_timeline("Cut 2", rate=Fraction(24000, 1001))  # now the current one
    result = resume_jobs(scene.resolve, settings=served)
    assert result.placed == [] and [r.id for r in result.waiting] == [job_id]
    assert "open timeline 'Cut 1'" in result.text()
    assert result.waiting[0].state is LedgerState.CONFORMED
    assert scene.timeline.tracks[1:] == [] and scene.resolve.manager.saves == 0
    scene.project.current_timeline = scene.timeline
    assert [r.id for r in resume_jobs(scene.resolve, settings=served).placed] == [job_id]
    assert creates(live) == 1
