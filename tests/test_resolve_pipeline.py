"""End to end: fake Resolve -> real pipeline -> the embedded local preview server -> placement."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.jobs.ledger import Ledger, LedgerState
from stillmotion.media.probe import probe
from stillmotion.resolve import generate_at_playhead
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

    def generate() -> object:
        return generate_at_playhead(
            scene.resolve, prompt="slow dolly in over 1 s, steam rising", seconds=1,
            size=(320, 180), grab="source", settings=settings,
            on_event=lambda event: events.append(event.stage),
            sleep=scene.resolve.sleep, clock=scene.resolve.clock,
        )

    placed = generate()
    clip = placed.clip  # type: ignore[attr-defined]
    assert clip.provider == "preview" and not clip.reused
    assert {"estimate", "submit", "wait", "download", "conform"} <= set(events)
    video = probe(clip.conformed, count_frames=True).require_video()
    assert (video.codec, video.size, video.rate) == ("dnxhd", (320, 180), Fraction(24000, 1001))
    assert read_code(luma_of_image(clip.image)) == 13  # source frame 4 + 9, fitted for the job
    [item] = scene.timeline.tracks[1].items
    assert (item.start, item.duration) == (86409, video.frame_count) == (
        placed.record_frame, clip.frames)  # type: ignore[attr-defined]
    media = item.media
    assert media.third_party["stillmotion.job_id"] == clip.job_id
    assert item.markers[0].custom_data == clip.job_id

    # The same request again (same frame, prompt and shape): the ledger returns the finished job
    # instead of sending a second paid create; it is placed again on a new AI track.
    again = generate()
    assert again.clip.reused and again.clip.job_id == clip.job_id  # type: ignore[attr-defined]
    assert again.track_index == 3  # type: ignore[attr-defined]
    with Ledger(settings.ledger_path) as ledger:
        rows = ledger.jobs()
    assert [row.id for row in rows] == [clip.job_id]
    assert rows[0].state is LedgerState.PLACED
    assert rows[0].context.resolve.record_frame == 86409
