"""CMX 3600 EDL text: the rate an EDL does not state, and its ``FCM`` (frame code mode) lines.

Why a module of its own: an EDL carries no frame rate and says drop or non-drop frame only in
``FCM:`` lines, which the OTIO cmx_3600 adapter ignores on read and never writes. So:

- :func:`guess_edl_rate` gives a rate when the user gave none (``FCM: DROP FRAME`` or a ';'
  timecode means 30000/1001, 60000/1001 when a frame field reaches 30; otherwise the largest
  frame field decides: >=50 -> 60, >=30 -> 50, >=25 -> 30, >=24 -> 25, else 24). A guess can
  only be a lower bound: ``--rate`` is the way to say it.
- :func:`remember_fcm` keeps the input's header ``FCM`` line in the timeline's metadata (under
  ``cmx_3600``, where the adapter keeps an event's reel), so it travels through .otio too;
- :func:`finish_written` puts it back under the ``TITLE`` of an EDL the adapter wrote. The
  adapter spells 29.97 and 59.94 timecodes as drop frame (';'); under ``FCM: NON-DROP FRAME``
  every timecode is respelled non-drop, so an NDF edit comes back NDF, frame for frame. With
  no remembered line, the line written says what the timecodes are. Only the header line is
  kept: the events of a new EDL are not the input's, so a per-event FCM switch has no place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.timeline.timebase import TimeBase, exact_rate, whole

NAMESPACE = "cmx_3600"
DROP = "DROP FRAME"
NON_DROP = "NON-DROP FRAME"

_TIMECODE = re.compile(r"\b\d{2}:\d{2}:\d{2}([:;])(\d{2})\b")
_FCM = re.compile(r"^\s*FCM:\s*(?P<mode>.*?)\s*$", re.IGNORECASE | re.MULTILINE)
_EVENT = re.compile(r"^\s*\d{3,}\s", re.MULTILINE)
_DF_TIMECODE = re.compile(r"\b\d{2}:\d{2}:\d{2};\d{2}\b")
# The CMX adapter drops a locator typed with a drop-frame ';' (its pattern wants ':'); our
# "AI generated" marker on a DF EDL is such a line, so it is read with ':' (same frame label).
_DF_LOCATOR = re.compile(r"(^\*\s*LOC:\s*\d\d:\d\d:\d\d);", re.MULTILINE)


def readable(text: str) -> str:
    """The EDL ``text`` as the adapter should be given it (drop-frame locators respelled)."""
    return _DF_LOCATOR.sub(r"\1:", text)


def guess_edl_rate(text: str) -> Fraction:
    """A frame rate for an EDL that does not say (see the module docstring for the rule)."""
    found = _TIMECODE.findall(text)
    largest = max((int(frames) for _, frames in found), default=0)
    if header_fcm(text) == DROP or any(separator == ";" for separator, _ in found):
        return Fraction(60000, 1001) if largest >= 30 else Fraction(30000, 1001)
    for floor, rate in ((50, 60), (30, 50), (25, 30), (24, 25)):
        if largest >= floor:
            return Fraction(rate)
    return Fraction(24)


def header_fcm(text: str) -> str | None:
    """The frame code mode the EDL's header declares (``DROP FRAME``/``NON-DROP FRAME``):
    its first FCM line before the first event; None when it has none."""
    first_event = _EVENT.search(text)
    header = text[: first_event.start()] if first_event else text
    found = _FCM.search(header)
    if found is None:
        return None
    mode = " ".join(found.group("mode").upper().split())
    return NON_DROP if mode.startswith("NON") else DROP if mode.startswith("DROP") else mode


def remember_fcm(timeline: Any, text: str) -> None:
    """Keep the header FCM of the EDL ``text`` in ``timeline``'s metadata (none: nothing)."""
    mode = header_fcm(text)
    if mode is not None:
        block = dict(timeline.metadata.get(NAMESPACE) or {})
        block["fcm"] = mode
        timeline.metadata[NAMESPACE] = block


def remembered_fcm(timeline: Any) -> str | None:
    """The FCM :func:`remember_fcm` kept on ``timeline`` (or on the EDL it came from)."""
    block = timeline.metadata.get(NAMESPACE)
    mode = block.get("fcm") if isinstance(block, Mapping) else None
    return str(mode) if mode else None


def finish_written(path: Path, fcm: str | None, rate: float) -> None:
    """Give the EDL the adapter wrote at ``path`` its FCM line (module rule), in place: the
    file is the caller's temp file, renamed into place only afterwards."""
    text = path.read_text(encoding="utf-8")
    if fcm == NON_DROP:
        text = _DF_TIMECODE.sub(lambda m: _non_drop(m.group(0), rate), text)
    mode = fcm or (DROP if _DF_TIMECODE.search(text) else NON_DROP)
    line = f"FCM: {mode}\n"
    lines = text.splitlines(keepends=True)
    at = 1 if lines and lines[0].startswith("TITLE:") else 0
    path.write_text("".join([*lines[:at], line, *lines[at:]]), encoding="utf-8")


def offset_to_global_start(timeline: Any) -> None:
    """Move the CMX adapter's negative track offsets (the first record timecode) to the start.

    Each track's ``source_range`` starts at minus its first event's record-in; after this the
    earliest record-in is ``global_start_time`` and later-starting tracks begin with a Gap, so
    record frames are counted the same way as in every other format.
    """
    if timeline.global_start_time is not None:
        return
    offsets = {}
    for index, track in enumerate(timeline.tracks):
        if track.source_range is None:
            continue
        offsets[index] = -track.source_range.start_time
    if not offsets:
        return
    sample = next(iter(offsets.values()))
    timebase = TimeBase(exact_rate(sample.rate), float(sample.rate))
    start = min(whole(timebase.frames(offset)) for offset in offsets.values())
    for index, offset in offsets.items():
        track = timeline.tracks[index]
        track.source_range = None
        lead = whole(timebase.frames(offset)) - start
        if lead > 0:
            track.insert(0, otio.schema.Gap(source_range=timebase.span(0, lead)))
    timeline.global_start_time = timebase.time(start)


def ready_to_write(timeline: Any) -> Any:
    """A copy with one flattened picture track, <=2 audio tracks and the start as track offset."""
    copy = timeline.deepcopy()
    video = [track for track in copy.video_tracks() if track.enabled]
    audio = [track for track in copy.audio_tracks() if track.enabled][:2]
    if not video:
        raise TimelineError(
            f"The timeline '{timeline.name}' has no enabled video track to write as an EDL; "
            "write an .otio file instead."
        )
    picture = video[0] if len(video) == 1 else otio.algorithms.flatten_stack(video)
    picture = picture.deepcopy() if picture.parent() is not None else picture
    picture.name = picture.name or "V"
    tracks = [picture] + [track.deepcopy() for track in audio]
    timebase = TimeBase.of(copy)
    start = timebase.start_frame(copy)
    result = otio.schema.Timeline(name=copy.name)
    for track in tracks:
        if start:
            track.source_range = otio.opentime.TimeRange(
                timebase.time(-start), track.duration()
            )
        result.tracks.append(track)
    return result


def _non_drop(timecode: str, rate: float) -> str:
    """A drop-frame label respelled as the non-drop label of the same frame."""
    frames = otio.opentime.from_timecode(timecode, rate)
    return str(otio.opentime.to_timecode(frames, rate, False))
