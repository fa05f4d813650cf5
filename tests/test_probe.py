"""Probe gives exact facts on the fixture clips, and clear errors on bad files."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.cli import run
from stillmotion.errors import ProbeError
from stillmotion.media.ffmpeg import media_arg
from stillmotion.media.ffmpeg import run as run_ffmpeg
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


def test_tag_that_is_not_utf8_loses_only_its_bad_bytes(
    make_clip: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Latin-1 tags from old cameras: PyAV < 19 raised on them, 19 keeps lone surrogates."""
    clip = tmp_path / "latin1.mov"
    # "\udce9" reaches ffmpeg's argv as the single byte 0xE9 ("é" in Latin-1, invalid UTF-8).
    run_ffmpeg(["-i", media_arg(make_clip("wide_30_silent")), "-frames:v", "2", "-c", "copy",
                "-metadata", "title=caf\udce9", "-metadata", "comment=ok", "-y", media_arg(clip)])
    info = probe(clip)
    assert (info.tags["title"], info.tags["comment"]) == ("caf", "ok")
    assert run(["probe", str(clip), "--json"]) == 0
    assert '"title": "caf"' in capsys.readouterr().out


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
