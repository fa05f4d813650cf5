"""Put a generated clip on an "AI Generated" video track at the playhead, never overlapping.

Rules:

- The clip starts exactly at the playhead's record frame (timeline-relative) and lasts the
  conformed file's length.
- The track follows the one track rule of :mod:`stillmotion.timeline.tracks` (shared with the
  Resolve placer): the lowest "AI Generated[ N]" track above the source track that is enabled,
  unlocked, free over the span and not hidden by an enabled clip above; else a new one with the
  next unused number inserted directly above the source track or the top-most track hiding the
  span, whichever is higher (on top of the stack without a source track). Nothing already on
  the timeline moves (see ``edit.py``).
- The conformed file is the active ``DEFAULT_MEDIA`` reference (a bare absolute path, as
  Resolve wants, or a ``file://`` URL when the source clip used URLs, as FCP XML does); the
  original download is kept as a second reference, ``original_download``.
- Provenance goes in ``metadata["stillmotion"]`` and an "AI generated" marker on the clip.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.timecode import parse_rate
from stillmotion.timeline.edit import is_free, put_in_gap, shows_over
from stillmotion.timeline.generated import generated_only
from stillmotion.timeline.locate import Located
from stillmotion.timeline.media import reference_url
from stillmotion.timeline.metadata import (
    MARKER_NAME,
    METADATA_NAMESPACE,
    GeneratedClipMetadata,
    TakeRecord,
    write_metadata,
)
from stillmotion.timeline.timebase import TimeBase, same_timecode_base, whole
from stillmotion.timeline.tracks import TrackView, choose_track, is_ai_name

ORIGINAL_REFERENCE_KEY = "original_download"
_MARKER_COMMENT_CHARS = 200


@dataclass(frozen=True)
class PlacedClip:
    """Where the generated clip went: its track, the clip object and its record frames.

    ``record_range`` is timeline-relative (add the global start for record timecode);
    ``track_index`` indexes ``timeline.tracks``.
    """

    track_name: str
    track_index: int
    clip: Any
    record_range: Any
    record_start_frame: int
    duration_frames: int
    created_track: bool


def place_generated(
    timeline: Any,
    *,
    record_start: Located | Any | int,
    media_path: Path | str,
    duration_frames: int,
    rate: Fraction | str | float,
    name: str,
    metadata: GeneratedClipMetadata,
    original_path: Path | str | None = None,
    original_frames: int | None = None,
    original_rate: Fraction | str | float | None = None,
    media_start_frame: int = 0,
    after_track: int | None = None,
) -> PlacedClip:
    """Add the generated clip to ``timeline`` (edited in place) and return where it went.

    ``record_start`` is a :class:`Located` (its record frame and track), a timeline-relative
    RationalTime, or a timeline-relative frame number. ``duration_frames`` and
    ``media_start_frame`` count at ``rate``, the conformed file's rate (normally the timeline's).
    ``after_track`` (index into ``timeline.tracks``) overrides the source track taken from a
    Located. ``original_frames``/``original_rate`` give the original download's available range.
    """
    timebase = TimeBase.of(timeline)
    start = _record_frame(record_start, timebase)
    if after_track is None and isinstance(record_start, Located):
        after_track = record_start.track_index
    media_rate = parse_rate(rate)
    if duration_frames < 1:
        raise TimelineError(
            f"The generated clip {name} has no frames; check the conformed file before placing it."
        )
    length = duration_frames
    if not same_timecode_base(media_rate, timebase.rate):
        length = max(1, round(Fraction(duration_frames) * timebase.rate / media_rate))
    track, created = target_track(timeline, timebase, start, start + length, after_track)
    like = _url_style(timeline, record_start)
    clip = build_clip(
        timebase, name, media=Path(media_path), media_rate=media_rate,
        media_start=media_start_frame, frames=duration_frames, like=like,
        original=original_path, original_frames=original_frames, original_rate=original_rate,
        record_frames=length,
    )
    put_in_gap(track, timebase, clip, start, length)
    full = completed_metadata(metadata, Path(media_path), original_path)
    write_metadata(clip, full)
    clip.markers.append(marker_for(clip, full))
    index = next(i for i, t in enumerate(timeline.tracks) if t is track)
    return PlacedClip(
        track_name=str(track.name),
        track_index=index,
        clip=clip,
        record_range=timebase.span(start, length),
        record_start_frame=start,
        duration_frames=length,
        created_track=created,
    )


def _record_frame(record_start: Located | Any | int, timebase: TimeBase) -> int:
    if isinstance(record_start, Located):
        frame = record_start.record_frame
    elif isinstance(record_start, int):
        frame = record_start
    else:
        exact = timebase.frames(record_start)
        frame = whole(exact)
        if abs(exact - round(exact)) >= Fraction(1, 10**6):
            raise TimelineError(
                f"The record start {record_start.value} at {record_start.rate} fps falls between "
                "frames of the timeline; give a whole timeline frame."
            )
    if frame < 0:
        raise TimelineError(
            f"The record start frame {frame} is before the timeline start; give a frame from 0."
        )
    return frame


def is_ai_track(track: Any) -> bool:
    """A video track named "AI Generated[ N]", or holding only generated clips."""
    return _is_video(track) and (is_ai_name(str(track.name or "")) or generated_only(track))


def _is_video(track: Any) -> bool:
    return isinstance(track, otio.schema.Track) and track.kind == otio.schema.TrackKind.Video


def is_locked(track: Any) -> bool:
    """Whether the editor locked ``track``, as Resolve's OTIO (``Resolve_OTIO.Locked``) and
    FCP 7 XML (``<locked>``, kept by the adapter in ``metadata["fcp_xml"]``) record it."""
    resolve = track.metadata.get("Resolve_OTIO")
    if isinstance(resolve, Mapping) and resolve.get("Locked") is True:
        return True
    fcp = track.metadata.get("fcp_xml")
    return isinstance(fcp, Mapping) and str(fcp.get("locked", "")).strip().upper() == "TRUE"


def _view(track: Any, timebase: TimeBase, start: int, end: int) -> TrackView:
    """``track`` as the track rule sees it over record frames [start, end).

    Sound never hides sound (audio tracks are summed), so an audio track never "shows over".
    """
    video = track.kind == otio.schema.TrackKind.Video
    return TrackView(
        name=str(track.name or ""), enabled=bool(track.enabled), locked=is_locked(track),
        busy=not is_free(track, timebase, start, end),
        shows=video and shows_over(track, timebase, start, end),
        generated_only=generated_only(track),
    )


def target_track(
    timeline: Any, timebase: TimeBase, start: int, end: int, after_track: int | None,
    kind: str = otio.schema.TrackKind.Video,
) -> tuple[Any, bool]:
    """(track to use, whether it was created) for record frames [start, end): the track rule
    of :mod:`stillmotion.timeline.tracks` over the tracks of ``kind`` (video or audio)."""
    tracks = list(timeline.tracks)
    same = [i for i, t in enumerate(tracks)
            if isinstance(t, otio.schema.Track) and t.kind == kind]
    views = [_view(tracks[i], timebase, start, end) for i in same]
    floor = None if after_track is None else sum(1 for i in same if i <= after_track) - 1
    choice = choose_track(views, floor=floor)
    if choice.index is not None:
        return tracks[same[choice.index]], False
    track = otio.schema.Track(name=choice.new_name, kind=kind)
    if floor is None or not same:
        timeline.tracks.append(track)
    else:
        timeline.tracks.insert(same[choice.above] + 1 if choice.above >= 0 else 0, track)
    return track, True


def _url_style(timeline: Any, record_start: Located | Any | int) -> str | None:
    """A media URL from the timeline to imitate (the source clip's, else the first one)."""
    if isinstance(record_start, Located):
        found = reference_url(record_start.clip.media_reference)
        if found:
            return found
    for clip in timeline.find_clips():
        found = reference_url(clip.media_reference)
        if found:
            return found
    return None


def _media_url(path: Path, like: str | None) -> str:
    absolute = path.expanduser().absolute()
    if like is not None and like.lower().startswith("file:"):
        return absolute.as_uri()
    return str(absolute)


def build_clip(
    timebase: TimeBase,
    name: str,
    *,
    media: Path,
    media_rate: Fraction,
    media_start: int,
    frames: int,
    like: str | None,
    original: Path | str | None,
    original_frames: int | None,
    original_rate: Fraction | str | float | None,
    record_frames: int | None = None,
) -> Any:
    """A clip showing ``frames`` of the conformed file, the original kept as a second reference.

    ``like`` is a media URL to imitate (bare path or ``file://`` URL); ``original_frames`` and
    ``original_rate`` give the original's available range (Resolve wants one on every reference).
    Media at a rate with the timeline's timecode base is counted frame for frame in the
    timeline's rate; at another rate the available range keeps the media's rate and the clip's
    source duration is ``record_frames`` whole timeline frames (default: the same length in
    time, rounded), so nothing after the clip lands between frames.
    """
    same = same_timecode_base(media_rate, timebase.rate)
    otio_rate = timebase.otio_rate if same else float(media_rate)
    available = otio.opentime.TimeRange(
        otio.opentime.RationalTime(media_start, otio_rate),
        otio.opentime.RationalTime(frames, otio_rate),
    )
    shown = available
    if not same:
        length = record_frames if record_frames is not None else max(
            1, round(Fraction(frames) * timebase.rate / media_rate))
        shown = otio.opentime.TimeRange(available.start_time, timebase.time(length))
    conformed = otio.schema.ExternalReference(
        target_url=_media_url(media, like), available_range=available
    )
    conformed.name = media.name
    references = {otio.schema.Clip.DEFAULT_MEDIA_KEY: conformed}
    if original is not None:
        kept = otio.schema.ExternalReference(target_url=_media_url(Path(original), like))
        kept.name = Path(original).name
        if original_frames is not None and original_rate is not None:
            rate = float(parse_rate(original_rate))
            kept.available_range = otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate),
                otio.opentime.RationalTime(original_frames, rate),
            )
        references[ORIGINAL_REFERENCE_KEY] = kept
    clip = otio.schema.Clip(name=name, source_range=shown)
    clip.set_media_references(references, otio.schema.Clip.DEFAULT_MEDIA_KEY)
    return clip


def completed_metadata(
    metadata: GeneratedClipMetadata, media: Path, original: Path | str | None
) -> GeneratedClipMetadata:
    """``metadata`` with the file paths and the first take record filled in when left out."""
    conformed = metadata.conformed_file or str(media.expanduser().absolute())
    kept = metadata.original_file
    if kept is None and original is not None:
        kept = str(Path(original).expanduser().absolute())
    takes = metadata.takes or (TakeRecord(
        take=metadata.take,
        job_id=metadata.job_id,
        media=conformed,
        original=kept,
        prompt=metadata.prompt,
        created_at=metadata.created_at,
        cost_estimate=metadata.cost_estimate,
    ),)
    return dataclasses.replace(
        metadata, conformed_file=conformed, original_file=kept, takes=takes
    )


def marker_for(clip: Any, metadata: GeneratedClipMetadata) -> Any:
    """The purple "AI generated" marker at the clip's first frame (prompt as its comment)."""
    start = clip.source_range.start_time
    prompt = metadata.prompt
    if len(prompt) > _MARKER_COMMENT_CHARS:
        prompt = prompt[: _MARKER_COMMENT_CHARS - 1] + "…"
    marker = otio.schema.Marker(
        name=MARKER_NAME,
        marked_range=otio.opentime.TimeRange(start, otio.opentime.RationalTime(0, start.rate)),
        color=otio.schema.MarkerColor.PURPLE,
        comment=prompt,
    )
    marker.metadata[METADATA_NAMESPACE] = {
        "job_id": metadata.job_id,
        "take_group": metadata.take_group,
        "take": metadata.take,
    }
    return marker
