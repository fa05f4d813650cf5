"""Fixtures for the Resolve front-end tests: a fake Resolve with a shot, and a pipeline stand-in.

Why a stand-in pipeline at all: most Resolve tests are about placement, metadata and failure
handling, and need a REAL conformed clip (rendered by the media engine and conformed with the
resolve-dnxhr-hq preset) without a job service; the end-to-end test runs the real pipeline.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.jobs.ledger import Ledger, LedgerState
from stillmotion.jobs.pipeline import ConformSpec, GeneratedClip, PipelineEvent, ShotRequest
from stillmotion.jobs.records import JobContext, Provenance
from stillmotion.media.conform import conform as conform_clip
from stillmotion.media.probe import probe
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.settings import Settings
from support.fake_resolve import FakeProject, FakeResolve, FakeTimeline

GENERATED_RATE = Fraction(30)
GENERATED_SIZE = (256, 144)
TIMELINE_SIZE = (320, 180)


@dataclass
class StandInPipeline:
    """Shaped like stillmotion.jobs.pipeline.generate; renders and conforms a real clip."""

    folder: Path
    calls: list[tuple[ShotRequest, ConformSpec]] = field(default_factory=list)
    rendered: dict[tuple[Fraction, tuple[int, int], int], Path] = field(default_factory=dict)
    error: Exception | None = None
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)  # jobs may run concurrently
    contexts: list[JobContext | None] = field(default_factory=list)  # what the front end recorded

    def __call__(
        self, request: ShotRequest, conform: ConformSpec, *, media_dir: Path,
        settings: Settings | None = None, on_event: Callable[[PipelineEvent], None] | None = None,
        context: JobContext | None = None,
    ) -> GeneratedClip:
        with self.lock:
            self.calls.append((request, conform))
            self.contexts.append(context)
        if on_event is not None:
            on_event(PipelineEvent("submit", None, "Submitting to preview"))
            on_event(PipelineEvent("wait", 0.5, "preview job: in_progress"))
        if self.error is not None:
            raise self.error
        number = next(self.counter)
        seconds = request.seconds or 1
        group = request.take_group or f"group{number}"
        assert settings is not None
        with Ledger(settings.ledger_path) as book:  # the rows the real pipeline would leave
            row = book.claim(secrets.token_hex(8), provider="preview", model="preview",
                             size="256x144", seconds=seconds, prompt=request.prompt,
                             take_group=group, new_take=request.new_take).row
            book.mark_submitting(row.id)
            book.record_submitted(row.id, f"video_{number}")
            for state in (LedgerState.COMPLETED, LedgerState.DOWNLOADED, LedgerState.CONFORMED):
                row = book.advance(row.id, state)
        key = (conform.rate, conform.size, seconds)
        with self.lock:
            conformed = self._render(key, conform)
        return GeneratedClip(
            job_id=row.id, remote_id=f"video_{number}", provider="preview",
            model="preview", prompt=request.prompt, seconds=seconds, size=GENERATED_SIZE,
            original=conformed.with_name(conformed.stem + "_original.mp4"), conformed=conformed,
            frames=probe(conformed, count_frames=True).require_video().frame_count,
            rate=conform.rate, cost=Decimal(0), preview=True,
            take=row.take, take_group=group,
            created_at=datetime.now(timezone.utc).isoformat(), image=request.image,
            provenance=Provenance(),
        )

    def _render(self, key: tuple[Fraction, tuple[int, int], int], target: ConformSpec) -> Path:
        seconds = key[2]
        if key not in self.rendered:
            original = self.folder / f"gen_{len(self.rendered)}_original.mp4"
            render_clip(original, ClipSpec(*GENERATED_SIZE, GENERATED_RATE,
                                           int(GENERATED_RATE * seconds), audio_rate=None,
                                           label="GEN"))
            conformed = original.with_name(original.name.replace("_original.mp4", ".mov"))
            conform_clip(original, conformed, preset=target.preset, size=target.size,
                         rate=target.rate, fit=target.fit)
            self.rendered[key] = conformed
        return self.rendered[key]


@pytest.fixture(scope="session")
def generated_clips(tmp_path_factory: pytest.TempPathFactory) -> StandInPipeline:
    return StandInPipeline(tmp_path_factory.mktemp("generated"))


@pytest.fixture
def pipeline(generated_clips: StandInPipeline) -> StandInPipeline:
    """A fresh stand-in per test that shares the session's rendered clips."""
    return StandInPipeline(generated_clips.folder, rendered=generated_clips.rendered)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                    ledger=tmp_path / "ledger.sqlite3")


@dataclass
class Scene:
    """A fake Resolve with one project, one timeline and a shot on V1."""

    resolve: FakeResolve
    project: FakeProject
    timeline: FakeTimeline


def build_scene(
    clip: Path, *, rate: Fraction, drop_frame: bool = False, start: str = "01:00:00:00",
    record_frame: int | None = None, left_offset: int = 0, playhead_offset: int = 12,
    edition: str = "studio", **fake: object,
) -> Scene:
    """Shot ``clip`` on V1 at ``record_frame`` (default: the timeline start), playhead inside it."""
    resolve = FakeResolve(edition=edition, **fake)  # type: ignore[arg-type]
    project = resolve.add_project("Show")
    timeline = project.add_timeline("Cut 1", rate=rate, drop_frame=drop_frame,
                                     start_timecode=start, size=TIMELINE_SIZE)
    media = project.import_clip(clip)
    at = timeline.start_frame if record_frame is None else record_frame
    timeline.put(1, media, at, left_offset=left_offset, duration=media.frames - left_offset)
    timeline.playhead = at + playhead_offset
    return Scene(resolve, project, timeline)


@dataclass
class SoundingPipeline:
    """The stand-in pipeline, but the clip it returns carries sound (a 48 kHz tone), one file
    per rate and length."""

    inner: StandInPipeline
    folder: Path
    rendered: dict[tuple[Fraction, int], Path] = field(default_factory=dict)

    def __call__(self, request: ShotRequest, conform: ConformSpec, *, media_dir: Path,
                 settings: Settings | None = None,
                 on_event: Callable[[PipelineEvent], None] | None = None,
                 context: JobContext | None = None) -> GeneratedClip:
        clip = self.inner(request, conform, media_dir=media_dir, settings=settings,
                          on_event=on_event, context=context)
        key = (conform.rate, request.seconds or 1)
        if key not in self.rendered:
            original = self.folder / f"voiced_{len(self.rendered)}_original.mp4"
            render_clip(original, ClipSpec(256, 144, Fraction(30), 30 * key[1],
                                           audio_rate=48000, label="GEN"))
            conformed = original.with_name(original.name.replace("_original.mp4", ".mov"))
            conform_clip(original, conformed, preset=conform.preset, size=conform.size,
                         rate=conform.rate, fit=conform.fit)
            self.rendered[key] = conformed
        conformed = self.rendered[key]
        return replace(clip, conformed=conformed, sound=True,
                       frames=probe(conformed).require_video().frame_count)


@pytest.fixture
def voiced(pipeline: StandInPipeline, tmp_path_factory: pytest.TempPathFactory) -> \
        SoundingPipeline:
    return SoundingPipeline(pipeline, tmp_path_factory.mktemp("voiced"))
