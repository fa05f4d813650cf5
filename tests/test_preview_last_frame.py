"""The preview engine with a last image, and the sound bed of prompts that ask for speech.

A first+last frame render must start on the first image and end on the last one, because an
editor judges a transition exactly at those joins. Both ends are measured on the raw render:
the burnt-in frame codes of the two stills come back, and the luma mean absolute difference
(MAD) to each still is below 3 outside the PREVIEW mark's box (the mark stays on every frame;
see stillmotion.preview.render). The cross-resolve in between only ever gets closer to the last
image, and the prompt's camera move still plays before it (dot centroids vs the plan).
"""

from __future__ import annotations

import math
import time
import uuid
from fractions import Fraction
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from stillmotion.media.frames import fit_image, grab_frame
from stillmotion.media.probe import probe
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.preview import plan, render_preview
from stillmotion.preview.audio import (
    SYLLABLE_PERIOD,
    SYLLABLE_PITCHES,
    Bed,
    sound_bed,
    wants_speech,
)
from stillmotion.preview.overlay import mark_rect
from stillmotion.preview.path import resolve_length
from stillmotion.server import RunningServer
from stillmotion.server.store import TERMINAL
from support.camera_probe import luma_frames, measure_camera, render_dot_still
from support.dialects import data_uri
from support.edges import mad_outside, mark_box
from support.framecode import luma_of_image, read_code
from support.server import MakeServer

SIZE = (320, 180)
FPS = 30
SECONDS = 4
PROMPT = "Slow dolly in, then pan left"
FIRST_CODE, LAST_CODE = 5, 50


def mad_outside_mark(picture: np.ndarray, still: np.ndarray) -> float:
    """Luma MAD between a raw render's frame and a still, outside the mark."""
    size = (picture.shape[1], picture.shape[0])
    return mad_outside(picture, still, mark_box(size, size))


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two frames of a coded clip: codes 5 and 50, different pictures."""
    folder = tmp_path_factory.mktemp("last-stills")
    coded = render_clip(folder / "coded.mp4",
                        ClipSpec(SIZE[0], SIZE[1], Fraction(FPS), 60, audio_rate=None,
                                 label="G"))
    return (grab_frame(coded, folder / "first.png", frame=FIRST_CODE),
            grab_frame(coded, folder / "last.png", frame=LAST_CODE))


@pytest.fixture(scope="module")
def pinned(stills: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    first, last = stills
    return render_preview(tmp_path_factory.mktemp("pinned") / "pinned.mp4", prompt=PROMPT,
                          size=SIZE, seconds=SECONDS, image=first, last_image=last)


# --- the planned path ----------------------------------------------------------------------


@pytest.mark.parametrize("prompt", [PROMPT, "pull back fast", "orbit right then tilt down",
                                    "static", "crash zoom out, pan right"])
def test_a_pinned_path_starts_and_ends_on_the_whole_picture(prompt: str) -> None:
    path = plan(prompt, SECONDS, ends_on_last=True)
    assert path.at(0) == pytest.approx((1.0, 0.5, 0.5))
    assert path.at(SECONDS) == pytest.approx((1.0, 0.5, 0.5))
    assert path.resolve_start == SECONDS - resolve_length(Fraction(SECONDS)) == Fraction(8, 3)
    assert path.segments[-1].beat.text == "resolve to the last image"
    times = np.linspace(0, SECONDS, 1601)
    values = np.array([path.at(float(t)) for t in times])
    zoom, cx, cy = values[:, 0], values[:, 1], values[:, 2]
    assert (zoom >= 1 - 1e-9).all()
    for centre in (cx, cy):
        assert (centre - 0.5 / zoom >= -1e-9).all() and (centre + 0.5 / zoom <= 1 + 1e-9).all()
    assert np.abs(np.diff(values, axis=0)).max() < 0.01  # continuous


def test_the_prompt_moves_play_between_the_pinned_ends() -> None:
    free, pinned = plan(PROMPT, SECONDS), plan(PROMPT, SECONDS, ends_on_last=True)
    assert free.resolve_start is None and free.at(SECONDS) != pytest.approx((1.0, 0.5, 0.5))
    assert [s.beat.text for s in pinned.segments] == ["Slow dolly in", "pan left",
                                                      "resolve to the last image"]
    # The prompt's own keyframes, played in the time before the resolve.
    assert pinned.at(Fraction(4, 3)) == pytest.approx(free.at(2))  # end of the dolly
    assert pinned.at(Fraction(8, 3)) == pytest.approx(free.at(4))  # end of the pan
    assert pinned.at(Fraction(4, 3))[0] > 1.1 and pinned.at(Fraction(8, 3))[1] < 0.5 - 0.03
    # A pull-back opening is approached from the reference framing first.
    back = plan("pull back", SECONDS, ends_on_last=True)
    assert not plan("pull back", SECONDS).starts_at_reference
    assert back.segments[0].beat.text == "approach the opening framing"
    assert back.at(back.segments[1].start)[0] > 1.2  # cropped, ready to pull back
    assert back.at(back.segments[1].end)[0] < back.at(back.segments[1].start)[0]


# --- the rendered clip ---------------------------------------------------------------------


def test_first_frame_is_the_first_image_and_last_frame_the_last(
        pinned: Path, stills: tuple[Path, Path]) -> None:
    info = probe(pinned, count_frames=True)
    assert info.require_video().frame_count == SECONDS * FPS
    frames = luma_frames(pinned)
    first, last = (luma_of_image(still) for still in stills)
    assert (read_code(frames[0]), read_code(frames[-1])) == (FIRST_CODE, LAST_CODE)
    assert mad_outside_mark(frames[0], first) < 3
    assert mad_outside_mark(frames[-1], last) < 3
    assert mad_outside_mark(frames[-1], first) > 20  # the stills really differ
    # The mark is kept on both edge frames (its box differs from the stills there).
    x, y, w, h = mark_rect(SIZE)
    for frame, still in ((frames[0], first), (frames[-1], last)):
        assert np.abs(frame - still)[y:y + h, x:x + w].mean() > 20


def test_the_cross_resolve_only_gets_closer_to_the_last_image(
        pinned: Path, stills: tuple[Path, Path]) -> None:
    frames = luma_frames(pinned)
    last = luma_of_image(stills[1])
    path = plan(PROMPT, SECONDS, ends_on_last=True)
    assert path.resolve_start is not None
    begin = math.ceil(path.resolve_start * FPS)
    distance = np.array([mad_outside_mark(frame, last) for frame in frames[begin:]])
    assert len(distance) == 40
    assert distance[0] > 20 and distance[-1] < 3
    assert np.diff(distance).max() < 0.5  # never moves away (beyond coding noise)
    assert (distance[:-4] - distance[4:]).min() > 0  # and keeps closing in


def test_the_camera_move_still_shows_before_the_resolve(
        stills: tuple[Path, Path], tmp_path: Path) -> None:
    dots = render_dot_still(tmp_path / "dots.png", SIZE)
    clip = render_preview(tmp_path / "dots.mp4", prompt=PROMPT, size=SIZE, seconds=SECONDS,
                          image=dots, last_image=stills[1])
    path = plan(PROMPT, SECONDS, ends_on_last=True)
    assert path.resolve_start is not None
    frames = luma_frames(clip)[: math.ceil(path.resolve_start * FPS)]
    mask = mark_rect(SIZE)
    measured = np.array([measure_camera(luma, mask) for luma in frames])
    planned = np.array([path.at(Fraction(n, FPS)) for n in range(len(frames))])
    assert np.abs(measured[:, 0] / planned[:, 0] - 1).max() < 0.003
    assert (np.abs(measured[:, 1:] - planned[:, 1:]) * np.array(SIZE)).max() < 0.3
    assert measured[40, 0] - measured[0, 0] > 0.1  # dollied in
    assert (measured[40, 1] - measured[-1, 1]) * SIZE[0] > 6  # then panned left


def test_a_pull_back_and_an_odd_shaped_last_image_keep_both_edges(
        stills: tuple[Path, Path], tmp_path: Path) -> None:
    square = fit_image(stills[1], tmp_path / "square.png", (200, 200), fit="pad")
    clip = render_preview(tmp_path / "back.mp4", prompt="pull back fast", size=SIZE,
                          seconds=2, image=stills[0], last_image=square)
    expected_last = luma_of_image(fit_image(square, tmp_path / "fitted.png", SIZE, fit="crop"))
    frames = luma_frames(clip)
    assert len(frames) == 60
    assert mad_outside_mark(frames[0], luma_of_image(stills[0])) < 3
    assert mad_outside_mark(frames[-1], expected_last) < 3


# --- through the server ---------------------------------------------------------------------


def _finished(server: RunningServer, job_id: str) -> Path:
    """The video of a server job once it is done (failing the test if it failed)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        record = server.service.store.get(job_id)
        assert record is not None
        if record.status in TERMINAL:
            assert record.status == "completed", record.error
            return server.service.store.job_dir(job_id) / "video.mp4"
        time.sleep(0.1)
    raise AssertionError(f"{job_id} did not finish")


def test_the_server_ends_a_last_frame_job_and_its_remix_on_the_last_frame(
        stills: tuple[Path, Path], make_server: MakeServer) -> None:
    first, last = stills
    server = make_server(fast=False)
    with httpx.Client(base_url=server.root_url, timeout=30) as http:
        answer = http.post("/fal-ai/kling-video/v2.1/pro/image-to-video", json={
            "prompt": "slow dolly in", "image_url": data_uri(first),
            "tail_image_url": data_uri(last), "duration": "5"})
        assert answer.status_code == 200, answer.text
        job_id = "video_" + uuid.UUID(answer.json()["request_id"]).hex
        video = _finished(server, job_id)
        remixed = http.post(f"/v1/videos/{job_id}/remix", json={"prompt": "pan right"})
        assert remixed.status_code == 200, remixed.text
        remix = _finished(server, remixed.json()["id"])
        for clip in (video, remix):
            frames = luma_frames(clip)
            assert (read_code(frames[0]), read_code(frames[-1])) == (FIRST_CODE, LAST_CODE)


# --- the sound bed -------------------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "speech"), [
    ('She says "we\'re late" and leaves', True),
    ("Two men in dialogue at a bar", True),
    ("Voice-over: the city never sleeps", True),
    ("The narrator speaks softly over the harbour", True),
    ('Mara, at the door: "Is anyone there?"', True),
    ("He whispers to the child", True),
    ('Slow dolly in. "Where were you last night?"', True),
    ('Slow dolly in on a neon sign that reads "OPEN ALL NIGHT"', False),
    ("A silent film, no dialogue", False),
    ("Rain on the roof, no one speaks", False),
    ("Audio: crowd chatter and traffic", False),
    ("dolly in on a cup", False),
])
def test_speech_cues(prompt: str, speech: bool) -> None:
    assert wants_speech(prompt) is speech


def test_the_bed_a_prompt_gets() -> None:
    assert sound_bed("He says hello. Audio: rain") is Bed.SPEECH
    assert sound_bed("Rain on the roof, no one speaks") is Bed.AMBIENCE
    assert sound_bed("dolly in") is Bed.SILENCE


def _channel(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])


def _share_near(samples: np.ndarray, rate: int, pitches: tuple[int, ...]) -> float:
    """The share of the signal's energy within 30 Hz of ``pitches``."""
    power = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    near = np.zeros(len(freqs), dtype=bool)
    for pitch in pitches:
        near |= np.abs(freqs - pitch) < 30
    return float(power[near].sum() / power.sum())


def test_speech_gets_a_tagged_tone_pattern_and_cues_keep_ambience(tmp_path: Path) -> None:
    speech = render_preview(tmp_path / "speech.mp4", prompt='She says "we are late"',
                            size=(64, 36), seconds=3)
    ambient = render_preview(tmp_path / "rain.mp4", prompt="Rain on the window",
                             size=(64, 36), seconds=3)
    assert probe(speech).tags["stillmotion_preview_audio"] == "speech-tone"
    assert probe(ambient).tags["stillmotion_preview_audio"] == "ambience"
    rate = 48000
    tone, noise = _channel(speech), _channel(ambient)
    assert _share_near(tone, rate, SYLLABLE_PITCHES) > 0.9
    assert _share_near(noise, rate, SYLLABLE_PITCHES) < 0.2
    level = 20 * math.log10(float(np.sqrt(np.mean(tone**2))))
    assert -35 < level < -20
    # Syllables alternate 500 / 750 Hz every 0.3 s, with a quiet gap in each.
    block = int(SYLLABLE_PERIOD * rate)
    for index in range(1, 9):
        part = tone[index * block:(index + 1) * block]
        freqs = np.fft.rfftfreq(len(part), 1 / rate)
        peak = freqs[int(np.argmax(np.abs(np.fft.rfft(part))))]
        assert abs(peak - SYLLABLE_PITCHES[index % 2]) < 10, (index, peak)
        slices = part[: len(part) // 2400 * 2400].reshape(-1, 2400)  # 50 ms pieces
        loudness = np.sqrt((slices**2).mean(axis=1))
        assert loudness.min() < 0.02 * loudness.max()
