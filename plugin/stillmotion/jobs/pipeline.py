"""One shot, durably: fit -> claim -> estimate -> submit -> wait -> download -> verify -> conform.

Why a ledger-driven state machine: every stage writes its result to the ledger before the next
begins, so a run killed at any point is finished by :func:`resume_job` from the row alone, and a
paid create is sent at most once (the ``submitting`` mark is committed before the call; an
ambiguous failure of the call leaves the row for the user to decide). Placing the clip on a
timeline is the caller's stage (the CLI through OTIO, the Resolve front end through Resolve);
:func:`resume_job` places too when the row's context names a timeline.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from stillmotion.api import capabilities, model_rows
from stillmotion.api.polling import wait_for_job
from stillmotion.api.providers.base import (
    ExtendingProvider,
    GenerationRequest,
    JobState,
    JobStatus,
    Provider,
    RemixingProvider,
)
from stillmotion.api.webhook_wake import WebhookWake
from stillmotion.errors import (
    ConfigError,
    JobError,
    JobStateError,
    PolicyRejectedError,
    ServiceConnectionError,
    ServiceStatusError,
    ServiceUnreachableError,
)
from stillmotion.files import remove_partials, writable_folder
from stillmotion.jobs import cost
from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState, public_url, request_hash
from stillmotion.jobs.providers import EMBEDDED, open_provider, provider_base_url
from stillmotion.media import conform as conform_mod
from stillmotion.media.credentials import conform_recipe, signed_output, signed_still
from stillmotion.media.frames import fit_image
from stillmotion.media.probe import probe
from stillmotion.media.provenance import read_provenance
from stillmotion.media.sound import SoundFacts, sound_facts
from stillmotion.prompt import validate_prompt
from stillmotion.settings import Settings, load_settings
from stillmotion.timecode import format_rate, format_size, parse_rate, parse_size

S = LedgerState


@dataclass(frozen=True)
class ShotRequest:
    """What to generate: a still (any size; fitted here), a prompt and the job's shape.

    ``remix_of`` names a finished remote job to remix with the new prompt instead of creating
    from the still (the still stays the provenance of the take). ``last_image`` is a still the
    clip must end on (``fill-gap``), for models that take a last frame. ``extend_of`` names a
    finished remote job to continue with the provider's own extension (its video then holds the
    source followed by ``seconds`` more).
    """

    image: Path
    prompt: str
    seconds: int | None = None
    size: tuple[int, int] | None = None
    provider: str | None = None
    model: str | None = None
    new_take: bool = False
    take_group: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    remix_of: str | None = None
    last_image: Path | None = None
    extend_of: str | None = None


@dataclass(frozen=True)
class ConformSpec:
    """The timeline's shape the generated clip is conformed to."""

    rate: Fraction
    size: tuple[int, int]
    preset: str = "resolve-dnxhr-hq"
    fit: str = "letterbox"
    sar: Fraction = Fraction(1)  # anamorphic media's pixel aspect; ``size`` is then stored size

    @property
    def display_aspect(self) -> Fraction:
        """The shape the picture shows at (what a provider size is chosen for)."""
        return Fraction(self.size[0], self.size[1]) * self.sar

    def as_json(self) -> dict[str, str]:
        """The ledger's form (no ``sar`` key for square pixels: older request hashes hold)."""
        spec = {"rate": format_rate(self.rate), "size": format_size(self.size),
                "preset": self.preset, "fit": self.fit}
        return spec if self.sar == 1 else {**spec, "sar": format_rate(self.sar)}


@dataclass(frozen=True)
class PipelineEvent:
    """Progress for a front end: a stage name, a share done when known, one line of text."""

    stage: str
    fraction: float | None
    message: str


EventHandler = Callable[[PipelineEvent], None]


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


@dataclass(frozen=True)
class GeneratedClip:
    """A finished generation, conformed and ready to place."""

    job_id: str
    remote_id: str
    provider: str
    model: str
    prompt: str
    seconds: int
    size: tuple[int, int]
    original: Path
    conformed: Path
    frames: int
    rate: Fraction
    cost: Decimal
    preview: bool
    take: int
    take_group: str
    created_at: str
    image: Path
    provenance: dict[str, Any]
    reused: bool = False
    sound: bool = False  # the file carries sound (not our silent fill, not silence)


@dataclass
class Clock:
    """Injectable time for waiting (tests pass fakes); ``wake`` lets webhook events end a
    wait early (the poll schedule then only falls back)."""

    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    wake: WebhookWake | None = None


def _emit(handler: EventHandler | None, stage: str, message: str,
          fraction: float | None = None) -> None:
    if handler is not None:
        handler(PipelineEvent(stage, fraction, message))


def file_sha256(path: Path) -> str:
    """Hex digest of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        "conform": target.as_json(),
    }
    digest = request_hash(request.image.read_bytes(), request.prompt, params)
    existing = ledger.find_request(digest) if ledger is not None else None
    return Plan(provider, cap.model, size, seconds, request.prompt, request.image, estimate,
                digest, existing, audio_promised=cap.audio)


def generate(
    request: ShotRequest,
    target: ConformSpec,
    *,
    media_dir: Path,
    settings: Settings | None = None,
    on_event: EventHandler | None = None,
    ledger: Ledger | None = None,
    goal: LedgerState = S.PLACED,
    context: dict[str, Any] | None = None,
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
        _emit(on_event, "estimate", f"Estimated cost {plan.estimate}")
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
           context: dict[str, Any] | None, budget_reserved: bool) -> JobRow:
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
    claim = book.claim(
        plan.request_hash,
        provider=plan.provider, model=plan.model, size=format_size(plan.size),
        seconds=plan.seconds, prompt=plan.prompt,
        base_url=provider_base_url(plan.provider, settings), take_group=take_group,
        request={"prompt": plan.prompt, "model": plan.model, "size": format_size(plan.size),
                 "seconds": plan.seconds, "source": request.source,
                 "remix_of": request.remix_of, "extend_of": request.extend_of},
        files={"source_image": str(request.image.absolute()),
               **({"last_source_image": str(request.last_image.absolute())}
                  if request.last_image else {})},
        context={**(context or {}), "media_dir": str(media_dir.absolute()),
                 "audio_promised": plan.audio_promised,
                 "conform": target.as_json()},
        cost_estimate=plan.estimate.amount, currency=plan.estimate.currency,
        goal=goal, new_take=request.new_take,
    )
    return claim.row


def drive(row: JobRow, settings: Settings, *, ledger: Ledger,
          on_event: EventHandler | None = None, resubmit: bool = False,
          clock: Clock | None = None, provider: Provider | None = None) -> GeneratedClip:
    """Take ``row`` from whatever state it is in up to ``conformed``, recording every stage.

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
        return _clip(row, reused=True)
    media_dir = writable_folder(Path(row.context["media_dir"]))
    if row.state in (S.PREPARED, S.SUBMITTING, S.SUBMITTED, S.RUNNING, S.COMPLETED):
        opened = contextlib.nullcontext(provider) if provider is not None \
            else open_provider(row.provider, service_settings(row, settings))
        with opened as service:
            if row.state in (S.PREPARED, S.SUBMITTING):
                row = _submit(row, service, ledger, media_dir, on_event, resubmit, settings)
            if row.state in (S.SUBMITTED, S.RUNNING):
                row = _wait(row, service, ledger, settings, on_event, clock)
            row = _download(row, service, ledger, media_dir, on_event)
    if row.state is S.DOWNLOADED:
        row = _conform(row, ledger, media_dir, on_event, settings)
    return _clip(row, reused=False)


def service_settings(row: JobRow, settings: Settings) -> Settings:
    """Settings reaching the service that holds ``row``'s job: a job lives where it was created,
    so its recorded base URL wins over the configured one (``jobs resume`` after a run given
    ``--base-url``), which is kept only when it names that same service."""
    if row.base_url == EMBEDDED:
        return settings.model_copy(update={"base_url": None})
    if not row.base_url or public_url(settings.base_url) == row.base_url:
        return settings
    return settings.model_copy(update={"base_url": row.base_url})


def _stem(row: JobRow) -> str:
    return f"{row.id}_take{row.take}"


def _submit(row: JobRow, provider: Provider, ledger: Ledger, media_dir: Path,
            on_event: EventHandler | None, resubmit: bool, settings: Settings) -> JobRow:
    size = parse_size(row.size or "")
    still = media_dir / f"{_stem(row)}_first_frame.png"
    if not still.exists():
        source = Path(row.files["source_image"])
        with signed_still(still, source, settings) as unsigned:  # Content Credentials
            fit_image(source, unsigned, size, fit="crop")
    ledger.update(row.id, files={"image": str(still)})
    last = None
    if "last_source_image" in row.files:
        last = media_dir / f"{_stem(row)}_last_frame.png"
        if not last.exists():
            fit_image(Path(row.files["last_source_image"]), last, size, fit="crop")
        ledger.update(row.id, files={"last_image": str(last)})
    request = GenerationRequest(prompt=row.prompt, model=row.model, seconds=row.seconds or 4,
                                size=size, first_frame=still, last_frame=last)
    try:
        row = ledger.mark_submitting(row.id, resubmit=resubmit)
    except JobStateError as exc:
        raise JobError(
            f"Job {row.id} is already being sent by another stillmotion process; let it finish, "
            f"then `stillmotion jobs show {row.id}`."
        ) from exc
    _emit(on_event, "submit", f"Submitting to {row.provider} ({row.model}, {row.size}, "
          f"{row.seconds} s)")
    remix_of = row.request.get("remix_of")
    extend_of = row.request.get("extend_of")
    try:
        if remix_of:
            if not isinstance(provider, RemixingProvider):
                raise ConfigError(f"The {row.provider} provider cannot remix a job; run "
                                  "`stillmotion generate` with the new prompt instead.")
            state = provider.remix(str(remix_of), row.prompt)
        elif extend_of:
            if not isinstance(provider, ExtendingProvider):
                raise ConfigError(f"The {row.provider} provider cannot extend a job natively; "
                                  "run `stillmotion extend` without --native.")
            state = provider.extend(str(extend_of), row.prompt, row.seconds or 4)
        else:
            state = provider.submit(request)
    except (PolicyRejectedError, ConfigError) as exc:
        ledger.fail(row.id, exc.message, billable=False)
        raise
    except ServiceStatusError as exc:
        if 400 <= exc.status_code < 500:
            ledger.fail(row.id, exc.message, billable=False)
        raise
    except ServiceUnreachableError:
        ledger.forget(row.id, force=True)  # never left this machine: the claim is void
        raise
    except ServiceConnectionError as exc:
        raise JobError(
            f"Sending job {row.id} failed mid-way ({exc.message}); the service may have it, so it "
            f"is not resent automatically: check the provider, then `stillmotion jobs resume "
            f"{row.id} --resubmit` or `stillmotion jobs forget {row.id} --yes`."
        ) from exc
    return ledger.record_submitted(row.id, state.id)


def _wait(row: JobRow, provider: Provider, ledger: Ledger, settings: Settings,
          on_event: EventHandler | None, clock: Clock) -> JobRow:
    remote = row.remote_id or ""
    last = {"progress": -1.0}

    def report(state: JobState) -> None:
        fraction = (state.progress or 0.0) / 100 if state.progress is not None else None
        _emit(on_event, "wait", f"{row.provider} job {remote}: {state.raw_status}", fraction)
        if state.status is JobStatus.RUNNING and state.progress is not None \
                and state.progress > last["progress"]:
            last["progress"] = state.progress
            ledger.advance(row.id, S.RUNNING, progress=state.progress)

    wake = clock.wake
    try:
        final = wait_for_job(lambda: provider.poll(remote), deadline_seconds=settings.poll_deadline,
                             on_progress=report,
                             sleep=clock.sleep if wake is None else wake.sleeper(remote),
                             clock=clock.monotonic, provider=row.provider,
                             fallback=None if wake is None else wake.fallback)
    except (PolicyRejectedError, JobError) as exc:
        if not isinstance(exc, TimeoutError):
            ledger.fail(row.id, exc.message)
        raise
    return ledger.advance(row.id, S.COMPLETED, progress=100.0,
                          context={"expires_at": final.expires_at})


def _download(row: JobRow, provider: Provider, ledger: Ledger, media_dir: Path,
              on_event: EventHandler | None) -> JobRow:
    original = media_dir / f"{_stem(row)}_original.mp4"
    if not original.exists():
        _emit(on_event, "download", f"Downloading {row.provider} job {row.remote_id}")
        job = JobState(id=row.remote_id or "", status=JobStatus.COMPLETED, raw_status="completed")
        remove_partials(original)
        provider.download(job, original)
    _emit(on_event, "verify", f"Checking {original.name}")
    info = probe(original)
    video = info.require_video()
    if video.frame_count <= 0:
        raise JobError(f"The download {original.name} holds no frames; run `stillmotion jobs "
                       f"resume {row.id}` after deleting it, or make a new take.")
    provenance = read_provenance(original, info)
    return ledger.advance(row.id, S.DOWNLOADED, files={"download": str(original)},
                          context={"provenance": provenance,
                                   "download_sha256": file_sha256(original)})


def _conform(row: JobRow, ledger: Ledger, media_dir: Path,
             on_event: EventHandler | None, settings: Settings) -> JobRow:
    spec = row.context["conform"]
    preset = conform_mod.get_preset(spec["preset"])
    output = media_dir / f"{_stem(row)}{preset.extension}"
    source = Path(row.files["download"])
    if not output.exists():
        remove_partials(output)

        def progress(event: Any) -> None:
            _emit(on_event, "conform", f"Conforming to {spec['preset']}", event.fraction)

        # Content Credentials: conform into a sibling, signed onto ``output`` with the download
        # as ingredient (credentials.signed_output; nothing at ``output`` if signing fails).
        with signed_output(output, conform_recipe(source, f"conformed to {spec['preset']}"),
                           settings, lambda note: _emit(on_event, "sign", note)) as unsigned:
            conform_mod.conform(source, unsigned, preset=spec["preset"],
                                size=parse_size(spec["size"]), rate=parse_rate(spec["rate"]),
                                fit=spec["fit"], on_progress=progress,
                                sar=parse_rate(spec.get("sar", "1")))
    frames = probe(output).require_video().frame_count
    # The conform adds silent stereo when the download has no audio stream; the facts say so
    # (``silence_added``) and whether there is sound to place at all.
    facts = sound_facts(source)
    audio = {**facts.to_json(), "silence_added": not facts.stream}
    return ledger.advance(row.id, S.CONFORMED, files={"conformed": str(output)},
                          context={"frames": frames, "audio": audio})


def _clip(row: JobRow, *, reused: bool) -> GeneratedClip:
    spec = row.context["conform"]
    provenance = dict(row.context.get("provenance") or {})
    return GeneratedClip(
        job_id=row.id, remote_id=row.remote_id or "", provider=row.provider,
        model=row.model or "", prompt=row.prompt, seconds=row.seconds or 0,
        size=parse_size(row.size or ""), original=Path(row.files["download"]),
        conformed=Path(row.files["conformed"]), frames=int(row.context["frames"]),
        rate=parse_rate(spec["rate"]), cost=row.cost_estimate or Decimal(0),
        preview=bool(provenance.get("preview")) or row.provider == "preview",
        take=row.take, take_group=row.take_group or row.request_hash[:16],
        created_at=row.created_at.astimezone(timezone.utc).isoformat(),
        image=Path(row.files.get("image", row.files.get("source_image", ""))),
        provenance=provenance, reused=reused, sound=_sound(row),
    )


def _sound(row: JobRow) -> bool:
    """Whether the row's clip has sound to place, as its conform recorded (a row conformed
    before that was recorded is measured now: our silent fill measures as silence)."""
    facts = SoundFacts.from_json(row.context.get("audio"))
    if facts is None:
        facts = sound_facts(Path(row.files["conformed"]))
    return facts.sound


def resume_job(row: JobRow, settings: Settings, *, ledger: Ledger,
               resubmit: bool = False) -> JobRow:
    """Finish an interrupted row without a second create (``jobs resume``); places it too when
    its context names a timeline to write."""
    clip = drive(row, settings, ledger=ledger, resubmit=resubmit)
    row = ledger.get(clip.job_id)
    if row.goal is S.PLACED and row.state is S.CONFORMED and "timeline" in row.context:
        from stillmotion.jobs.placing import place_from_row

        place_from_row(row, clip, ledger=ledger)
        row = ledger.get(row.id)
    return row

