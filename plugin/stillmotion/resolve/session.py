"""Checked calls on a live Resolve: every falsy result becomes a ResolveOperationError.

Why: Resolve fails by returning None/False/[] without a message, so an unchecked call lets a
failure surface three steps later as a confusing one. Each helper here names the call that
failed and says what to do, in one sentence. Timeline arithmetic (rate, drop frame, start frame,
playhead) uses exact rates from :mod:`stillmotion.timecode`: record frames include the start
timecode (86400 for 01:00:00:00 at 23.976 or 24 fps).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

from stillmotion.errors import ConfigError, ResolveOperationError
from stillmotion.resolve import versions
from stillmotion.resolve.protocol import (
    Folder,
    MediaPool,
    Project,
    ProjectManager,
    Resolve,
    Timeline,
    TimelineItem,
)
from stillmotion.timecode import Timecode, format_rate, parse_rate

T = TypeVar("T")
VIDEO = "video"


@dataclass(frozen=True)
class TimelineClock:
    """A timeline's exact rate, drop-frame labelling and first record frame."""

    rate: Fraction
    drop_frame: bool
    start_frame: int

    @property
    def timecode(self) -> Timecode:
        return Timecode(self.rate, self.drop_frame)

    def to_text(self, record_frame: int) -> str:
        """The timecode label Resolve shows for an absolute record frame."""
        return self.timecode.to_text(record_frame)

    def to_frame(self, text: str) -> int:
        """The absolute record frame of a timecode label (';' before the frames: drop frame)."""
        return self.timecode.to_frames(text)


@dataclass(frozen=True)
class Track:
    """One video track as the user sees it (1-based index, bottom to top)."""

    index: int
    name: str
    enabled: bool


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (list, tuple, dict)) and not value:
        return "an empty list"
    return repr(value)


class ResolveSession:
    """One Resolve application object plus the edition it reports."""

    def __init__(self, resolve: Resolve) -> None:
        self.resolve = resolve
        self.product = str(resolve.GetProductName() or "DaVinci Resolve")
        self._version: versions.Version | None = None

    @property
    def studio(self) -> bool:
        """Whether this is DaVinci Resolve Studio (external scripting, Python on 21.1+)."""
        return "studio" in self.product.lower()

    @property
    def version(self) -> versions.Version:
        """(major, minor, patch) from ``GetVersion()``, else ``GetVersionString()``; read once."""
        if self._version is None:
            found = versions.parse_version(self.resolve.GetVersion())
            if found == versions.UNKNOWN:
                found = versions.parse_version(self.resolve.GetVersionString())
            self._version = found
        return self._version

    def supports(self, call: str) -> bool:
        """Whether this build and edition has ``call`` ("Timeline.GetSelectedClips"): the
        version table decides, never ``hasattr`` (Resolve answers True for any name)."""
        return versions.supports(call, self.version, studio=self.studio)

    def quiet_background(self) -> bool:
        """Pause Resolve's background tasks (caching, autosave) for this Resolve session, where
        the build has the call; whether it was paused.

        Why: scripts fail at random points while Resolve autosaves. Blackmagic documents no call
        that resumes them (they come back when Resolve restarts), which is why the front end
        saves the project itself once its edits are done. The call answers None when it worked
        and False when it did not; a refusal leaves the edits to run as on older builds.
        """
        if not self.supports("Resolve.DisableBackgroundTasksForCurrentResolveSession"):
            return False
        return self.resolve.DisableBackgroundTasksForCurrentResolveSession() is not False

    def fail(self, operation: str, value: object, failed: str, fix: str) -> ResolveOperationError:
        """The error for a call that returned ``value``; on Free, says the call may need Studio."""
        hint = "" if self.studio else "; on the free DaVinci Resolve this call may need Studio"
        return ResolveOperationError(
            f"{failed} ({operation} returned {_describe(value)}{hint}); {fix}.",
            operation=operation,
        )

    def require(self, value: T | None, operation: str, failed: str, fix: str) -> T:
        """``value`` if truthy; a falsy result (None, False, [], '') is the call's failure."""
        if not value:
            raise self.fail(operation, value, failed, fix)
        return value

    def read(self, value: T | None, operation: str, failed: str, fix: str) -> T:
        """``value`` unless None: for reads where 0, False or [] are valid answers."""
        if value is None:
            raise self.fail(operation, value, failed, fix)
        return value

    # --- application, project, timeline -------------------------------------------------

    def project_manager(self) -> ProjectManager:
        return self.require(
            self.resolve.GetProjectManager(), "GetProjectManager",
            "Resolve gave no project manager", "restart Resolve and try again",
        )

    def project(self) -> Project:
        """The open project; ResolveOperationError when none is open."""
        return self.require(
            self.project_manager().GetCurrentProject(), "GetCurrentProject",
            "No project is open in DaVinci Resolve", "open a project with a timeline and try again",
        )

    def timeline(self, project: Project) -> Timeline:
        """The current timeline; ResolveOperationError when none is open."""
        return self.require(
            project.GetCurrentTimeline(), "GetCurrentTimeline",
            "The project has no current timeline", "open a timeline on the Edit page and try again",
        )

    def media_pool(self, project: Project) -> MediaPool:
        return self.require(
            project.GetMediaPool(), "GetMediaPool", "Resolve gave no media pool",
            "reopen the project and try again",
        )

    def current_page(self) -> str:
        return self.require(
            self.resolve.GetCurrentPage(), "GetCurrentPage", "Resolve did not say which page is "
            "open", "switch to the Edit page and try again",
        )

    def open_page(self, name: str) -> None:
        self.require(
            self.resolve.OpenPage(name), "OpenPage", f"Resolve did not open the {name} page",
            "switch to it by hand and try again",
        )

    def save_project(self) -> None:
        self.require(
            self.project_manager().SaveProject(), "SaveProject", "Resolve did not save the project",
            "save it by hand (File > Save Project)",
        )

    # --- time ----------------------------------------------------------------------------

    def clock(self, timeline: Timeline) -> TimelineClock:
        """Exact rate from ``timelineFrameRate`` ("23.976", "29.97 DF"), plus the start frame."""
        text = self.require(
            timeline.GetSetting("timelineFrameRate"), "GetSetting",
            "Resolve did not report the timeline frame rate", "check the timeline settings",
        )
        try:
            rate = parse_rate(str(text))
        except ConfigError as exc:
            raise ResolveOperationError(
                f"Resolve reported the timeline rate as '{text}', which is not a frame rate; "
                "check the timeline settings.", operation="GetSetting",
            ) from exc
        drop = "DF" in str(text).upper().replace("NDF", "")
        start = self.read(
            timeline.GetStartFrame(), "GetStartFrame", "Resolve did not report where the "
            "timeline starts", "check the timeline's start timecode",
        )
        try:
            return TimelineClock(rate, drop, int(start))
        except ConfigError as exc:
            raise ResolveOperationError(
                f"Resolve reports drop-frame timecode at {format_rate(rate)} fps, which does not "
                "exist; check the timeline settings.", operation="GetSetting",
            ) from exc

    def playhead(self, timeline: Timeline, clock: TimelineClock) -> int:
        """The playhead as an absolute record frame."""
        text = self.require(
            timeline.GetCurrentTimecode(), "GetCurrentTimecode", "Resolve did not report the "
            "playhead position", "click in the timeline and try again",
        )
        return clock.to_frame(str(text))

    def set_playhead(self, timeline: Timeline, clock: TimelineClock, record_frame: int) -> None:
        label = clock.to_text(record_frame)
        self.require(
            timeline.SetCurrentTimecode(label), "SetCurrentTimecode",
            f"Resolve did not move the playhead to {label}", "make sure the Edit page shows the "
            "timeline and try again",
        )

    def size(self, timeline: Timeline) -> tuple[int, int]:
        """The timeline resolution (``timelineResolutionWidth``/``Height`` are strings)."""
        sides = []
        for name in ("timelineResolutionWidth", "timelineResolutionHeight"):
            text = self.require(
                timeline.GetSetting(name), "GetSetting", f"Resolve did not report {name}",
                "check the timeline settings",
            )
            try:
                sides.append(int(str(text).strip()))
            except ValueError as exc:
                raise ResolveOperationError(
                    f"Resolve reported {name} as '{text}', which is not a number; check the "
                    "timeline settings.", operation="GetSetting",
                ) from exc
        return sides[0], sides[1]

    # --- tracks and items ----------------------------------------------------------------

    def video_tracks(self, timeline: Timeline) -> list[Track]:
        """All video tracks, bottom (1) to top."""
        count = self.read(
            timeline.GetTrackCount(VIDEO), "GetTrackCount", "Resolve did not count the video "
            "tracks", "reopen the timeline and try again",
        )
        tracks = []
        for index in range(1, int(count) + 1):
            name = timeline.GetTrackName(VIDEO, index) or ""
            enabled = self.read(
                timeline.GetIsTrackEnabled(VIDEO, index), "GetIsTrackEnabled",
                f"Resolve did not say whether track V{index} is enabled",
                "reopen the timeline and try again",
            )
            tracks.append(Track(index, str(name), bool(enabled)))
        return tracks

    def set_track_enabled(self, timeline: Timeline, index: int, enabled: bool) -> None:
        """Switch video track ``index`` on or off (``SetTrackEnable``, Resolve 18 and later)."""
        if not self.supports("Timeline.SetTrackEnable"):
            raise ResolveOperationError(
                f"This Resolve ({versions.version_text(self.version)}) cannot switch tracks on "
                f"and off from a script; switch track V{index} by hand or use the source grab "
                "route.", operation="SetTrackEnable",
            )
        state = "enable" if enabled else "disable"
        self.require(
            timeline.SetTrackEnable(VIDEO, index, enabled), "SetTrackEnable",
            f"Resolve did not {state} track V{index}", f"{state} it by hand and try again",
        )

    def items(self, timeline: Timeline, index: int) -> list[TimelineItem]:
        """The items on video track ``index`` ([] for an empty track)."""
        return list(self.read(
            timeline.GetItemListInTrack(VIDEO, index), "GetItemListInTrack",
            f"Resolve did not list the clips on track V{index}",
            "reopen the timeline and try again",
        ))

    def items_at(
        self, timeline: Timeline, record_frame: int, *, tracks: list[Track] | None = None
    ) -> list[tuple[Track, TimelineItem]]:
        """Items under ``record_frame`` on enabled tracks, top-most first.

        Why computed here: which stacked item ``GetCurrentVideoItem`` returns is undocumented,
        and the picture shows the top-most enabled one.
        """
        found = []
        for track in reversed(tracks if tracks is not None else self.video_tracks(timeline)):
            if not track.enabled:
                continue
            for item in self.items(timeline, track.index):
                if covers(item, record_frame):
                    found.append((track, item))
        return found

    # --- bins ----------------------------------------------------------------------------

    def bin(self, media_pool: MediaPool, name: str) -> Folder:
        """The bin ``name`` under the root folder, created when missing."""
        root = self.require(
            media_pool.GetRootFolder(), "GetRootFolder", "Resolve gave no media pool root bin",
            "reopen the project and try again",
        )
        for folder in root.GetSubFolderList() or []:
            if folder.GetName() == name:
                return folder
        return self.require(
            media_pool.AddSubFolder(root, name), "AddSubFolder",
            f"Resolve did not create the bin '{name}'", "create it by hand and try again",
        )


def covers(item: TimelineItem, record_frame: int) -> bool:
    """Whether ``item`` shows at ``record_frame`` (its end is exclusive)."""
    start = int(item.GetStart())
    return start <= record_frame < start + int(item.GetDuration())


def span_is_free(items: list[TimelineItem], start: int, end: int) -> bool:
    """Whether no item on a track overlaps the record frames ``[start, end)``."""
    return all(
        int(item.GetStart()) + int(item.GetDuration()) <= start or int(item.GetStart()) >= end
        for item in items
    )
