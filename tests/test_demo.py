"""``stillmotion demo``: the whole job offline, checked from the files it says it wrote."""

from __future__ import annotations

import re
from pathlib import Path

import opentimelineio as otio
import pytest

from stillmotion.media.credentials import LOCAL_NOTE
from stillmotion.media.probe import probe
from stillmotion.media.provenance import read_credentials
from stillmotion.timeline.place import ORIGINAL_REFERENCE_KEY
from support.c2pa_vendor import top_level_boxes
from support.framecode import luma_of_image, read_code
from support.generate_env import cli, isolate

DEMO_START = 86400            # 01:00:00:00 at 24 fps
DEMO_PLAYHEAD = 2 * 24 + 12   # 01:00:02:12, timeline-relative


def test_demo_runs_offline_and_places_the_clip_at_the_playhead(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user_data = isolate(monkeypatch, tmp_path)
    code, out, err = cli(capsys, "demo", "--out", tmp_path / "demo")
    assert code == 0, err
    assert "Traceback" not in err
    folder = tmp_path / "demo"
    printed = dict(re.findall(r"^  (source timeline|new timeline|generated clip|original "
                              r"download|stitched preview)\s+(\S.*)$", out, re.MULTILINE))
    assert len(printed) == 5, out
    for path in printed.values():
        assert Path(path).is_file() and Path(path).is_relative_to(folder), path
    assert not user_data.exists()           # the demo keeps its ledger and server in its folder

    timeline = otio.adapters.read_from_file(printed["new timeline"])
    assert timeline.global_start_time.to_frames() == DEMO_START
    ai_tracks = [t for t in timeline.tracks if t.name == "AI Generated"]
    assert [t.kind for t in ai_tracks] == ["Video", "Audio"]  # the prompt's sound goes under
    clips = list(ai_tracks[0].find_clips())
    assert len(clips) == 1
    clip = clips[0]
    [sound] = ai_tracks[1].find_clips()
    assert sound.range_in_parent() == clip.range_in_parent()
    assert sound.metadata["stillmotion"]["link_id"] == clip.metadata["stillmotion"]["link_id"]
    assert clip.range_in_parent().start_time.to_frames() == DEMO_PLAYHEAD
    block = clip.metadata["stillmotion"]
    assert block["preview"] is True and block["provider"] == "preview"
    assert block["prompt"].startswith("Start static")
    references = clip.media_references()
    assert clip.media_reference.target_url == printed["generated clip"]
    assert references[ORIGINAL_REFERENCE_KEY].target_url == printed["original download"]
    assert block["original_file"] == printed["original download"]
    # The playhead sits 12 frames into shot B: the still sent carries B's frame 12.
    assert block["source_clip"] == "shot_B" and block["source_frame"] == 12
    stills = list((folder / "stillmotion_media" / "stills").glob("*.png"))
    assert [read_code(luma_of_image(s)) for s in stills] == [12]
    conformed = probe(Path(printed["generated clip"])).require_video()
    assert (conformed.width, conformed.height) == (1280, 720) and conformed.rate == 24
    assert clip.source_range.duration.to_frames() == conformed.frame_count
    # The source timeline is as the demo wrote it: no AI track.
    source = otio.adapters.read_from_file(printed["source timeline"])
    assert [t.name for t in source.tracks] == ["V1"]
    # The stitched preview is signed like any master: shot A and the generated clip are its
    # ingredients, and the chain reaches the AI generator (read by our validating reader).
    assert f"Content Credentials on demo_preview.mp4 {LOCAL_NOTE}" in out
    credentials = read_credentials(Path(printed["stitched preview"]))
    assert credentials.status == "untrusted" and credentials.ai_generator is not None
    assert top_level_boxes(Path(printed["stitched preview"]).read_bytes())[-1][3]
