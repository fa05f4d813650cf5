"""Generate at the playhead of a timeline file: locate, grab, generate, place, write a new file.

Why a module between the pipeline and the CLI: ``stillmotion generate``, ``batch``, ``extend``,
``remix`` and ``jobs resume`` all end by putting a conformed clip on the "AI Generated" track of
a NEW timeline file; the ledger row's context holds everything needed to do that again after a
crash (input timeline, playhead, output path, source facts), so placing is reproducible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from stillmotion.errors import ConfigError
from stillmotion.files import MEDIA_FOLDER, check_output, writable_folder
from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState
from stillmotion.jobs.pipeline import ConformSpec, GeneratedClip, ShotRequest
from stillmotion.media.frames import grab_frame
from stillmotion.media.probe import probe
from stillmotion.media.sound import SoundFacts
from stillmotion.prompt import validate_prompt
from stillmotion.timecode import format_rate
from stillmotion.timeline.generated import find_generated_clips
from stillmotion.timeline.io import default_output_path, read_timeline, write_timeline
from stillmotion.timeline.locate import Located, locate
from stillmotion.timeline.metadata import GeneratedClipMetadata, TakeRecord
from stillmotion.timeline.place import PlacedClip, place_generated
from stillmotion.timeline.relink import options_from_context, reading_context, reading_options
from stillmotion.timeline.resolve_shape import make_resolve_shaped
from stillmotion.timeline.sound import place_sound, sync_sound
from stillmotion.timeline.takes import switch_take


@dataclass(frozen=True)
class Shot:
    """A located shot ready to send: the request, its conform target and where it will go."""

    located: Located
    request: ShotRequest
    target: ConformSpec
    media_dir: Path
    output: Path
    context: dict[str, Any]


def media_dir_for(output: Path, media_dir: Path | None) -> Path:
    """``--media-dir``, else ``stillmotion_media/`` beside the output timeline."""
    return (media_dir or output.parent / MEDIA_FOLDER).absolute()


def take_group_for(timeline_path: Path, located: Located, purpose: str) -> str:
    """Takes of one shot share a group: same timeline, purpose, record frame and source frame."""
    key = f"{timeline_path.absolute()}|{purpose}|{located.record_frame}|{located.media_path}|" \
          f"{located.source_frame_index}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def prepare_shot(
    timeline_path: Path,
    at: str,
    prompt: str,
    *,
    output: Path | None = None,
    media_dir: Path | None = None,
    seconds: int | None = None,
    size: tuple[int, int] | None = None,
    provider: str | None = None,
    model: str | None = None,
    preset: str = "resolve-dnxhr-hq",
    new_take: bool = False,
    overwrite: bool = False,
    for_resolve: bool = False,
    purpose: str = "generate",
    record_frame: int | None = None,
    image: Path | None = None,
    audio: bool = True,
) -> Shot:
    """Read the timeline, check the output, locate the clip and grab its exact source frame.

    ``record_frame`` places the result somewhere other than the playhead (``extend`` grabs the
    clip's last frame but places after its out point); ``purpose`` keeps such takes apart.
    ``image`` sends that still (e.g. Resolve's graded viewer export) instead of the source frame.
    ``audio`` False (``--no-audio``) places the picture only.
    """
    validate_prompt(prompt)
    timeline = read_timeline(timeline_path)
    target_path = output or default_output_path(timeline_path)
    final = check_output(target_path, inputs=[timeline_path], overwrite=overwrite)
    located = locate(timeline, at, timeline_path=timeline_path)
    folder = media_dir_for(final, media_dir)
    stills = writable_folder(folder / "stills")
    if image is not None:
        if not image.is_file():
            raise ConfigError(f"The still {image} does not exist; export it again.")
        still = image.absolute()
    else:
        still = stills / f"{located.media_path.stem}_f{located.source_frame_index}.png"
        grab_frame(located.media_path, still, frame=located.source_frame_index, overwrite=True)
    facts = probe(located.media_path).require_video()
    source = {
        "clip": located.clip_name, "media": str(located.media_path),
        "frame": located.source_frame_index, "timecode": located.source_timecode,
        "record_timecode": located.record_timecode,
    }
    request = ShotRequest(
        image=still, prompt=prompt, seconds=seconds, size=size, provider=provider, model=model,
        new_take=new_take, take_group=take_group_for(timeline_path, located, purpose),
        source=source,
    )
    target = ConformSpec(rate=located.record_rate, size=facts.size, preset=preset, sar=facts.sar)
    context = {
        "timeline": str(timeline_path.absolute()), "at": at, "output": str(final),
        "overwrite": overwrite, "for_resolve": for_resolve, "source": source,
        "record_frame": record_frame, "reading": reading_context(),
        **({} if audio else {"no_audio": True}),
    }
    return Shot(located, request, target, folder, final, context)


def metadata_for(clip: GeneratedClip, source: dict[str, Any], takes: list[JobRow],
                 prompt_parts: dict[str, str] | None = None) -> GeneratedClipMetadata:
    """Our provenance block for a clip, with every finished take of its group.

    Takes are numbered 1, 2, … in the order they were made within the shot's group (the
    ledger's own take number counts repeats of one exact request only).
    """
    finished = [row for row in takes if "conformed" in row.files or row.id == clip.job_id]
    number = {row.id: index for index, row in enumerate(finished, start=1)}
    records = tuple(
        TakeRecord(take=number[row.id], job_id=row.id,
                   media=row.files.get("conformed", str(clip.conformed)),
                   original=row.files.get("download"), prompt=row.prompt,
                   created_at=row.created_at.isoformat(),
                   cost_estimate=float(row.cost_estimate) if row.cost_estimate else None,
                   sound=_row_sound(row), provider=row.provider, model=row.model or "")
        for row in finished
    )
    return GeneratedClipMetadata(
        prompt=clip.prompt, provider=clip.provider, model=clip.model, job_id=clip.job_id,
        seconds=float(clip.seconds), size=f"{clip.size[0]}x{clip.size[1]}",
        source_clip=str(source.get("clip", "")), source_timecode=str(source.get("timecode", "")),
        source_frame=source.get("frame"), source_media=str(source.get("media", "")),
        prompt_parts=prompt_parts or {}, cost_estimate=float(clip.cost),
        original_file=str(clip.original), conformed_file=str(clip.conformed),
        preview=clip.preview, take=number.get(clip.job_id, len(records) or 1),
        take_group=clip.take_group, takes=records, created_at=clip.created_at,
        extra={"remote_id": clip.remote_id, "provenance": clip.provenance,
               "rate": format_rate(clip.rate), **_audio_extra(takes, clip)},
    )


def _row_sound(row: JobRow) -> bool | None:
    facts = SoundFacts.from_json(row.context.get("audio"))
    return None if facts is None else facts.sound


def _audio_extra(takes: list[JobRow], clip: GeneratedClip) -> dict[str, Any]:
    """The clip's sound facts for its metadata: promised by the model, found, loudness."""
    row = next((r for r in takes if r.id == clip.job_id), None)
    if row is None:
        return {}
    facts = dict(row.context.get("audio") or {})
    if "audio_promised" in row.context:
        facts["promised"] = bool(row.context["audio_promised"])
    return {"audio": facts} if facts else {}


def place_on_timeline(
    timeline: Any, at: str, clip: GeneratedClip, metadata: GeneratedClipMetadata, *,
    timeline_path: Path, record_frame: int | None = None, frames: int | None = None,
    tail_seconds: int | None = None, audio: bool = True,
) -> PlacedClip:
    """Put ``clip`` at the playhead; a new take of a shot already placed there replaces the
    shown media of that clip instead of stacking another track. ``frames`` shows only the
    clip's first frames (``fill-gap`` trims to the gap; the rest stays as handle);
    ``tail_seconds`` shows only its last seconds (a native extension holds its source first).
    The clip's sound goes on an AI audio track, linked to the picture, unless ``audio`` is
    False (``--no-audio``) or the clip is silent."""
    sound = audio and clip.sound
    head = 0 if tail_seconds is None else \
        max(0, clip.frames - round(Fraction(tail_seconds) * clip.rate))
    length = clip.frames - head if frames is None else min(clip.frames - head, frames)
    takes = find_generated_clips(timeline) if head == 0 else []  # tails get a slot of their own
    for existing in takes:
        same_group = existing.metadata is not None \
            and existing.metadata.take_group == clip.take_group
        if same_group:
            old_link = existing.metadata.link_id if existing.metadata is not None else ""
            switched = switch_take(existing, timeline, media_path=clip.conformed,
                                   duration_frames=length, rate=clip.rate, metadata=metadata,
                                   original_path=clip.original)
            sync_sound(timeline, switched, old_link=old_link, sound=sound)
            return switched
    start: Located | int = record_frame if record_frame is not None else \
        locate(timeline, at, timeline_path=timeline_path)
    info = probe(clip.original).require_video()
    placed = place_generated(
        timeline, record_start=start, media_path=clip.conformed, duration_frames=length,
        rate=clip.rate, name=f"AI {metadata.source_clip or 'shot'} take {metadata.take}",
        metadata=metadata, original_path=clip.original, original_frames=info.frame_count,
        original_rate=info.rate, media_start_frame=head,
    )
    if sound:
        place_sound(timeline, placed)
    return placed


def place_clip(timeline: Any, clip: GeneratedClip, *, ledger: Ledger, context: dict[str, Any],
               prompt_parts: dict[str, str] | None = None) -> PlacedClip:
    """Place ``clip`` on an open timeline as the row's context says (playhead or record frame)."""
    takes = ledger.takes(clip.take_group)
    metadata = metadata_for(clip, context.get("source", {}), takes, prompt_parts)
    return place_on_timeline(timeline, str(context["at"]), clip, metadata,
                             timeline_path=Path(context["timeline"]),
                             record_frame=context.get("record_frame"),
                             frames=context.get("place_frames"),
                             tail_seconds=context.get("tail_seconds"),
                             audio=not context.get("no_audio"))


def place_and_write(clip: GeneratedClip, *, ledger: Ledger, context: dict[str, Any],
                    prompt_parts: dict[str, str] | None = None) -> tuple[PlacedClip, Path]:
    """Place on a fresh read of the input timeline, write the new file, mark the row placed."""
    placed, written = place_all_and_write([clip], ledger=ledger, context=context,
                                          prompt_parts=prompt_parts)
    return placed[0], written


def place_all_and_write(clips: Sequence[GeneratedClip], *, ledger: Ledger,
                        context: dict[str, Any], prompt_parts: dict[str, str] | None = None,
                        ) -> tuple[list[PlacedClip], Path]:
    """Place several clips of one context (the takes of one shot from several models) on one
    fresh read of the input timeline, in order, write the new file once, mark the rows placed."""
    timeline_path = Path(context["timeline"])
    with reading_options(options_from_context(context.get("reading"))):
        timeline = read_timeline(timeline_path)   # the --rate and --relink-dir of the run
    placed = [place_clip(timeline, clip, ledger=ledger, context=context,
                         prompt_parts=prompt_parts) for clip in clips]
    output = Path(context["output"])
    if context.get("for_resolve"):
        timeline = make_resolve_shaped(timeline, base_dir=timeline_path.parent)
    written = write_timeline(timeline, output, overwrite=bool(context.get("overwrite")),
                             source=timeline_path)
    for clip in clips:
        if ledger.get(clip.job_id).state is LedgerState.CONFORMED:
            ledger.advance(clip.job_id, LedgerState.PLACED, files={"timeline": str(written)})
        else:  # a reused job placed before: it stays placed, now on this timeline too
            ledger.update(clip.job_id, files={"timeline": str(written)})
    return placed, written


def place_from_row(row: JobRow, clip: GeneratedClip, *, ledger: Ledger) -> Path:
    """``jobs resume``: place a conformed row as its context says; a file that appeared at the
    output meanwhile is never overwritten (the next free name is used)."""
    context = dict(row.context)
    output = Path(context["output"])
    if output.exists() and not context.get("overwrite"):
        context["output"] = str(next_free_name(output))
    _, written = place_and_write(clip, ledger=ledger, context=context)
    return written


def next_free_name(path: Path) -> Path:
    """``cut.stillmotion.otio`` -> ``cut-2.stillmotion.otio`` … the first that does not exist."""
    stem, suffix = path.name.split(".", 1)[0], "".join(path.suffixes)
    number = 2
    while True:
        candidate = path.with_name(f"{stem}-{number}{suffix}") if suffix else \
            path.with_name(f"{path.name}-{number}")
        if not candidate.exists():
            return candidate
        number += 1

