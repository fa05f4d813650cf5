"""Placing generated clips: the AI track, exact record frames, never an overlap, real adapters."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.errors import TimelineError
from stillmotion.timeline.generated import find_generated_clips
from stillmotion.timeline.io import default_output_path, read_timeline, write_timeline
from stillmotion.timeline.locate import locate
from stillmotion.timeline.metadata import (
    METADATA_NAMESPACE,
    GeneratedClipMetadata,
    TakeRecord,
    read_metadata,
    write_metadata,
)
from stillmotion.timeline.place import ORIGINAL_REFERENCE_KEY, place_generated
from support.timelines import (
    R23,
    gap,
    media_clip,
    record_layout,
    rt,
    sha256,
    timeline,
    track,
)

HOUR_23 = 86400


@pytest.fixture(scope="module")
def hd(make_clip: Callable[[str], Path]) -> Path:
    return make_clip("hd_23976_tc")


@pytest.fixture
def generated(tmp_path: Path) -> tuple[Path, Path]:
    """Stand-ins for the conformed file and the original download (placing does not read them)."""
    conformed = tmp_path / "media" / "gen_take1.mov"
    original = tmp_path / "media" / "gen_take1.mp4"
    conformed.parent.mkdir()
    conformed.write_bytes(b"conformed")
    original.write_bytes(b"original")
    return conformed, original


def meta(job: str = "video_1", **kw: Any) -> GeneratedClipMetadata:
    base: dict[str, Any] = dict(
        prompt="slow dolly in, steam rising", provider="preview", model="preview-1",
        job_id=job, seconds=4.0, size="1280x720", source_clip="B", source_timecode="01:00:01:11",
        source_frame=35, source_media="/media/hd.mov",
        prompt_parts={"framing": "medium", "action": "steam rising"}, cost_estimate=0.4,
        preview=True,
    )
    base.update(kw)
    return GeneratedClipMetadata(**base)


def base_timeline(hd: Path) -> Any:
    """23.976 from 01:00:00:00: V1 A (0-48), V2 B (10-30), one audio track."""
    def clip(name: str, source: int, duration: int) -> Any:
        return media_clip(name, hd, rate=R23, source_start=HOUR_23 + source, duration=duration,
                          available=(HOUR_23, 72))
    return timeline("cut", R23, HOUR_23, [
        track("V1", [clip("A", 0, 48)]),
        track("V2", [gap(10, R23), clip("B", 30, 20)]),
        track("A1", [clip("A audio", 0, 48)], kind="Audio"),
    ])


def place(tl: Any, start: Any, frames: int, path: Path, *, name: str = "gen",
          job: str = "video_1", **kw: Any) -> Any:
    return place_generated(tl, record_start=start, media_path=path, duration_frames=frames,
                           rate=R23, name=name, metadata=meta(job), **kw)


def assert_no_overlaps(tl: Any) -> None:
    for tr in tl.tracks:
        rows = sorted((s, e) for name, n, s, e in record_layout(tl) if name == tr.name)
        for (_, end), (start, _) in itertools.pairwise(rows):
            assert end <= start, f"overlap on {tr.name}: {rows}"


def test_new_ai_track_above_the_source_at_the_exact_frame(
    hd: Path, generated: tuple[Path, Path]
) -> None:
    conformed, original = generated
    tl = base_timeline(hd)
    before = record_layout(tl)
    found = locate(tl, "01:00:00:15")
    placed = place(tl, found, 24, conformed, original_path=original,
                   original_frames=120, original_rate="30")
    assert (placed.track_name, placed.track_index, placed.created_track) == (
        "AI Generated", 2, True)
    assert [t.name for t in tl.tracks] == ["V1", "V2", "AI Generated", "A1"]
    assert (placed.record_start_frame, placed.duration_frames) == (15, 24)
    assert placed.record_range.start_time.value == 15
    assert placed.record_range.duration.value == 24
    ai = tl.tracks[2]
    assert ai.range_of_child(placed.clip).start_time.value == 15
    assert record_layout(tl) == sorted([*before, ("AI Generated", "gen", 15, 39)],
                                       key=lambda row: [t.name for t in tl.tracks].index(row[0]))
    clip = placed.clip
    refs = clip.media_references()
    assert set(refs) == {"DEFAULT_MEDIA", ORIGINAL_REFERENCE_KEY}
    assert clip.active_media_reference_key == "DEFAULT_MEDIA"
    assert clip.media_reference.target_url == str(conformed)  # bare path, like the source clip
    assert clip.media_reference.available_range.duration.value == 24
    assert refs[ORIGINAL_REFERENCE_KEY].target_url == str(original)
    assert refs[ORIGINAL_REFERENCE_KEY].available_range.duration.value == 120
    stored = read_metadata(clip)
    assert stored is not None
    assert stored.job_id == "video_1" and stored.prompt_parts["action"] == "steam rising"
    assert stored.conformed_file == str(conformed) and stored.original_file == str(original)
    assert [t.take for t in stored.takes] == [1] and stored.takes[0].media == str(conformed)
    assert stored.preview is True and stored.cost_estimate == 0.4
    (marker,) = clip.markers
    assert marker.name == "AI generated" and marker.color == otio.schema.MarkerColor.PURPLE
    assert marker.metadata[METADATA_NAMESPACE]["take_group"] == stored.take_group


def test_reused_when_free_numbered_when_busy(hd: Path, generated: tuple[Path, Path]) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    first = place(tl, 15, 24, conformed, after_track=1)
    second = place(tl, 40, 10, conformed, after_track=1, name="gen 2")
    assert second.track_name == "AI Generated" and not second.created_track
    third = place(tl, 20, 8, conformed, after_track=1, name="gen 3")   # overlaps "gen"
    assert (third.track_name, third.created_track) == ("AI Generated 2", True)
    assert [t.name for t in tl.tracks] == ["V1", "V2", "AI Generated", "AI Generated 2", "A1"]
    fourth = place(tl, 100, 5, conformed, after_track=1, name="gen 4")  # lowest free one
    assert fourth.track_name == "AI Generated"
    assert first.clip.range_in_parent().start_time.value == 15
    layout = record_layout(tl)
    assert ("AI Generated", "gen", 15, 39) in layout
    assert ("AI Generated", "gen 2", 40, 50) in layout
    assert ("AI Generated 2", "gen 3", 20, 28) in layout
    assert ("AI Generated", "gen 4", 100, 105) in layout
    assert_no_overlaps(tl)


def test_insert_into_a_gap_moves_nothing(hd: Path, generated: tuple[Path, Path]) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    place(tl, 10, 10, conformed, name="g1")
    place(tl, 60, 10, conformed, name="g2")
    before = record_layout(tl)
    middle = place(tl, 30, 10, conformed, name="g3")
    assert middle.track_name == "AI Generated"
    after = record_layout(tl)
    assert sorted(after) == sorted([*before, ("AI Generated", "g3", 30, 40)])
    names = [type(c).__name__ for c in tl.tracks[middle.track_index]]
    assert names == ["Gap", "Clip", "Gap", "Clip", "Gap", "Clip"]
    # Exactly filling the gap between g1 and g3 leaves no zero-length gaps behind.
    place(tl, 20, 10, conformed, name="g4")
    assert [type(c).__name__ for c in tl.tracks[middle.track_index]] == [
        "Gap", "Clip", "Clip", "Clip", "Gap", "Clip"]
    assert_no_overlaps(tl)


def test_random_placements_never_overlap(hd: Path, generated: tuple[Path, Path]) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    dice = random.Random(7)
    kept: list[tuple[str, str, int, int]] = []
    for number in range(40):
        start, frames = dice.randrange(0, 120), dice.randrange(1, 30)
        placed = place(tl, start, frames, conformed, name=f"g{number}", after_track=1)
        kept.append((placed.track_name, f"g{number}", start, start + frames))
        layout = record_layout(tl)
        assert all(row in layout for row in kept)   # nothing placed before has moved
        assert_no_overlaps(tl)
    assert {t.name for t in tl.tracks} >= {"AI Generated", "AI Generated 2"}


def test_a_transition_on_the_ai_track_keeps_its_frames(
    hd: Path, generated: tuple[Path, Path]
) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    place(tl, 10, 10, conformed, name="g1")
    ai = tl.tracks[-1]
    ai.append(otio.schema.Transition(in_offset=rt(0, R23), out_offset=rt(4, R23)))
    ai.append(gap(30, R23))                                  # a fade out over 20-24
    inside = place(tl, 22, 2, conformed, name="g2")          # ends at 24: g3 is not under it
    assert (inside.track_name, inside.created_track) == ("AI Generated 2", True)
    after = place(tl, 24, 5, conformed, name="g3")
    assert after.track_name == "AI Generated"
    assert ("AI Generated", "g3", 24, 29) in record_layout(tl)


def test_ai_track_below_the_source_is_not_used(hd: Path, generated: tuple[Path, Path]) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    tl.tracks.insert(0, track("AI Generated", []))
    found = locate(tl, "01:00:00:15")            # B, now at stack index 2
    placed = place(tl, found, 5, conformed)
    assert (placed.track_name, placed.track_index) == ("AI Generated 2", 3)


def test_record_start_forms_and_top_of_stack(hd: Path, generated: tuple[Path, Path]) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    placed = place(tl, rt(12, R23), 6, conformed)   # no source track: a new track on top
    assert (placed.track_index, placed.record_start_frame) == (3, 12)
    with pytest.raises(TimelineError, match="between frames"):
        place(tl, otio.opentime.RationalTime(12.5, float(R23)), 6, conformed)
    with pytest.raises(TimelineError, match="before the timeline start"):
        place(tl, -1, 6, conformed)
    with pytest.raises(TimelineError, match="no frames"):
        place(tl, 1, 0, conformed)


def test_media_at_another_rate_fills_whole_timeline_frames(
    hd: Path, generated: tuple[Path, Path]
) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    placed = place_generated(tl, record_start=0, media_path=conformed, duration_frames=50,
                             rate=Fraction(25), name="pal", metadata=meta())
    assert placed.duration_frames == 48                  # 2 s at 25 -> 2 s at 23.976, rounded
    available = placed.clip.media_reference.available_range
    assert (available.duration.value, available.duration.rate) == (50, 25)
    after = place(tl, 48, 5, conformed, name="next")     # right after it, same track
    assert after.track_name == placed.track_name
    ai = tl.tracks[placed.track_index]
    assert ai.range_of_child(after.clip).start_time.rescaled_to(float(R23)).value == 48
    # 24 fps media on a 23.976 timeline is counted frame for frame, like timecode.
    film = place_generated(tl, record_start=60, media_path=conformed, duration_frames=24,
                           rate=Fraction(24), name="film", metadata=meta())
    assert film.duration_frames == 24
    assert film.clip.source_range.duration.rate == pytest.approx(float(R23))


def test_file_url_style_follows_the_source_clip(hd: Path, generated: tuple[Path, Path]) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    tl.tracks[0][0].media_reference.target_url = hd.as_uri()
    placed = place(tl, locate(tl, "frame:3"), 5, conformed)
    assert placed.clip.media_reference.target_url == conformed.as_uri()


def test_takes_are_edited_key_by_key(hd: Path, generated: tuple[Path, Path]) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    placed = place(tl, 0, 5, conformed)
    stored = read_metadata(placed.clip)
    assert stored is not None
    take_two = TakeRecord(take=2, job_id="video_2", media="/m/take2.mov", prompt="again")
    write_metadata(placed.clip, GeneratedClipMetadata.from_dict(
        {**stored.to_dict(), "take": 2, "takes": [*stored.to_dict()["takes"],
                                                   take_two.to_dict()], "ledger_row": 12}))
    again = read_metadata(placed.clip)
    assert again is not None and again.take == 2
    assert [t.job_id for t in again.takes] == ["video_1", "video_2"]
    assert again.take_group == stored.take_group and again.extra == {"ledger_row": 12}
    (found,) = find_generated_clips(tl)
    assert found.metadata == again and found.record_start_frame == 0


@pytest.mark.parametrize("suffix", ["otio", "xml", "edl", "kdenlive"])
def test_output_in_the_input_format_keeps_the_clip_in_place(
    hd: Path, generated: tuple[Path, Path], tmp_path: Path, suffix: str
) -> None:
    conformed, original = generated
    source = write_timeline(base_timeline(hd), tmp_path / f"cut.{suffix}")
    digest = sha256(source)
    tl = read_timeline(source, rate="23.976")
    start = tl.global_start_time.value if tl.global_start_time is not None else 0
    found = locate(tl, "frame:15", timeline_path=source)
    assert found.source_frame_index == 35
    assert found.clip_name == ("B" if suffix != "kdenlive" else "A")   # Kdenlive renames clips
    placed = place(tl, found, 24, conformed, name="AI take 1", original_path=original)
    output = write_timeline(tl, default_output_path(source), source=source)
    assert output == tmp_path / f"cut.stillmotion.{suffix}"
    assert sha256(source) == digest                  # the input is never written

    reread = read_timeline(output, rate="23.976")
    reread_start = reread.global_start_time.value if reread.global_start_time else 0
    layout = record_layout(reread)
    rows = [(n, row) for n, row in enumerate(layout) if row[1] == "AI take 1"]
    assert len(rows) == 1, layout
    (row_index, (track_name, _, first, end)) = rows[0]
    assert first + reread_start == placed.record_start_frame + start   # same record frame
    assert end - first == 24
    if suffix != "edl":                     # EDL output is one flattened picture track
        assert track_name == "AI Generated"
        assert layout[row_index - 1][2:] == (10, 30)      # on the track right above B
    (again,) = [c for c in find_generated_clips(reread) if c.clip.name == "AI take 1"]
    # Metadata kept in every format: OTIO itself, FCP XML <comments>, Kdenlive producer
    # properties, the EDL's sidecar.
    assert again.metadata is not None and again.metadata.job_id == "video_1"
    if suffix == "otio":
        assert set(again.clip.media_references()) == {"DEFAULT_MEDIA", ORIGINAL_REFERENCE_KEY}


def test_second_run_on_fcp_xml_output_reuses_the_ai_track(
    hd: Path, generated: tuple[Path, Path], tmp_path: Path
) -> None:
    conformed, _ = generated
    tl = base_timeline(hd)
    place(tl, locate(tl, "frame:15"), 10, conformed, name="first")
    output = write_timeline(tl, tmp_path / "cut.stillmotion.xml")
    reread = read_timeline(output)
    assert [t.name for t in reread.video_tracks()] == ["V1", "V2", "AI Generated"]
    second = place(reread, locate(reread, "frame:30", timeline_path=output), 10, conformed,
                   name="second")
    assert (second.track_index, second.created_track) == (2, False)
    first, placed = find_generated_clips(reread)
    assert (first.clip.name, placed.clip.name) == ("first", "second")
    assert first.metadata is not None and placed.metadata is not None   # kept in <comments>
