"""FCPXML written from another format (.otio in, .fcpxml out) goes through the OTIO adapter:
what it drops is said and the full timeline is kept beside as .otio, and our metadata rides in
the written document, so review, takes and re-runs work on it.

Real CLI against the local preview server; the FCPXML is written and read back through the
installed otio-fcpx-xml-adapter.
"""

from __future__ import annotations

import json
from pathlib import Path

import opentimelineio as otio
import pytest

from stillmotion.server import RunningServer
from stillmotion.timeline.io import read_timeline, write_timeline
from support.generate_env import (
    FAST,
    TEN_25,
    case_25_dissolve,
    cli,
    generated,
    isolate,
    small_clip,
)

PROMPT = "Slow push in over 1 s"


def test_generate_otio_to_fcpxml_keeps_our_metadata_and_says_what_is_lost(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, media_dir: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    case = case_25_dissolve(small_clip(media_dir, "r25_ten"))
    (tmp_path / "project").mkdir()
    source, at = write_timeline(case.timeline, tmp_path / "project" / "cut.otio"), case.at
    output = tmp_path / "project" / "cut.stillmotion.fcpxml"
    ledger = tmp_path / "ledger.sqlite3"
    generate: list[str | Path] = [
        "generate", source, "--at", at, "--prompt", PROMPT, "--ledger", ledger,
        "--provider", "preview", "--base-url", preview_server.base_url, *FAST, "-o", output]
    code, out, err = cli(capsys, *generate, "--json")
    assert code == 0, err
    assert Path(json.loads(out)["timeline"]) == output.absolute()
    companion = output.with_name(f"{output.name}.otio")
    assert f"{output.name} is written as FCPXML, which drops 1 of 1 transitions" in err
    assert f"the full timeline is in {companion.name}" in err
    kept = read_timeline(companion)
    assert len(kept.find_children(descended_from_type=otio.schema.Transition)) == 1
    # Our metadata is in the FCPXML itself; only our clip is generated (the editor's shot
    # under it is not, though the adapter reads markers with .//marker).
    [clip] = generated(output)
    assert clip.metadata is not None and clip.metadata.prompt == PROMPT, clip.problem
    assert clip.record_start_frame == TEN_25 + case.record_frame     # tcStart kept, exact
    assert "AI generated" not in output.read_text()
    code, out, err = cli(capsys, "review", output, "-o", tmp_path / "review.html",
                         "--ledger", ledger)
    assert code == 0, err
    assert "(1 shot, 1 take)" in out and PROMPT in (tmp_path / "review.html").read_text()
    # A second take, then `takes` on the written FCPXML (which edits that document in place):
    # ours is replaced, not doubled.
    code, _, err = cli(capsys, *generate, "--new-take", "--overwrite")
    assert code == 0, err
    [clip] = generated(output)
    assert clip.metadata is not None and (clip.metadata.take, len(clip.metadata.takes)) == \
        (2, 2)
    chosen = tmp_path / "project" / "take1.fcpxml"
    code, _, err = cli(capsys, "takes", output, "--at", at, "--use", "1", "-o", chosen)
    assert code == 0, err
    [shown] = generated(chosen)
    assert shown.metadata is not None and shown.metadata.take == 1
    assert shown.record_start_frame == clip.record_start_frame
    # A new take generated on the written FCPXML itself lands in the same slot.
    code, _, err = cli(capsys, "generate", output, "--at", at, "--prompt", PROMPT, "--ledger",
                       ledger, "--provider", "preview", "--base-url", preview_server.base_url,
                       *FAST, "--new-take")
    assert code == 0, err
    [third] = generated(output.with_name("cut.stillmotion-2.fcpxml"))
    assert third.metadata is not None and third.metadata.take == 3
    assert third.record_start_frame == clip.record_start_frame
