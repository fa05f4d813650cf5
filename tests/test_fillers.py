"""Titles and generators on upper tracks, and speed-changed 1-frame clips between cuts.

Real media with burnt-in frame codes: the frame ``locate`` picks is grabbed and read back, and
every frame of a rendered master is decoded and its code (or blackness) checked against the
layout written out here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio
import pytest

from stillmotion.cli import run
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.locate import locate
from stillmotion.timeline.render import plan_timeline, render_timeline
from support.framecode import luma_frames, read_code
from support.render_media import clip, gap, make_media, track
from support.timelines import code_at

TITLE_XML = ('<kdenlivetitle duration="8" LC_NUMERIC="C" width="1920" height="1080" out="7">'
             '<item type="QGraphicsTextItem" z-index="0"><content>Main title</content></item>'
             '</kdenlivetitle>')


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("filler_media"))


def _title(kind: str = "SolidColor") -> Any:
    return otio.schema.Clip(
        name="Main title",
        media_reference=otio.schema.GeneratorReference(
            generator_kind=kind, parameters={"color": "0xff0000ff"}),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24),
                                             otio.opentime.RationalTime(8, 24)))


def _titled(media: dict[str, Path], kind: str = "SolidColor") -> Any:
    """V1: 'A' (a24 frames 0-23); V2: a title over record frames 6-13."""
    edit = otio.schema.Timeline(name="titled")
    edit.tracks.append(track("V1", [clip("A", media["a24.mp4"], 0, 24)]))
    edit.tracks.append(track("V2", [gap(6), _title(kind)]))
    return edit


def kdenlive_with_title(media: dict[str, Path], folder: Path) -> Path:
    """A Kdenlive project whose V2 holds a real title producer (``kdenlivetitle``)."""
    written = write_timeline(_titled(media), folder / "written.kdenlive")
    text = written.read_text()
    colour = ('<property name="mlt_service">color</property>\n\t\t'
              '<property name="resource">0xff0000ff</property>')
    assert text.count(colour) == 1
    project = folder / "titled.kdenlive"
    project.write_text(text.replace(colour, (
        '<property name="mlt_service">kdenlivetitle</property>\n\t\t'
        f'<property name="xmldata">{TITLE_XML.replace("<", "&lt;").replace(">", "&gt;")}'
        '</property>')))
    return project


def test_locate_passes_over_a_title_to_the_shot_below(
    media: dict[str, Path], tmp_path: Path
) -> None:
    found = locate(_titled(media, "Text"), "frame:9")
    assert found.clip_name == "A" and found.source_frame_index == 9
    assert code_at(media["a24.mp4"], 9, tmp_path) == 9


def test_kdenlive_title_is_a_generator_not_offline_media(
    media: dict[str, Path], tmp_path: Path
) -> None:
    project = kdenlive_with_title(media, tmp_path)
    edit = read_timeline(project)
    kinds = {c.name: type(c.media_reference).__name__ for c in edit.find_clips()}
    assert kinds == {"A": "ExternalReference", "Main title": "GeneratorReference"}
    [title] = [c for c in edit.find_clips() if c.name == "Main title"]
    assert title.media_reference.generator_kind == "kdenlivetitle"
    assert locate(edit, "frame:10", timeline_path=project).source_frame_index == 10


def test_stitch_renders_a_kdenlive_title_as_black_with_a_warning(
    media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    project = kdenlive_with_title(media, tmp_path)
    output = tmp_path / "master.mov"
    code = run(["stitch", "--timeline", str(project), "-o", str(output),
                "--size", "320x180"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert ("stillmotion: warning: Rendering the kdenlivetitle clip 'Main title' as black"
            in err)
    lumas = luma_frames(output)
    assert len(lumas) == 24
    assert [read_code(lumas[n]) for n in range(24) if not 6 <= n < 14] == [
        n for n in range(24) if not 6 <= n < 14]
    assert all(float(np.asarray(lumas[n]).max()) < 24 for n in range(6, 14))


def test_plan_warns_once_per_title(media: dict[str, Path]) -> None:
    said: list[str] = []
    plan_timeline(_titled(media), on_warning=said.append)
    assert said == ["Rendering the SolidColor clip 'Main title' as black: stillmotion cannot "
                    "draw titles or generators."]


def test_one_frame_speed_clips_between_cuts_keep_every_frame(
    media: dict[str, Path], tmp_path: Path
) -> None:
    """Five times: 9 frames at normal speed, then 1 frame at 2x (was 46-47 of 50 frames)."""
    items = []
    for i in range(5):
        items.append(clip(f"n{i}", media["a24.mp4"], 10 * i, 9))
        fast = clip(f"s{i}", media["a24.mp4"], 10 * i + 9, 1)
        fast.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
        items.append(fast)
    edit = otio.schema.Timeline(name="speed joins")
    edit.tracks.append(track("V1", items))
    output = tmp_path / "speed.mov"
    result = render_timeline(edit, output)
    assert result.frames == 50
    assert [read_code(luma) for luma in luma_frames(output)] == list(range(50))
