"""``extend --crossfade``: the extension dissolves in over exactly the overlapping frames, picture
and sound, in the placed timeline and in the master rendered from it.

Two clips with burnt-in frame codes carry tones of different frequency (A: 440 Hz, B: 1000 Hz);
the master's sound is measured per frequency (a Hann-windowed projection, leakage between the two
negligible): before the overlap only A, after it only B, in its middle both at about half level
(``acrossfade``'s triangular curves), and the sample count is exactly the frames' worth.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import opentimelineio as otio
import pytest

from stillmotion.errors import TimelineError
from stillmotion.jobs.records import JobContext
from stillmotion.media.assembly import Blank, Dissolve, Show
from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.probe import probe
from stillmotion.media.synth import code_band_filters
from stillmotion.server import RunningServer
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.metadata import GeneratedClipMetadata, write_metadata
from stillmotion.timeline.render import plan_timeline, render_timeline
from support.generate_env import FAST, TEN_25, cli_json, isolate, small_clip
from support.timelines import code_at, gap, media_clip, timeline, track

RATE = Fraction(25)
SAMPLES_PER_FRAME = 48000 // 25
OVERLAP = 10  # frames: --crossfade 0.4 at 25 fps
A_FRAMES, B_FRAMES = 50, 35
SPEECH = 'Slow dolly in over 1 s; she says "we made it" quietly'


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


def _toned(path: Path, frequency: int, frames: int) -> Path:
    """A 320x180 25 fps DNxHR clip with burnt-in frame codes and a stereo sine (PCM)."""
    run(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
         "-f", "lavfi", "-i", f"sine=frequency={frequency}:sample_rate=48000",
         "-vf", ",".join(code_band_filters(320, 180)), "-frames:v", str(frames),
         "-c:v", "dnxhd", "-profile:v", "dnxhr_hq", "-pix_fmt", "yuv422p",
         "-c:a", "pcm_s16le", "-ac", "2", "-t", f"{frames / 25:.6f}", "-y", media_arg(path)],
        output=path, what="test tone clip")
    return path


def _sound(path: Path) -> np.ndarray:
    """The first channel of ``path``'s first audio stream, as floats (full scale 1.0)."""
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            data = np.asarray(frame.to_ndarray(), dtype=np.float64)
            if not frame.format.is_planar:
                data = data.reshape(-1, len(frame.layout.channels)).T
            if frame.format.name.rstrip("p") in ("s16", "s32", "s64"):
                data = data / float(2 ** (8 * frame.format.bytes - 1))
            chunks.append(data[0])
    return np.concatenate(chunks)


def _luma(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` of ``path`` as 8-bit luma (floats)."""
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number == index:
                return np.asarray(frame.to_ndarray(format="gray"), dtype=np.float64)
    raise AssertionError(f"{path.name} has no frame {index}")


def _level(sound: np.ndarray, frame: float, frequency: int) -> float:
    """Amplitude of ``frequency`` over the output frame centred on ``frame``."""
    centre = round(frame * SAMPLES_PER_FRAME)
    piece = sound[centre - SAMPLES_PER_FRAME // 2: centre + SAMPLES_PER_FRAME // 2]
    window = np.hanning(len(piece))
    phase = np.exp(-2j * np.pi * frequency * np.arange(len(piece)) / 48000)
    return float(2 * abs(np.sum(piece * window * phase)) / np.sum(window))


def _ours(clip: Any, crossfade: int) -> None:
    write_metadata(clip, GeneratedClipMetadata(
        prompt="what happens next", provider="preview", model="preview-1", job_id="j1",
        seconds=1.4, size="320x180", crossfade_frames=crossfade, link_id="l1"))


def _extended_edit(a: Path, b: Path, *, audio_tracks: bool) -> Any:
    """V1: A (50 frames); AI Generated: B from frame 40 (35 frames), crossfading in over the
    10 frames it overlaps A; with ``audio_tracks``, A1 holds A's sound and the AI audio track
    B's (the sound is summed), else the sound follows the pictures."""
    start = 40

    def clip(name: str, media: Path, frames: int) -> Any:
        return media_clip(name, media, rate=RATE, source_start=0, duration=frames,
                          available=(0, frames))

    extension = clip("AI B take 1", b, B_FRAMES)
    _ours(extension, OVERLAP)
    tracks = [track("V1", [clip("A", a, A_FRAMES)]),
              track("AI Generated", [gap(start, RATE), extension])]
    if audio_tracks:
        sound = clip("AI B take 1 sound", b, B_FRAMES)
        _ours(sound, OVERLAP)
        tracks += [track("A1", [clip("A sound", a, A_FRAMES)], kind="Audio"),
                   track("AI Generated", [gap(start, RATE), sound], kind="Audio")]
    return timeline("extended", RATE, TEN_25, tracks)


@pytest.mark.parametrize("audio_tracks", [True, False], ids=["summed", "following"])
def test_the_extension_crossfades_picture_and_sound_over_the_overlap(
    audio_tracks: bool, tmp_path: Path,
) -> None:
    a, b = _toned(tmp_path / "a.mov", 440, A_FRAMES), _toned(tmp_path / "b.mov", 1000, B_FRAMES)
    master = tmp_path / "master.mov"
    render_timeline(_extended_edit(a, b, audio_tracks=audio_tracks), master,
                    preset="resolve-dnxhr-hq")

    total = 40 + B_FRAMES
    info = probe(master)
    assert info.require_video().frame_count == total
    sound = _sound(master)
    assert len(sound) == total * SAMPLES_PER_FRAME  # sample-exact: picture and sound agree
    # The picture: A up to the overlap, B after it, a blend of both inside it.
    assert code_at(master, 39, tmp_path) == 39
    assert code_at(master, 50, tmp_path) == 10
    blend = _luma(master, 45)  # half way: half of each (xfade's fade: 1 - 5/10 outgoing)
    a45, b5 = _luma(a, 45), _luma(b, 5)
    assert np.abs(a45 - b5).mean() > 10
    assert np.abs(blend - (a45 + b5) / 2).mean() < 3

    full_a = _level(sound, 20, 440)
    full_b = _level(sound, 65, 1000)
    assert full_a > 0.05 and full_b > 0.05
    for frame in (20, 38.5):  # before the overlap: only A
        assert _level(sound, frame, 440) == pytest.approx(full_a, rel=0.05)
        assert _level(sound, frame, 1000) < 0.01 * full_b
    for frame in (50.5, 70):  # after it: only B
        assert _level(sound, frame, 1000) == pytest.approx(full_b, rel=0.05)
        assert _level(sound, frame, 440) < 0.01 * full_a
    middle = 40 + OVERLAP / 2  # in the middle: both at about half level
    assert _level(sound, middle, 440) / full_a == pytest.approx(0.5, abs=0.06)
    assert _level(sound, middle, 1000) / full_b == pytest.approx(0.5, abs=0.06)
    # A quarter in, A is still the louder: a fade over the whole overlap, not a cut.
    assert _level(sound, 42.5, 440) / full_a == pytest.approx(0.75, abs=0.06)
    assert _level(sound, 42.5, 1000) / full_b == pytest.approx(0.25, abs=0.06)


def test_extend_with_a_crossfade_places_sound_with_its_picture_marked_to_dissolve(
    preview_server: RunningServer, media_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    media = small_clip(media_dir, "r25_ten")
    b = media_clip("B", media, rate=RATE, source_start=TEN_25 + 10, duration=30,
                   available=(TEN_25, 50))
    folder = tmp_path / "project"
    folder.mkdir()
    cut = write_timeline(timeline("cut", RATE, TEN_25, [track("V1", [gap(25, RATE), b])]),
                         folder / "cut.otio")
    result = cli_json(capsys, "extend", cut, "--clip", "B", "--crossfade", "0.4", "--prompt",
                      SPEECH, "-o", folder / "extended.otio", "--provider", "preview",
                      "--base-url", preview_server.base_url, *FAST,
                      "--ledger", str(tmp_path / "ledger.sqlite3"))
    tl = read_timeline(Path(str(result["timeline"])))
    placed = {}
    for tr in tl.tracks:
        for child in tr:
            if isinstance(child, otio.schema.Clip) and "stillmotion" in child.metadata:
                where = child.range_in_parent()
                placed[tr.kind] = (round(where.start_time.value), round(where.duration.value),
                                   dict(child.metadata["stillmotion"]), child.source_range)
    picture, sound = placed["Video"], placed["Audio"]
    assert picture[:2] == sound[:2] == (55 - OVERLAP, result["frames"])
    assert picture[3] == sound[3]
    assert picture[2]["crossfade_frames"] == sound[2]["crossfade_frames"] == OVERLAP
    assert picture[2]["link_id"] == sound[2]["link_id"] != ""


def test_a_crossfade_over_nothing_fades_from_black_and_over_two_clips_is_refused(
    tmp_path: Path,
) -> None:
    a, b = _toned(tmp_path / "a.mov", 440, A_FRAMES), _toned(tmp_path / "b.mov", 1000, B_FRAMES)
    edit = _extended_edit(a, b, audio_tracks=False)
    edit.tracks[0].clear()  # nothing beneath the extension: it fades in from black
    edit.tracks[0].append(gap(A_FRAMES, RATE))
    plan = plan_timeline(edit)
    [fade] = [e for e in plan.picture if isinstance(e, Dissolve)]
    assert isinstance(fade.outgoing, Blank) and isinstance(fade.incoming, Show)
    assert (fade.window, fade.frames) == (OVERLAP, OVERLAP)

    cut = _extended_edit(a, b, audio_tracks=False)  # A cut in two under the crossfade
    cut.tracks[0].clear()
    cut.tracks[0].extend([
        media_clip("A1", a, rate=RATE, source_start=0, duration=45, available=(0, A_FRAMES)),
        media_clip("A2", a, rate=RATE, source_start=45, duration=5, available=(0, A_FRAMES))])
    with pytest.raises(TimelineError, match="more than one clip beneath"):
        plan_timeline(cut)


def test_the_crossfade_is_kept_on_the_job_for_placing_after_a_crash() -> None:
    """``jobs resume`` places from the row's context: the overlap must survive its JSON."""
    context = JobContext(record_frame=45, crossfade_frames=OVERLAP)
    assert JobContext.from_json(context.to_json()) == context
    assert "crossfade_frames" not in JobContext(record_frame=45).to_json()
