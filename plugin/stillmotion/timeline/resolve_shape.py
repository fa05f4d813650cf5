"""Shape an OTIO timeline the way DaVinci Resolve's importer accepts it, and list what is not.

Why: ``MediaPool.ImportTimelineFromFile`` returns nothing at all when an .otio file is not to its
liking, so every rule is applied before writing and checked again after. The rules (from the
project's ffmpeg/OTIO reference):

1. the timeline has a ``global_start_time`` (01:00:00:00 at the timeline rate when unset);
2. every clip is serialised as ``Clip.2`` with its active reference under ``DEFAULT_MEDIA``;
3. every ``target_url`` is a bare absolute path (no ``file://`` URL, nothing relative);
4. every media reference has an ``available_range``;
5. available and source ranges are in the media's own timecode space: the available range
   starts at the file's start timecode (86400 at 24 fps for 01:00:00:00) and the clip's source
   range lies inside it.

Shaping never edits the caller's timeline: :func:`make_resolve_shaped` returns a copy. A clip
whose file is missing keeps its references only when they already carry an available range
(nothing can be probed); otherwise shaping fails with a TimelineError naming the clip.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from stillmotion.errors import MediaError, TimelineError
from stillmotion.media.probe import MediaInfo, probe
from stillmotion.timecode import Timecode
from stillmotion.timeline.media import file_url_path
from stillmotion.timeline.sampling import available_origin
from stillmotion.timeline.timebase import TimeBase, exact_rate, frames_at, whole

DEFAULT_MEDIA = "DEFAULT_MEDIA"
CLIP_SCHEMA = "Clip.2"
RESOLVE_START = "01:00:00:00"
PREVIOUS_DEFAULT = "previous_default_media"


def make_resolve_shaped(timeline: Any, *, base_dir: Path | None = None) -> Any:
    """A copy of ``timeline`` that follows every rule of the module docstring.

    ``base_dir`` resolves relative media paths (the timeline file's folder; default: the current
    folder). Raises TimelineError when a rule cannot be met (an offline clip without an
    available range, a remote URL).
    """
    copy = timeline.deepcopy()
    timebase = TimeBase.of(copy)
    if copy.global_start_time is None:
        copy.global_start_time = timebase.time(Timecode(timebase.rate).to_frames(RESOLVE_START))
    infos: dict[Path, MediaInfo | None] = {}
    for clip in copy.find_clips():
        _shape_clip(clip, base_dir, infos)
    problems = resolve_problems(copy, base_dir=base_dir)
    if problems:
        raise TimelineError(f"The timeline cannot be made ready for Resolve: {problems[0]}")
    return copy


def resolve_problems(
    timeline: Any, *, base_dir: Path | None = None, serialized: str | None = None
) -> list[str]:
    """Every way ``timeline`` breaks a rule of the module docstring, one sentence each.

    ``serialized`` is the .otio text as written (default: ``timeline`` serialised now); the
    schema names are checked on it, the rest on the objects. Local files are probed for their
    start timecode and length; a missing one is a problem, since rule 5 cannot be checked.
    """
    problems: list[str] = []
    if timeline.global_start_time is None:
        problems.append("the timeline has no global_start_time; set it, e.g. to 01:00:00:00.")
    text = serialized if serialized is not None else otio.adapters.write_to_string(
        timeline, "otio_json")
    problems += _schema_problems(json.loads(text))
    infos: dict[Path, MediaInfo | None] = {}
    for clip in timeline.find_clips():
        name = clip.name or "(unnamed)"
        for key, reference in clip.media_references().items():
            where = f"clip '{name}' reference {key}"
            if reference.available_range is None:
                problems.append(f"{where} has no available_range.")
            if isinstance(reference, otio.schema.ExternalReference):
                problems += _url_problems(where, str(reference.target_url or ""))
        problems += _range_problems(clip, name, base_dir, infos)
    return problems


# -- shaping ------------------------------------------------------------------------------------


def _shape_clip(clip: Any, base_dir: Path | None, infos: dict[Path, MediaInfo | None]) -> None:
    references = dict(clip.media_references())
    active = clip.active_media_reference_key
    ordered = {DEFAULT_MEDIA: references[active]}
    for key, reference in references.items():
        if key == active:
            continue
        ordered[PREVIOUS_DEFAULT if key == DEFAULT_MEDIA else key] = reference
    shaped: dict[str, Any] = {}
    for key, reference in ordered.items():
        kept = _shape_reference(clip, reference, base_dir, infos, active=key == DEFAULT_MEDIA)
        if kept is not None:
            shaped[key] = kept
    clip.set_media_references(shaped, DEFAULT_MEDIA)


def _shape_reference(
    clip: Any,
    reference: Any,
    base_dir: Path | None,
    infos: dict[Path, MediaInfo | None],
    *,
    active: bool,
) -> Any:
    """The reference made Resolve-ready (the clip's source range moved with it), or None to drop
    an extra reference that cannot be made ready."""
    name = clip.name or "(unnamed)"
    if not isinstance(reference, otio.schema.ExternalReference):
        if reference.available_range is None and clip.source_range is not None:
            reference.available_range = clip.source_range
        return reference
    url = str(reference.target_url or "")
    path = _bare_path(url, base_dir)
    if path is None:
        if not active:
            return None
        raise TimelineError(f"The clip '{name}' points at {url}, which is not a local file; "
                            "download it and relink before sending the timeline to Resolve.")
    reference.target_url = str(path)
    info = _probe(path, infos)
    if info is None:
        if reference.available_range is not None:
            return reference
        if not active:
            return None
        raise TimelineError(f"The media of clip '{name}' is offline ({path} does not exist), so "
                            "its available range is unknown; put the file back or relink it.")
    rate, start, length = _media_space(info, clip)
    available = reference.available_range
    otio_rate = float(rate)
    if available is not None and clip.source_range is not None:
        origin = available_origin(clip.source_range.start_time, available, rate)
    elif available is not None:
        origin = frames_at(available.start_time, rate)
    elif active and clip.source_range is not None and _source_start(clip, rate) < start:
        origin = Fraction(0)
    else:
        origin = Fraction(start)
    # Exact when the origin is not a whole frame (Premiere's 24 fps file timecode on 23.976
    # media), so the moved source range lands on whole frames.
    shift = start - (whole(origin) if abs(origin - whole(origin)) < Fraction(1, 10**6) else origin)
    reference.available_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(start, otio_rate), otio.opentime.RationalTime(length, otio_rate)
    )
    if active and shift and clip.source_range is not None:
        source = clip.source_range
        moved = frames_at(otio.opentime.RationalTime(float(shift), otio_rate),
                          exact_rate(source.start_time.rate))
        clip.source_range = otio.opentime.TimeRange(
            otio.opentime.RationalTime(source.start_time.value + float(moved),
                                       source.start_time.rate),
            source.duration,
        )
    return reference


def _media_space(info: MediaInfo, clip: Any) -> tuple[Fraction, int, int]:
    """(rate, first frame in the file's own timecode, frame count) of a probed file."""
    if info.video is not None:
        return info.video.rate, info.video.start_frame, info.video.frame_count
    rate = exact_rate(clip.trimmed_range().start_time.rate)
    return rate, 0, whole(info.duration * rate)


def _source_start(clip: Any, rate: Fraction) -> Fraction:
    return frames_at(clip.source_range.start_time, rate)


def _bare_path(url: str, base_dir: Path | None) -> Path | None:
    """The absolute local path ``url`` names, or None for a remote URL or no URL."""
    if not url:
        return None
    from_url = file_url_path(url)
    if from_url is not None:
        return from_url
    if len(urlparse(url).scheme) > 1:
        return None
    path = Path(url).expanduser()
    if not path.is_absolute():
        path = (base_dir if base_dir is not None else Path.cwd()) / path
    if not path.exists() and Path(unquote(str(path))).exists():
        path = Path(unquote(str(path)))
    return path.absolute()


def _probe(path: Path, infos: dict[Path, MediaInfo | None]) -> MediaInfo | None:
    if path not in infos:
        try:
            infos[path] = probe(path) if path.is_file() else None
        except MediaError:
            infos[path] = None
    return infos[path]


# -- checking -----------------------------------------------------------------------------------


def _schema_problems(data: Any) -> list[str]:
    problems = []
    for clip in _clip_dicts(data):
        name = clip.get("name") or "(unnamed)"
        if clip.get("OTIO_SCHEMA") != CLIP_SCHEMA:
            problems.append(f"clip '{name}' is written as {clip.get('OTIO_SCHEMA')}, not "
                            f"{CLIP_SCHEMA}.")
            continue
        references = clip.get("media_references") or {}
        if DEFAULT_MEDIA not in references:
            problems.append(f"clip '{name}' has no {DEFAULT_MEDIA} reference.")
        if clip.get("active_media_reference_key") != DEFAULT_MEDIA:
            problems.append(f"clip '{name}' shows the reference "
                            f"{clip.get('active_media_reference_key')}, not {DEFAULT_MEDIA}.")
    return problems


def _clip_dicts(data: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(data, Mapping):
        if str(data.get("OTIO_SCHEMA", "")).startswith("Clip."):
            yield data
        for value in data.values():
            yield from _clip_dicts(value)
    elif isinstance(data, list):
        for value in data:
            yield from _clip_dicts(value)


def _url_problems(where: str, url: str) -> list[str]:
    if not url:
        return [f"{where} has no target_url."]
    if len(urlparse(url).scheme) > 1:
        return [f"{where} target_url {url} is a URL; Resolve wants a bare path."]
    if not Path(url).is_absolute():
        return [f"{where} target_url {url} is relative; Resolve wants an absolute path."]
    return []


def _range_problems(
    clip: Any, name: str, base_dir: Path | None, infos: dict[Path, MediaInfo | None]
) -> list[str]:
    reference = clip.media_reference
    if not isinstance(reference, otio.schema.ExternalReference):
        return []
    path = _bare_path(str(reference.target_url or ""), base_dir)
    if path is None:
        return []
    info = _probe(path, infos)
    if info is None:
        return [f"clip '{name}' media {path} is missing, so its timecode space cannot be "
                "checked."]
    available = reference.available_range
    if available is None:
        return []
    rate, start, length = _media_space(info, clip)
    problems = []
    begin = frames_at(available.start_time, rate)
    if whole(begin) != start:
        problems.append(f"clip '{name}' available_range starts at frame {float(begin):g}, not "
                        f"at the media's start timecode (frame {start}).")
    source = clip.trimmed_range()
    first = frames_at(source.start_time, rate)
    last = first + frames_at(source.duration, rate)
    if first < start or last > start + length + Fraction(1, 10**6):
        problems.append(f"clip '{name}' source range {float(first):g}-{float(last):g} is not "
                        f"inside the media's frames {start}-{start + length}.")
    return problems

