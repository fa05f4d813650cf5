"""An FCPXML project (Resolve/FCP 1.9 style, 23.976, transitions, markers and keywords) goes
through generate, a second take, takes and review, and keeps every element it had.

The document is authored here as text; our clip must come back as a connected clip above the
shot, with its metadata, and every original element must be in the output unchanged.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.server import RunningServer
from support.generate_env import FAST, HOUR_23, cli, code_of, generated, isolate, small_clip

PROMPT = "Slow push in over 1 s"


def _t(frames: int) -> str:
    value = frames * Fraction(1001, 24000)
    return f"{value.numerator}/{value.denominator}s" if value else "0s"


def project_text(media: Path) -> str:
    """Two shots of the same 72-frame file (01:00:00:00) with a cross dissolve between them,
    two markers and a keyword on the first, a marker on the second."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.9">
  <resources>
    <format id="r1" name="FFVideoFormat1080p2398" frameDuration="1001/24000s"
            width="320" height="180"/>
    <asset id="r2" name="hour" start="{_t(HOUR_23)}" duration="{_t(72)}" hasVideo="1" format="r1">
      <media-rep kind="original-media" src="{media.as_uri()}"/>
    </asset>
    <effect id="r3" name="Cross Dissolve" uid="FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265"/>
  </resources>
  <library><event name="ev"><project name="proj">
    <sequence format="r1" duration="{_t(60)}" tcStart="{_t(HOUR_23)}" tcFormat="NDF">
      <spine>
        <asset-clip name="A" ref="r2" offset="{_t(HOUR_23)}" duration="{_t(30)}"
                    start="{_t(HOUR_23)}" format="r1">
          <marker start="{_t(HOUR_23 + 5)}" duration="{_t(1)}" value="look here"/>
          <marker start="{_t(HOUR_23 + 20)}" duration="{_t(1)}" value="cut point" completed="0"/>
          <keyword start="{_t(HOUR_23)}" duration="{_t(30)}" value="hero"/>
        </asset-clip>
        <transition name="Cross Dissolve" offset="{_t(HOUR_23 + 27)}" duration="{_t(6)}">
          <filter-video ref="r3" name="Cross Dissolve"/>
        </transition>
        <asset-clip name="B" ref="r2" offset="{_t(HOUR_23 + 30)}" duration="{_t(30)}"
                    start="{_t(HOUR_23 + 40)}" format="r1">
          <marker start="{_t(HOUR_23 + 45)}" duration="{_t(1)}" value="B note"/>
        </asset-clip>
      </spine>
    </sequence>
  </project></event></library>
</fcpxml>
"""


def _originals(path: Path) -> list[str]:
    """Every element of the document, serialised, except the containers ours go into."""
    root = ET.parse(path).getroot()
    return sorted(ET.tostring(e, encoding="unicode").strip() for e in root.iter()
                  if e.tag in ("marker", "keyword", "transition", "format", "effect")
                  or (e.tag == "asset" and e.get("id") == "r2"))


def test_generate_keeps_transitions_markers_and_keywords(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, media_dir: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    folder = tmp_path / "edit"
    folder.mkdir()
    media = Path(shutil.copyfile(small_clip(media_dir, "r23_hour"), folder / "hour.mov"))
    project = folder / "cut.fcpxml"
    project.write_text(project_text(media))
    before = _originals(project)
    ledger = tmp_path / "ledger.sqlite3"
    base: list[str | Path] = [
        "generate", project, "--at", "01:00:00:10", "--prompt", PROMPT, "--ledger", ledger,
        "--provider", "preview", "--base-url", preview_server.base_url, *FAST]
    code, out, err = cli(capsys, *base, "--dry-run", "--json")
    assert code == 0, err
    assert code_of(json.loads(out)["image"]) == 10
    output = folder / "out.fcpxml"
    code, _, err = cli(capsys, *base, "-o", output)
    assert code == 0, err
    code, _, err = cli(capsys, *base, "-o", output, "--new-take", "--overwrite")
    assert code == 0, err
    assert _originals(output) == before
    root = ET.parse(output).getroot()
    [shot_a] = [c for c in root.iter("asset-clip") if c.get("name") == "A"]
    [ours] = [c for c in shot_a if c.tag == "asset-clip"]
    assert ours.get("lane") == "1" and ours.get("offset") == _t(HOUR_23 + 10)
    # The DTD's order: connected clips before the markers and keywords; the DOCTYPE kept.
    assert [c.tag for c in shot_a] == ["asset-clip", "marker", "marker", "keyword"]
    assert "<!DOCTYPE fcpxml>" in output.read_text()
    [clip] = generated(output)
    assert clip.record_start_frame == HOUR_23 + 10
    assert clip.metadata is not None and clip.metadata.source_frame == 10
    assert (clip.metadata.take, len(clip.metadata.takes)) == (2, 2)
    chosen = folder / "take1.fcpxml"
    code, _, err = cli(capsys, "takes", output, "--at", "01:00:00:10", "--use", "1", "-o",
                       chosen)
    assert code == 0, err
    assert _originals(chosen) == before
    [shown] = generated(chosen)
    assert shown.metadata is not None and shown.metadata.take == 1
    assert len([c for c in ET.parse(chosen).getroot().iter("asset-clip")]) == 3
    code, _, err = cli(capsys, "review", chosen, "-o", tmp_path / "review.html",
                       "--ledger", ledger)
    assert code == 0, err
    assert PROMPT in (tmp_path / "review.html").read_text()
