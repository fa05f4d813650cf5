"""Two models on one Resolve shot (the dialog's second-model picker), through the fake Resolve
and the real local server speaking Runway's and fal's dialects (key required).

The same still goes to both services, the budget is checked on the sum before any create, both
clips land as takes of ONE slot (the first choice on view, each take's marker naming its model),
and one model failing still places the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.errors import BudgetExceededError
from stillmotion.jobs.choices import ModelChoice
from stillmotion.jobs.ledger import Ledger, LedgerState
from stillmotion.resolve.form import FormValues
from stillmotion.resolve.models import generate_models
from stillmotion.resolve.ui import GenerateDialog
from stillmotion.server import RunningServer
from stillmotion.settings import Settings
from support.framecode import luma_of_image, read_code
from support.resolve_dialog import RecordingView
from support.resolve_env import Scene, build_scene
from support.resolve_served import WAN, creates, live, served, server

CHOICES = [ModelChoice("runway", "gen4.5"), ModelChoice("fal", WAN)]

__all__ = ["live", "served", "server"]  # fixtures


@pytest.fixture
def scene(make_clip: Callable[[str], Path]) -> Scene:
    return build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), left_offset=3,
                       playhead_offset=9, still_delay=0)


def test_the_dialog_runs_two_models_into_one_slot(
    live: RunningServer, served: Settings, scene: Scene
) -> None:
    view = RecordingView(FormValues(prompt="slow dolly in over 5 s", provider="runway",
                                    model="gen4.5", second=f"fal:{WAN}", seconds="5",
                                    grab="source"))
    dialog = GenerateDialog(scene.resolve, view, settings=served, sleep=scene.resolve.sleep,
                            clock=scene.resolve.clock)
    args = dialog.refresh()
    assert args is not None and args.total == Decimal("1.10")  # $0.60 + $0.50
    assert dialog.start()
    for _ in range(6000):
        if not dialog.poll():
            break
        time.sleep(0.01)
    assert view.errors == [], view.errors
    assert [(t.choice, t.error) for t in dialog.takes] == [(c, None) for c in CHOICES]
    assert creates(live) == 2

    # One slot on a new AI track at the playhead, the first choice on view, both as takes.
    [item] = scene.timeline.tracks[1].items
    runway, fal = (t.placed for t in dialog.takes)
    assert runway is not None and fal is not None
    assert item.start == 86409 == runway.record_frame == fal.record_frame
    assert item.GetTakesCount() == 2 and item.GetSelectedTakeIndex() == 2
    assert item.GetMediaPoolItem().path == runway.clip.conformed
    assert {t.media.path for t in item.takes} == {runway.clip.conformed, fal.clip.conformed}
    names = sorted(m.name.split(" (")[1] for m in item.markers.values())
    assert names == [f"fal {WAN})", "runway gen4.5)"]  # each take's marker names its model
    assert fal.take is None and runway.take == 2  # placed in reverse: the first choice on view
    assert scene.resolve.manager.saves == 1
    assert "runway:gen4.5: placed job" in view.statuses[-1]

    # Both jobs were sent the same still (the source frame under the playhead: 3 + 9), share
    # one take group and are placed in the ledger.
    with Ledger(served.ledger_path) as ledger:
        rows = [ledger.get(p.clip.job_id) for p in (runway, fal)]
    assert len({r.files.source_image for r in rows}) == 1
    assert read_code(luma_of_image(runway.clip.image)) == 12
    assert len({r.take_group for r in rows}) == 1
    assert {r.state for r in rows} == {LedgerState.PLACED}


def test_the_budget_is_checked_on_the_sum_before_any_create(
    live: RunningServer, served: Settings, scene: Scene
) -> None:
    before = scene.timeline.snapshot()
    capped = served.model_copy(update={"budget": Decimal("1.00")})  # each fits, both do not
    with pytest.raises(BudgetExceededError, match=r"\$1\.10"):
        generate_models(scene.resolve, CHOICES, prompt="slow dolly in over 5 s", seconds=5,
                        grab="source", settings=capped, sleep=scene.resolve.sleep,
                        clock=scene.resolve.clock)
    assert creates(live) == 0 and live.stats()["total_requests"] == 0
    assert scene.timeline.snapshot() == before


def test_one_model_failing_still_places_the_other(
    live: RunningServer, served: Settings, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAL_KEY", "not-the-key")
    runway, fal = generate_models(scene.resolve, CHOICES, prompt="slow dolly in over 5 s",
                                  seconds=5, grab="source", settings=served,
                                  sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    assert runway.placed is not None and runway.error is None
    assert fal.placed is None and fal.error is not None and "FAL_KEY" in fal.error.message
    assert "not-the-key" not in fal.error.message
    [item] = scene.timeline.tracks[1].items
    assert item.GetTakesCount() == 0 and item.media.path == runway.placed.clip.conformed
    assert creates(live) == 2  # each sent once; fal refused its key, nothing retried
