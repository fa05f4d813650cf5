"""Playhead -> top-most enabled video clip -> its media file and the exact source frame.

Record and source are different spaces, named throughout:

- **Record frames** count at the timeline's rate. The playhead is typed as the editor shows it:
  a record timecode at the timeline's rate (``01:00:05:12``; ``01:00:05;12`` for drop frame),
  which includes the timeline's ``global_start_time`` (01:00:00:00 in Resolve), or a frame
  number (``120`` or ``frame:120``) counted from the timeline's first frame (0 = the start).
  ``Located.record_frame`` is timeline-relative; ``record_frame_absolute`` adds the start.
- **Drop frame.** At 29.97 and 59.94 a colon-typed label names a different frame than the
  drop-frame label the NLE shows (05:00:30:00 is 540 frames from 05:00:30;00), so on a timeline
  that counts drop frame (FCP 7 XML says so in the sequence timecode's ``displayformat``; other
  formats do not carry it, and drop frame is what Resolve, Premiere and Avid default to at those
  rates) a playhead typed with ':' is refused with its ';' spelling; the CLI's ``--assume-df``
  respells it first (:func:`stillmotion.timecode.drop_frame_spelling`). On a timeline that says
  non-drop, a ';' label is refused the same way. Labels we print follow the timeline.
- **Source frames** count at the media file's own rate. OTIO source ranges live in the media's
  timecode space (86400 for a 24 fps file starting at 01:00:00:00). The frame grab needs an
  index from the file's first frame, so ``source_frame_index`` = source time minus the start
  of the reference's ``available_range``, or, when the reference has none (EDL), minus the start
  timecode probed from the file; if that lands before the file, the source time is taken as
  already counted from the first frame (Kdenlive-style references).

The source frame shown k record frames into a clip is the clip's first file frame plus the
mixed-rate rule of :mod:`stillmotion.timeline.sampling` (ffmpeg's ``fps`` filter, the render's
rule, so the still sent is the frame the rendered master shows there): its speed is the product
of the clip's ``LinearTimeWarp`` scalars (``FreezeFrame`` is 0; OTIO's ``transformed_time``
ignores time warps, so this is computed there), and rates sharing a timecode base (24 and
23.976, 30 and 29.97) are converted frame for frame, like timecode labels; others through
seconds. A clip holds the record frames from its start to its end, each rounded half up.

Tracks are searched from the top of the stack down; disabled tracks, disabled clips, gaps,
titles and generators let the track below show through. Transitions take no record time in
OTIO: inside a dissolve the clip whose cut range holds the playhead is the one returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import ConfigError, TimelineError
from stillmotion.media.probe import VideoFacts, probe
from stillmotion.timecode import (
    Timecode,
    drop_frame_spelling,
    drop_frame_suggestion,
    is_drop_frame_label,
    supports_drop_frame,
)
from stillmotion.timeline.fillers import filler_label, is_filler
from stillmotion.timeline.generated import is_generated
from stillmotion.timeline.media import local_path
from stillmotion.timeline.sampling import boundary, clip_sampling, time_scalar
from stillmotion.timeline.timebase import TimeBase, rate_text, whole

_FRAME_FORM = re.compile(r"^(?:frame\s*:\s*)?(\d+)$", re.IGNORECASE)
# Items are searched at the middle of the record frame: a clip holds record frame f when
# start < f + 1/2 <= end, i.e. f is in [boundary(start), boundary(end)), as the render cuts.
_MID = Fraction(1, 2)


@dataclass(frozen=True)
class Located:
    """What is under the playhead: the clip, where it sits, and the source frame it shows.

    ``track_index`` indexes ``timeline.tracks`` (stack order, 0 = bottom, audio tracks count);
    ``video_track_number`` is the editor's V number (1 = lowest video track).
    ``source_frame_index`` counts from the media file's first frame at ``source_rate``;
    ``source_timecode`` is that frame's label in the file's own timecode.
    """

    clip: Any
    clip_name: str
    track_index: int
    track_name: str
    video_track_number: int
    record_frame: int
    record_frame_absolute: int
    record_rate: Fraction
    record_timecode: str
    clip_record_start: int
    clip_record_end: int
    media_path: Path
    source_frame_index: int
    source_rate: Fraction
    source_timecode: str
    time_scalar: Fraction


@dataclass(frozen=True)
class _Hit:
    clip: Any
    track_index: int
    offset: Fraction


def playhead_frame(timeline: Any, playhead: str | int) -> int:
    """The timeline-relative record frame the playhead names (see the module docstring).

    TimelineError for a malformed timecode, one at the wrong rate, or a frame outside the
    timeline.
    """
    frame, _ = _parse(timeline, TimeBase.of(timeline), playhead)
    return frame


def locate(
    timeline: Any, playhead: str | int, *, timeline_path: Path | str | None = None
) -> Located:
    """Find the top-most enabled video clip under ``playhead`` and the source frame it shows.

    ``timeline_path`` is the file the timeline came from; relative media paths resolve against
    its folder. The media file is probed for its rate, start timecode and length. Raises
    TimelineError (one sentence) when the playhead is malformed or outside the timeline, no
    clip is under it, the clip is offline or not a media file, or the frame is past the media.
    """
    timebase = TimeBase.of(timeline)
    frame, drop_frame = _parse(timeline, timebase, playhead)
    start = timebase.start_frame(timeline)
    record_tc = _record_label(timebase.rate, drop_frame, start + frame)
    passed: list[Any] = []
    hit = _top_clip(timeline, timebase, frame + _MID, passed)
    if hit is None and passed:
        raise TimelineError(
            f"Only {filler_label(passed[0])} is under the playhead at {record_tc}, with no shot "
            "below it; park the playhead on a shot."
        )
    if hit is None:
        raise TimelineError(
            f"There is no enabled video clip under the playhead at {record_tc} (only gaps, "
            "titles or generators, or disabled clips and tracks); park it on a shot."
        )
    clip = hit.clip
    track = timeline.tracks[hit.track_index]
    base = _base_dir(timeline_path)
    media = local_path(clip, base_dir=base)
    facts = probe(media).require_video()
    clip_start = boundary(frame + _MID - hit.offset)
    index, label = _source_frame(
        clip, frame - clip_start, timebase=timebase, facts=facts, media=media
    )
    below = list(timeline.tracks)[: hit.track_index + 1]
    return Located(
        clip=clip,
        clip_name=str(clip.name or media.name),
        track_index=hit.track_index,
        track_name=str(track.name or ""),
        video_track_number=sum(1 for t in below if _is_video_track(t)),
        record_frame=frame,
        record_frame_absolute=start + frame,
        record_rate=timebase.rate,
        record_timecode=record_tc,
        clip_record_start=clip_start,
        clip_record_end=boundary(frame + _MID - hit.offset + timebase.frames(clip.duration())),
        media_path=media,
        source_frame_index=index,
        source_rate=facts.rate,
        source_timecode=label,
        time_scalar=time_scalar(clip),
    )


def _base_dir(timeline_path: Path | str | None) -> Path | None:
    if timeline_path is None:
        return None
    path = Path(timeline_path).expanduser().absolute()
    return path if path.is_dir() else path.parent


def _record_label(rate: Fraction, drop_frame: bool, frame: int) -> str:
    return Timecode(rate, drop_frame and supports_drop_frame(rate)).to_text(max(frame, 0))


def _parse(timeline: Any, timebase: TimeBase, playhead: str | int) -> tuple[int, bool]:
    """(timeline-relative record frame, typed as drop frame) for a playhead, range-checked."""
    start = timebase.start_frame(timeline)
    length = boundary(timebase.frames(timeline.duration()))
    drop_frame = counts_drop_frame(timeline, timebase.rate)
    if isinstance(playhead, int):
        frame = playhead
        shown = f"frame {playhead}"
    else:
        text = playhead.strip()
        match = _FRAME_FORM.match(text)
        if match:
            frame = int(match.group(1))
            shown = f"frame {frame}"
        else:
            _check_label_kind(text, timebase.rate, drop_frame)
            frame = _timecode_frames(text, timebase.rate) - start
            shown = text
    first = _record_label(timebase.rate, drop_frame, start)
    if frame < 0:
        raise TimelineError(
            f"The playhead {shown} is before the timeline start {first}; type the record "
            "timecode as the editor shows it."
        )
    if frame >= length:
        last = _record_label(timebase.rate, drop_frame, start + max(length - 1, 0))
        raise TimelineError(
            f"The playhead {shown} is past the end of the timeline (its last frame is {last}); "
            "park it on a clip."
        )
    return frame, drop_frame


def counts_drop_frame(timeline: Any, rate: Fraction) -> bool:
    """Whether the timeline's record timecode is drop frame (see the module docstring)."""
    if not supports_drop_frame(rate):
        return False
    shown: Any = timeline.metadata
    for key in ("fcp_xml", "timecode", "displayformat"):
        shown = shown.get(key) if hasattr(shown, "get") else None
    return str(shown or "DF").strip().upper() != "NDF"


def _check_label_kind(text: str, rate: Fraction, drop_frame: bool) -> None:
    """Refuse a timecode typed as the other kind (drop frame or not) than the timeline's."""
    typed_drop = is_drop_frame_label(text)
    if drop_frame and not typed_drop and drop_frame_spelling(text) != text.strip():
        raise TimelineError(
            f"The playhead {text} is typed with ':' but the timeline counts {rate_text(rate)} "
            f"drop-frame timecode, where that is a different frame; type it as "
            f"{drop_frame_suggestion(text, rate)} (or pass --assume-df to read ':' as drop "
            "frame)."
        )
    if typed_drop and not drop_frame:
        kind = ("non-drop timecode" if supports_drop_frame(rate)
                else "timecode, which has no drop frame")
        raise TimelineError(
            f"The playhead {text} is a drop-frame timecode but the timeline counts "
            f"{rate_text(rate)} fps {kind}; type ':' before the frames (and leave out "
            "--assume-df)."
        )


def _timecode_frames(text: str, rate: Fraction) -> int:
    if not re.fullmatch(r"[\d:;.,]+", text):
        raise TimelineError(
            f"'{text}' is not a playhead; give a record timecode such as 01:00:05:12 "
            "(01:00:05;12 for drop frame) or a frame number such as frame:120."
        )
    try:
        return Timecode(rate).to_frames(text)
    except ConfigError as exc:
        raise TimelineError(
            f"{exc.message.rstrip('.')} (the timeline runs at {rate_text(rate)} fps)."
        ) from exc


def _is_video_track(item: Any) -> bool:
    return isinstance(item, otio.schema.Track) and item.kind == otio.schema.TrackKind.Video


def _top_clip(timeline: Any, timebase: TimeBase, frame: Fraction,
              passed: list[Any]) -> _Hit | None:
    """The top-most enabled source clip; generated clips are passed over, so a re-run on
    stillmotion's own output still grabs the editor's shot under them, and so are titles,
    slugs and other generators (:mod:`stillmotion.timeline.fillers`)."""
    tracks = list(timeline.tracks)
    for index in reversed(range(len(tracks))):
        track = tracks[index]
        if not _is_video_track(track) or not track.enabled:
            continue
        found = _clip_in_track(track, timebase, frame)
        if found is not None and is_filler(found[0]):
            passed.append(found[0])
        elif found is not None and not is_generated(found[0]):
            clip, offset = found
            return _Hit(clip, index, offset)
    return None


def _clip_in_track(
    track: Any, timebase: TimeBase, time: Fraction
) -> tuple[Any, Fraction] | None:
    """(clip, record frames into it) at ``time`` (frames in the track's parent), or None."""
    _require_unit_speed(track)
    local = time
    if track.source_range is not None:
        local = time + timebase.frames(track.source_range.start_time)
        if not 0 < time <= timebase.frames(track.source_range.duration):
            return None
    position = Fraction(0)
    for child in track:
        if isinstance(child, otio.schema.Transition):
            continue
        length = timebase.frames(child.duration())
        if position < local <= position + length:
            return _inside(child, timebase, local - position)
        position += length
    return None


def _inside(item: Any, timebase: TimeBase, offset: Fraction) -> tuple[Any, Fraction] | None:
    """What ``item`` shows ``offset`` record frames after its start (None: nothing visible)."""
    if not item.enabled or isinstance(item, otio.schema.Gap):
        return None
    if isinstance(item, otio.schema.Clip):
        return item, offset
    if isinstance(item, otio.schema.Track):
        return _clip_in_track(item, timebase, offset)
    if isinstance(item, otio.schema.Stack):
        _require_unit_speed(item)
        inner = offset + timebase.frames(item.trimmed_range().start_time)
        for child in reversed(list(item)):
            if _is_video_track(child) and child.enabled:
                found = _clip_in_track(child, timebase, inner)
                if found is not None:
                    return found
        return None
    raise TimelineError(
        f"The item '{item.name}' under the playhead is a {item.schema_name()}, which stillmotion "
        "cannot read through; flatten it in the editor."
    )


def _require_unit_speed(composition: Any) -> None:
    for effect in composition.effects:
        if isinstance(effect, otio.schema.TimeEffect):
            raise TimelineError(
                f"'{composition.name}' carries a speed effect on a whole track or nested "
                "sequence, which stillmotion cannot follow; render or flatten it in the editor."
            )


def _source_frame(
    clip: Any, record_offset: int, *, timebase: TimeBase, facts: VideoFacts, media: Path
) -> tuple[int, str]:
    """(index from the file's first frame, source timecode label) shown ``record_offset``
    record frames after the clip's first (the rule of :mod:`stillmotion.timeline.sampling`)."""
    sampling = clip_sampling(clip, timebase, media_rate=facts.rate,
                             start_frame=facts.start_frame, frame_count=facts.frame_count)
    index = sampling.frame_at(record_offset)
    if not 0 <= index < facts.frame_count:
        raise TimelineError(
            f"The clip '{clip.name}' shows source frame {index} of {media.name}, which has only "
            f"{facts.frame_count} frames; the timeline points at a different version of the file."
        )
    label_start = facts.start_frame if facts.start_timecode else whole(sampling.origin)
    label = Timecode(facts.rate, facts.drop_frame).to_text(label_start + index)
    return index, label
