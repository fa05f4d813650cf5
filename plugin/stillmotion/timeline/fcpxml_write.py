"""Write FCPXML by editing the editor's own document: our clips become connected clips.

Why: the installed FCPXML adapter regenerates a document from OTIO and drops transitions,
markers and keywords. Here the input document is kept as it is and each generated clip of the
timeline's AI tracks is added as a connected ``<asset-clip>`` (FCP's way of stacking a clip
above the storyline) on the first free lane above the primary-storyline item under its first
frame, with an ``<asset>`` for its file. Our metadata rides in the clip's ``<metadata><md>``
(key :data:`METADATA_KEY`), which :func:`restore_metadata` reads back (the adapter does not).
Clips added by an earlier run are removed first, so re-runs and ``takes`` rewrite ours only.

Sound: in Final Cut a clip's audio travels with its picture (an asset with ``hasAudio``, the
clip in an audio role), so a generated clip placed with its sound (a linked sound clip on an
AI audio track, :func:`stillmotion.timeline.sound.placed_with_sound`) is connected with its
audio on, in the ``dialogue`` role, and one placed without (``--no-audio``, a silent take)
with its video only (``srcEnable="video"``): picture and sound stay one clip at one offset,
and switching takes rewrites both.

No marker is added on our clip: the adapter reads a clip's markers with ``.//marker``, so a
marker on a connected clip would also land on the editor's shot below it (and make that shot
look generated).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from stillmotion.errors import TimelineError
from stillmotion.timeline.generated import find_generated_clips
from stillmotion.timeline.media import file_url_path, media_file_name, reference_url
from stillmotion.timeline.metadata import MARKER_NAME, METADATA_NAMESPACE, plain
from stillmotion.timeline.sound import placed_with_sound
from stillmotion.timeline.timebase import TimeBase

METADATA_KEY = "com.stillmotion.metadata"
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>")
# Children of a story element that the FCPXML DTD puts after its anchored (connected) items.
_AFTER_ANCHORS = frozenset({"marker", "chapter-marker", "rating", "keyword", "analysis-marker",
                            "audio-role-source", "filter-video", "filter-video-mask",
                            "filter-audio", "metadata"})
_STORY = ("asset-clip", "clip", "gap", "ref-clip", "sync-clip", "mc-clip", "title", "video")


def write_in_place(timeline: Any, source: Path, target: Path) -> None:
    """Write ``source`` with ``timeline``'s generated clips connected into the new ``target``."""
    root = ET.fromstring(source.read_text(encoding="utf-8"),
                         parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True)))
    sequence = root.find(".//sequence")
    spine = sequence.find("spine") if sequence is not None else None
    resources = root.find("resources")
    if sequence is None or spine is None or resources is None:
        raise TimelineError(f"{source.name} has no sequence with a spine to add the clip to; "
                            "write an .otio file instead.")
    _remove_ours(root)
    frame = _seconds(_format(root, sequence).get("frameDuration", ""))
    if frame is None:
        raise TimelineError(f"{source.name} names no frame duration for its sequence; write an "
                            ".otio file instead.")
    modern = _version(root) >= (1, 9)
    for found in find_generated_clips(timeline):
        clip = found.clip
        asset = _asset(root, resources, clip, sequence.get("format", ""), frame, modern)
        start = found.record_start_frame * frame
        parent = _item_at(spine, start)
        if parent is None:
            raise TimelineError(f"Nothing on the primary storyline of {source.name} is under "
                                "the generated clip to connect it to; write an .otio file "
                                "instead.")
        offset = _seconds(parent.get("start", "0s")) or Fraction(0)
        local = offset + start - (_seconds(parent.get("offset", "0s")) or Fraction(0))
        lanes = [int(c.get("lane", "0")) for c in parent if c.get("lane", "").lstrip("-")
                 .isdigit()]
        connected = ET.Element("asset-clip", {
            "ref": asset.get("id", ""), "lane": str(max([0, *lanes]) + 1),
            "offset": _text(local), "name": str(clip.name or ""),
            "duration": _text(found.duration_frames * frame), "start": "0s",
            "format": sequence.get("format", "")})
        if placed_with_sound(timeline, clip):
            _sounding(asset)
            connected.set("audioRole", "dialogue")
        elif asset.get("hasAudio") == "1":
            connected.set("srcEnable", "video")
        parent.insert(_anchor_index(parent), connected)
        block = clip.metadata.get(METADATA_NAMESPACE)
        if isinstance(block, Mapping):
            ET.SubElement(ET.SubElement(connected, "metadata"), "md", {
                "key": METADATA_KEY, "value": json.dumps(plain(block), sort_keys=True)})
    target.write_text(_document(root, source.read_text(encoding="utf-8")), encoding="utf-8")


def _anchor_index(parent: ET.Element) -> int:
    """Where a connected clip goes among ``parent``'s children: after its own anchored items,
    before its markers, keywords, filters and metadata (the DTD's order, which FCP checks)."""
    children = list(parent)
    later = [i for i, child in enumerate(children) if child.tag in _AFTER_ANCHORS]
    return later[0] if later else len(children)


def restore_metadata(timeline: Any, text: str) -> None:
    """Put the metadata :func:`write_in_place` stored back on our clips (by their file)."""
    root = ET.fromstring(text)
    sources = {a.get("id"): _asset_source(a) for a in root.iter("asset")}
    blocks: dict[str, Any] = {}
    for clip in root.iter():
        for md in clip.findall("metadata/md") if clip.tag in ("asset-clip", "clip") else ():
            if md.get("key") == METADATA_KEY:
                name = _file_name(sources.get(_clip_ref(clip)) or "")
                try:
                    blocks[name] = json.loads(md.get("value", ""))
                except ValueError:
                    continue
    for clip in timeline.find_clips():
        block = blocks.get(media_file_name(clip).lower())
        if isinstance(block, dict) and METADATA_NAMESPACE not in clip.metadata:
            clip.metadata[METADATA_NAMESPACE] = block


def _file_name(src: str) -> str:
    path = file_url_path(src)
    return (path.name if path is not None else src.rstrip("/").split("/")[-1]).lower()


def _remove_ours(root: ET.Element) -> None:
    parents = {child: parent for parent in root.iter() for child in parent}
    for clip in [e for e in root.iter() if e.tag in ("asset-clip", "clip")]:
        if any(md.get("key") == METADATA_KEY for md in clip.findall("metadata/md")):
            parents[clip].remove(clip)


def _asset(root: ET.Element, resources: ET.Element, clip: Any, format_id: str,
           frame: Fraction, modern: bool) -> ET.Element:
    url = reference_url(clip.media_reference) or ""
    path = file_url_path(url)
    src = Path(path if path is not None else url).absolute().as_uri()
    for asset in resources.findall("asset"):
        if _asset_source(asset) == src:
            return asset
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    number = 1
    while f"sm{number}" in ids:
        number += 1
    available = clip.media_reference.available_range
    frames = round(available.duration.value) if available is not None else \
        round(clip.source_range.duration.value)
    asset = ET.SubElement(resources, "asset", {
        "id": f"sm{number}", "name": Path(src).stem, "start": "0s",
        "duration": _text(frames * frame), "hasVideo": "1", "format": format_id})
    if modern:
        ET.SubElement(asset, "media-rep", {"kind": "original-media", "src": src})
    else:
        asset.set("src", src)
    return asset


def _sounding(asset: ET.Element) -> None:
    """Declare the conformed file's sound on its asset (the conform writes 48 kHz stereo)."""
    for key, value in (("hasAudio", "1"), ("audioSources", "1"), ("audioChannels", "2"),
                       ("audioRate", "48000")):
        asset.set(key, value)


def _asset_source(asset: ET.Element) -> str:
    if asset.get("src"):
        return str(asset.get("src"))
    rep = asset.find("media-rep")
    return str(rep.get("src", "")) if rep is not None else ""


def _item_at(spine: ET.Element, time: Fraction) -> ET.Element | None:
    for item in spine:
        if item.tag not in _STORY:
            continue
        start = _seconds(item.get("offset", "0s")) or Fraction(0)
        length = _seconds(item.get("duration", "0s")) or Fraction(0)
        if start <= time < start + length:
            return item
    return None


def _format(root: ET.Element, sequence: ET.Element) -> ET.Element:
    found = root.find(f"resources/format[@id='{sequence.get('format', '')}']")
    return found if found is not None else ET.Element("format")


def _version(root: ET.Element) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in root.get("version", "1.8").split("."))
    except ValueError:
        return (1, 8)


def _seconds(text: str) -> Fraction | None:
    value = (text or "").strip().rstrip("s")
    if not value:
        return None
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError):
        return None


def _text(seconds: Fraction) -> str:
    return "0s" if seconds == 0 else f"{seconds.numerator}/{seconds.denominator}s"


def finish_adapted(timeline: Any, path: Path) -> None:
    """Put back what the adapter leaves out of the FCPXML it wrote at ``path`` (the caller's
    temp file) from another format:

    - the start timecode: the adapter writes the spine from 0 and no ``tcStart``, so the
      sequence gets ``tcStart`` and its spine is moved to start there (FCP's own layout);
    - connected clips a frame early: see :func:`_fix_connected`;
    - our metadata: each ``<clip>`` showing a generated clip's file gets it as
      ``<metadata><md>`` (read back by :func:`restore_metadata`) and loses its "AI generated"
      marker: the adapter reads markers with ``.//marker``, so that marker on a connected clip
      would make the editor's shot below it look generated too.
    """
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    timebase = TimeBase.of(timeline)
    start = timebase.start_frame(timeline) / timebase.rate
    blocks = {media_file_name(found.clip).lower(): plain(block)
              for found in find_generated_clips(timeline)
              if isinstance(block := found.clip.metadata.get(METADATA_NAMESPACE), Mapping)}
    sources = {a.get("id"): _file_name(_asset_source(a)) for a in root.iter("asset")}
    for sequence in root.iter("sequence"):
        _fix_connected(sequence, _format(root, sequence))
        if start and sequence.get("tcStart") is None:
            sequence.set("tcStart", _text(start))
            for item in sequence.findall("spine/*[@offset]"):
                item.set("offset", _text((_seconds(item.get("offset", "")) or 0) + start))
        for element in list(sequence.iter()):
            block = blocks.get(sources.get(_clip_ref(element)) or "")
            if block is None:
                continue
            for marker in element.findall("marker"):
                if marker.get("value", "").strip().lower() == MARKER_NAME.lower():
                    element.remove(marker)
            ET.SubElement(ET.SubElement(element, "metadata"), "md", {
                "key": METADATA_KEY, "value": json.dumps(block, sort_keys=True)})
    path.write_text(_document(root, text), encoding="utf-8")


def _fix_connected(sequence: ET.Element, format_element: ET.Element) -> None:
    """The adapter offsets a connected clip from its parent's ``start`` counted as
    ``int(float(a) / float(b) * fps)``: 180001/5 s at 25 fps counts 900004, not 900005, and
    every clip connected to that parent lands a frame early. Move them by the difference
    (whole rates only: the adapter cannot write NTSC rates at all)."""
    frame = _seconds(format_element.get("frameDuration", ""))
    if frame is None or frame.numerator != 1:
        return
    fps = frame.denominator
    for parent in sequence.findall("spine/*[@start]"):
        text = parent.get("start", "").strip().rstrip("s")
        exact = (_seconds(parent.get("start", "")) or Fraction(0)) * fps
        numerator, _, denominator = text.partition("/")
        try:
            counted = int(float(numerator) / float(denominator or 1) * float(fps))
        except ValueError:
            continue
        if exact.denominator != 1 or exact == counted:
            continue
        for child in parent:
            offset = _seconds(child.get("offset", ""))
            if child.get("lane") is not None and offset is not None:
                child.set("offset", _text(offset + (exact - counted) / fps))


def _clip_ref(element: ET.Element) -> str | None:
    """The asset an ``<asset-clip>`` shows, or an adapter-written ``<clip>`` (its ``<video>``)."""
    if element.tag == "asset-clip":
        return element.get("ref")
    video = element.find("video") if element.tag == "clip" else None
    return video.get("ref") if video is not None else None


def _document(root: ET.Element, original: str) -> str:
    """``root`` as a file, with the XML declaration and the original's DOCTYPE."""
    doctype = _DOCTYPE.search(original)
    prolog = '<?xml version="1.0" encoding="UTF-8"?>\n' + (
        doctype.group(0) + "\n" if doctype else "")
    return prolog + ET.tostring(root, encoding="unicode") + "\n"
