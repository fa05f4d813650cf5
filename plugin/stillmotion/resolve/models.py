"""Two (or more) models on one Resolve shot: one still, jobs run at once, takes of one slot.

Why here: the rules are the CLI's ``generate --provider A --provider B``
(:func:`stillmotion.jobs.multi.generate_choices`: every model planned, the budget checked on the
sum before any job is sent, the jobs run concurrently, one failure not cancelling the others);
only the placing is Resolve's. The finished clips go into one slot: the first that finished is
placed like a single generation (a new clip by the track rule, or a take of the slot asked
for), every other one is added to that item with ``AddTake``, each its own undoable group, the
first choice placed last so it is the take on view. The marker on each take names its model.
As with one model, the pipeline half runs in a worker thread and the placing half on the UI
thread.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stillmotion.errors import StillmotionError
from stillmotion.jobs.choices import ModelChoice
from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.multi import TakeOutcome, generate_choices
from stillmotion.jobs.records import JobContext
from stillmotion.resolve.placing import PlacedClip, place_generated
from stillmotion.resolve.protocol import Resolve
from stillmotion.resolve.session import ResolveSession
from stillmotion.resolve.shot import Shot
from stillmotion.resolve.takes import TakeTarget
from stillmotion.resolve.workflow import capture_shot, default_media_dir, shot_request
from stillmotion.settings import Settings

if TYPE_CHECKING:
    from stillmotion.jobs.pipeline import PipelineEvent


@dataclass(frozen=True)
class ModelTake:
    """One model's outcome on the shot: where its take was placed, or why it was not."""

    choice: ModelChoice
    placed: PlacedClip | None = None
    error: StillmotionError | None = None


def run_models(
    shot: Shot,
    choices: Sequence[ModelChoice],
    *,
    prompt: str,
    seconds: int | None,
    size: tuple[int, int] | None,
    settings: Settings,
    no_audio: bool = False,
    media_dir: Path | None = None,
    on_event: Callable[[PipelineEvent], None] | None = None,
) -> list[TakeOutcome]:
    """The pipeline half (no Resolve calls): every choice from the shot's still, at once.

    ``size`` and ``seconds`` None let each model choose its own (auto size from the timeline's
    aspect, its default length). Raises only what stops every job (a budget refusal, a bad
    choice); a job's own failure is its outcome.
    """
    from stillmotion.jobs.providers import embedded_server
    from stillmotion.server import embedded_base_url

    request, target = shot_request(shot, prompt=prompt, seconds=seconds, size=size)
    # The takes of one slot share a group, whichever models made them.
    request = dataclasses.replace(request, take_group=request.take_group or secrets.token_hex(8))
    folder = media_dir if media_dir is not None else default_media_dir(settings, shot.project)
    folder.mkdir(parents=True, exist_ok=True)
    with embedded_server(embedded_base_url), Ledger(settings.ledger_path) as ledger:
        return generate_choices(request, target, choices, settings, media_dir=folder,
                                ledger=ledger, context=JobContext(no_audio=no_audio),
                                on_event=on_event)


def place_models(resolve: Resolve, shot: Shot, outcomes: Sequence[TakeOutcome], *,
                 settings: Settings, audio: bool = True) -> list[ModelTake]:
    """The placing half (UI thread): the finished clips as takes of one slot, the first choice
    on view; one placing failure is that model's outcome, the others are still placed."""
    done = [o for o in outcomes if o.clip is not None]
    placed: dict[ModelChoice, PlacedClip] = {}
    failed: dict[ModelChoice, StillmotionError] = {}
    slot = shot
    for outcome in reversed(done):  # placed last shows: the first choice ends on view
        assert outcome.clip is not None
        try:
            where = place_generated(resolve, slot, outcome.clip, settings=settings, save=False,
                                    audio=audio)
        except StillmotionError as exc:
            failed[outcome.choice] = exc
            continue
        placed[outcome.choice] = where
        if slot.take_of is None or not slot.take_of.required:
            slot = dataclasses.replace(shot, take_of=TakeTarget(
                where.track_index, where.record_frame, outcome.clip.take_group, where.duration))
    if placed:
        ResolveSession(resolve).save_project()
    return [ModelTake(o.choice, placed.get(o.choice), o.error or failed.get(o.choice))
            for o in outcomes]


def generate_models(
    resolve: Resolve,
    choices: Sequence[ModelChoice],
    *,
    prompt: str,
    seconds: int | None = None,
    size: tuple[int, int] | None = None,
    grab: str = "viewer",
    new_take: bool = False,
    settings: Settings,
    audio: bool = True,
    media_dir: Path | None = None,
    on_event: Callable[[PipelineEvent], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[ModelTake]:
    """Grab the still under the playhead, run every model on it, place them as takes of one
    slot (scripts and tests; the dialog runs the halves on their threads)."""
    shot = capture_shot(resolve, grab=grab, new_take=new_take, settings=settings, sleep=sleep,
                        clock=clock)
    outcomes = run_models(shot, choices, prompt=prompt, seconds=seconds, size=size,
                          settings=settings, no_audio=not audio, media_dir=media_dir,
                          on_event=on_event)
    return place_models(resolve, shot, outcomes, settings=settings, audio=audio)
