"""One track rule, two front ends: every row goes through the OTIO placer and the Resolve placer.

Each row is a stack of video tracks (bottom first) around a generated clip placed over record
frames 10-19 of a 24 fps timeline starting at 01:00:00:00, with the source shot on the track
marked ``src``. The OTIO path places with ``timeline.place.place_generated`` on a real OTIO
timeline; the Resolve path with ``resolve.placement.place_clip`` on the fake Resolve (its
placed item is re-read from the track). Both must choose the same existing track or create a
track of the same name, the clip must be what the viewer shows over the whole span, and nothing
that was there may move. A new track goes directly above the source or the top-most track that
would hide the clip (OTIO can insert there), or on top (Resolve's ``AddTrack`` appends there).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.resolve.placement import place_clip
from stillmotion.resolve.restore import Rollback
from stillmotion.resolve.session import ResolveSession
from stillmotion.timeline.metadata import GeneratedClipMetadata
from stillmotion.timeline.place import is_locked, place_generated
from support.fake_resolve import FakeResolve
from support.timelines import gap, media_clip, record_layout, timeline, track

RATE = Fraction(24)
HOUR = 86400
START, FRAMES = 10, 10
# What a track holds, as (start, end) record frames of one clip (timeline-relative).
HOLDS = {"src": (0, 48), "busy": (5, 25), "part": (15, 25), "elsewhere": (30, 40), "": None}


@dataclass(frozen=True)
class Row:
    """``tracks``: "name|holds|flag…" bottom first (flags: off = disabled, locked).
    ``chosen``: the track name the clip goes on; ``new_at``: where OTIO inserts a new track
    (its index among the video tracks), None when an existing track is reused."""

    id: str
    tracks: tuple[str, ...]
    chosen: str
    new_at: int | None


ROWS = [
    Row("disabled AI track under busy B-roll (issue 11)",
        ("V1|src", "AI Generated||off", "B-roll|busy"), "AI Generated 2", 3),
    Row("free AI track above the source is reused",
        ("V1|src", "AI Generated|"), "AI Generated", None),
    Row("free AI track hidden by B-roll above",
        ("V1|src", "AI Generated|", "B-roll|busy"), "AI Generated 2", 3),
    Row("hidden by a clip covering only part of the span",
        ("V1|src", "AI Generated|", "B-roll|part"), "AI Generated 2", 3),
    Row("locked AI track is passed over",
        ("V1|src", "AI Generated||locked"), "AI Generated 2", 1),
    Row("busy AI track: a new one above it",
        ("V1|src", "AI Generated|busy"), "AI Generated 2", 2),
    Row("the lowest of two free AI tracks",
        ("V1|src", "AI Generated|", "AI Generated 2|"), "AI Generated", None),
    Row("busy AI track, free one above it",
        ("V1|src", "AI Generated|busy", "AI Generated 2|"), "AI Generated 2", None),
    Row("AI track below the source is never used",
        ("AI Generated|", "V2|src"), "AI Generated 2", 2),
    Row("a disabled track above does not hide",
        ("V1|src", "AI Generated|", "B-roll|busy|off"), "AI Generated", None),
    Row("a clip elsewhere on the AI track does not make it busy",
        ("V1|src", "AI Generated|elsewhere"), "AI Generated", None),
    Row("other free tracks are not AI tracks",
        ("V1|src", "Titles|", "AI Generated|"), "AI Generated", None),
    Row("numbers fill the lowest unused name",
        ("V1|src", "AI Generated 2|busy", "AI Generated|busy"), "AI Generated 3", 3),
]


def _parse(spec: str) -> tuple[str, str, set[str]]:
    name, holds, *flags = spec.split("|")
    return name, holds, set(flags)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_clip(tmp_path_factory.mktemp("track_rule") / "shot.mp4",
                       ClipSpec(320, 180, RATE, 48, audio_rate=None, label="S"))


def _meta() -> GeneratedClipMetadata:
    return GeneratedClipMetadata(
        prompt="slow push in", provider="preview", model="preview", job_id="sm_1", seconds=1.0,
        size="320x180", source_clip="shot", source_timecode="00:00:00:10", source_frame=10,
        source_media="shot.mp4")


def _otio_place(row: Row, media: Path) -> tuple[str, bool, int, Any, list[Any]]:
    tracks = []
    for spec in row.tracks:
        name, holds, flags = _parse(spec)
        items: list[Any] = []
        if (span := HOLDS[holds]) is not None:
            first, last = span
            items = [gap(first, RATE)] if first else []
            items.append(media_clip(f"{name} clip", media, rate=RATE, source_start=0,
                                    duration=last - first))
        made = track(name, items, enabled="off" not in flags)
        if "locked" in flags:
            made.metadata["Resolve_OTIO"] = {"Locked": True}
        tracks.append(made)
    tl = timeline("rule", RATE, HOUR, tracks)
    before = record_layout(tl)
    source = next(i for i, spec in enumerate(row.tracks) if _parse(spec)[1] == "src")
    placed = place_generated(tl, record_start=START, media_path=media, duration_frames=FRAMES,
                             rate=RATE, name="gen", metadata=_meta(), after_track=source)
    assert sorted(record_layout(tl)) == sorted([*before, (placed.track_name, "gen", START,
                                                          START + FRAMES)])
    return placed.track_name, placed.created_track, placed.track_index, tl, tracks


def _resolve_place(row: Row, media: Path) -> tuple[str, bool, int, Any]:
    resolve = FakeResolve()
    project = resolve.add_project()
    tl = project.add_timeline("rule", rate=RATE)
    shot = project.import_clip(media)
    for number, spec in enumerate(row.tracks, start=1):
        name, holds, flags = _parse(spec)
        if number == 1:
            tl.tracks[0].name = name
        else:
            tl.add_track(name)
        tl.tracks[number - 1].enabled = "off" not in flags
        tl.tracks[number - 1].locked = "locked" in flags
        if (span := HOLDS[holds]) is not None:
            first, last = span
            tl.put(number, shot, HOUR + first, duration=last - first)
    before = [(t.name, [(i.start, i.duration) for i in t.items]) for t in tl.tracks]
    session = ResolveSession(resolve)
    slot, item = place_clip(session, project.GetMediaPool(), tl, session.clock(tl), shot,
                            record_frame=HOUR + START, frames=FRAMES, rollback=Rollback())
    after = [(t.name, [(i.start, i.duration) for i in t.items if i is not item])
             for t in tl.tracks]
    assert after[:len(before)] == before                           # nothing moved
    assert all(tl.at(HOUR + f) is item for f in range(START, START + FRAMES))  # it is seen
    return slot.track_name, slot.new_track, slot.track_index, tl


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_both_front_ends_choose_the_same_track(row: Row, media: Path) -> None:
    name, created, index, tl, _ = _otio_place(row, media)
    assert (name, created) == (row.chosen, row.new_at is not None)
    video = [t for t in tl.tracks if t.kind == otio.schema.TrackKind.Video]
    chosen = next(i for i, t in enumerate(video) if t is tl.tracks[index])
    if row.new_at is not None:
        assert chosen == row.new_at
    else:
        assert video[chosen].name == row.chosen and chosen == next(
            i for i, spec in enumerate(row.tracks) if _parse(spec)[0] == row.chosen)
    for above in video[chosen + 1:]:                # the editor sees it: nothing shows over it
        assert not above.enabled or all(
            not (s < START + FRAMES and e > START) for t, _, s, e in record_layout(tl)
            if t == above.name)

    r_name, r_created, r_index, r_tl = _resolve_place(row, media)
    assert (r_name, r_created) == (row.chosen, row.new_at is not None)
    if r_created:
        assert r_index == len(r_tl.tracks) == len(row.tracks) + 1     # AddTrack: on top
    else:
        assert r_tl.tracks[r_index - 1].name == row.chosen and r_index == chosen + 1


def test_locked_tracks_are_read_from_resolve_and_fcp_xml_metadata() -> None:
    plain, resolve_locked, fcp_locked, fcp_open = (otio.schema.Track() for _ in range(4))
    resolve_locked.metadata["Resolve_OTIO"] = {"Locked": True}
    fcp_locked.metadata["fcp_xml"] = {"locked": "TRUE"}
    fcp_open.metadata["fcp_xml"] = {"locked": "FALSE"}
    assert [is_locked(t) for t in (plain, resolve_locked, fcp_locked, fcp_open)] == [
        False, True, True, False]
