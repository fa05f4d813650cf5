"""Our metadata survives FCP 7 XML (track name, <comments>) and EDL (the sidecar), so takes and
review work on those outputs as on .otio.

Each case runs the real commands against the local server on frame-coded media; the EDL and
XML are written and re-read through the real adapters.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from stillmotion.server import RunningServer
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.relink import ReadingOptions, reading_options
from stillmotion.timeline.sidecar import sidecar_path
from support.generate_env import (
    FAST,
    case_25,
    case_25_dissolve,
    cli,
    generated,
    isolate,
    small_clip,
)

PROMPT = "Slow push in over 1 s"


@pytest.mark.parametrize("suffix", ["xml", "edl"])
def test_generate_takes_and_review_keep_our_metadata(
    suffix: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, media_dir: Path,
    preview_server: RunningServer, capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    case = case_25(small_clip(media_dir, "r25_ten"))
    folder = tmp_path / "project"
    folder.mkdir()
    source = write_timeline(case.timeline, folder / f"cut.{suffix}")
    ledger = tmp_path / "ledger.sqlite3"
    rate = ["--rate", "25"] if suffix == "edl" else []
    generate: list[str | Path] = [
        "generate", source, "--at", case.at, "--prompt", PROMPT, "--ledger", ledger,
        "--provider", "preview", "--base-url", preview_server.base_url, *FAST, *rate]
    code, out, err = cli(capsys, *generate, "--json")
    assert code == 0, err
    output = Path(json.loads(out)["timeline"])
    code, _, err = cli(capsys, *generate, "--new-take", "--overwrite")
    assert code == 0, err
    edl_rate = "25" if suffix == "edl" else None
    [clip] = generated(output, rate=edl_rate)
    assert clip.metadata is not None, clip.problem
    assert (clip.metadata.take, len(clip.metadata.takes)) == (2, 2)
    assert clip.metadata.source_frame == case.source_frame
    assert clip.metadata.prompt == PROMPT
    if suffix == "xml":
        assert clip.track_name == "AI Generated"
        assert 'MZ.TrackName="AI Generated"' in output.read_text()
        assert "<mastercomment1>" in output.read_text()
    else:
        assert sidecar_path(output).name == "cut.stillmotion.stillmotion.json"
        assert sidecar_path(output).is_file()
    chosen = folder / f"take1.{suffix}"
    code, _, err = cli(capsys, "takes", output, "--at", case.at, "--use", "1", "-o", chosen,
                       *rate)
    assert code == 0, err
    [shown] = generated(chosen, rate=edl_rate)
    assert shown.metadata is not None and shown.metadata.take == 1
    code, _, err = cli(capsys, "review", chosen, "-o", tmp_path / "review.html",
                       "--ledger", ledger, *rate)
    assert code == 0, err
    assert PROMPT in (tmp_path / "review.html").read_text()


def test_an_edl_without_its_sidecar_still_finds_the_clip_but_not_its_metadata(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, media_dir: Path,
    preview_server: RunningServer, capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    case = case_25(small_clip(media_dir, "r25_ten"))
    source = write_timeline(case.timeline, tmp_path / "cut.edl")
    code, out, err = cli(capsys, "generate", source, "--at", case.at, "--prompt", PROMPT,
                         "--ledger", tmp_path / "l.sqlite3", "--provider", "preview",
                         "--base-url", preview_server.base_url, *FAST, "--rate", "25", "--json")
    assert code == 0, err
    output = Path(json.loads(out)["timeline"])
    sidecar_path(output).unlink()
    [clip] = generated(output, rate="25")
    assert clip.metadata is None and clip.problem is not None
    edit = read_timeline(output, rate=Fraction(25))
    assert len(list(edit.find_clips())) == 2


def test_an_adapter_that_drops_constructs_says_which_and_keeps_an_otio_beside(
    tmp_path: Path, media_dir: Path,
) -> None:
    """FCPXML from the installed adapter: the dissolve is dropped (the marker is kept here)."""
    source = write_timeline(case_25_dissolve(small_clip(media_dir, "r25_ten")).timeline,
                            tmp_path / "cut.otio")
    said: list[str] = []
    with reading_options(ReadingOptions(report=said.append)):
        written = write_timeline(read_timeline(source), tmp_path / "cut.stillmotion.fcpxml",
                                 source=source)
    companion = tmp_path / "cut.stillmotion.fcpxml.otio"
    assert said == [f"{written.name} is written as FCPXML, which drops 1 of 1 transitions "
                    f"of this timeline; the full timeline is in {companion.name}."]
    kept = read_timeline(companion)
    assert len(kept.find_children(descended_from_type=otio.schema.Transition)) == 1
    assert [m.name for c in kept.find_clips() for m in c.markers] == ["look"]
