"""The generated clip's sound in the editors' own documents written in place (FCPXML, Kdenlive):
with its picture at the same record frame and duration, none with ``--no-audio``, and back with
its picture when takes are switched. Through the real local server and the real adapters.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from stillmotion.server import RunningServer, serve_in_background
from support.generate_env import FAST, HOUR_23, cli, generated, isolate, small_clip
from test_fcpxml_roundtrip import project_text

SPEECH = 'Slow push in over 1 s; she says "we made it" quietly'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serve_in_background(data_dir=tmp_path_factory.mktemp("server"), fast=True,
                             test_mode=True) as running:
        yield running


def _ours(path: Path) -> tuple[ET.Element, ET.Element]:
    """Our connected clip and its asset."""
    root = ET.parse(path).getroot()
    [clip] = [c for c in root.iter("asset-clip") if c.find("metadata/md") is not None]
    [asset] = [a for a in root.iter("asset") if a.get("id") == clip.get("ref")]
    return clip, asset


def test_fcpxml_connects_the_clip_with_its_sound_and_takes_keep_them_together(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, media_dir: Path, server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    folder = tmp_path / "edit"
    folder.mkdir()
    media = Path(shutil.copyfile(small_clip(media_dir, "r23_hour"), folder / "hour.mov"))
    project = folder / "cut.fcpxml"
    project.write_text(project_text(media))
    base: list[str | Path] = [
        "generate", project, "--at", "01:00:00:10", "--prompt", SPEECH, "--ledger",
        tmp_path / "ledger.sqlite3", "--provider", "preview", "--base-url", server.base_url,
        *FAST]
    output = folder / "out.fcpxml"
    code, _, err = cli(capsys, *base, "-o", output)
    assert code == 0, err
    clip, asset = _ours(output)
    # Final Cut plays a clip's audio with its picture: one element, one offset and duration.
    assert clip.get("audioRole") == "dialogue" and clip.get("srcEnable") is None
    assert (asset.get("hasAudio"), asset.get("audioChannels"), asset.get("audioRate")) == \
        ("1", "2", "48000")
    [found] = generated(output)
    assert found.record_start_frame == HOUR_23 + 10

    muted = folder / "muted.fcpxml"
    code, _, err = cli(capsys, *base, "-o", output, "--new-take", "--no-audio",
                       "--overwrite")
    assert code == 0, err
    shutil.copyfile(output, muted)
    clip, asset = _ours(muted)
    assert clip.get("audioRole") is None
    assert clip.get("srcEnable") == "video" or asset.get("hasAudio") is None

    chosen = folder / "take1.fcpxml"
    code, _, err = cli(capsys, "takes", muted, "--at", "01:00:00:10", "--use", "1", "-o",
                       chosen)
    assert code == 0, err
    clip, asset = _ours(chosen)
    assert clip.get("audioRole") == "dialogue" and asset.get("hasAudio") == "1"
    [shown] = generated(chosen)
    assert shown.metadata is not None and shown.metadata.take == 1
    assert shown.record_start_frame == HOUR_23 + 10
