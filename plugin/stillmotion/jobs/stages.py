"""One small typed function per stage of a shot: locate, grab, fit, submit, wait, download,
verify, conform. :mod:`stillmotion.jobs.pipeline` tells the story in that order; placing is a
:class:`stillmotion.jobs.placers.Placer`'s.

Why each stage writes the ledger before the next begins: a run killed at any point is finished
from the row alone, and a paid create is sent at most once (the ``submitting`` mark is committed
before the call; an ambiguous failure of the call leaves the row for the user to decide).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from stillmotion.api.polling import wait_for_job
from stillmotion.api.providers.base import (
    ExtendingProvider,
    GenerationRequest,
    JobState,
    JobStatus,
    Provider,
    RemixingProvider,
)
from stillmotion.errors import (
    ConfigError,
    JobError,
    JobStateError,
    PolicyRejectedError,
    ServiceConnectionError,
    ServiceStatusError,
    ServiceUnreachableError,
)
from stillmotion.files import remove_partials
from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState
from stillmotion.jobs.records import JobContext, JobFiles, Provenance
from stillmotion.jobs.values import Clock, EventHandler, emit
from stillmotion.media import conform as conform_mod
from stillmotion.media.credentials import conform_recipe, signed_output, signed_still
from stillmotion.media.frames import fit_image, grab_frame
from stillmotion.media.probe import probe
from stillmotion.media.provenance import read_provenance
from stillmotion.media.sound import sound_facts
from stillmotion.settings import Settings
from stillmotion.timecode import parse_size
from stillmotion.timeline.locate import Located, locate

S = LedgerState


def file_sha256(path: Path) -> str:
    """Hex digest of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stem(row: JobRow) -> str:
    """The file-name stem of a job's files: ``<job id>_take<N>``."""
    return f"{row.id}_take{row.take}"


def locate_shot(timeline: Any, at: str | int, timeline_path: Path) -> Located:
    """Locate: the top-most enabled clip under the playhead and its exact source frame."""
    return locate(timeline, at, timeline_path=timeline_path)


def grab(located: Located, folder: Path) -> Path:
    """Grab: the located source frame as a still in ``folder`` (ungraded, exact frame)."""
    folder.mkdir(parents=True, exist_ok=True)
    still = folder / f"{located.media_path.stem}_f{located.source_frame_index}.png"
    grab_frame(located.media_path, still, frame=located.source_frame_index, overwrite=True)
    return still


def fit(row: JobRow, ledger: Ledger, media_dir: Path, settings: Settings) -> JobRow:
    """Fit: the still (and the last-frame still) cropped to the request size, recorded as sent;
    both carry Content Credentials when signing is set up."""
    size = parse_size(row.size or "")
    source = row.files.source_image
    if source is None:
        raise JobError(f"Job {row.id} has no still recorded; make a new take.")
    still = media_dir / f"{stem(row)}_first_frame.png"
    if not still.exists():
        with signed_still(still, source, settings) as unsigned:  # Content Credentials
            fit_image(source, unsigned, size, fit="crop")
    row = ledger.update(row.id, files=JobFiles(image=still))
    if row.files.last_source_image is not None:
        last = media_dir / f"{stem(row)}_last_frame.png"
        if not last.exists():
            with signed_still(last, row.files.last_source_image, settings) as unsigned:
                fit_image(row.files.last_source_image, unsigned, size, fit="crop")
        row = ledger.update(row.id, files=JobFiles(last_image=last))
    return row


def _create(row: JobRow, provider: Provider) -> JobState:
    """The one create call: a remix, a native extension, or a new job from the stills."""
    if row.request.remix_of:
        if not isinstance(provider, RemixingProvider):
            raise ConfigError(f"The {row.provider} provider cannot remix a job; run "
                              "`stillmotion generate` with the new prompt instead.")
        return provider.remix(row.request.remix_of, row.prompt)
    if row.request.extend_of:
        if not isinstance(provider, ExtendingProvider):
            raise ConfigError(f"The {row.provider} provider cannot extend a job natively; "
                              "run `stillmotion extend` without --native.")
        return provider.extend(row.request.extend_of, row.prompt, row.seconds or 4)
    assert row.files.image is not None  # fit ran first
    return provider.submit(GenerationRequest(
        prompt=row.prompt, model=row.model, seconds=row.seconds or 4,
        size=parse_size(row.size or ""), first_frame=row.files.image,
        last_frame=row.files.last_image, audio=sound_wish(row.context)))


def sound_wish(context: JobContext) -> bool | None:
    """What the create asks of the vendor's sound switch (``GenerationRequest.audio``): False
    for ``--no-audio`` (no sound made or billed), True when the model's row promises sound,
    else None (the field left out). A row that says the model makes no sound at this size is
    asked nothing even on ``--no-audio``: there is nothing to turn off, and its vendor may not
    document the field (a job from an older ledger, promise unknown, still asks for none)."""
    if context.audio_promised is False:
        return None
    if context.no_audio:
        return False
    return True if context.audio_promised else None


def submit(row: JobRow, provider: Provider, ledger: Ledger, on_event: EventHandler | None,
           resubmit: bool) -> JobRow:
    """Submit: ``submitting`` committed, then the create call, then the remote id recorded."""
    try:
        row = ledger.mark_submitting(row.id, resubmit=resubmit)
    except JobStateError as exc:
        raise JobError(
            f"Job {row.id} is already being sent by another stillmotion process; let it finish, "
            f"then `stillmotion jobs show {row.id}`."
        ) from exc
    emit(on_event, "submit", f"Submitting to {row.provider} ({row.model}, {row.size}, "
         f"{row.seconds} s)")
    try:
        state = _create(row, provider)
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


def wait(row: JobRow, provider: Provider, ledger: Ledger, deadline: float,
         on_event: EventHandler | None, clock: Clock) -> JobRow:
    """Wait: poll until the job is done (bounded by ``deadline`` seconds), recording progress."""
    remote = row.remote_id or ""
    last = {"progress": -1.0}

    def report(state: JobState) -> None:
        fraction = (state.progress or 0.0) / 100 if state.progress is not None else None
        emit(on_event, "wait", f"{row.provider} job {remote}: {state.raw_status}", fraction)
        if state.status is JobStatus.RUNNING and state.progress is not None \
                and state.progress > last["progress"]:
            last["progress"] = state.progress
            ledger.advance(row.id, S.RUNNING, progress=state.progress)

    wake = clock.wake
    try:
        final = wait_for_job(lambda: provider.poll(remote), deadline_seconds=deadline,
                             on_progress=report,
                             sleep=clock.sleep if wake is None else wake.sleeper(remote),
                             clock=clock.monotonic, provider=row.provider,
                             fallback=None if wake is None else wake.fallback)
    except (PolicyRejectedError, JobError) as exc:
        if not isinstance(exc, TimeoutError):
            ledger.fail(row.id, exc.message)
        raise
    return ledger.advance(row.id, S.COMPLETED, progress=100.0,
                          context=JobContext(expires_at=final.expires_at))


def download(row: JobRow, provider: Provider, media_dir: Path,
             on_event: EventHandler | None) -> Path:
    """Download: the finished job's video beside the other files (skipped when already there)."""
    original = media_dir / f"{stem(row)}_original.mp4"
    if not original.exists():
        emit(on_event, "download", f"Downloading {row.provider} job {row.remote_id}")
        job = JobState(id=row.remote_id or "", status=JobStatus.COMPLETED, raw_status="completed")
        remove_partials(original)
        provider.download(job, original)
    return original


def verify(row: JobRow, original: Path, ledger: Ledger, on_event: EventHandler | None) -> JobRow:
    """Verify: the download has frames; its provenance and digest are recorded."""
    emit(on_event, "verify", f"Checking {original.name}")
    info = probe(original)
    video = info.require_video()
    if video.frame_count <= 0:
        raise JobError(f"The download {original.name} holds no frames; run `stillmotion jobs "
                       f"resume {row.id}` after deleting it, or make a new take.")
    provenance = Provenance.from_json(read_provenance(original, info))
    return ledger.advance(row.id, S.DOWNLOADED, files=JobFiles(download=original),
                          context=JobContext(provenance=provenance,
                                             download_sha256=file_sha256(original)))


def conform(row: JobRow, ledger: Ledger, media_dir: Path, on_event: EventHandler | None,
            settings: Settings) -> JobRow:
    """Conform: to the timeline's rate, size and finishing codec (signed with the download as
    ingredient when signing is set up); the frame count recorded."""
    spec = row.context.conform_spec()
    preset = conform_mod.get_preset(spec.preset)
    output = media_dir / f"{stem(row)}{preset.extension}"
    source = row.files.download
    assert source is not None  # verify ran first
    if not output.exists():
        remove_partials(output)

        def progress(event: Any) -> None:
            emit(on_event, "conform", f"Conforming to {spec.preset}", event.fraction)

        # Content Credentials: conform into a sibling, signed onto ``output`` with the download
        # as ingredient (credentials.signed_output; nothing at ``output`` if signing fails).
        with signed_output(output, conform_recipe(source, f"conformed to {spec.preset}"),
                           settings, lambda note: emit(on_event, "sign", note)) as unsigned:
            conform_mod.conform(source, unsigned, preset=spec.preset, size=spec.size,
                                rate=spec.rate, fit=spec.fit, on_progress=progress, sar=spec.sar)
    frames = probe(output).require_video().frame_count
    # The conform adds silent stereo when the download has no audio stream; the facts say so
    # (``silence_added``) and whether there is sound to place at all.
    facts = sound_facts(source)
    audio = {**facts.to_json(), "silence_added": not facts.stream}
    return ledger.advance(row.id, S.CONFORMED, files=JobFiles(conformed=output),
                          context=JobContext(frames=frames, audio=audio))
