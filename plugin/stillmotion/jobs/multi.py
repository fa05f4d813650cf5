"""Several models on one shot: one still sent to each, run at once, placed as takes of one slot.

Why a module of its own: ``generate --provider P[:MODEL] --provider Q[:MODEL]`` is one editor
action with rules a single job does not have. Every choice is planned (capabilities, size,
price) before anything is sent, and the budget is checked on the SUM of the new jobs, so an
over-budget pair sends nothing. The jobs then run concurrently, each with its own provider
connection; one failure does not cancel the others. The finished clips share the shot's take
group, so they land in one slot on the "AI Generated" track (the first choice shown, the others
one ``stillmotion takes --use N`` away, each take labelled with its provider and model), written
in one new timeline file. Failures are returned, not raised, so the caller places the rest first
and then reports them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from stillmotion.errors import StillmotionError
from stillmotion.jobs import cost
from stillmotion.jobs.choices import ModelChoice
from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.pipeline import (
    Clock,
    ConformSpec,
    EventHandler,
    GeneratedClip,
    ShotRequest,
    generate,
    plan_shot,
)
from stillmotion.jobs.placers import OtioPlacer
from stillmotion.jobs.records import JobContext
from stillmotion.jobs.shots import Shot
from stillmotion.settings import Settings
from stillmotion.timeline.place import PlacedClip


@dataclass(frozen=True)
class TakeOutcome:
    """What became of one choice: its clip and where it was placed, or the error that ended it."""

    choice: ModelChoice
    clip: GeneratedClip | None = None
    placed: PlacedClip | None = None
    error: StillmotionError | None = None


@dataclass(frozen=True)
class MultiResult:
    """Every choice's outcome, in the order given, and the timeline written (None if no take
    finished)."""

    outcomes: tuple[TakeOutcome, ...]
    timeline: Path | None

    @property
    def failures(self) -> tuple[TakeOutcome, ...]:
        return tuple(o for o in self.outcomes if o.error is not None)


def requests_for(request: ShotRequest, choices: Sequence[ModelChoice],
                 settings: Settings) -> tuple[list[ShotRequest], Settings]:
    """The request once per choice, and the settings they run under. ``STILLMOTION_MODEL``
    (settings) counts only for the settings' own provider: it names that provider's model, not
    another's, so the returned settings name no model."""
    requests = []
    for choice in choices:
        model = choice.model or (settings.model if choice.provider == settings.provider
                                 else None)
        requests.append(dataclasses.replace(request, provider=choice.provider, model=model))
    return requests, settings.model_copy(update={"model": None})


def shots_for(shot: Shot, choices: Sequence[ModelChoice],
              settings: Settings) -> tuple[list[Shot], Settings]:
    """The shot once per choice (see :func:`requests_for`), and the settings they run under."""
    requests, single = requests_for(shot.request, choices, settings)
    return [dataclasses.replace(shot, request=r) for r in requests], single


def generate_choices(request: ShotRequest, target: ConformSpec, choices: Sequence[ModelChoice],
                     settings: Settings, *, media_dir: Path, ledger: Ledger,
                     context: JobContext | None = None, on_event: EventHandler | None = None,
                     clock: Clock | None = None) -> list[TakeOutcome]:
    """Plan every choice, check the budget on their sum (nothing is sent when it is over), then
    run them at once; one outcome per choice, in order: its clip or the error that ended it.

    Placing is the front end's: :func:`run_models` writes a timeline file, the Resolve front
    end adds takes to the live timeline.
    """
    requests, single = requests_for(request, choices, settings)
    plans = [plan_shot(r, target, single, ledger) for r in requests]
    fresh = [p.estimate for r, p in zip(requests, plans, strict=True)
             if p.existing is None or r.new_take]
    cost.check_budget(fresh, run_budget=settings.budget, daily_budget=settings.daily_budget,
                      ledger=ledger)
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(generate, r, target, media_dir=media_dir, settings=single,
                               on_event=on_event, ledger=ledger, context=context,
                               budget_reserved=True, clock=clock)
                   for r in requests]
        outcomes: list[TakeOutcome] = []
        for choice, future in zip(choices, futures, strict=True):
            try:
                outcomes.append(TakeOutcome(choice, clip=future.result()))
            except StillmotionError as exc:
                outcomes.append(TakeOutcome(choice, error=exc))
    return outcomes


def run_models(shot: Shot, choices: Sequence[ModelChoice], settings: Settings, *,
               on_event: EventHandler | None = None, clock: Clock | None = None) -> MultiResult:
    """Plan every choice, check the budget on their sum, run them at once, place the finished
    ones as takes of the shot's slot (the first choice shown) in one new timeline file."""
    if len(choices) < 2:
        raise ValueError("run_models is for two or more choices")
    with Ledger(settings.ledger_path) as ledger:
        outcomes = generate_choices(shot.request, shot.target, choices, settings,
                                    media_dir=shot.media_dir, ledger=ledger,
                                    context=shot.context, on_event=on_event, clock=clock)
        done = [o for o in outcomes if o.clip is not None]
        if not done:
            return MultiResult(tuple(outcomes), None)
        # Placed last shows: place in reverse so the first choice that finished is on view.
        clips = [o.clip for o in reversed(done) if o.clip is not None]
        placed, written = OtioPlacer(shot.context).place_all(ledger.get(clips[0].job_id),
                                                             clips, ledger)
    where = dict(zip((c.job_id for c in clips), placed, strict=True))
    final = tuple(dataclasses.replace(o, placed=where[o.clip.job_id]) if o.clip else o
                  for o in outcomes)
    return MultiResult(final, written)
