"""The OTIO-file front end's first stages: read the timeline, locate the shot, grab its still.

Why apart from the pipeline: ``generate``, ``batch``, ``extend`` and ``fill-gap`` choose the
shot differently (playhead, marker, a clip's out point, a gap) but prepare it the same way, and
the prepared :class:`Shot` carries the context the :class:`~stillmotion.jobs.placers.OtioPlacer`
needs to place the clip again after a crash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillmotion.errors import ConfigError
from stillmotion.files import MEDIA_FOLDER, check_output, writable_folder
from stillmotion.jobs.records import ConformSpec, JobContext, SourceFacts, TimelineReading
from stillmotion.jobs.stages import grab, locate_shot
from stillmotion.jobs.values import ShotRequest
from stillmotion.media.probe import probe
from stillmotion.prompt import validate_prompt
from stillmotion.timeline.io import default_output_path, read_timeline
from stillmotion.timeline.locate import Located
from stillmotion.timeline.relink import reading_context
from stillmotion.timeline.takes import generated_under


@dataclass(frozen=True)
class Shot:
    """A located shot ready to send: the request, its conform target and where it will go."""

    located: Located
    request: ShotRequest
    target: ConformSpec
    media_dir: Path
    output: Path
    context: JobContext


def media_dir_for(output: Path, media_dir: Path | None) -> Path:
    """``--media-dir``, else ``stillmotion_media/`` beside the output timeline."""
    return (media_dir or output.parent / MEDIA_FOLDER).absolute()


def take_group_for(timeline_path: Path, located: Located, purpose: str) -> str:
    """Takes of one shot share a group: same timeline, purpose, record frame and source frame."""
    key = f"{timeline_path.absolute()}|{purpose}|{located.record_frame}|{located.media_path}|" \
          f"{located.source_frame_index}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def slot_group(timeline: Any, located: Located, new_take: bool) -> str | None:
    """With ``--new-take`` and a generated clip over the playhead, that clip's take group: the
    take goes into its slot beside the takes it lists (an artist's version ingested on
    another timeline file among them), as Resolve's ``AddTake`` does; else None. ``new_take``
    is False for clips placed elsewhere than the playhead (extend, fill-gap), which must not
    replace the clip they start from."""
    if not new_take:
        return None
    slot = generated_under(timeline, located.record_frame)
    return slot.metadata.take_group if slot is not None and slot.metadata is not None else None


def source_facts(located: Located) -> SourceFacts:
    """What the ledger keeps about the shot a still came from."""
    return SourceFacts(clip=located.clip_name, media=str(located.media_path),
                       frame=located.source_frame_index, timecode=located.source_timecode,
                       record_timecode=located.record_timecode)


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
    located = locate_shot(timeline, at, timeline_path)
    folder = media_dir_for(final, media_dir)
    stills = writable_folder(folder / "stills")
    if image is not None:
        if not image.is_file():
            raise ConfigError(f"The still {image} does not exist; export it again.")
        still = image.absolute()
    else:
        still = grab(located, stills)
    facts = probe(located.media_path).require_video()
    request = ShotRequest(
        image=still, prompt=prompt, seconds=seconds, size=size, provider=provider, model=model,
        new_take=new_take,
        take_group=slot_group(timeline, located, new_take and purpose == "generate"
                              and record_frame is None)
        or take_group_for(timeline_path, located, purpose),
        source=source_facts(located),
    )
    target = ConformSpec(rate=located.record_rate, size=facts.size, preset=preset, sar=facts.sar)
    context = JobContext(timeline=timeline_path.absolute(), at=at, output=final,
                         overwrite=overwrite, for_resolve=for_resolve, record_frame=record_frame,
                         reading=TimelineReading.from_json(reading_context()),
                         no_audio=not audio)
    return Shot(located, request, target, folder, final, context)
