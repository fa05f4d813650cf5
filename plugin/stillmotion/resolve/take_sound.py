"""Keep a slot's sound with its picture when a new take goes onto it with ``AddTake``.

Why replace rather than add a take: Blackmagic's scripting README documents ``AddTake`` and the
take selector for timeline items without saying that an audio item takes one, and nothing in
the reference measures it, so the sound cannot be trusted to follow a take selector. Instead
the slot's generated sound (the item on an "AI Generated" audio track that starts with the
picture and plays the file the picture showed before the take: the sound was placed from the
picture's own media, and a slot stacked at the same frame plays another file) is unlinked and
removed, and the new take's sound, when it has one and sound is wanted, is appended on the
freed track and linked to the picture: the sound under the slot is always the shown take's,
never a stale one. Every step is recorded in the caller's rollback, and removing the old sound
is undone by putting it back (same track, record frame, source in-point and length) and linking
it again, so a failure leaves the slot as it was. Switching takes by hand in Resolve's take
selector does not move the sound (no script hook).
"""

from __future__ import annotations

from stillmotion.errors import ResolveOperationError
from stillmotion.resolve.placement import Slot, append_verified, is_ai_track, track_items
from stillmotion.resolve.protocol import MediaPool, MediaPoolItem, Timeline, TimelineItem
from stillmotion.resolve.restore import Rollback
from stillmotion.resolve.session import ResolveSession, TimelineClock
from stillmotion.resolve.sound import AUDIO, place_sound
from stillmotion.resolve.takes import META


def shown_file(item: TimelineItem) -> str:
    """The media file ``item`` shows now (its selected take's)."""
    media = item.GetMediaPoolItem()
    return str(media.GetClipProperty("File Path")) if media is not None else ""


def slot_sounds(session: ResolveSession, timeline: Timeline, picture: TimelineItem,
                shown: str) -> list[tuple[int, TimelineItem]]:
    """(audio track, item) of each generated sound under ``picture``: on an "AI Generated"
    audio track, starting with the picture, playing ``shown`` (the file the picture showed),
    a clip stillmotion tagged."""
    start = int(picture.GetStart())
    count = int(session.read(timeline.GetTrackCount(AUDIO), "GetTrackCount",
                             "Resolve did not count the audio tracks", "check the timeline"))
    found = []
    for index in range(1, count + 1):
        if not is_ai_track(str(timeline.GetTrackName(AUDIO, index) or "")):
            continue
        for item in track_items(session, timeline, AUDIO, index):
            media = item.GetMediaPoolItem()
            if int(item.GetStart()) == start and media is not None \
                    and media.GetClipProperty("File Path") == shown \
                    and media.GetThirdPartyMetadata(META + "job_id"):
                found.append((index, item))
    return found


def follow_take(
    session: ResolveSession,
    media_pool: MediaPool,
    timeline: Timeline,
    clock: TimelineClock,
    media_item: MediaPoolItem,
    *,
    picture: TimelineItem,
    shown: str,
    slot: Slot,
    frames: int,
    sound: bool,
    rollback: Rollback,
) -> int | None:
    """Make the sound under the slot the new take's: remove the old generated sound (of
    ``shown``, the file the picture showed before the take), then (when ``sound``) place
    ``media_item``'s sound, as long as the take or the slot whichever is shorter, linked to the
    picture. Returns the audio track holding it (None: no sound)."""
    for index, item in slot_sounds(session, timeline, picture, shown):
        _remove(session, media_pool, timeline, clock, picture, index, item, rollback)
    if not sound:
        return None
    length = min(frames, int(picture.GetDuration()))
    under = Slot(slot.track_index, slot.track_name, False, slot.record_frame, length)
    return place_sound(session, media_pool, timeline, clock, media_item, picture=picture,
                       slot=under, rollback=rollback).track_index


def _remove(session: ResolveSession, media_pool: MediaPool, timeline: Timeline,
            clock: TimelineClock, picture: TimelineItem, index: int, item: TimelineItem,
            rollback: Rollback) -> None:
    """Unlink and delete one old sound; the rollback puts it back and links it again."""
    media = item.GetMediaPoolItem()
    assert media is not None  # slot_sounds keeps only items that play our clips
    start, duration, offset = int(item.GetStart()), int(item.GetDuration()), \
        int(item.GetLeftOffset())
    where = f"track A{index} at {clock.to_text(start)}"
    # Unlinked first: deleting one half of a linked pair must never take the picture with it.
    session.require(
        timeline.SetClipsLinked([picture, item], False), "SetClipsLinked",
        f"Resolve did not unlink the old sound on {where} from its picture", "try again",
    )
    if not timeline.DeleteClips([item]):
        timeline.SetClipsLinked([picture, item], True)
        raise ResolveOperationError(
            f"Resolve did not remove the old sound on {where}; the new take is undone, try "
            "again.", operation="DeleteClips",
        )

    def restore() -> bool:
        scratch = Rollback()
        try:
            back, _ = append_verified(
                session, media_pool, timeline, media, kind=AUDIO, index=index,
                record_frame=start, frames=duration, rollback=scratch, where=where,
                start_frame=offset,
            )
        except ResolveOperationError:
            scratch.undo()
            return False
        return bool(timeline.SetClipsLinked([picture, back], True))

    rollback.add(f"the gap where the old sound was on {where}", restore)
