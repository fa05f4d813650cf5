"""A timeline with three generated shots for the turnover and ingest tests, made the real way.

Why the real way: ``stillmotion generate`` runs three times against the local preview server
(23.976 timeline from 01:00:00:00, 320x180, 2 s clips), so the metadata, ledger rows, stills and
original downloads are the ones a user would have. Two steps stand in for things the preview
engine cannot do: each original download is replaced by a frame-coded clip of the same rate and
length (the preview draws no frame codes; as if the service had returned that clip), and the
AI track is re-cut the way an editor trims generated clips (shots use frames inside the clip,
so there are handles to hand over; the third shot starts 3 frames in, so its head is clamped).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.cli import run
from stillmotion.jobs.ledger import Ledger
from stillmotion.media.probe import probe
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.server import RunningServer
from stillmotion.timeline.generated import find_generated_clips
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.sound import linked_sound
from stillmotion.timeline.timebase import TimeBase, whole
from support.generate_env import HOUR_23, small_clip
from support.timelines import R23, gap, media_clip, timeline, track

PROMPTS = ("Slow dolly in; warm light", "Pan left over the desk", "Tilt up to the window")
PLAYHEADS = ("01:00:00:05", "01:00:01:05", "01:00:02:05")
# (record start relative to 01:00:00:00, first media frame shown, cut length) per shot.
CUTS = ((10, 12, 20), (40, 10, 16), (70, 3, 24))
HANDLES = 8


@dataclass(frozen=True)
class ShotCase:
    """A generated shot as cut: record start (absolute), media in-point, length, job, files."""

    job_id: str
    record_start: int
    media_in: int
    duration: int
    download: Path
    frames: int
    rate: Fraction

    @property
    def available(self) -> int:
        """Frames of the original at 23.976 (the fps rule: the count scaled, halves up)."""
        return math.floor(Fraction(self.frames) * R23 / self.rate + Fraction(1, 2))


@dataclass(frozen=True)
class ThreeShots:
    timeline: Path
    ledger: Path
    shots: tuple[ShotCase, ...]


def run_json(*argv: str | Path) -> dict[str, Any]:
    """Run ``stillmotion argv --json`` in-process (no capsys: module fixtures use it too)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([str(a) for a in argv] + ["--json"])
    assert code == 0, err.getvalue()
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def make_three_shots(server: RunningServer, media_dir: Path, folder: Path,
                     prompts: tuple[str, str, str] = PROMPTS) -> ThreeShots:
    """Generate three shots, frame-code their downloads and cut them on one AI track (a shot
    generated with sound keeps its sound clip, cut the same way, on an AI audio track)."""
    media = small_clip(media_dir, "r23_hour")
    folder.mkdir(parents=True, exist_ok=True)
    source = media_clip("hour", media, rate=R23, source_start=HOUR_23, duration=72,
                        available=(HOUR_23, 72))
    current = write_timeline(timeline("t23", R23, HOUR_23, [track("V1", [source])]),
                             folder / "cut.otio")
    ledger = folder / "ledger.sqlite3"
    for index, (at, prompt) in enumerate(zip(PLAYHEADS, prompts, strict=True)):
        result = run_json("generate", current, "--at", at, "--prompt", prompt,
                          "--provider", "preview", "--base-url", server.base_url,
                          "--size", "320x180", "--seconds", "2", "--preset", "h264-web",
                          "--ledger", ledger, "-o", folder / f"gen{index + 1}.otio")
        current = Path(result["timeline"])
    generated = sorted(find_generated_clips(read_timeline(current)),
                       key=lambda g: g.record_start_frame)
    assert len(generated) == 3
    shots: list[ShotCase] = []
    items: list[object] = []
    sounds: list[object] = []
    position = 0
    for found, (record, media_in, length) in zip(generated, CUTS, strict=True):
        assert found.metadata is not None
        with Ledger(ledger) as book:
            download = book.get(found.metadata.job_id).files.download
        assert download is not None, found.metadata.job_id
        facts = probe(download).require_video()
        render_clip(download, ClipSpec(facts.width, facts.height, facts.rate, facts.frame_count,
                                       audio_rate=None, label=f"S{len(shots) + 1}"))
        clip = found.clip.deepcopy()
        start = clip.source_range.start_time
        clip.source_range = otio.opentime.TimeRange(
            otio.opentime.RationalTime(start.value + media_in, start.rate),
            otio.opentime.RationalTime(length, start.rate))
        items += [gap(record - position, R23), clip]
        sounds += [gap(record - position, R23), *_recut_sound(current, found.metadata.link_id,
                                                             clip.source_range, length)]
        position = record + length
        shots.append(ShotCase(found.metadata.job_id, HOUR_23 + record, media_in, length,
                              download, facts.frame_count, facts.rate))
    picture = read_timeline(current)
    tracks = [picture.tracks[0].deepcopy(), track("AI Generated", items)]
    if any(isinstance(s, otio.schema.Clip) for s in sounds):
        tracks.append(track("AI Generated", sounds, kind=otio.schema.TrackKind.Audio))
    cut = timeline("t23", R23, HOUR_23, tracks)
    path = write_timeline(cut, folder / "shots.otio")
    return ThreeShots(path, ledger, tuple(shots))


def _recut_sound(path: Path, link_id: str, source_range: Any, length: int) -> list[object]:
    """The sound clip linked to a generated picture, cut like its picture (else a gap)."""
    linked = linked_sound(read_timeline(path), link_id)
    if not linked:
        return [gap(length, R23)]
    sound_track, index = linked[0]
    clip = sound_track[index].deepcopy()
    clip.source_range = source_range
    return [clip]


def record_ranges(timeline: Any) -> list[tuple[str, int, int, int, int, list[str]]]:
    """(clip, record in, record out, source in, source out, EDL comments) of every clip on the
    first video track, absolute frames, exclusive ends: what a reader of the turnover sees."""
    if not timeline.video_tracks():
        raise AssertionError(f"The timeline '{timeline.name}' has no video track.")
    timebase = TimeBase.of(timeline)
    start = timebase.start_frame(timeline)
    track = timeline.video_tracks()[0]
    offset = 0
    if track.source_range is not None:
        offset = -whole(timebase.frames(track.source_range.start_time))
    rows = []
    for clip in track.find_clips():
        where = clip.range_in_parent()
        record_in = start + offset + whole(timebase.frames(where.start_time))
        length = whole(timebase.frames(where.duration))
        source_in = whole(timebase.frames(clip.source_range.start_time))
        comments = [str(c) for c in clip.metadata.get("cmx_3600", {}).get("comments", [])]
        rows.append((str(clip.name), record_in, record_in + length, source_in,
                     source_in + length, comments))
    return rows
