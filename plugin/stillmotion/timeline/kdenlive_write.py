"""Write a Kdenlive project by editing the editor's own project: only our tracks change.

Why: the installed Kdenlive adapter regenerates a project from OTIO and drops mixes,
compositions, filters, markers and guides (a 50 KB project came back as 9 KB). Here the input
project's XML is kept as it is and only the "AI Generated" tracks of the timeline are written
into it:

- an AI track the project already has (by its ``kdenlive:track_name``) gets its playlists'
  entries and blanks replaced; a new one is appended on top of the stack (a tractor with two
  playlists, as Kdenlive makes them, plus Kdenlive's own compositing transition), so no track
  index an existing composition or mix refers to moves;
- a generated clip's sound (its linked clip on an "AI Generated" audio track) goes on an AI
  audio track, as Kdenlive pairs sound with picture: a tractor flagged
  ``kdenlive:audio_track`` whose playlists hide video, inserted at the bottom of the stack
  where Kdenlive keeps audio tracks (with its ``mix`` transition), its entries playing the same
  producer over the same range and record frames as the picture;
- each generated file is a bin producer (``avformat-novalidate``) carrying our metadata as JSON
  in ``kdenlive:stillmotion.metadata`` and the "AI generated" marker in ``kdenlive:markers``,
  which :func:`restore_metadata` puts back on the clips when the project is read, so ``review``,
  ``takes`` and re-runs see what they see in an .otio file.

Record frames count from the project's first frame at the profile's rate (Kdenlive has no
start timecode); entries and blanks are written as frame counts, which MLT reads as frames.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.timeline.generated import is_generated
from stillmotion.timeline.media import file_url_path, reference_url
from stillmotion.timeline.metadata import MARKER_NAME, METADATA_NAMESPACE, plain
from stillmotion.timeline.sound import SOUND_SUFFIX
from stillmotion.timeline.timebase import TimeBase, whole
from stillmotion.timeline.tracks import is_ai_name

METADATA_PROPERTY = "kdenlive:stillmotion.metadata"
_PURPLE = 0  # the adapter's marker type for MarkerColor.PURPLE


def write_in_place(timeline: Any, source: Path, target: Path) -> None:
    """Write ``source`` with ``timeline``'s AI tracks into the new file ``target``."""
    root = _parse(source.read_text(encoding="utf-8"))
    project = _Project(root)
    timebase = TimeBase.of(timeline)
    tracks = list(timeline.tracks)
    new = [t for t in tracks if _is_ai(t) and not project.ai_playlists(str(t.name), _audio(t))]
    known = [t for t in tracks if all(t is not n for n in new)]
    aligned = len(known) == len(project.timeline_tracks)
    previous: ET.Element | None = None   # the main tractor <track> of the track below
    for track in tracks:
        if any(track is n for n in new) and _audio(track):
            project.new_track(str(track.name), project.main.findall("track")[0], audio=True)
        elif any(track is n for n in new):
            previous = project.new_track(str(track.name), previous if aligned else None)
        elif aligned:
            previous = project.timeline_tracks[next(
                i for i, t in enumerate(known) if t is track)]
        if _is_ai(track):
            project.write_track(track, timebase)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


def _is_ai(track: Any) -> bool:
    """An "AI Generated" track, picture or sound."""
    return isinstance(track, otio.schema.Track) and is_ai_name(str(track.name or ""))


def _audio(track: Any) -> bool:
    return bool(track.kind == otio.schema.TrackKind.Audio)


def store_metadata(timeline: Any, path: Path) -> None:
    """Add our metadata to the producers of a project the adapter wrote from ``timeline``
    (a conversion from another format: there was no Kdenlive project to edit)."""
    blocks = {str(c.name or ""): plain(c.metadata[METADATA_NAMESPACE])
              for c in timeline.find_clips()
              if is_generated(c) and isinstance(c.metadata.get(METADATA_NAMESPACE), Mapping)}
    if not blocks:
        return
    root = _parse(path.read_text(encoding="utf-8"))
    for element in _producers(root):
        block = blocks.get(_property(element, "kdenlive:clipname"))
        if block is not None:
            _set_property(element, METADATA_PROPERTY, json.dumps(block, sort_keys=True))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def restore_metadata(timeline: Any, text: str) -> None:
    """Put the metadata :func:`write_in_place` stored on producers back on their clips."""
    blocks: dict[str, Any] = {}
    for element in _producers(_parse(text)):
        stored = _property(element, METADATA_PROPERTY)
        name = _property(element, "kdenlive:clipname")
        if stored and name:
            try:
                blocks[name] = json.loads(stored)
            except ValueError:
                continue
    for clip in timeline.find_clips():
        block = blocks.get(str(clip.name or ""))
        if isinstance(block, Mapping):
            clip.metadata[METADATA_NAMESPACE] = dict(block)


def _parse(text: str) -> ET.Element:
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    return ET.fromstring(text, parser=parser)


def _producers(root: ET.Element) -> Iterator[ET.Element]:
    yield from root.iter("producer")
    yield from root.iter("chain")


def _property(element: ET.Element, name: str) -> str:
    for found in element.findall("property"):
        if found.get("name") == name:
            return found.text or ""
    return ""


def _set_property(element: ET.Element, name: str, value: str) -> None:
    for found in element.findall("property"):
        if found.get("name") == name:
            found.text = value
            return
    ET.SubElement(element, "property", {"name": name}).text = value


class _Project:
    """The parts of a Kdenlive project the writer touches, and fresh ids for new elements."""

    def __init__(self, root: ET.Element) -> None:
        self.root = root
        self.by_id = {e.get("id"): e for e in root.iter() if e.get("id")}
        self.main = self._main_tractor()
        found_bin = root.find("playlist[@id='main_bin']")
        if found_bin is None:
            raise TimelineError("The Kdenlive project has no bin (main_bin); save it again in "
                                "Kdenlive or write an .otio file instead.")
        self.bin: ET.Element = found_bin
        ids = [_property(e, "kdenlive:id") for e in root.iter()]
        self.next_kdenlive_id = max([int(i) for i in ids if i.isdigit()], default=0) + 1
        self.counter = 0
        self.timeline_tracks = [t for t in self.main.findall("track")
                                if self._is_timeline_track(t)]

    def _is_timeline_track(self, track: ET.Element) -> bool:
        """A main tractor track the adapter reads as a timeline track (not the black one)."""
        inner = self.by_id.get(track.get("producer"))
        return track.get("producer") != "black_track" and inner is not None and \
            _property(inner, "kdenlive:playlistid") != "black_track"

    def _main_tractor(self) -> ET.Element:
        """The tractor holding the timeline's tracks (the adapter's rule, Kdenlive 19 to 25)."""
        flagged = self.root.find("tractor[@global_feed='1']")
        if flagged is not None:
            return flagged
        tractors = self.root.findall("tractor")
        if not tractors:
            raise TimelineError("The Kdenlive project has no timeline tractor; save it again in "
                                "Kdenlive or write an .otio file instead.")
        last = tractors[-1]
        if _property(last, "kdenlive:projectTractor") == "1":
            first = last.find("track")
            inner = self.by_id.get(first.get("producer")) if first is not None else None
            if inner is not None:
                return inner
        return last

    def fresh_id(self, stem: str) -> str:
        while True:
            self.counter += 1
            candidate = f"stillmotion_{stem}{self.counter}"
            if candidate not in self.by_id:
                self.by_id[candidate] = self.root
                return candidate

    def insert_early(self, element: ET.Element) -> None:
        """Before everything that may use it (after the profile): MLT resolves ids in order."""
        children = list(self.root)
        profiles = [i for i, child in enumerate(children) if child.tag == "profile"]
        self.root.insert(profiles[-1] + 1 if profiles else 0, element)

    def insert_before_main(self, element: ET.Element) -> None:
        children = list(self.root)
        anchor = min(children.index(self.main) if self.main in children else len(children),
                     children.index(self.bin) if self.bin in children else len(children))
        self.root.insert(anchor, element)

    def write_track(self, track: Any, timebase: TimeBase) -> None:
        """Rewrite an AI track's playlist from ``track``: our clips from the timeline, the
        editor's own entries on it kept as they were (matched by their record start)."""
        playlists = self.ai_playlists(str(track.name), _audio(track))
        kept = self._editor_entries(playlists[0], timebase)
        for playlist in playlists:
            for child in [c for c in playlist if c.tag in ("entry", "blank")]:
                playlist.remove(child)
        content = playlists[0]
        position = 0
        for item in track:
            if isinstance(item, otio.schema.Transition):
                continue
            frames = whole(timebase.frames(item.duration()))
            if isinstance(item, otio.schema.Clip) and is_generated(item):
                self._entry(content, item, timebase, frames, _audio(track))
            elif isinstance(item, otio.schema.Clip) and position in kept:
                content.append(kept[position])
            elif frames > 0:
                ET.SubElement(content, "blank", {"length": str(frames)})
            position += frames

    def _editor_entries(self, playlist: ET.Element, timebase: TimeBase) -> dict[int, ET.Element]:
        """Record start -> entry, for the entries on an AI track that are not ours."""
        found: dict[int, ET.Element] = {}
        position = 0
        for child in playlist:
            if child.tag == "blank":
                position += _frames(child.get("length", "0"), timebase)
            elif child.tag == "entry":
                producer = self.by_id.get(child.get("producer"))
                if producer is not None and not _property(producer, METADATA_PROPERTY):
                    found[position] = child
                start = _frames(child.get("in", "0"), timebase)
                position += _frames(child.get("out", "0"), timebase) - start + 1
        return found

    def ai_playlists(self, name: str, audio: bool = False) -> list[ET.Element]:
        """The playlists of the AI track ``name`` of that kind (picture and sound tracks
        share their names, as in the timeline)."""
        for track in self.main.findall("track"):
            inner = self.by_id.get(track.get("producer"))
            if inner is not None and inner.tag == "tractor" and \
                    _property(inner, "kdenlive:track_name") == name and is_ai_name(name) and \
                    (_property(inner, "kdenlive:audio_track") == "1") == audio:
                found = [self.by_id.get(t.get("producer")) for t in inner.findall("track")]
                return [p for p in found if p is not None and p.tag == "playlist"]
        return []

    def new_track(self, name: str, below: ET.Element | None, *,
                  audio: bool = False) -> ET.Element:
        """Add an empty AI track right above the main tractor's ``below`` track (None: on
        top); compositions and Kdenlive's track blends above it are renumbered. An ``audio``
        track hides video and is mixed (Kdenlive's ``mix``) instead of composited."""
        playlists = [ET.Element("playlist", {"id": self.fresh_id("playlist")})
                     for _ in range(2)]
        tractor = ET.Element("tractor", {"id": self.fresh_id("tractor")})
        for made in (*playlists, tractor):
            self.by_id[made.get("id")] = made
        _set_property(tractor, "kdenlive:track_name", name)
        _set_property(tractor, "kdenlive:trackheight", "67")
        if audio:
            _set_property(tractor, "kdenlive:audio_track", "1")
        for playlist, hide in zip(playlists, ("video", "video") if audio else ("audio", "both"),
                                  strict=True):
            if audio:
                _set_property(playlist, "kdenlive:audio_track", "1")
            self.insert_before_main(playlist)
            ET.SubElement(tractor, "track", {"producer": playlist.get("id", ""), "hide": hide})
        self.insert_before_main(tractor)
        tracks = self.main.findall("track")
        after = below if below is not None else tracks[-1] if tracks else None
        position = list(self.main).index(after) + 1 if after is not None else 0
        number = tracks.index(after) + 1 if after is not None else 0
        for transition in self.main.findall("transition"):
            for key in ("a_track", "b_track"):
                value = _property(transition, key)
                if value.isdigit() and int(value) >= number:
                    _set_property(transition, key, str(int(value) + 1))
        element = ET.Element("track", {"producer": tractor.get("id", "")})
        self.main.insert(position, element)
        composite = ET.SubElement(self.main, "transition", {"id": self.fresh_id("transition")})
        blend = (("mlt_service", "mix"), ("kdenlive_id", "mix"), ("sum", "1")) if audio else \
            (("compositing", "0"), ("mlt_service", "qtblend"), ("kdenlive_id", "qtblend"))
        for key, value in (("a_track", "0"), ("b_track", str(number)), *blend,
                           ("internal_added", "237"), ("always_active", "1")):
            _set_property(composite, key, value)
        return element

    def _entry(self, playlist: ET.Element, clip: Any, timebase: TimeBase,
               frames: int, sound: bool) -> None:
        producer = self._producer(clip, timebase, sound)
        source = clip.source_range
        available = clip.media_reference.available_range
        first = source.start_time - available.start_time if available is not None else \
            source.start_time
        start = whole(timebase.frames(first))
        entry = ET.SubElement(playlist, "entry", {
            "producer": producer.get("id", ""), "in": str(start),
            "out": str(start + frames - 1)})
        _set_property(entry, "kdenlive:id", _property(producer, "kdenlive:id"))

    def _producer(self, clip: Any, timebase: TimeBase, sound: bool) -> ET.Element:
        """The bin producer of ``clip``'s file; a sound clip shares its picture's (one bin
        clip, named and described as the picture)."""
        path = _media_path(clip)
        metadata = json.dumps(plain(clip.metadata.get(METADATA_NAMESPACE, {})), sort_keys=True)
        markers = json.dumps([{"pos": 0, "comment": MARKER_NAME, "type": _PURPLE}])
        name = str(clip.name).removesuffix(SOUND_SUFFIX) if sound else str(clip.name)
        for element in _producers(self.root):
            if _property(element, "resource") == path and _property(element, METADATA_PROPERTY):
                if not sound:
                    _set_property(element, METADATA_PROPERTY, metadata)
                    _set_property(element, "kdenlive:clipname", name)
                return element
        available = clip.media_reference.available_range
        length = whole(timebase.frames(available.duration)) if available is not None else \
            whole(timebase.frames(clip.source_range.end_time_exclusive()))
        producer = ET.Element("producer", {"id": self.fresh_id("producer"), "in": "0",
                                           "out": str(max(length - 1, 0))})
        kdenlive_id = str(self.next_kdenlive_id)
        self.next_kdenlive_id += 1
        for key, value in (("length", str(length)), ("mlt_service", "avformat-novalidate"),
                           ("resource", path), ("kdenlive:clipname", name),
                           ("kdenlive:id", kdenlive_id), ("kdenlive:markers", markers),
                           (METADATA_PROPERTY, metadata)):
            _set_property(producer, key, value)
        self.insert_early(producer)
        entry = ET.SubElement(self.bin, "entry", {"producer": producer.get("id", ""),
                                                  "in": "0", "out": str(max(length - 1, 0))})
        _set_property(entry, "kdenlive:id", kdenlive_id)
        return producer


def _frames(text: str, timebase: TimeBase) -> int:
    """An MLT time (a frame count, or ``hh:mm:ss.fff`` clock time) as frames."""
    value = text.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    seconds = Fraction(0)
    for part in value.replace(",", ".").split(":"):
        seconds = seconds * 60 + Fraction(part)
    return round(seconds * timebase.rate)


def _media_path(clip: Any) -> str:
    url = reference_url(clip.media_reference) or ""
    as_path = file_url_path(url)
    return str(as_path) if as_path is not None else url
