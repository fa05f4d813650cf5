"""Which generated clip a new generation becomes a take of: the slot rule for Resolve.

Why a rule of its own: asking again on a shot that already has a generated clip over it is the
editor's most common second action ("another take"). A generation goes into that clip with
``AddTake`` when it is explicitly a new take, or when it is for the same shot (the slot's clip
was made from the clip now under the playhead, on this timeline) and fills exactly the slot's
span; a clip of another length goes on the next free "AI Generated" track instead (the track
rule), so no placed picture is ever trimmed or overlapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillmotion.errors import TimelineError
from stillmotion.resolve.placement import AI_TRACK, generated_item, is_ai_track
from stillmotion.resolve.protocol import Timeline, TimelineItem
from stillmotion.resolve.session import ResolveSession, TimelineClock, Track

META = "stillmotion."  # prefix of our third-party metadata keys on media pool items


@dataclass(frozen=True)
class TakeTarget:
    """The generated item a new take goes onto, found again by track and record frame.

    ``required``: the editor asked for a take (it must go there); otherwise the item is the
    same shot's slot, used only when the new clip's span is the slot's (``duration`` frames)
    and it is a new job (the ledger hands back the slot's own job for an identical request).
    """

    track_index: int
    record_frame: int
    take_group: str | None
    duration: int = 0
    required: bool = True
    job_id: str = ""


def take_target(under: list[tuple[Track, TimelineItem]], label: str) -> TakeTarget:
    """The top-most generated item under the playhead, for an explicit new take."""
    generated = [(track, item) for track, item in under if is_ai_track(track.name)]
    if not generated:
        raise TimelineError(
            f"No generated clip is under the playhead at {label} to add a take to; park on an "
            f"'{AI_TRACK}' clip or generate a new clip instead."
        )
    track, item = generated[0]
    return TakeTarget(track.index, int(item.GetStart()), _meta(item, "take_group") or None,
                      int(item.GetDuration()))


def same_shot_slot(
    under: list[tuple[Track, TimelineItem]], source_index: int, clip_name: str, timeline: str
) -> TakeTarget | None:
    """The top-most generated item over the shot that was made from this same shot, if any."""
    for track, item in under:
        if (is_ai_track(track.name) and track.index > source_index
                and _meta(item, "source_clip") == clip_name
                and _meta(item, "source_timeline") == timeline):
            return TakeTarget(track.index, int(item.GetStart()),
                              _meta(item, "take_group") or None, int(item.GetDuration()),
                              required=False, job_id=_meta(item, "job_id"))
    return None


def take_slot(
    session: ResolveSession, timeline: Timeline, clock: TimelineClock,
    target: TakeTarget | None, playhead: int, frames: int, job_id: str,
) -> tuple[TakeTarget, TimelineItem] | None:
    """The item the new clip (job ``job_id``) goes into as a take, or None to place it by the
    track rule."""
    if target is None:
        return None
    if not target.required and ((target.record_frame, target.duration) != (playhead, frames)
                                or target.job_id == job_id):
        return None
    try:
        return target, generated_item(session, timeline, clock, target.track_index,
                                      target.record_frame)
    except TimelineError:
        if target.required:
            raise
        return None  # the slot was removed while generating: place the clip as a new one


def first_take_still(under: list[tuple[Any, TimelineItem]]) -> Path | None:
    """The still the generated clip under the playhead was made from, if it is still on disk.

    Why: takes of one shot should start from the same picture.
    """
    for track, item in under:
        if is_ai_track(track.name):
            text = _meta(item, "still")
            if text and Path(text).is_file():
                return Path(text)
    return None


def _meta(item: TimelineItem, key: str) -> str:
    media = item.GetMediaPoolItem()
    return str(media.GetThirdPartyMetadata(META + key) or "") if media is not None else ""
