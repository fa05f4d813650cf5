"""Probe gives exact facts on the fixture clips, and clear errors on bad files."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.cli import run
from stillmotion.errors import ProbeError
from stillmotion.media.probe import probe


def test_probe_23976_with_start_timecode(make_clip: Callable[[str], Path]) -> None:
    info = probe(make_clip("hd_23976_tc"))
    video = info.require_video()
    assert video.rate == Fraction(24000, 1001)
    assert (video.width, video.height) == (1920, 1080)
    assert video.frame_count == 72
    assert video.start_timecode == "01:00:00:00"
    assert video.start_frame == 86400
    assert info.audio is not None and info.audio.sample_rate == 48000


def test_probe_drop_frame_timecode(make_clip: Callable[[str], Path]) -> None:
    video = probe(make_clip("ntsc_2997_df")).require_video()
    assert video.start_timecode == "00:59:59;28"
    assert video.drop_frame
    assert video.start_frame == 107890


def test_probe_without_audio(make_clip: Callable[[str], Path]) -> None:
    info = probe(make_clip("wide_30_silent"))
    assert info.audio is None
    assert info.require_video().rate == Fraction(30)


def test_probe_cli_json_prints_fractions(
    make_clip: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["probe", str(make_clip("hd_23976_tc")), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"rate": "24000/1001"' in out
    assert '"start_timecode": "01:00:00:00"' in out


@pytest.mark.parametrize("kind", ["missing", "empty", "text", "truncated"])
def test_probe_bad_files(
    kind: str, tmp_path: Path, make_clip: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / f"{kind} clip.mp4"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a video")
    elif kind == "truncated":
        path.write_bytes(make_clip("landscape_30").read_bytes()[:50_000])
    with pytest.raises(ProbeError):
        probe(path)
    assert run(["probe", str(path)]) == 7
    err = capsys.readouterr().err
    assert err.startswith("stillmotion: ") and "Traceback" not in err
    assert err.count("\n") == 1
