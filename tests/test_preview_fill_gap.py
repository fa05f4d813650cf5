"""``fill-gap`` end to end on the preview engine: the placed take meets both sides of the gap.

The real command runs in-process against ``stillmotion serve`` over real HTTP (a vendor dialect
over ``--base-url``, as a user points fill-gap at Veo or fal), on a same-rate timeline whose
clips show frame-coded media. The placed clip's first and last frames are read back from the
conformed file: their burnt-in codes are the codes of the frame before and after the gap, and
their luma differs from those source frames by a mean below 3 (outside the PREVIEW mark, which
stays on every frame). The server is not in ``--fast`` (draft) mode: edges are judged at the
engine's real quality.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from stillmotion.media.frames import fit_image, grab_frame
from stillmotion.media.probe import probe
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.server import RunningServer
from stillmotion.timecode import parse_size
from stillmotion.timeline.io import read_timeline, write_timeline
from support.edges import mad_outside, mark_box
from support.framecode import luma_of_image, read_code
from support.generate_env import cli_json, isolate
from support.server import server_fixture
from support.timelines import gap, media_clip, timeline, track

KEY = "dummy-test-key"
R24 = Fraction(24)
SIZE = (320, 180)
HOUR = 24 * 3600
BEFORE, AFTER = 29, 150  # media frames: A ends on 29, B starts on 150
KEY_VARIABLES = {"veo": "GEMINI_API_KEY", "fal": "FAL_KEY"}
MODELS = {"veo": "veo-3.1-fast-generate-preview",
          "fal": "fal-ai/kling-video/v2.1/pro/image-to-video"}
PROMPT = "Slow dolly in as the cup is set down"


server = server_fixture(fast=False, require_key=KEY, workers=1)


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("edge-media")
    return render_clip(folder / "coded.mp4",
                       ClipSpec(SIZE[0], SIZE[1], R24, 180, audio_rate=None, label="G"))


def _cut(coded: Path, folder: Path, gap_frames: int) -> Path:
    """A 24 fps timeline: A (media 10..29), a gap, B (media 150..169)."""
    a = media_clip("A", coded, rate=R24, source_start=BEFORE - 19, duration=20,
                   available=(0, 180))
    b = media_clip("B", coded, rate=R24, source_start=AFTER, duration=20, available=(0, 180))
    tl = timeline("gap", R24, HOUR, [track("V1", [a, gap(gap_frames, R24), b])])
    folder.mkdir()
    return Path(write_timeline(tl, folder / "cut.otio"))


def _fill(dialect: str, server: RunningServer, cut: Path, tmp_path: Path,
          capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
          ) -> dict[str, object]:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv(KEY_VARIABLES[dialect], KEY)
    return cli_json(capsys, "fill-gap", cut, "--at", "25", "--prompt", PROMPT,
                    "--provider", dialect, "--model", MODELS[dialect],
                    "--base-url", server.root_url, "--preset", "h264-web",
                    "--ledger", str(tmp_path / "ledger.sqlite3"))


def _placed(result: dict[str, object]) -> tuple[Path, int, int]:
    """The placed clip's media file, first and last media frame."""
    placed = read_timeline(Path(str(result["timeline"])))
    clip = next(c for t in placed.tracks if t.name.startswith("AI Generated") for c in t
                if isinstance(c, otio.schema.Clip))
    start = round(clip.source_range.start_time.value)
    frames = round(clip.source_range.duration.value)
    media = Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url))
    return media, start, start + frames - 1


def _frame(video: Path, index: int, folder: Path) -> np.ndarray:
    return luma_of_image(grab_frame(video, folder / f"{video.stem}-{index}.png", frame=index,
                                    overwrite=True))


def _source(coded: Path, index: int, size: tuple[int, int], folder: Path) -> np.ndarray:
    """Source frame ``index`` fitted to ``size`` (the conformed clip's)."""
    still = grab_frame(coded, folder / f"source-{index}.png", frame=index, overwrite=True)
    if size != SIZE:
        still = fit_image(still, folder / f"source-{index}-fit.png", size, fit="crop")
    return luma_of_image(still)


def _check_edge(video: Path, index: int, rendered: tuple[int, int], coded: Path,
                source_index: int, folder: Path) -> None:
    picture = _frame(video, index, folder)
    size = (picture.shape[1], picture.shape[0])
    assert read_code(picture) == source_index
    mad = mad_outside(picture, _source(coded, source_index, size, folder),
                      mark_box(rendered, size))
    assert mad < 3, (index, mad)


@pytest.mark.parametrize(("dialect", "gap_frames"), [("fal", 120), ("veo", 96)])
def test_a_fill_gap_preview_meets_both_sides(
        dialect: str, gap_frames: int, server: RunningServer, coded: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # fal takes 5 s (120 frames at 24 fps), Veo 4 s (96): the whole take fills the gap.
    cut = _cut(coded, tmp_path / "project", gap_frames)
    result = _fill(dialect, server, cut, tmp_path, capsys, monkeypatch)
    assert (result["gap_start"], result["gap_frames"], result["placed_frames"]) == \
        (20, gap_frames, gap_frames)
    rendered = parse_size(max(server.service.store.jobs(), key=lambda r: r.seq).size)
    media, first, last = _placed(result)
    assert (first, last) == (0, gap_frames - 1)
    assert probe(media, count_frames=True).require_video().frame_count == gap_frames
    _check_edge(media, first, rendered, coded, BEFORE, tmp_path)
    _check_edge(media, last, rendered, coded, AFTER, tmp_path)


def test_a_short_gap_take_still_ends_on_the_far_side(
        server: RunningServer, coded: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A 30-frame gap gets fal's shortest take (5 s); the placement shows its first 30 frames
    and keeps the rest as handle, whose end is the frame after the gap."""
    cut = _cut(coded, tmp_path / "project", 30)
    result = _fill("fal", server, cut, tmp_path, capsys, monkeypatch)
    media, first, last = _placed(result)
    assert (first, last) == (0, 29)
    total = probe(media, count_frames=True).require_video().frame_count
    assert total == 120
    _check_edge(media, first, SIZE, coded, BEFORE, tmp_path)
    _check_edge(media, total - 1, SIZE, coded, AFTER, tmp_path)
