"""One shot, durably, as one story: locate -> grab -> fit -> submit -> wait -> download ->
verify -> conform -> place.

Why a ledger-driven story: every stage (:mod:`stillmotion.jobs.stages`) writes its result to
the ledger before the next begins, so a run killed at any point is finished by
:func:`resume_job` from the row alone, and a paid create is sent at most once. Locating and
grabbing are the front end's (:mod:`stillmotion.jobs.shots` for timeline files, Resolve's own
grab for a live timeline); placing is a :class:`~stillmotion.jobs.placers.Placer`'s, so
``jobs resume`` finishes a job for either front end.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from stillmotion.api import capabilities, model_rows
from stillmotion.api.providers.base import Provider
from stillmotion.errors import ConfigError, JobError
from stillmotion.files import writable_folder
from stillmotion.jobs import cost, stages
from stillmotion.jobs.finished import clip_of
from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState, public_url, request_hash
from stillmotion.jobs.placers import OtioPlacer, Placer
from stillmotion.jobs.providers import EMBEDDED, open_provider, provider_base_url
from stillmotion.jobs.records import ConformSpec, JobContext, JobFiles, JobRequest
from stillmotion.jobs.shots import Shot
from stillmotion.jobs.stages import file_sha256
from stillmotion.jobs.values import (
    Clock,
    EventHandler,
    GeneratedClip,
    PipelineEvent,
    ShotRequest,
    emit,
)
from stillmotion.media import conform as conform_mod
from stillmotion.prompt import validate_prompt
from stillmotion.settings import Settings, load_settings
from stillmotion.timecode import format_size, parse_size

# Front ends import the shot's vocabulary from the story that uses it.
__all__ = [
    "Clock", "ConformSpec", "EventHandler", "GeneratedClip", "PipelineEvent", "Plan",
    "ShotRequest", "drive", "generate", "plan_shot", "resume_job", "run_shot",
    "service_settings",
]
S = LedgerState
Placed = TypeVar("Placed")


@dataclass(frozen=True)
class Plan:
    """Everything decided before anything is sent; ``--dry-run`` prints exactly this."""

    provider: str
    model: str
    size: tuple[int, int]
    seconds: int
    prompt: str
    image: Path
    estimate: cost.Estimate
    request_hash: str
    existing: JobRow | None
    audio_promised: bool = False


def run_shot(shot: Shot, placer: Placer[Placed], *, settings: Settings, ledger: Ledger,
             on_event: EventHandler | None = None,
             clock: Clock | None = None) -> tuple[GeneratedClip, Placed]:
    """The story for a prepared shot (located and grabbed by :func:`~stillmotion.jobs.shots.
    prepare_shot`): generate it, then place it with ``placer``."""
    clip = generate(shot.request, shot.target, media_dir=shot.media_dir, settings=settings,
                    on_event=on_event, ledger=ledger, context=shot.context, clock=clock)
    return clip, placer.place(ledger.get(clip.job_id), clip, ledger)


def plan_shot(request: ShotRequest, target: ConformSpec, settings: Settings,
              ledger: Ledger | None) -> Plan:
    """Choose provider, model, size and seconds, validate them, and price the job."""
    validate_prompt(request.prompt)
    if not request.image.is_file():
        raise ConfigError(f"The still {request.image} does not exist; grab it again.")
    conform_mod.get_preset(target.preset).check_size(target.size)  # before paying, not after
    provider = request.provider or settings.provider
    cap = model_rows.find(provider, request.model or settings.model, settings)
    if request.size is not None:
        size = request.size
    elif settings.size and settings.size != "auto":
        size = parse_size(settings.size)
    else:
        size = capabilities.choose_size(cap, target.display_aspect)
    seconds = request.seconds if request.seconds is not None else cap.default_seconds
    if request.last_image is not None and not request.last_image.is_file():
        raise ConfigError(f"The last-frame still {request.last_image} does not exist; grab it "
                          "again.")
    capabilities.validate(cap, size, seconds, last_frame=request.last_image is not None)
    estimate = cost.estimate(provider, cap.model, size, seconds, prices=settings.prices,
                             declared=cap.prices, declared_by=cap.source)
    params = {
        "provider": provider, "model": cap.model, "size": format_size(size),
        "seconds": seconds, "fit": "crop", "base_url": provider_base_url(provider, settings),
        "remix_of": request.remix_of,
        **({"extend_of": request.extend_of} if request.extend_of else {}),
        **({"last_image_sha256": file_sha256(request.last_image)} if request.last_image else {}),
        "conform": target.to_json(),
    }
    digest = request_hash(request.image.read_bytes(), request.prompt, params)
    existing = ledger.find_request(digest) if ledger is not None else None
    return Plan(provider, cap.model, size, seconds, request.prompt, request.image, estimate,
                digest, existing, audio_promised=cap.audio_at(size))


def generate(
    request: ShotRequest,
    target: ConformSpec,
    *,
    media_dir: Path,
    settings: Settings | None = None,
    on_event: EventHandler | None = None,
    ledger: Ledger | None = None,
    goal: LedgerState = S.PLACED,
    context: JobContext | None = None,
    budget_reserved: bool = False,
    clock: Clock | None = None,
    provider: Provider | None = None,
) -> GeneratedClip:
    """Generate one shot and conform it into ``media_dir``; the ledger row ends ``conformed``.

    The same request (same still, prompt and parameters) is never sent twice: a finished row is
    returned as it is, an unfinished one is continued, a failed one is refused with advice,
    unless ``request.new_take``. ``budget_reserved`` skips the budget check when the caller (a
    batch) already checked the whole run; ``provider`` lets a batch share one open provider.
    """
    settings = settings or load_settings()
    own_ledger = ledger is None
    book = ledger if ledger is not None else Ledger(settings.ledger_path)
    try:
        plan = plan_shot(request, target, settings, book)
        emit(on_event, "estimate", f"Estimated cost {plan.estimate}")
        done = plan.existing is not None and not request.new_take \
            and plan.existing.state in (S.CONFORMED, S.PLACED, S.FAILED)
        # Open the service before claiming: a missing key or a bad URL then fails with nothing
        # recorded, and a job that is only reused never starts a server.
        opened = contextlib.nullcontext(provider) if provider is not None or done \
            else open_provider(plan.provider, settings)
        with opened as service:
            row = _claim(plan, request, target, book, settings, media_dir, goal, context,
                         budget_reserved)
            return drive(row, settings, ledger=book, on_event=on_event, clock=clock,
                         provider=service)
    finally:
        if own_ledger:
            book.close()


def _claim(plan: Plan, request: ShotRequest, target: ConformSpec, book: Ledger,
           settings: Settings, media_dir: Path, goal: LedgerState,
           context: JobContext | None, budget_reserved: bool) -> JobRow:
    existing = plan.existing
    if existing is not None and not request.new_take:
        if existing.state is S.FAILED:
            raise JobError(
                f"This exact request failed before as job {existing.id} "
                f"({existing.failure_reason}); change the prompt or pass --new-take to try again."
            )
        return existing
    if not budget_reserved:
        cost.check_budget(plan.estimate, run_budget=settings.budget,
                          daily_budget=settings.daily_budget, ledger=book)
    writable_folder(media_dir)
    take_group = request.take_group or (existing.take_group if existing else None) \
        or plan.request_hash[:16]
    context = context or JobContext()
    claim = book.claim(
        plan.request_hash,
        provider=plan.provider, model=plan.model, size=format_size(plan.size),
        seconds=plan.seconds, prompt=plan.prompt,
        base_url=provider_base_url(plan.provider, settings), take_group=take_group,
        request=JobRequest(prompt=plan.prompt, model=plan.model, size=format_size(plan.size),
                           seconds=plan.seconds, source=request.source,
                           remix_of=request.remix_of, extend_of=request.extend_of),
        files=JobFiles(source_image=request.image.absolute(),
                       last_source_image=request.last_image.absolute()
                       if request.last_image else None),
        context=dataclasses.replace(context, media_dir=media_dir.absolute(), conform=target,
                                    audio_promised=plan.audio_promised,
                                    no_credentials=not settings.credentials),
        cost_estimate=plan.estimate.amount, currency=plan.estimate.currency,
        goal=goal, new_take=request.new_take,
    )
    return claim.row


def drive(row: JobRow, settings: Settings, *, ledger: Ledger,
          on_event: EventHandler | None = None, resubmit: bool = False,
          clock: Clock | None = None, provider: Provider | None = None) -> GeneratedClip:
    """Take ``row`` from whatever state it is in up to ``conformed``: fit -> submit -> wait ->
    download -> verify -> conform, each stage recorded before the next.

    ``provider`` is an open provider to use; without one, the row's provider is opened (and
    closed) here.
    """
    clock = clock or Clock()
    if row.state is S.SUBMITTING and not resubmit:
        raise JobError(
            f"Job {row.id} was being sent when stillmotion stopped, so the service may hold it "
            f"without our knowing its id; check the provider, then run `stillmotion jobs resume "
            f"{row.id} --resubmit` to send it again or `stillmotion jobs forget {row.id} --yes`."
        )
    if row.state in (S.CONFORMED, S.PLACED):
        return clip_of(row, reused=True)
    if row.context.no_credentials:  # the run that claimed the job said --no-credentials
        settings = settings.model_copy(update={"credentials": False})
    media_dir = row.context.media_dir
    if media_dir is None:
        raise JobError(f"Job {row.id} has no media folder recorded; make a new take.")
    writable_folder(media_dir)
    if row.state in (S.PREPARED, S.SUBMITTING, S.SUBMITTED, S.RUNNING, S.COMPLETED):
        opened = contextlib.nullcontext(provider) if provider is not None \
            else open_provider(row.provider, service_settings(row, settings))
        with opened as service:
            if row.state in (S.PREPARED, S.SUBMITTING):
                row = stages.fit(row, ledger, media_dir, settings)
                row = stages.submit(row, service, ledger, on_event, resubmit)
            if row.state in (S.SUBMITTED, S.RUNNING):
                row = stages.wait(row, service, ledger, settings.poll_deadline, on_event, clock)
            original = stages.download(row, service, media_dir, on_event)
            row = stages.verify(row, original, ledger, on_event)
    if row.state is S.DOWNLOADED:
        row = stages.conform(row, ledger, media_dir, on_event, settings)
    return clip_of(row, reused=False)


def service_settings(row: JobRow, settings: Settings) -> Settings:
    """Settings reaching the service that holds ``row``'s job: a job lives where it was created,
    so its recorded base URL wins over the configured one (``jobs resume`` after a run given
    ``--base-url``), which is kept only when it names that same service."""
    if row.base_url == EMBEDDED:
        return settings.model_copy(update={"base_url": None})
    if not row.base_url or public_url(settings.base_url) == row.base_url:
        return settings
    return settings.model_copy(update={"base_url": row.base_url})


def resume_job(row: JobRow, settings: Settings, *, ledger: Ledger, resubmit: bool = False,
               placers: Sequence[Placer[Any]] = ()) -> JobRow:
    """Finish an interrupted row without a second create (``jobs resume``); a row whose goal is
    to be placed is placed by the first of ``placers`` (then the OTIO-file placer) accepting it."""
    clip = drive(row, settings, ledger=ledger, resubmit=resubmit)
    row = ledger.get(clip.job_id)
    if row.goal is S.PLACED and row.state is S.CONFORMED:
        chosen = next((p for p in (*placers, OtioPlacer()) if p.accepts(row)), None)
        if chosen is not None:
            chosen.place(row, clip, ledger)
            row = ledger.get(row.id)
    return row
