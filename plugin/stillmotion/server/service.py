"""The /v1/videos service itself: validate, record, render in a worker pool, serve the results.

Why apart from the HTTP layer: every rule of the original (limits, lifecycle, expiry, remix and
extension semantics) lives here as plain Python, so ``app.py`` only maps HTTP onto these calls
and the rules can be read in one place.

Lifecycle: a job is ``queued`` when created, ``in_progress`` (progress rising 0..99) while a
worker renders it (:mod:`stillmotion.server.worker`), then ``completed`` (progress 100,
``completed_at``, ``expires_at`` = completion + content TTL) or ``failed`` with ``error: {code,
message}``. On shutdown a job being rendered is put back to ``queued``; with a data folder,
every ``queued`` or ``in_progress`` job found at start-up is rendered again from the beginning
(renders are deterministic, so nothing is lost but time).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from stillmotion.errors import ConfigError, StillmotionError
from stillmotion.server.catalog import (
    DEFAULT_MODEL,
    DEFAULT_SECONDS,
    DEFAULT_SIZE,
    MAX_EXTENDED_SECONDS,
    MAX_EXTENSIONS,
    Catalog,
    check_prompt,
)
from stillmotion.server.engine import Engine, PreviewEngine
from stillmotion.server.errors import APIError, invalid_value, not_found
from stillmotion.server.faults import FaultState
from stillmotion.server.inputs import (
    FileRef,
    Upload,
    VideoRef,
    image_kind,
    image_size,
    video_facts,
)
from stillmotion.server.options import ServerOptions
from stillmotion.server.store import COMPLETED, FAILED, QUEUED, TERMINAL, JobRecord, Store
from stillmotion.server.webhook_sender import WebhookSender
from stillmotion.server.worker import RenderWorker

VARIANTS = {"video": ("video.mp4", "video/mp4"),
            "thumbnail": ("thumbnail.webp", "image/webp"),
            "spritesheet": ("spritesheet.jpg", "image/jpeg")}
SIZE_MISMATCH = "Inpaint image must match the requested width and height"


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class VideoService:
    """One server instance's jobs; thread-safe. Close it with :meth:`close`."""

    def __init__(self, options: ServerOptions, *, clock: Callable[[], float] = time.time) -> None:
        if options.workers < 1:
            raise ConfigError(f"--workers must be 1 or more, not {options.workers}.")
        if options.webhook_url and not options.webhook_secret:
            raise ConfigError("--webhook-url needs --webhook-secret (a whsec_… secret) so "
                              "receivers can verify the events.")
        self.options = options
        self._clock = clock
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if options.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="stillmotion-serve-")
            root = Path(self._tmp.name)
        else:
            root = options.data_dir.expanduser().absolute()
        try:
            self.store = Store(root)
        except ConfigError:
            if self._tmp is not None:
                self._tmp.cleanup()
            raise
        self.catalog = Catalog(options.extra_models)
        self.faults = FaultState(options.faults)
        self.engine: Engine = options.engine if options.engine is not None else PreviewEngine()
        self.webhooks = (WebhookSender(options.webhook_url, options.webhook_secret or "",
                                       attempts=options.webhook_attempts,
                                       backoff=options.webhook_backoff)
                         if options.webhook_url else None)
        self._stopping = threading.Event()
        self._worker = RenderWorker(store=self.store, engine=self.engine, faults=self.faults,
                                    options=options, webhooks=self.webhooks,
                                    stopping=self._stopping, clock=clock)
        self._pool = ThreadPoolExecutor(max_workers=options.workers,
                                        thread_name_prefix="render")
        self._variant_locks: dict[str, threading.Lock] = {}
        self._variant_guard = threading.Lock()
        for record in self.store.jobs():
            if record.status not in TERMINAL:
                self.store.update(record.id, status=QUEUED, progress=0)
                self._pool.submit(self._worker.run, record.id)

    def close(self) -> None:
        """Stop rendering (running jobs go back to the queue), stop webhooks, close storage."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self.webhooks is not None:
            self.webhooks.close()
        self.store.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    # ----------------------------------------------------------------- create-like calls

    def create(self, *, prompt: object, model: object, size: object, seconds: object,
               reference: Upload | FileRef | None, last_reference: Upload | FileRef | None = None,
               sound: bool = True) -> dict[str, Any]:
        """``POST /videos``: validate everything, store the reference image (and the last
        image the render must end on, for first+last frame requests), queue the job;
        ``sound`` False renders it without an audio stream (:mod:`stillmotion.server.sound`)."""
        text = check_prompt(prompt)
        model_name = _string(model, "model", DEFAULT_MODEL)
        rule = self.catalog.rule(model_name)
        size_text = _string(size, "size", DEFAULT_SIZE)
        seconds_value = seconds if seconds is not None else DEFAULT_SECONDS
        count = self.catalog.check_seconds(rule, seconds_value)
        dims = self.catalog.check_size(rule, size_text)
        record = self._new_record(model_name, text, size_text, str(count), kind="create",
                                  segment_seconds=count)
        record.sound = sound
        try:
            if reference is not None:
                record.image = self._store_still(record, reference, dims, "reference",
                                                 "input_reference")
            if last_reference is not None:
                record.last_image = self._store_still(record, last_reference, dims,
                                                      "last_reference", "last_reference")
        except APIError:
            self._discard(record)
            raise
        return self._queue(record)

    def remix(self, video_id: str, *, prompt: object) -> dict[str, Any]:
        """``POST /videos/{id}/remix``: the source's image and settings with a new prompt."""
        text = check_prompt(prompt)
        source = self._completed_source(video_id, "remixed")
        record = self._new_record(source.model, text, source.size, source.seconds,
                                  kind="remix", segment_seconds=int(source.seconds))
        record.remixed_from_video_id = source.id
        record.source_id = source.id
        record.sound = source.sound
        record.image = self._copy_into(record.id, source.image, "reference")
        record.last_image = self._copy_into(record.id, source.last_image, "last_reference")
        return self._queue(record)

    def extend(self, *, prompt: object, seconds: object, video: Upload | VideoRef,
               model: object = None) -> dict[str, Any]:
        """``POST /videos/extensions``: continue a video from its last frame; ``seconds`` of the
        result is the stitched total."""
        text = check_prompt(prompt)
        if seconds is None:
            raise APIError(400, "Missing required parameter: 'seconds'.", param="seconds",
                           code="missing_required_parameter")
        record, source_total, extensions = self._video_source(video, model, text, "extension")
        try:
            added = self.catalog.check_seconds(self.catalog.rule(record.model), seconds,
                                               extension=True)
            if extensions >= MAX_EXTENSIONS:
                raise APIError(400, f"Invalid 'video': it has already been extended "
                               f"{MAX_EXTENSIONS} times, the most allowed.", param="video",
                               code="extension_limit_reached")
            total = source_total + added
            if total > MAX_EXTENDED_SECONDS:
                raise APIError(400, f"Invalid 'seconds': the extended video would last {total} "
                               f"seconds; at most {MAX_EXTENDED_SECONDS} are allowed.",
                               param="seconds", code="invalid_value")
        except APIError:
            self._discard(record)
            raise
        record.seconds = str(total)
        record.segment_seconds = added
        record.extensions = extensions + 1
        return self._queue(record)

    def edit(self, *, prompt: object, video: Upload | VideoRef,
             model: object = None) -> dict[str, Any]:
        """``POST /videos/edits``: a new render from the source's first frame, new prompt."""
        text = check_prompt(prompt)
        record, total, _ = self._video_source(video, model, text, "edit")
        record.seconds = str(total)
        record.segment_seconds = total
        return self._queue(record)

    # ----------------------------------------------------------------- reads

    def retrieve(self, video_id: str) -> dict[str, Any]:
        """``GET /videos/{id}``."""
        return self._get(video_id).public()

    def list(self, *, after: str | None, limit: int, order: str) -> dict[str, Any]:
        """``GET /videos``: a cursor page, newest first unless ``order`` is ``asc``."""
        jobs = self.store.jobs()
        if order == "desc":
            jobs.reverse()
        start = 0
        if after is not None:
            ids = [job.id for job in jobs]
            if after not in ids:
                raise APIError(400, f"Invalid 'after': no video with id '{after}'.",
                               param="after", code="invalid_value")
            start = ids.index(after) + 1
        page = jobs[start:start + limit]
        data = [job.public() for job in page]
        return {"object": "list", "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": start + limit < len(jobs)}

    def delete(self, video_id: str) -> dict[str, Any]:
        """``DELETE /videos/{id}``: only finished jobs; their files go too."""
        record = self._get(video_id)
        if record.status not in TERMINAL:
            raise APIError(400, f"Video '{video_id}' is still {record.status}; it can be "
                           "deleted once it has completed or failed.", param="video_id",
                           code="video_not_finished")
        self.store.remove(video_id)
        return {"id": video_id, "object": "video.deleted", "deleted": True}

    def content(self, video_id: str, variant: str) -> tuple[Path, str]:
        """The file and media type of one download variant (made on first request).

        400 before completion (or for a failed job); 410 with code ``video_expired`` once
        ``expires_at`` has passed.
        """
        if variant not in VARIANTS:
            raise invalid_value("variant", variant, "'video', 'thumbnail', and 'spritesheet'")
        record = self._get(video_id)
        if record.status == FAILED:
            raise APIError(400, f"Video '{video_id}' failed, so it has no content.",
                           param="video_id", code="video_failed")
        if record.status != COMPLETED:
            raise APIError(400, f"Video '{video_id}' is not ready yet (status "
                           f"{record.status}); wait until it has completed.",
                           param="video_id", code="video_not_ready")
        if self._expired(record):
            raise APIError(410, f"The content of video '{video_id}' expired at "
                           f"{record.expires_at}; create the video again.", param="video_id",
                           code="video_expired")
        name, media_type = VARIANTS[variant]
        folder = self.store.job_dir(video_id)
        target = folder / name
        if not target.exists():
            with self._variant_lock(video_id):
                if not target.exists():
                    self._make_variant(variant, folder / "video.mp4", target)
        return target, media_type

    # ----------------------------------------------------------------- characters and files

    def create_character(self, *, name: object, video: object) -> dict[str, Any]:
        """``POST /videos/characters``: name 1..80 characters plus an MP4 upload."""
        if name is None:
            raise APIError(400, "Missing required parameter: 'name'.", param="name",
                           code="missing_required_parameter")
        if not isinstance(name, str) or not 1 <= len(name) <= 80:
            raise APIError(400, "Invalid 'name': expected a string of 1 to 80 characters.",
                           param="name", code="invalid_value")
        if not isinstance(video, Upload):
            raise APIError(400, "Missing required parameter: 'video' (an MP4 file upload).",
                           param="video", code="missing_required_parameter")
        ident = _new_id("char_")
        folder = self.store.root / "characters"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{ident}.mp4"
        path.write_bytes(video.data)
        try:
            video_facts(path)
        except APIError:
            path.unlink(missing_ok=True)
            raise
        body = {"id": ident, "name": name, "created_at": int(self._clock())}
        self.store.put_object("characters", ident, body)
        return body

    def get_character(self, character_id: str) -> dict[str, Any]:
        """``GET /videos/characters/{id}``."""
        body = self.store.get_object("characters", character_id)
        if body is None:
            raise not_found("Character", character_id, "character_id")
        return body

    def upload_file(self, *, upload: object, purpose: object) -> dict[str, Any]:
        """``POST /files`` (minimal): keep the bytes for a later ``input_reference.file_id``."""
        if not isinstance(upload, Upload):
            raise APIError(400, "Missing required parameter: 'file'.", param="file",
                           code="missing_required_parameter")
        ident = "file-" + secrets.token_hex(12)
        folder = self.store.root / "files"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ident).write_bytes(upload.data)
        body = {"id": ident, "object": "file", "bytes": len(upload.data),
                "created_at": int(self._clock()), "filename": upload.filename or "upload",
                "purpose": purpose if isinstance(purpose, str) else "user_data",
                "status": "processed"}
        self.store.put_object("files", ident, body)
        return body

    def get_file(self, file_id: str) -> dict[str, Any]:
        """``GET /files/{id}``: the file object."""
        body = self.store.get_object("files", file_id)
        if body is None:
            raise not_found("File", file_id, "file_id")
        return body

    # ----------------------------------------------------------------- internals

    def _get(self, video_id: str) -> JobRecord:
        record = self.store.get(video_id)
        if record is None:
            raise not_found("Video", video_id, "video_id")
        return record

    def _expired(self, record: JobRecord) -> bool:
        return record.expires_at is not None and self._clock() >= record.expires_at

    def _new_record(self, model: str, prompt: str, size: str, seconds: str, *, kind: str,
                    segment_seconds: int) -> JobRecord:
        return JobRecord(id=_new_id("video_"), seq=self.store.next_seq(),
                         created_at=int(self._clock()), model=model, prompt=prompt, size=size,
                         seconds=seconds, kind=kind, segment_seconds=segment_seconds)

    def _queue(self, record: JobRecord) -> dict[str, Any]:
        stored = self.store.add(record)
        self.faults.count_create(record.prompt)
        self._pool.submit(self._worker.run, record.id)
        return stored.public()

    def _discard(self, record: JobRecord) -> None:
        shutil.rmtree(self.store.root / "videos" / record.id, ignore_errors=True)

    def _store_still(self, record: JobRecord, reference: Upload | FileRef,
                     dims: tuple[int, int], stem: str, param: str) -> str:
        """Keep a still of the request in the job's folder (its store-relative path); 400
        unless it is an image of exactly the render's size."""
        data = self._reference_bytes(reference)
        kind = image_kind(data, param)
        image = self.store.job_dir(record.id) / f"{stem}.{'jpg' if kind == 'jpeg' else kind}"
        image.write_bytes(data)
        if image_size(image, param) != dims:
            raise APIError(400, SIZE_MISMATCH, param=param, code="invalid_value")
        return self.store.relative(image)

    def _reference_bytes(self, reference: Upload | FileRef) -> bytes:
        if isinstance(reference, Upload):
            return reference.data
        if self.store.get_object("files", reference.file_id) is None:
            raise APIError(400, f"Invalid 'input_reference.file_id': no file with id "
                           f"'{reference.file_id}'.", param="input_reference.file_id",
                           code="invalid_value")
        return (self.store.root / "files" / reference.file_id).read_bytes()

    def _completed_source(self, video_id: str, verb: str) -> JobRecord:
        source = self._get(video_id)
        if source.status != COMPLETED:
            raise APIError(400, f"Video '{video_id}' is {source.status}; only completed videos "
                           f"can be {verb}.", param="video", code="video_not_ready")
        if self._expired(source):
            raise APIError(400, f"Video '{video_id}' has expired, so it can no longer be "
                           f"{verb}; create it again.", param="video", code="video_expired")
        return source

    def _copy_into(self, job_id: str, relative: str | None, stem: str) -> str | None:
        if relative is None:
            return None
        source = self.store.path(relative)
        if not source.exists():
            return None
        target = self.store.job_dir(job_id) / f"{stem}{source.suffix}"
        shutil.copyfile(source, target)
        return self.store.relative(target)

    def _video_source(self, video: Upload | VideoRef, model: object, prompt: str,
                      kind: str) -> tuple[JobRecord, int, int]:
        """A new record for an extension or edit of ``video``, its source length and the
        number of extensions already behind it."""
        if isinstance(video, VideoRef):
            source = self._completed_source(video.video_id,
                                            "extended" if kind == "extension" else "edited")
            record = self._new_record(source.model, prompt, source.size, source.seconds,
                                      kind=kind, segment_seconds=0)
            record.source_id = source.id
            record.image = self._copy_into(record.id, source.image, "reference")
            record.source_video = self._copy_into(
                record.id, self.store.relative(self.store.job_dir(source.id) / "video.mp4"),
                "source")
            return record, int(source.seconds), source.extensions
        record = self._new_record(DEFAULT_MODEL, prompt, DEFAULT_SIZE, "0", kind=kind,
                                  segment_seconds=0)
        path = self.store.job_dir(record.id) / "source.mp4"
        path.write_bytes(video.data)
        try:
            (width, height), duration = video_facts(path)
            size = f"{width}x{height}"
            record.model = self._model_for_upload(model, size)
            self.catalog.check_size(self.catalog.rule(record.model), size)
        except APIError:
            self._discard(record)
            raise
        record.size = size
        record.source_video = self.store.relative(path)
        return record, duration, 0

    def _model_for_upload(self, model: object, size: str) -> str:
        """The model named in the request, else sora-2 if it takes ``size``, else the first
        extra (free-size) model."""
        if model is not None:
            return _string(model, "model", DEFAULT_MODEL)
        rule = self.catalog.rule(DEFAULT_MODEL)
        if rule.sizes is not None and size in rule.sizes:
            return DEFAULT_MODEL
        return self.options.extra_models[0] if self.options.extra_models else DEFAULT_MODEL

    def _variant_lock(self, video_id: str) -> threading.Lock:
        with self._variant_guard:
            return self._variant_locks.setdefault(video_id, threading.Lock())

    def _make_variant(self, variant: str, video: Path, target: Path) -> None:
        try:
            if variant == "thumbnail":
                self.engine.thumbnail(video, target)
            elif variant == "spritesheet":
                self.engine.spritesheet(video, target)
        except StillmotionError as exc:
            raise APIError(500, f"The {variant} could not be made: {exc.message}",
                           type="server_error", code="internal_error") from exc
        if not target.exists():
            raise APIError(500, f"The {variant} could not be made.", type="server_error",
                           code="internal_error")


def _string(value: object, param: str, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise APIError(400, f"Invalid type for '{param}': expected a string.", param=param,
                       code="invalid_type")
    return value
