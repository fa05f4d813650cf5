"""Remix, extend and fill-gap: the editor actions built from the pipeline's stages.

Why here and not in a front end: each chooses its shot differently (a finished job, a clip's
out point or its own job, a gap between two clips) and then runs the same story, so the CLI and
Resolve share one version, and a crash in any of them is finished by ``jobs resume`` the same
way (the row's context says how to place it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillmotion.api import model_rows
from stillmotion.errors import ConfigError, JobError
from stillmotion.files import check_output
from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState
from stillmotion.jobs.pipeline import generate, run_shot
from stillmotion.jobs.placers import OtioPlacer, next_free_name
from stillmotion.jobs.records import GapFacts, JobContext
from stillmotion.jobs.shots import media_dir_for, prepare_shot, source_facts
from stillmotion.jobs.stages import grab, locate_shot
from stillmotion.jobs.values import EventHandler, GeneratedClip, ShotRequest
from stillmotion.settings import Settings
from stillmotion.timecode import parse_size
from stillmotion.timeline.gaps import GapSpan
from stillmotion.timeline.generated import GeneratedClip as GeneratedOnTimeline
from stillmotion.timeline.generated import find_generated_clips
from stillmotion.timeline.io import default_output_path
from stillmotion.timeline.place import PlacedClip
from stillmotion.timeline.shots import ClipSpan


@dataclass(frozen=True)
class Outcome:
    """A generated clip and, when it was placed on a timeline file, where."""

    clip: GeneratedClip
    placed: PlacedClip | None = None
    written: Path | None = None


def generated_at(opened: Any, span: ClipSpan) -> GeneratedOnTimeline | None:
    """The generated clip shown at ``span``, if it is one."""
    return next((g for g in find_generated_clips(opened)
                 if g.track_index == span.track_index and g.record_start_frame == span.start),
                None)


def _finished(row: JobRow, verb: str) -> JobRow:
    if row.state not in (LedgerState.CONFORMED, LedgerState.PLACED):
        raise ConfigError(f"Job {row.id} is {row.state.value}; only a finished job can be "
                          f"{verb} (`stillmotion jobs resume` finishes it).")
    return row


def _request_from(row: JobRow, prompt: str, **changes: Any) -> ShotRequest:
    """A new request on the still and shape of a finished job."""
    if row.files.source_image is None:
        raise ConfigError(f"Job {row.id} has no still recorded; generate the shot again.")
    base = ShotRequest(image=row.files.source_image, prompt=prompt, seconds=row.seconds,
                       size=parse_size(row.size or ""), provider=row.provider, model=row.model,
                       source=row.request.source)
    return dataclasses.replace(base, **changes)


def _run(request: ShotRequest, row_context: JobContext, context: JobContext, *,
         settings: Settings, ledger: Ledger, on_event: EventHandler | None,
         goal: LedgerState = LedgerState.PLACED) -> Outcome:
    media_dir = context.media_dir or row_context.media_dir
    assert media_dir is not None
    clip = generate(request, row_context.conform_spec(), media_dir=media_dir, settings=settings,
                    on_event=on_event, ledger=ledger, context=context, goal=goal)
    if goal is not LedgerState.PLACED:
        return Outcome(clip)
    placed, written = OtioPlacer(context).place(ledger.get(clip.job_id), clip, ledger)
    return Outcome(clip, placed, written)


def remix(job: str, prompt: str, *, settings: Settings, ledger: Ledger,
          output: Path | None = None, media_dir: Path | None = None,
          on_event: EventHandler | None = None) -> Outcome:
    """A new take of a finished job with a new prompt (the service's remix), grouped with its
    takes; placed in the same slot of a new timeline when the job was placed on one. The
    clip is written to ``media_dir`` if given, else beside the job's own clip."""
    row = _finished(ledger.lookup(job), "remixed")
    request = _request_from(row, prompt, take_group=row.take_group, remix_of=row.remote_id)
    previous = row.files.timeline
    context = dataclasses.replace(row.context, expires_at=None, provenance=None,
                                  download_sha256=None, frames=None, resolve=None,
                                  media_dir=media_dir.absolute() if media_dir else
                                  row.context.media_dir)
    if previous is None:
        return _run(request, row.context, context, settings=settings, ledger=ledger,
                    on_event=on_event, goal=LedgerState.CONFORMED)
    context = dataclasses.replace(context, timeline=previous,
                                  output=output or next_free_name(previous), overwrite=False)
    return _run(request, row.context, context, settings=settings, ledger=ledger,
                on_event=on_event)


def extend_from_last_frame(timeline_path: Path, span: ClipSpan, overlap: int, prompt: str,
                           seconds: int, *, settings: Settings, ledger: Ledger,
                           on_event: EventHandler | None = None,
                           **options: Any) -> Outcome:
    """``extend``: a new job from the clip's last frame, placed at its out point (less
    ``overlap`` frames, over which it dissolves in, picture and sound, when rendered).
    ``options`` go to :func:`prepare_shot`."""
    shot = prepare_shot(timeline_path, str(span.end - 1), prompt, seconds=seconds,
                        purpose="extend", record_frame=span.end - overlap, **options)
    if overlap:
        shot = dataclasses.replace(shot, context=dataclasses.replace(
            shot.context, crossfade_frames=overlap))
    clip, (placed, written) = run_shot(shot, OtioPlacer(shot.context), settings=settings,
                                       ledger=ledger, on_event=on_event)
    return Outcome(clip, placed, written)


def extend_natively(timeline_path: Path, opened: Any, span: ClipSpan, prompt: str, seconds: int,
                    *, settings: Settings, ledger: Ledger, output: Path | None, overwrite: bool,
                    new_take: bool, on_event: EventHandler | None = None,
                    audio: bool = True, media_dir: Path | None = None) -> Outcome:
    """``extend --native``: continue the job behind the generated clip ``span`` with the
    provider's own extension; only the new ``seconds`` are shown, right after the clip
    (``audio`` False: the picture only; ``media_dir``: where it is written, by default
    ``stillmotion_media/`` beside the output)."""
    found = generated_at(opened, span)
    if found is None or found.metadata is None:
        raise ConfigError(f"--native continues a clip stillmotion generated, and '{span.name}' "
                          "is not one (or its file format dropped our metadata); extend it "
                          "without --native.")
    row = _finished(ledger.lookup(found.metadata.job_id), "extended")
    if not row.remote_id:
        raise ConfigError(f"Job {row.id} is {row.state.value}; only a finished job can be "
                          "extended (`stillmotion jobs resume` finishes it).")
    cap = model_rows.find(row.provider, row.model, settings)
    if not cap.native_extension:
        raise ConfigError(f"The {row.provider} model {cap.model} has no native extension; "
                          "extend the clip without --native.")
    final = check_output(output or default_output_path(timeline_path),
                         inputs=[timeline_path], overwrite=overwrite)
    request = _request_from(row, prompt, seconds=seconds, new_take=new_take,
                            extend_of=row.remote_id)
    context = JobContext(timeline=timeline_path.absolute(), at=str(span.end), output=final,
                         overwrite=overwrite, record_frame=span.end, tail_seconds=seconds,
                         extends=row.id, media_dir=media_dir_for(final, media_dir),
                         no_audio=not audio)
    return _run(request, row.context, context, settings=settings, ledger=ledger,
                on_event=on_event)


def fill_gap(timeline_path: Path, opened: Any, gap: GapSpan, prompt: str, seconds: int, *,
             settings: Settings, ledger: Ledger, on_event: EventHandler | None = None,
             **options: Any) -> Outcome:
    """``fill-gap``: a clip from the last frame before ``gap`` to the first frame after it,
    trimmed to the gap exactly (the rest of the conformed file stays behind it as handle).
    ``options`` go to :func:`prepare_shot`."""
    shot = prepare_shot(timeline_path, str(gap.start - 1), prompt, seconds=seconds,
                        purpose="fill-gap", record_frame=gap.start, **options)
    after = locate_shot(opened, gap.end, timeline_path)
    last = grab(after, shot.media_dir / "stills")
    request = dataclasses.replace(shot.request, last_image=last)
    context = dataclasses.replace(shot.context, place_frames=gap.frames, gap=GapFacts(
        start=gap.start, end=gap.end, before=gap.before_name, after=gap.after_name,
        last_frame_source=dataclasses.replace(source_facts(after), timecode=None,
                                              record_timecode=None)))
    clip = generate(request, shot.target, media_dir=shot.media_dir, settings=settings,
                    on_event=on_event, ledger=ledger, context=context)
    if clip.frames < gap.frames:
        raise JobError(f"The generated clip has {clip.frames} frames, fewer than the "
                       f"{gap.frames}-frame gap; make a new take with --new-take.")
    placed, written = OtioPlacer(context).place(ledger.get(clip.job_id), clip, ledger)
    return Outcome(clip, placed, written)
