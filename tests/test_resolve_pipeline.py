"""End to end: fake Resolve -> real pipeline -> the embedded local preview server -> placement."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.jobs.ledger import Ledger, LedgerState
from stillmotion.media.probe import probe
from stillmotion.resolve import PlacedClip, generate_at_playhead
from stillmotion.settings import Settings
from support.framecode import luma_of_image, read_code
from support.resolve_env import build_scene


@pytest.fixture(autouse=True)
def _private_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BASE_URL", "PROVIDER", "MODEL", "SIZE", "BUDGET", "DAILY_BUDGET", "LEDGER"):
        monkeypatch.delenv(f"STILLMOTION_{name}", raising=False)
    monkeypatch.setenv("STILLMOTION_DATA_DIR", str(tmp_path / "user-data"))


def test_generates_through_the_local_server_and_never_submits_twice(
    make_clip: Callable[[str], Path], tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                        ledger=tmp_path / "ledger.sqlite3")
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), left_offset=4,
                        playhead_offset=9)
    events: list[str] = []

    def generate() -> PlacedClip:
        return generate_at_playhead(
            scene.resolve, prompt="slow dolly in over 1 s, steam rising", seconds=1,
            size=(320, 180), grab="source", settings=settings,
            on_event=lambda event: events.append(event.stage),
            sleep=scene.resolve.sleep, clock=scene.resolve.clock,
        )

    placed = generate()
    clip = placed.clip
    assert clip.provider == "preview" and not clip.reused
    assert {"estimate", "submit", "wait", "download", "conform"} <= set(events)
    video = probe(clip.conformed, count_frames=True).require_video()
    assert (video.codec, video.size, video.rate) == ("dnxhd", (320, 180), Fraction(24000, 1001))
    assert read_code(luma_of_image(clip.image)) == 13  # source frame 4 + 9, fitted for the job
    [item] = scene.timeline.tracks[1].items
    assert (item.start, item.duration) == (86409, video.frame_count) == (
        placed.record_frame, clip.frames)
    media = item.media
    assert media.third_party["stillmotion.job_id"] == clip.job_id
    assert item.markers[0].custom_data == clip.job_id

    # The same request again (same frame, prompt and shape): the ledger returns the finished job
    # instead of sending a second paid create; it is placed again on a new AI track.
    again = generate()
    assert again.clip.reused and again.clip.job_id == clip.job_id
    assert again.track_index == 3
    with Ledger(settings.ledger_path) as ledger:
        rows = ledger.jobs()
    assert [row.id for row in rows] == [clip.job_id]
    assert rows[0].state is LedgerState.PLACED
    assert rows[0].context.resolve is not None  # the job recorded where in Resolve it sits
    assert rows[0].context.resolve.record_frame == 86409


def test_selected_clips_through_the_local_server_concurrently(
    make_clip: Callable[[str], Path], tmp_path: Path
) -> None:
    """Three selected shots, the real pipeline three at a time, one ledger row each."""
    from stillmotion.resolve import generate_for_selection

    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                        ledger=tmp_path / "ledger.sqlite3")
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), playhead_offset=0)
    [shot] = scene.timeline.tracks[0].items
    shot.duration = 24
    media = shot.media
    later = [scene.timeline.put(1, media, 86400 + 24 * n, left_offset=24 * n, duration=24)
             for n in (1, 2)]
    scene.timeline.select(shot, *later)
    placed = generate_for_selection(
        scene.resolve, prompt="slow dolly in over 1 s", seconds=1, provider="preview",
        settings=settings, size=(320, 180), grab="source", concurrency=3,
        sleep=scene.resolve.sleep, clock=scene.resolve.clock)

    assert placed.failures == []
    assert sorted(p.record_frame for p in placed) == [86412, 86436, 86460]
    # Each clip starts from its own shot's middle frame: source frames 12, 36 and 60.
    in_order = sorted(placed, key=lambda p: p.record_frame)
    assert [read_code(luma_of_image(p.clip.image)) for p in in_order] == [12, 36, 60]
    with Ledger(settings.ledger_path) as ledger:
        rows = ledger.jobs()
    assert len(rows) == 3 and {row.state for row in rows} == {LedgerState.PLACED}
    assert scene.resolve.manager.saves == 1
