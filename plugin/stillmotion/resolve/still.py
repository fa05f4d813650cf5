"""The two ways to get the still under Resolve's playhead: the graded viewer frame, or the source.

Why two: ``ExportCurrentFrameAsStill`` gives what the editor sees (grade, effects, scaling) but
lands on disk a moment after the call returns, may be Studio-only, and exports black over a gap;
when generated clips cover the shot, the "AI Generated" tracks above it are switched off for the
export and switched back on afterwards, whatever happens (:func:`ai_tracks_hidden`);
the source route reads the ungraded frame straight from the media file with the media engine
(source frame = left offset + record offset, converted to the media's own rate), ignoring
retimes. Both return a file the pipeline can fit to the provider size. The media engine (ffmpeg,
PyAV) is imported by the functions that grab, not with the module: the dialog imports it for
:data:`GRAB_ROUTES` to show the choices.
"""

from __future__ import annotations

import contextlib
import math
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from stillmotion.errors import (
    ConfigError,
    MediaError,
    ResolveOperationError,
    StillmotionError,
    TimelineError,
)
from stillmotion.files import atomic_path
from stillmotion.resolve.protocol import Project, Timeline, TimelineItem
from stillmotion.resolve.session import VIDEO, ResolveSession, TimelineClock, Track
from stillmotion.timecode import parse_rate
from stillmotion.timeline.tracks import is_ai_name

GRAB_ROUTES = ("viewer", "source")
STILL_TIMEOUT = 15.0  # seconds to wait for an exported still to land on disk
POLL_INTERVAL = 0.2
# A still whose brightest pixel is at or below this 8-bit grey level is taken as all black.
BLACK_LEVEL = 24


@dataclass(frozen=True)
class SourceFrame:
    """Where the picture under the playhead comes from: media file and 0-based frame index."""

    media: Path
    frame: int


def source_frame(
    session: ResolveSession, item: TimelineItem, clock: TimelineClock, record_frame: int
) -> SourceFrame | None:
    """The media frame ``item`` shows at ``record_frame``; None for a clip with no media file.

    The record offset is converted from the timeline rate to the media's own rate (floored, as
    Resolve does), then added to ``GetLeftOffset()``.
    """
    media_item = item.GetMediaPoolItem()
    if media_item is None:
        return None
    path = media_item.GetClipProperty("File Path")
    if not path:
        return None
    fps_text = session.require(
        media_item.GetClipProperty("FPS"), "GetClipProperty", f"Resolve did not report the frame "
        f"rate of {item.GetName()}", "check the clip's attributes in the media pool",
    )
    try:
        media_rate = parse_rate(str(fps_text))
    except ConfigError as exc:
        raise TimelineError(
            f"Resolve reports the rate of {item.GetName()} as '{fps_text}', which stillmotion "
            "cannot read; use the viewer grab route.") from exc
    offset = math.floor((record_frame - int(item.GetStart())) * media_rate / clock.rate)
    left = session.read(
        item.GetLeftOffset(), "GetLeftOffset", f"Resolve did not report where {item.GetName()} "
        "starts in its media", "use the viewer grab route",
    )
    return SourceFrame(Path(str(path)), int(left) + offset)


def grab_source_still(source: SourceFrame | None, clip_name: str, output: Path) -> Path:
    """Write the ungraded source frame to ``output`` with the media engine."""
    if source is None:
        raise TimelineError(
            f"{clip_name} under the playhead has no media file (a generator, title or compound "
            "clip); use the viewer grab route."
        )
    if not source.media.exists():
        raise TimelineError(
            f"The media of {clip_name} ({source.media}) is offline; relink it or use the viewer "
            "grab route."
        )
    from stillmotion.media.frames import grab_frame

    return grab_frame(source.media, output, frame=source.frame)


def export_viewer_still(
    session: ResolveSession,
    project: Project,
    timeline: Timeline,
    clock: TimelineClock,
    *,
    record_frame: int,
    output: Path,
    sleep: Callable[[float], None],
    now: Callable[[], float],
    timeout: float = STILL_TIMEOUT,
) -> Path:
    """Park on ``record_frame``, export the graded viewer frame, wait for it, reject black.

    The caller restores the playhead. Waiting is bounded by ``timeout`` on the injected clock.
    """
    from stillmotion.media.probe import probe

    session.set_playhead(timeline, clock, record_frame)
    fix = ("use the source grab route" if session.studio
           else "choose the 'source' grab route or use DaVinci Resolve Studio")
    session.require(
        project.ExportCurrentFrameAsStill(str(output)), "ExportCurrentFrameAsStill",
        "Resolve did not export the viewer frame", fix,
    )
    wait_for_file(output, sleep=sleep, now=now, timeout=timeout)
    probe(output)
    if is_black(output):
        output.unlink(missing_ok=True)
        raise TimelineError(
            f"The viewer frame at {clock.to_text(record_frame)} is all black (a gap, a fade or a "
            "disabled clip); move the playhead onto the picture or use the source grab route."
        )
    return output


@contextlib.contextmanager
def ai_tracks_hidden(
    session: ResolveSession, timeline: Timeline, tracks: list[Track], source_index: int
) -> Iterator[list[int]]:
    """Switch off every enabled "AI Generated" track above track ``source_index`` (and no other)
    for the block; switch exactly those back on afterwards, also when the block fails.

    Why: the viewer shows the top-most enabled clip, so a generated clip over the shot would be
    exported instead of the shot. A track Resolve refuses to switch back on is named in the
    error, so the editor can do it by hand.
    """
    covering = [t.index for t in tracks
                if t.index > source_index and t.enabled and is_ai_name(t.name)]
    if covering and not session.supports("Timeline.SetTrackEnable"):
        raise TimelineError(
            "The viewer shows a generated clip and this Resolve cannot switch tracks off from a "
            "script; use the source grab route or disable the 'AI Generated' track."
        )
    switched: list[int] = []
    try:
        for index in covering:
            session.set_track_enabled(timeline, index, False)
            switched.append(index)
        yield covering
    except StillmotionError as exc:
        refused = _enable_again(timeline, switched)
        if refused:
            exc.message = f"{exc.message.rstrip('.')}, and {_refusal(refused)}."
            exc.args = (exc.message,)
        raise
    except BaseException:
        _enable_again(timeline, switched)
        raise
    refused = _enable_again(timeline, switched)
    if refused:
        raise ResolveOperationError(f"{_refusal(refused)}.",
                                    operation="SetTrackEnable")


def _enable_again(timeline: Timeline, indexes: list[int]) -> list[int]:
    """Switch the tracks back on, each checked; returns the ones Resolve refused."""
    refused = []
    for index in indexes:
        try:
            done = timeline.SetTrackEnable(VIDEO, index, True)
        except Exception:  # a remote call failing while we clean up must not hide the cause
            done = False
        if not done:
            refused.append(index)
    return refused


def _refusal(indexes: list[int]) -> str:
    names = ", ".join(f"V{i}" for i in indexes)
    return f"Resolve did not switch track {names} back on (SetTrackEnable): switch it on by hand"


def wait_for_file(
    path: Path, *, sleep: Callable[[float], None], now: Callable[[], float], timeout: float
) -> None:
    """Return once ``path`` exists, is non-empty and kept its size for one poll."""
    deadline = now() + timeout
    last_size = -1
    while True:
        size = path.stat().st_size if path.exists() else 0
        if size > 0 and size == last_size:
            return
        if now() >= deadline:
            raise ResolveOperationError(
                f"Resolve said it exported the viewer frame but {path.name} did not appear "
                f"within {timeout:g} s; check that Resolve can write to {path.parent} or use "
                "the source grab route.", operation="ExportCurrentFrameAsStill",
            )
        last_size = size
        sleep(POLL_INTERVAL)


def is_black(image: Path) -> bool:
    """Whether every pixel of ``image`` is (near) black, read as 8-bit grey through ffmpeg."""
    from stillmotion.media.ffmpeg import media_arg, run

    raw = image.with_name(f".{image.stem}.{secrets.token_hex(4)}.gray")
    try:
        with atomic_path(raw) as temp:
            run(["-i", media_arg(image), "-vf", "format=gray", "-f", "rawvideo", "-y",
                 media_arg(temp)], output=raw, what=f"Reading {image.name}")
        data = raw.read_bytes()
    finally:
        raw.unlink(missing_ok=True)
    if not data:
        raise MediaError(f"{image.name} has no pixels; export the still again.", path=image)
    return max(data) <= BLACK_LEVEL
