"""An ingested artist's version among the slot's takes: its sound (or its silence) replaces the
AI sound, a later ``generate --new-take`` on the slot keeps it and its chain, and ``takes``
lists and switches every take with its sound; real server, real ffmpeg, real OTIO files.

Shots sh010 and sh020 are generated with a prompt asking for speech, so their AI takes carry
the preview's tone bed (measured as sound) on an AI audio track. The artist returns sh010 with a
1 kHz tone that starts exactly at the cut (silence over the head handle) and sh020 with no audio
stream at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio
import pytest

from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.sound import sound_facts
from stillmotion.server import RunningServer
from stillmotion.timecode import Timecode
from stillmotion.timeline.handoff import ShotSlot, shot_slots
from stillmotion.timeline.io import read_timeline
from stillmotion.timeline.metadata import read_metadata
from stillmotion.timeline.timebase import TimeBase
from support.finishing import PROMPTS, ThreeShots, make_three_shots, run_json
from support.generate_env import HOUR_23, cli, isolate
from support.timelines import R23

SPEECH = 'Slow dolly in over 2 s; she says "we made it" quietly'
CLOCK = Timecode(R23)
BOX = "drawbox=x=0:y=0:w=iw*0.3:h=ih*0.3:color=white:t=fill"
TONE_HZ = 1000
RATE = 48000


@dataclass(frozen=True)
class Ingested:
    three: ThreeShots
    records: tuple[dict[str, Any], ...]
    timeline: Path
    server: RunningServer


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, media_dir: Path,
             preview_server: RunningServer) -> Iterator[Ingested]:
    folder = tmp_path_factory.mktemp("ingest_takes")
    with pytest.MonkeyPatch.context() as patch:
        isolate(patch, folder)
        three = make_three_shots(preview_server, media_dir, folder / "project",
                                 prompts=(SPEECH, SPEECH, PROMPTS[2]))
        turnover = folder / "turnover"
        result = run_json("turnover", three.timeline, "--handles", "8", "--format",
                          "prores4444", "-o", turnover, "--ledger", three.ledger)
        records = tuple(result["shots"])
        returned = folder / "returned"
        _version(turnover, records[0], returned, tone=True)
        _version(turnover, records[1], returned, tone=False)
        out = folder / "with_v002.otio"
        run_json("ingest", three.timeline, returned, "-o", out, "--ledger", three.ledger)
        yield Ingested(three, records, out, preview_server)


def _version(turnover: Path, record: dict[str, Any], into: Path, *, tone: bool) -> Path:
    """The shot's ProRes plate with a white box, as ``shNNN_comp_v002.mov``; with ``tone``, a
    1 kHz tone from the first frame of the cut (the head handle is silent)."""
    name = str(record["name"])
    plate = record["plate"]
    seconds = int(plate["frames"]) / float(R23)
    head = int(plate["head_handle"]) / float(R23)
    into.mkdir(parents=True, exist_ok=True)
    path = into / f"{name.replace('_v001', '_v002')}.mov"
    sound = ["-f", "lavfi", "-i", f"aevalsrc=0.5*sin(2*PI*{TONE_HZ}*t)*gte(t\\,{head!r}):"
             f"s={RATE}:d={seconds!r}"] if tone else []
    audio = ["-map", "1:a", "-c:a", "pcm_s16le"] if tone else ["-an"]
    run(["-i", media_arg(turnover / name / f"{name}.mov"), *sound, "-map", "0:v",
         "-vf", BOX, "-c:v", "prores_ks", "-profile:v", "4", "-pix_fmt", "yuv444p10le",
         *audio, "-y", media_arg(path)], what="test v002 with sound")
    return path


def _slot(path: Path, shot: str) -> ShotSlot:
    return next(s for s in shot_slots(read_timeline(path)) if s.shot == shot)


def _sounds(path: Path, slot: ShotSlot) -> list[Any]:
    """The generated audio clips overlapping the slot's record span."""
    tl = read_timeline(path)
    timebase = TimeBase.of(tl)
    start = slot.record_start - HOUR_23
    found = []
    for tr in tl.tracks:
        if tr.kind != otio.schema.TrackKind.Audio:
            continue
        for child in tr:
            if not isinstance(child, otio.schema.Clip) or "stillmotion" not in child.metadata:
                continue
            where = child.range_in_parent()
            first = round(timebase.frames(where.start_time))
            if first < start + slot.duration and first + round(
                    timebase.frames(where.duration)) > start:
                found.append((child, first, round(timebase.frames(where.duration))))
    return found


def _samples(media: Path, folder: Path) -> np.ndarray:
    raw = folder / f"{media.stem}.s16"
    run(["-i", media_arg(media), "-map", "0:a:0", "-ac", "1", "-ar", str(RATE), "-f", "s16le",
         "-y", media_arg(raw)], what="test decode sound")
    return np.frombuffer(raw.read_bytes(), dtype="<i2").astype(np.float64) / 32768.0


def _peak_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * RATE / len(samples))


def _linked_sound_is(path: Path, shot: str, media: str) -> ShotSlot:
    """One sound clip under the slot: the slot's media, same span, same link id."""
    slot = _slot(path, shot)
    sounds = _sounds(path, slot)
    assert len(sounds) == 1, sounds
    clip, first, length = sounds[0]
    assert (first + HOUR_23, length) == (slot.record_start, slot.duration)
    assert str(clip.media_reference.target_url) == media
    meta = read_metadata(clip)
    assert slot.metadata is not None and meta is not None
    assert meta.link_id and meta.link_id == slot.metadata.link_id
    return slot


def test_a_version_with_sound_brings_its_sound_cut_to_the_cut(
    ingested: Ingested, tmp_path: Path
) -> None:
    slot = _slot(ingested.timeline, "sh010")
    assert slot.metadata is not None and slot.metadata.take == 2
    assert [t.sound for t in slot.metadata.takes] == [True, True]
    _linked_sound_is(ingested.timeline, "sh010", slot.media_path)
    samples = _samples(Path(slot.media_path), tmp_path)
    assert len(samples) == pytest.approx(slot.duration / float(R23) * RATE, abs=1024)
    # the tone starts with the cut: the head handle's silence was cut off with its frames
    first = samples[:1024]
    assert float(np.sqrt(np.mean(first ** 2))) > 0.2
    assert _peak_hz(samples[:8192]) == pytest.approx(TONE_HZ, abs=10)
    assert sound_facts(Path(slot.media_path)).sound


def test_a_silent_version_silences_the_ai_sound_until_the_ai_take_is_shown(
    ingested: Ingested, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    slot = _slot(ingested.timeline, "sh020")
    assert slot.metadata is not None and slot.metadata.take == 2
    assert [t.sound for t in slot.metadata.takes] == [True, False]
    assert _sounds(ingested.timeline, slot) == [] and slot.metadata.link_id == ""
    back = tmp_path / "ai_again.otio"
    code, _, err = cli(capsys, "takes", ingested.timeline, "--at",
                       CLOCK.to_text(slot.record_start + 1), "--use", "1", "-o", back)
    assert code == 0, err
    shown = _linked_sound_is(back, "sh020", _ai_media(back, "sh020"))
    assert shown.metadata is not None and shown.metadata.take == 1
    assert sound_facts(Path(shown.media_path)).sound


def test_no_audio_ingest_places_the_picture_only_and_still_removes_the_ai_sound(
    ingested: Ingested, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "picture_only.otio"
    code, _, err = cli(capsys, "ingest", ingested.three.timeline, ingested.timeline.parent /
                       "returned", "-o", out, "--ledger", ingested.three.ledger, "--no-audio")
    assert code == 0, err
    slot = _slot(out, "sh010")
    assert slot.metadata is not None and slot.metadata.take == 2
    assert sound_facts(Path(slot.media_path)).sound  # the version has sound: it is not placed
    assert [t.sound for t in slot.metadata.takes] == [True, True]
    assert _sounds(out, slot) == [] and slot.metadata.link_id == ""  # the AI sound went too
    back = tmp_path / "ai_again.otio"
    code, _, err = cli(capsys, "takes", out, "--at", CLOCK.to_text(slot.record_start + 1),
                       "--use", "1", "-o", back)
    assert code == 0, err
    _linked_sound_is(back, "sh010", _ai_media(back, "sh010"))


def _ai_media(path: Path, shot: str) -> str:
    meta = _slot(path, shot).metadata
    assert meta is not None
    return meta.takes[0].media


def test_a_new_ai_take_keeps_the_artist_version_and_its_chain(
    ingested: Ingested, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    shot = ingested.three.shots[0]
    at = CLOCK.to_text(shot.record_start + 2)
    before = _slot(ingested.timeline, "sh010").metadata
    assert before is not None
    chain = before.extra["finishing"]["2"]
    out = tmp_path / "new_take.otio"
    code, _, err = cli(capsys, "generate", ingested.timeline, "--at", at, "--prompt",
                       PROMPTS[0], "--new-take", "--provider", "preview", "--base-url",
                       ingested.server.base_url, "--size", "320x180", "--seconds", "2",
                       "--preset", "h264-web", "--ledger", ingested.three.ledger, "-o", out)
    assert code == 0, err
    slot = _slot(out, "sh010")
    assert (slot.record_start, slot.duration) == (shot.record_start, shot.duration)
    assert slot.track_name == "AI Generated"  # in the slot, not stacked on a new track
    assert len(shot_slots(read_timeline(out))) == 3
    meta = slot.metadata
    assert meta is not None and meta.take == 3 and meta.job_id != shot.job_id
    assert [(t.take, t.job_id) for t in meta.takes] == [
        (1, shot.job_id), (2, shot.job_id), (3, meta.job_id)]
    assert [t.media for t in meta.takes[:2]] == [t.media for t in before.takes]
    assert meta.extra["finishing"] == {"2": chain}
    assert meta.extra["take_in"] == {"1": shot.media_in}
    assert _sounds(out, slot) == []  # the new take's prompt asks for no sound

    code, listed, err = cli(capsys, "takes", out, "--at", at, "--json")
    assert code == 0, err
    takes = json.loads(listed)["takes"]
    assert [(t["take"], t["kind"], t["in_use"]) for t in takes] == [
        (1, "ai", False), (2, "artist", False), (3, "ai", True)]
    assert takes[1]["label"] == "artist comp v002" and takes[1]["chain"] == chain
    code, text, err = cli(capsys, "takes", out, "--at", at)
    assert code == 0, err
    assert "  2  artist comp v002  (from AI job " in text and "* 3  " in text

    artist = tmp_path / "artist_again.otio"
    code, _, err = cli(capsys, "takes", out, "--at", at, "--use", "2", "-o", artist)
    assert code == 0, err
    shown = _linked_sound_is(artist, "sh010", meta.takes[1].media)
    assert shown.metadata is not None and shown.metadata.take == 2
    assert shown.metadata.extra["finishing"]["2"] == chain
    assert shown.media_path == meta.takes[1].media and shown.media_in == 0

    ai = tmp_path / "ai_again.otio"
    code, _, err = cli(capsys, "takes", artist, "--at", at, "--use", "1", "-o", ai)
    assert code == 0, err
    first = _slot(ai, "sh010")
    assert first.media_path == meta.takes[0].media and first.media_in == shot.media_in
