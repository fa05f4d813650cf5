"""``stillmotion turnover``: three generated shots at 23.976 from 01:00:00:00 handed over with
8-frame handles as EXR and ProRes 4444; frame counts, burnt-in codes on the first and last plate
frames, header timecodes, and the EDL/OTIO/CSV re-read through the real adapters."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from stillmotion.media.imageheaders import read_dpx_timecode, read_exr_timecode
from stillmotion.media.probe import probe
from stillmotion.server import RunningServer, serve_in_background
from stillmotion.timecode import Timecode
from stillmotion.timeline.handoff import record_ranges
from stillmotion.timeline.io import read_timeline
from support.finishing import HANDLES, ShotCase, ThreeShots, make_three_shots
from support.framecode import luma_frames, luma_of_image, read_code
from support.generate_env import cli, isolate, snapshot
from support.timelines import R23

CLOCK = Timecode(R23)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serve_in_background(data_dir=tmp_path_factory.mktemp("server"), fast=True,
                             test_mode=True) as running:
        yield running


@pytest.fixture(scope="module")
def three(server: RunningServer, media_dir: Path, tmp_path_factory: pytest.TempPathFactory,
          ) -> ThreeShots:
    folder = tmp_path_factory.mktemp("three")
    with pytest.MonkeyPatch.context() as patch:
        isolate(patch, folder)
        return make_three_shots(server, media_dir, folder / "project")


def _expected(shot: ShotCase) -> tuple[int, int, int]:
    head = min(HANDLES, shot.media_in)
    tail = min(HANDLES, shot.frames - shot.media_in - shot.duration)
    return head, tail, head + shot.duration + tail


def test_make(three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "exr"
    code, stdout, err = cli(capsys, "turnover", three.timeline, "--handles", "8", "--format",
                            "exr", "-o", out, "--ledger", three.ledger)
    print(stdout, err)
    for p in sorted(out.rglob("*")):
        print(p)
    print((out / "turnover.edl").read_text())
    print((out / "shots.csv").read_text())
    assert code == 0
