"""A fake DaVinci Resolve implementing stillmotion.resolve.protocol, with its documented quirks.

Why: Resolve cannot run in CI, and its failures are silent return values, so the front end is only
trustworthy if the fake reproduces what the reference (shared/reference/resolve-scripting.md)
says real Resolve does:

- tracks are 1-based; record frames include the start timecode (01:00:00:00 at 23.976 is 86400);
- ``GetCurrentTimecode`` uses ';' before the frames on drop-frame timelines, and
  ``GetSetting("timelineFrameRate")`` answers strings such as "23.976" or "29.97 DF";
- ``AppendToTimeline`` onto an occupied span is silently dropped yet still returns an item that is
  on no track; a source fps different from the timeline's floors the record duration;
- ``endFrame`` is EXCLUSIVE here (``end_frame_inclusive=True`` flips it): the public tools' guess
  of ``frames - 1`` therefore comes out one frame short and the code must fix it by readback;
- ``ExportCurrentFrameAsStill`` writes the real frame at the playhead, taken from the top-most
  enabled clip's media with the media engine (black over a gap); the file appears only after
  ``still_delay`` calls to :meth:`FakeResolve.sleep` (the injectable sleep), as a real export
  lands on disk a moment after the call returns;
- ``Timeline.Export`` writes OTIO only for the ``EXPORT_OTIO`` constant (a string writes nothing);
  ``ImportTimelineFromFile`` returns None on any problem, a duplicate timeline name included;
- an append onto a locked track (``GetIsTrackLocked``) fails ([]); ``ImportMedia`` returns [] on
  failure; calls named in ``studio_only`` return False on the free
  edition; any call can be scripted to fail through ``failures`` (method name -> return value).

Resolve 21.0.4 (the reference's "Resolve 21" facts), for the build given as ``version``:

- ``hasattr`` answers True for any name: an unknown CamelCase attribute is None (calling it
  raises TypeError), and so is a call the chosen build lacks (:data:`ADDED_IN`, written from the
  READMEs independently of stillmotion's own table, which it checks);
- ``Timeline.GetSelectedClips()`` lists the items selected in the Edit page (``select``), and
  ``DisableBackgroundTasksForCurrentResolveSession()`` answers None and pauses background tasks
  until Resolve restarts (there is no call to resume them);
- ``Timeline.DeleteClips`` acts only on the current timeline: on another it returns False and
  deletes nothing (measured on Studio 21.0.4);
- ``Timeline.GetMarkers()`` maps frame ids relative to the timeline start to marker dicts.

Sound (Blackmagic's README and the reference's "Resolve 21" facts): a timeline starts with one
video and one audio track ("Audio 1"); ``AddTrack("audio", subType)`` appends an audio track
of that layout (mono when the sub-type is left out); ``AppendToTimeline`` with ``mediaType`` 2
puts the file's sound alone on audio track ``trackIndex`` (refused, [], for a file without
sound), with the same quirks as the picture (overlap silently dropped with a phantom item,
``endFrame`` convention, floored rate conversion); ``mediaType`` 1 puts the picture alone
(without ``mediaType`` the fake also places picture only: the linked pair Resolve would make is
not modelled); ``SetClipsLinked(items, True)`` joins items that are on the timeline into one
link group (False when any is not), ``False`` as second argument unlinks them.

From Blackmagic's README: ``GetCurrentTimecode`` answers only on the Cut, Edit, Color and Deliver
pages. Assumed, not documented: appending moves the playhead to the end of the new clip (so the
front end must restore it); a marker on a frame that already has one is refused.
Test-setup helpers are snake_case; Resolve's API is CamelCase.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import ProbeError
from stillmotion.files import atomic_path
from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.frames import grab_frame
from stillmotion.media.probe import probe
from support import timelines

CLIP_COLORS = ("Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue",
               "Purple", "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate")
PAGES = ("media", "cut", "edit", "fusion", "color", "fairlight", "deliver")
# How Resolve spells rates in settings and clip properties.
RATE_TEXT = {Fraction(24000, 1001): "23.976", Fraction(30000, 1001): "29.97",
             Fraction(60000, 1001): "59.94", Fraction(48000, 1001): "47.952"}
_ids = itertools.count(1)
AUDIO_LAYOUTS = ("mono", "stereo", "5.1", "5.1film", "7.1", "7.1film",
                 *(f"adaptive{n}" for n in range(1, 25)))
# The first build with each call newer than Resolve 17 (method name -> version).
ADDED_IN: dict[str, tuple[int, int, int]] = {
    "SetTrackEnable": (18, 0, 0), "SetTrackLock": (18, 0, 0),
    "GetSelectedClips": (21, 0, 4), "DisableBackgroundTasksForCurrentResolveSession": (21, 0, 4),
}


def rate_text(rate: Fraction) -> str:
    return RATE_TEXT.get(rate, str(rate.numerator) if rate.denominator == 1 else f"{float(rate):g}")


# --- an independent timecode implementation (not stillmotion.timecode, which is under test) --

def tc_to_frame(text: str, rate: Fraction, drop: bool) -> int:
    match = re.fullmatch(r"(\d\d):(\d\d):(\d\d)[:;](\d\d)", text)
    if not match:
        raise ValueError(text)
    h, m, s, f = (int(g) for g in match.groups())
    fps = round(rate)
    frames = ((h * 60 + m) * 60 + s) * fps + f
    if drop:
        minutes = h * 60 + m
        frames -= 2 * (fps // 30) * (minutes - minutes // 10)
    return frames


def frame_to_tc(frame: int, rate: Fraction, drop: bool) -> str:
    fps = round(rate)
    if drop:
        skip = 2 * (fps // 30)
        per_ten = fps * 600 - 9 * skip
        per_minute = fps * 60 - skip
        tens, rest = divmod(frame, per_ten)
        frame += 9 * skip * tens + (skip * ((rest - skip) // per_minute) if rest > skip else 0)
    s, f = divmod(frame, fps)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{';' if drop else ':'}{f:02d}"


# --- objects ------------------------------------------------------------------------------

class _Node:
    """Every fake object: knows the root (for failures, edition and the call log)."""

    def __init__(self, root: FakeResolve) -> None:
        self.root = root

    def __getattribute__(self, name: str) -> Any:
        """A call the chosen build lacks is there (hasattr is True) but is None, as on Resolve."""
        added = ADDED_IN.get(name)
        if added is not None and object.__getattribute__(self, "root").version < added:
            return None
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        """Resolve's proxies answer any CamelCase name (so ``hasattr`` is always True)."""
        if name[:1].isupper():
            return None
        raise AttributeError(name)

    def _scripted(self, method: str, *args: Any) -> tuple[bool, Any]:
        """(True, value) when the call is scripted to fail or is Studio-only on Free."""
        self.root.calls.append((type(self).__name__, method, args))
        if method in self.root.failures:
            return True, self.root.failures[method]
        if method in self.root.studio_only and not self.root.studio:
            self.root.upsells += 1
            return True, False
        return False, None


class FakeMediaPoolItem(_Node):
    def __init__(self, root: FakeResolve, path: Path) -> None:
        super().__init__(root)
        info = probe(path, count_frames=True)
        video = info.require_video()
        self.id = next(_ids)
        self.path = Path(path)
        self.fps = video.rate
        self.frames = video.frame_count
        self.size = video.size
        self.start_tc = video.start_timecode or "00:00:00:00"
        self.has_sound = info.audio is not None
        self.metadata: dict[str, str] = {}
        self.third_party: dict[str, str] = {}
        self.color = ""

    def GetName(self) -> str:
        return self.path.name

    def GetClipProperty(self, name: str, /) -> str:
        properties = {
            "File Path": str(self.path), "FPS": rate_text(self.fps), "Frames": str(self.frames),
            "Resolution": f"{self.size[0]}x{self.size[1]}", "Start TC": self.start_tc,
            "Clip Name": self.path.name,
        }
        return properties.get(name, "")

    def SetMetadata(self, metadata: dict[str, str], /) -> bool:
        failed, value = self._scripted("SetMetadata", metadata)
        if failed:
            return bool(value)
        self.metadata.update({str(k): str(v) for k, v in metadata.items()})
        return True

    def SetThirdPartyMetadata(self, metadata: dict[str, str], /) -> bool:
        failed, value = self._scripted("SetThirdPartyMetadata", metadata)
        if failed:
            return bool(value)
        if not all(isinstance(v, str) for v in metadata.values()):
            return False
        self.third_party.update(metadata)
        return True

    def GetThirdPartyMetadata(self, key: str, /) -> str:
        return self.third_party.get(key, "")

    def SetClipColor(self, color: str, /) -> bool:
        if color not in CLIP_COLORS:
            return False
        self.color = color
        return True


class FakeFolder(_Node):
    def __init__(self, root: FakeResolve, name: str) -> None:
        super().__init__(root)
        self.name = name
        self.subfolders: list[FakeFolder] = []
        self.clips: list[FakeMediaPoolItem] = []

    def GetName(self) -> str:
        return self.name

    def GetSubFolderList(self) -> Sequence[FakeFolder]:
        return list(self.subfolders)


@dataclass
class Marker:
    color: str
    name: str
    note: str
    duration: int
    custom_data: str


@dataclass
class Take:
    media: FakeMediaPoolItem
    start: int
    end: int


class FakeTimelineItem(_Node):
    def __init__(self, root: FakeResolve, media: FakeMediaPoolItem, start: int, duration: int,
                 left_offset: int) -> None:
        super().__init__(root)
        self.media = media
        self.start = start
        self.duration = duration
        self.left_offset = left_offset
        self.name = media.path.name
        self.color = ""
        self.markers: dict[int, Marker] = {}
        self.takes: list[Take] = []
        self.selected = 0
        self.link: int | None = None  # the link group (SetClipsLinked)

    def GetName(self) -> str:
        return self.name

    def GetStart(self) -> int:
        return self.start

    def GetDuration(self) -> int:
        return self.duration

    def GetLeftOffset(self) -> int:
        return self.left_offset

    def GetMediaPoolItem(self) -> FakeMediaPoolItem:
        return self.takes[self.selected - 1].media if self.takes else self.media

    def GetClipColor(self) -> str:
        return self.color

    def SetClipColor(self, color: str, /) -> bool:
        failed, value = self._scripted("SetClipColor", color)
        if failed:
            return bool(value)
        if color not in CLIP_COLORS:
            return False
        self.color = color
        return True

    def AddMarker(
            self, frame_id: int, color: str, name: str, note: str, duration: int,
            custom_data: str, /) -> bool:
        failed, value = self._scripted("AddMarker", frame_id, color, name, note, duration,
                                       custom_data)
        if failed:
            return bool(value)
        if not 0 <= frame_id < self.duration or frame_id in self.markers or not color:
            return False
        self.markers[frame_id] = Marker(color, name, note, duration, custom_data)
        return True

    def AddTake(self, item: Any, start_frame: int, end_frame: int, /) -> bool:
        failed, value = self._scripted("AddTake", item, start_frame, end_frame)
        if failed:
            return bool(value)
        if not isinstance(item, FakeMediaPoolItem):
            return False
        if not self.takes:
            self.takes = [Take(self.media, self.left_offset, self.left_offset + self.duration)]
            self.selected = 1
        self.takes.append(Take(item, start_frame, end_frame))
        return True

    def SelectTakeByIndex(self, index: int, /) -> bool:
        failed, value = self._scripted("SelectTakeByIndex", index)
        if failed:
            return bool(value)
        if not 1 <= index <= len(self.takes):
            return False
        self.selected = index
        return True

    def GetTakesCount(self) -> int:
        return len(self.takes)

    def GetSelectedTakeIndex(self) -> int:
        return self.selected

    def DeleteTakeByIndex(self, index: int, /) -> bool:
        if not 1 <= index <= len(self.takes) or len(self.takes) < 2:
            return False
        del self.takes[index - 1]
        self.selected = min(self.selected, len(self.takes))
        return True

    def FinalizeTake(self) -> bool:
        if not self.takes:
            return False
        self.media = self.takes[self.selected - 1].media
        self.takes, self.selected = [], 0
        return True

    def describe(self) -> tuple[Any, ...]:
        return (self.start, self.duration, self.left_offset, self.media.id, self.color,
                tuple(sorted((k, m.custom_data) for k, m in self.markers.items())),
                tuple(t.media.id for t in self.takes), self.selected, self.link)


@dataclass
class FakeTrack:
    name: str
    enabled: bool = True
    items: list[FakeTimelineItem] = field(default_factory=list)
    locked: bool = False
    layout: str = ""  # audio tracks: mono, stereo, 5.1 …


class FakeTimeline(_Node):
    def __init__(self, root: FakeResolve, project: FakeProject, name: str, *, rate: Fraction,
                 drop_frame: bool, start_timecode: str, size: tuple[int, int]) -> None:
        super().__init__(root)
        self.project = project
        self.name = name
        self.rate = rate
        self.drop_frame = drop_frame
        self.start_frame = tc_to_frame(start_timecode, rate, drop_frame)
        self.size = size
        self.tracks: list[FakeTrack] = [FakeTrack("Video 1")]
        self.audio_tracks: list[FakeTrack] = [FakeTrack("Audio 1", layout="stereo")]
        self.playhead = self.start_frame
        self.markers: dict[int, Marker] = {}
        self.selected: list[FakeTimelineItem] = []

    # test-setup helpers
    def add_track(self, name: str | None = None, *, enabled: bool = True,
                  locked: bool = False) -> int:
        self.tracks.append(FakeTrack(name or f"Video {len(self.tracks) + 1}", enabled,
                                     locked=locked))
        return len(self.tracks)

    def add_audio_track(self, name: str | None = None, *, enabled: bool = True,
                        locked: bool = False, layout: str = "stereo") -> int:
        self.audio_tracks.append(FakeTrack(name or f"Audio {len(self.audio_tracks) + 1}",
                                           enabled, locked=locked, layout=layout))
        return len(self.audio_tracks)

    def put_sound(self, track: int, media: FakeMediaPoolItem, record_frame: int,
                  duration: int) -> FakeTimelineItem:
        """Place a clip's sound directly on audio track ``track`` (test setup)."""
        item = FakeTimelineItem(self.root, media, record_frame, duration, 0)
        assert self._free(track, record_frame, record_frame + duration, "audio"), "overlap"
        self.audio_tracks[track - 1].items.append(item)
        return item

    def put(self, track: int, media: FakeMediaPoolItem, record_frame: int, *,
            left_offset: int = 0, duration: int | None = None) -> FakeTimelineItem:
        """Place a clip directly (test setup), refusing overlaps like an editor would."""
        length = duration if duration is not None else media.frames - left_offset
        item = FakeTimelineItem(self.root, media, record_frame, length, left_offset)
        assert self._free(track, record_frame, record_frame + length), "setup overlap"
        self.tracks[track - 1].items.append(item)
        return item

    def mark(self, record_frame: int, color: str, name: str = "", note: str = "") -> None:
        """A timeline marker at an absolute record frame (stored relative to the start)."""
        self.markers[record_frame - self.start_frame] = Marker(color, name, note, 1, "")

    def select(self, *items: FakeTimelineItem) -> None:
        """What the editor selected in the Edit page."""
        self.selected = list(items)

    def at(self, frame: int) -> FakeTimelineItem | None:
        """The top-most enabled item under ``frame`` (what the viewer shows)."""
        for track in reversed(self.tracks):
            if track.enabled:
                for item in track.items:
                    if item.start <= frame < item.start + item.duration:
                        return item
        return None

    def snapshot(self) -> tuple[Any, ...]:
        """Everything an editor could see change on the timeline (not the playhead).

        Link groups appear by order of first use (V1 first, then by start): which items are
        linked together is visible, the number Resolve keeps for a group is not.
        """
        tracks = [*self.tracks, *self.audio_tracks]
        groups: dict[int, int] = {}
        for track in tracks:
            for item in sorted(track.items, key=lambda i: i.start):
                if item.link is not None:
                    groups.setdefault(item.link, len(groups) + 1)

        def seen(item: FakeTimelineItem) -> tuple[Any, ...]:
            return (*item.describe()[:-1], groups.get(item.link) if item.link else None)

        return tuple((t.name, t.enabled, t.layout, tuple(sorted(seen(i) for i in t.items)))
                     for t in tracks)

    def _free(self, track: int, start: int, end: int, kind: str = "video") -> bool:
        tracks = self.tracks if kind == "video" else self.audio_tracks
        return all(i.start + i.duration <= start or i.start >= end
                   for i in tracks[track - 1].items)

    def _kind(self, track_type: str) -> list[FakeTrack] | None:
        return {"video": self.tracks, "audio": self.audio_tracks}.get(track_type)

    def _track(self, track_type: str, index: int) -> FakeTrack | None:
        tracks = self._kind(track_type)
        if tracks is None or not 1 <= index <= len(tracks):
            return None
        return tracks[index - 1]

    # Resolve API
    def GetName(self) -> str:
        return self.name

    def GetStartFrame(self) -> int:
        return self.start_frame

    def GetCurrentTimecode(self) -> str:
        """Empty off the Cut, Edit, Color and Deliver pages (Blackmagic's README)."""
        if self.root.page not in ("cut", "edit", "color", "deliver"):
            return ""
        return frame_to_tc(self.playhead, self.rate, self.drop_frame)

    def SetCurrentTimecode(self, timecode: str, /) -> bool:
        failed, value = self._scripted("SetCurrentTimecode", timecode)
        if failed:
            return bool(value)
        try:
            frame = tc_to_frame(timecode, self.rate, self.drop_frame)
        except ValueError:
            return False
        if frame < self.start_frame:
            return False
        self.playhead = frame
        return True

    def GetSetting(self, name: str, /) -> str:
        settings = {
            "timelineFrameRate": rate_text(self.rate) + (" DF" if self.drop_frame else ""),
            "timelineResolutionWidth": str(self.size[0]),
            "timelineResolutionHeight": str(self.size[1]),
        }
        return settings.get(name, "")

    def GetTrackCount(self, track_type: str, /) -> int:
        return len(self._kind(track_type) or [])

    def AddTrack(self, track_type: str, sub_type: str | None = None, /) -> bool:
        failed, value = self._scripted("AddTrack", track_type, sub_type)
        if failed:
            return bool(value)
        if track_type == "audio":
            layout = sub_type or "mono"
            if layout not in AUDIO_LAYOUTS:
                return False
            self.add_audio_track(layout=layout)
            return True
        if track_type != "video":
            return False
        self.add_track()
        return True

    def DeleteTrack(self, track_type: str, index: int, /) -> bool:
        tracks = self._kind(track_type)
        if self._track(track_type, index) is None or tracks is None or \
                (track_type == "video" and len(tracks) == 1):
            return False
        del tracks[index - 1]
        return True

    def GetTrackName(self, track_type: str, index: int, /) -> str:
        track = self._track(track_type, index)
        return track.name if track else ""

    def SetTrackName(self, track_type: str, index: int, name: str, /) -> bool:
        failed, value = self._scripted("SetTrackName", track_type, index, name)
        if failed:
            return bool(value)
        track = self._track(track_type, index)
        if track is None or not name:
            return False
        track.name = name
        return True

    def GetIsTrackEnabled(self, track_type: str, index: int, /) -> bool:
        track = self._track(track_type, index)
        return bool(track and track.enabled)

    def SetTrackEnable(self, track_type: str, index: int, enabled: bool, /) -> bool:
        failed, value = self._scripted("SetTrackEnable", track_type, index, enabled)
        if failed:
            return bool(value)
        track = self._track(track_type, index)
        if track is None or not isinstance(enabled, bool):
            return False
        track.enabled = enabled
        return True

    def GetSelectedClips(self) -> list[FakeTimelineItem]:
        """The Edit page's selection; only the current timeline has one."""
        failed, value = self._scripted("GetSelectedClips")
        if failed:
            return value  # type: ignore[no-any-return]
        if self is not self.project.current_timeline:
            return []
        return [i for i in self.selected if any(i in t.items for t in self.tracks)]

    def GetMarkers(self) -> dict[int, dict[str, Any]]:
        return {frame: {"color": m.color, "name": m.name, "note": m.note,
                        "duration": m.duration, "customData": m.custom_data}
                for frame, m in self.markers.items()}

    def GetIsTrackLocked(self, track_type: str, index: int, /) -> bool:
        track = self._track(track_type, index)
        return bool(track and track.locked)

    def GetItemListInTrack(self, track_type: str, index: int, /) -> list[FakeTimelineItem] | None:
        track = self._track(track_type, index)
        return None if track is None else list(track.items)

    def Export(self, path: str, kind: Any, /) -> bool:
        """OTIO of the tracks as Resolve writes it; a kind that is not the constant (e.g. the
        string "otio") silently writes nothing, yet reports success."""
        failed, value = self._scripted("Export", path, kind)
        if failed:
            return bool(value)
        if kind != FakeResolve.EXPORT_OTIO:
            return True
        tracks = []
        for fake_track in self.tracks:
            children: list[Any] = []
            position = self.start_frame
            for item in sorted(fake_track.items, key=lambda i: i.start):
                if item.start > position:
                    children.append(timelines.gap(item.start - position, self.rate))
                media = item.GetMediaPoolItem()
                first = tc_to_frame(media.start_tc, media.fps, ";" in media.start_tc)
                children.append(timelines.media_clip(
                    item.name, media.path, rate=media.fps, source_start=first + item.left_offset,
                    duration=round(item.duration * media.fps / self.rate),
                    available=(first, media.frames)))
                position = item.start + item.duration
            tracks.append(timelines.track(fake_track.name, children, enabled=fake_track.enabled))
        exported = timelines.timeline(self.name, self.rate, self.start_frame, tracks)
        for frame, marker in sorted(self.markers.items()):  # timeline markers, on the stack
            exported.tracks.markers.append(otio.schema.Marker(
                name=marker.name, color=marker.color.upper(), comment=marker.note,
                marked_range=timelines.span(frame, marker.duration, self.rate)))
        otio.adapters.write_to_file(exported, path)
        return True

    def DeleteClips(self, items: list[Any], ripple: bool = False, /) -> bool:
        """Only on the current timeline (measured on 21.0.4): elsewhere False, nothing deleted."""
        failed, value = self._scripted("DeleteClips", items, ripple)
        if failed:
            return bool(value)
        if self is not self.project.current_timeline:
            return False
        found = [(t, i) for t in [*self.tracks, *self.audio_tracks] for i in t.items
                 if i in items]
        for track, item in found:
            track.items.remove(item)
        return len(found) == len(items)

    def SetClipsLinked(self, items: list[Any], linked: bool, /) -> bool:
        failed, value = self._scripted("SetClipsLinked", items, linked)
        if failed:
            return bool(value)
        placed = [i for t in [*self.tracks, *self.audio_tracks] for i in t.items]
        if not items or any(all(item is not p for p in placed) for item in items):
            return False
        group = next(_ids) if linked else None
        for item in items:
            item.link = group
        return True


class FakeMediaPool(_Node):
    def __init__(self, root: FakeResolve, project: FakeProject) -> None:
        super().__init__(root)
        self.project = project
        self.root_folder = FakeFolder(root, "Master")
        self.current = self.root_folder

    def folders(self) -> list[FakeFolder]:
        return [self.root_folder, *self.root_folder.subfolders]

    def GetRootFolder(self) -> FakeFolder:
        return self.root_folder

    def AddSubFolder(self, parent: Any, name: str, /) -> FakeFolder | None:
        failed, value = self._scripted("AddSubFolder", parent, name)
        if failed:
            return value  # type: ignore[no-any-return]
        if not name or not isinstance(parent, FakeFolder):
            return None
        folder = FakeFolder(self.root, name)
        parent.subfolders.append(folder)
        return folder

    def GetCurrentFolder(self) -> FakeFolder:
        return self.current

    def SetCurrentFolder(self, folder: Any, /) -> bool:
        if not isinstance(folder, FakeFolder):
            return False
        self.current = folder
        return True

    def ImportMedia(self, paths: list[str], /) -> list[FakeMediaPoolItem]:
        failed, value = self._scripted("ImportMedia", paths)
        if failed:
            return value  # type: ignore[no-any-return]
        try:
            items = [FakeMediaPoolItem(self.root, Path(p)) for p in paths]
        except ProbeError:
            return []
        self.current.clips.extend(items)
        return items

    def ImportTimelineFromFile(self, path: str, options: Any = None, /) -> FakeTimeline | None:
        """A new timeline from an OTIO file; None on any problem, a duplicate name included."""
        failed, value = self._scripted("ImportTimelineFromFile", path, options)
        if failed:
            return value  # type: ignore[no-any-return]
        opts = dict(options.items()) if options is not None else {}
        try:
            source = otio.adapters.read_from_file(str(path))
        except Exception:
            return None
        name = str(opts.get("timelineName") or source.name)
        if any(t.name == name for t in self.project.timelines):
            return None
        start = source.global_start_time
        rate = Fraction(start.rate).limit_denominator(1001)
        timeline = FakeTimeline(self.root, self.project, name, rate=rate, drop_frame=False,
                                start_timecode=frame_to_tc(round(start.value), rate, False),
                                size=(320, 180))
        timeline.tracks = []
        for otio_track in source.video_tracks():
            index = timeline.add_track(str(otio_track.name), enabled=otio_track.enabled)
            position = timeline.start_frame
            for child in otio_track:
                length = round(child.duration().rescaled_to(start.rate).value)
                if isinstance(child, otio.schema.Clip):
                    media = self._media_for(Path(child.media_reference.target_url))
                    available = child.media_reference.available_range
                    first = round(available.start_time.value) if available else 0
                    left = round(child.source_range.start_time.value) - first
                    timeline.put(index, media, position, left_offset=left, duration=length)
                position += length
        self.project.timelines.append(timeline)
        return timeline

    def _media_for(self, path: Path) -> FakeMediaPoolItem:
        for folder in self.folders():
            for clip in folder.clips:
                if clip.path == path:
                    return clip
        item = FakeMediaPoolItem(self.root, path)
        self.root_folder.clips.append(item)
        return item

    def AppendToTimeline(self, clips: list[dict[str, Any]], /) -> list[FakeTimelineItem]:
        failed, value = self._scripted("AppendToTimeline", clips)
        if failed:
            return value  # type: ignore[no-any-return]
        timeline = self.project.current_timeline
        if timeline is None:
            return []
        placed = []
        for info in clips:
            item = self._append_one(timeline, info)
            if item is None:
                return []
            placed.append(item)
        return placed

    def _append_one(self, timeline: FakeTimeline, info: dict[str, Any]) -> FakeTimelineItem | None:
        media = info.get("mediaPoolItem")
        if not isinstance(media, FakeMediaPoolItem):
            return None
        start = int(info.get("startFrame", 0))
        end = int(info.get("endFrame", media.frames - 1))
        source_frames = end - start + (1 if self.root.end_frame_inclusive else 0)
        if start < 0 or source_frames <= 0 or start + source_frames > media.frames:
            return None
        track = int(info.get("trackIndex", 1))
        kind = "audio" if info.get("mediaType") == 2 else "video"
        tracks = timeline.audio_tracks if kind == "audio" else timeline.tracks
        if not 1 <= track <= len(tracks) or tracks[track - 1].locked:
            return None
        if kind == "audio" and not media.has_sound:
            return None
        # Resolve floors the conversion from source frames to record frames.
        duration = math.floor(source_frames * timeline.rate / media.fps)
        record = info.get("recordFrame")
        if record is None:
            record = max((i.start + i.duration for i in tracks[track - 1].items),
                         default=timeline.start_frame)
        item = FakeTimelineItem(self.root, media, int(record), duration, start)
        if timeline._free(track, item.start, item.start + duration, kind):
            tracks[track - 1].items.append(item)
        # else: silently dropped, yet the phantom item is still returned
        timeline.playhead = item.start + duration
        return item


class FakeProject(_Node):
    def __init__(self, root: FakeResolve, name: str) -> None:
        super().__init__(root)
        self.name = name
        self.media_pool = FakeMediaPool(root, self)
        self.timelines: list[FakeTimeline] = []
        self.current_timeline: FakeTimeline | None = None
        self.pending_stills: list[tuple[Path, Path]] = []

    def add_timeline(self, name: str, *, rate: Fraction, drop_frame: bool = False,
                     start_timecode: str = "01:00:00:00",
                     size: tuple[int, int] = (320, 180)) -> FakeTimeline:
        timeline = FakeTimeline(self.root, self, name, rate=rate, drop_frame=drop_frame,
                                start_timecode=start_timecode, size=size)
        self.timelines.append(timeline)
        self.current_timeline = timeline
        return timeline

    def import_clip(self, path: Path) -> FakeMediaPoolItem:
        """Test setup: a clip in the root bin, as if the editor had imported it."""
        item = FakeMediaPoolItem(self.root, path)
        self.media_pool.root_folder.clips.append(item)
        return item

    def GetName(self) -> str:
        return self.name

    def GetMediaPool(self) -> FakeMediaPool:
        return self.media_pool

    def GetCurrentTimeline(self) -> FakeTimeline | None:
        return self.current_timeline

    def ExportCurrentFrameAsStill(self, path: str, /) -> bool:
        failed, value = self._scripted("ExportCurrentFrameAsStill", path)
        if failed:
            return bool(value)
        timeline = self.current_timeline
        target = Path(path)
        if timeline is None or target.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            return False
        scratch = target.with_name(f".fake-export-{next(_ids)}{target.suffix}")
        item = timeline.at(timeline.playhead)
        if item is None:
            width, height = timeline.size
            run(["-f", "lavfi", "-i", f"color=black:s={width}x{height}", "-frames:v", "1",
                 "-y", media_arg(scratch)], output=scratch, what="fake black still")
        else:
            media = item.GetMediaPoolItem()
            offset = math.floor((timeline.playhead - item.start) * media.fps / timeline.rate)
            grab_frame(media.path, scratch, frame=item.left_offset + offset,
                       size=timeline.size, fit="pad")
        self.pending_stills.append((scratch, target))
        self.root.flush_stills_after(self)
        return True


class FakeProjectManager(_Node):
    def __init__(self, root: FakeResolve) -> None:
        super().__init__(root)
        self.current: FakeProject | None = None
        self.saves = 0

    def GetCurrentProject(self) -> FakeProject | None:
        return self.current

    def SaveProject(self) -> bool:
        failed, value = self._scripted("SaveProject")
        if failed:
            return bool(value)
        self.saves += 1
        return True


class FakeResolve(_Node):
    """The application object. ``edition`` is "studio" or "free"."""

    EXPORT_OTIO = 7  # a constant object, as in Resolve (a string silently writes nothing)

    def __init__(self, *, edition: str = "studio", end_frame_inclusive: bool = False,
                 still_delay: int = 2, studio_only: Sequence[str] = (),
                 version: tuple[int, int, int] = (21, 0, 4)) -> None:
        self.version = version
        super().__init__(self)
        self.edition = edition
        self.end_frame_inclusive = end_frame_inclusive
        self.still_delay = still_delay
        self.studio_only = set(studio_only)
        self.failures: dict[str, Any] = {}
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []
        self.upsells = 0
        self.background_paused = False
        self.page = "edit"
        self.manager = FakeProjectManager(self)
        self.sleeps = 0
        self.now = 0.0
        self._due: list[tuple[int, FakeProject]] = []

    @property
    def studio(self) -> bool:
        return self.edition == "studio"

    def add_project(self, name: str = "Project") -> FakeProject:
        project = FakeProject(self, name)
        self.manager.current = project
        return project

    def called(self, method: str) -> list[tuple[Any, ...]]:
        return [args for _, name, args in self.calls if name == method]

    # the injectable sleep and clock of the code under test
    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds
        self._land_due_stills()

    def clock(self) -> float:
        return self.now

    def flush_stills_after(self, project: FakeProject) -> None:
        """An exported still lands after ``still_delay`` more sleeps (at once for 0)."""
        self._due.append((self.sleeps + self.still_delay, project))
        self._land_due_stills()

    def _land_due_stills(self) -> None:
        for due, project in list(self._due):
            if self.sleeps >= due:
                self._due.remove((due, project))
                for scratch, target in project.pending_stills:
                    with atomic_path(target) as temp:
                        scratch.replace(temp)
                project.pending_stills.clear()

    # Resolve API
    def GetProjectManager(self) -> FakeProjectManager:
        return self.manager

    def GetProductName(self) -> str:
        return "DaVinci Resolve Studio" if self.studio else "DaVinci Resolve"

    def GetVersion(self) -> list[Any]:
        return [*self.version, 5, ""]

    def GetVersionString(self) -> str:
        return ".".join(str(n) for n in (*self.version, 5))

    def DisableBackgroundTasksForCurrentResolveSession(self) -> None:
        """Answers None; nothing resumes the tasks but a restart."""
        failed, value = self._scripted("DisableBackgroundTasksForCurrentResolveSession")
        if failed:
            return value  # type: ignore[no-any-return]
        self.background_paused = True
        return None

    def OpenPage(self, name: str, /) -> bool:
        failed, value = self._scripted("OpenPage", name)
        if failed:
            return bool(value)
        if name not in PAGES:
            return False
        self.page = name
        return True

    def GetCurrentPage(self) -> str:
        return self.page
