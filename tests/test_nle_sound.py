"""The generated clip's sound in the editors' own documents written in place (FCPXML, Kdenlive):
with its picture at the same record frame and duration, none with ``--no-audio``, and back with
its picture when takes are switched. Through the real local server and the real adapters.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.server import RunningServer
from stillmotion.timeline.io import read_timeline
from support.generate_env import FAST, HOUR_23, cli, generated, isolate, small_clip
from support.render_media import make_media
from test_fcpxml_roundtrip import project_text
from test_kdenlive_roundtrip import FIXTURE

SPEECH = 'Slow push in over 1 s; she says "we made it" quietly'


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 24 fps file mixes.kdenlive names (clip.mov beside it)."""
    return make_media(tmp_path_factory.mktemp("kdenlive_media"))["a24.mp4"]


def _ours(path: Path) -> tuple[ET.Element, ET.Element]:
    """Our connected clip and its asset."""
    root = ET.parse(path).getroot()
    [clip] = [c for c in root.iter("asset-clip") if c.find("metadata/md") is not None]
    [asset] = [a for a in root.iter("asset") if a.get("id") == clip.get("ref")]
    return clip, asset


def test_fcpxml_connects_the_clip_with_its_sound_and_takes_keep_them_together(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, media_dir: Path, preview_server: RunningServer,
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
        tmp_path / "ledger.sqlite3", "--provider", "preview", "--base-url", preview_server.base_url,
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


def _layout(path: Path) -> dict[str, list[tuple[int, int, Any, str]]]:
    """Kind -> (record start, duration, source range, link id) of our clips, as re-read."""
    found: dict[str, list[tuple[int, int, Any, str]]] = {"Video": [], "Audio": []}
    edit = read_timeline(path)  # kept alive while its tracks are walked
    for tr in edit.tracks:
        for clip in tr.find_clips():
            block = clip.metadata.get("stillmotion")
            if block is not None and tr.name == "AI Generated":
                where = clip.range_in_parent()
                found[str(tr.kind)].append((round(where.start_time.value),
                                            round(where.duration.value), clip.source_range,
                                            str(block.get("link_id") or "")))
    return found


def _audio_tractors(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    return [t for t in root.iter("tractor") for p in t.findall("property")
            if p.get("name") == "kdenlive:audio_track" and p.text == "1"]


def test_kdenlive_puts_the_sound_on_an_audio_track_under_the_same_frames(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, preview_server: RunningServer, clip_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    folder = tmp_path / "edit"
    folder.mkdir()
    shutil.copyfile(clip_file, folder / "clip.mov")
    project = Path(shutil.copyfile(FIXTURE, folder / "mixes.kdenlive"))
    base: list[str | Path] = [
        "generate", project, "--at", "frame:2", "--prompt", SPEECH, "--ledger",
        tmp_path / "ledger.sqlite3", "--provider", "preview", "--base-url", preview_server.base_url,
        *FAST]
    out = folder / "out.kdenlive"
    code, _, err = cli(capsys, *base, "-o", out)
    assert code == 0, err
    layout = _layout(out)
    [(p_start, p_length, p_range, p_link)] = layout["Video"]
    [(a_start, a_length, a_range, a_link)] = layout["Audio"]
    assert (p_start, p_length) == (a_start, a_length) and p_start == 2 and p_length > 0
    assert p_range == a_range and p_link == a_link != ""
    # Kdenlive's shape: an audio tractor at the bottom whose playlists hide video, playing the
    # picture's own bin producer over the same range, mixed by Kdenlive's "mix".
    [tractor] = _audio_tractors(out)
    root = ET.parse(out).getroot()
    main = root.find("tractor[@global_feed='1']")
    assert main is not None
    tracks = [t.get("producer") for t in main.findall("track")]
    assert tracks.index(tractor.get("id")) == 1  # just above the black track
    assert {t.get("hide") for t in tractor.findall("track")} == {"video"}
    entries = {}
    for playlist in root.iter("playlist"):
        for entry in playlist.findall("entry"):
            if any(t.get("producer") == playlist.get("id") for t in tractor.findall("track")):
                entries["sound"] = entry
            elif entry.get("producer", "").startswith("stillmotion_"):
                entries.setdefault("picture", entry)
    assert {k: (e.get("producer"), e.get("in"), e.get("out")) for k, e in entries.items()} \
        == {"sound": (entries["picture"].get("producer"), entries["picture"].get("in"),
                      entries["picture"].get("out")),
            "picture": (entries["picture"].get("producer"), entries["picture"].get("in"),
                        entries["picture"].get("out"))}
    mixes = [t for t in main.findall("transition")
             if any(p.text == "mix" for p in t.findall("property"))]
    assert len(mixes) == 1

    # A second take without sound: the picture changes, the sound goes; take 1 brings it back.
    code, _, err = cli(capsys, *base, "-o", out, "--new-take", "--no-audio", "--overwrite")
    assert code == 0, err
    assert _layout(out)["Audio"] == [] and len(_layout(out)["Video"]) == 1
    assert _audio_tractors(out) == []  # placed on the input project again: no sound track
    chosen = folder / "take1.kdenlive"
    code, _, err = cli(capsys, "takes", out, "--at", "frame:2", "--use", "1", "-o", chosen)
    assert code == 0, err
    back = _layout(chosen)
    assert [v[:2] for v in back["Video"]] == [v[:2] for v in back["Audio"]] == \
        [(p_start, p_length)]
    assert back["Video"][0][3] == back["Audio"][0][3] != ""
    # On a project that holds the sound track now: take 2 without its sound empties it (the
    # track stays), take 1 fills it again, one sound track throughout and the editor's tracks
    # matched one for one.
    silent, again = folder / "take2.kdenlive", folder / "again.kdenlive"
    code, _, err = cli(capsys, "takes", chosen, "--at", "frame:2", "--use", "2", "--no-audio",
                       "-o", silent)
    assert code == 0, err
    assert _layout(silent)["Audio"] == [] and len(_audio_tractors(silent)) == 1
    code, _, err = cli(capsys, "takes", silent, "--at", "frame:2", "--use", "1", "-o", again)
    assert code == 0, err
    layout = _layout(again)
    assert {k: [v[:3] for v in found] for k, found in layout.items()} == \
        {k: [v[:3] for v in found] for k, found in back.items()}
    assert layout["Video"][0][3] == layout["Audio"][0][3] != ""  # a fresh link, one pair
    assert len(_audio_tractors(again)) == 1
    edit = read_timeline(again)
    assert [str(t.name) for t in edit.tracks] == ["AI Generated", "V1", "AI Generated", "V2"]


def test_kdenlive_with_no_audio_writes_no_sound(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, preview_server: RunningServer, clip_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    folder = tmp_path / "edit"
    folder.mkdir()
    shutil.copyfile(clip_file, folder / "clip.mov")
    project = Path(shutil.copyfile(FIXTURE, folder / "mixes.kdenlive"))
    out = folder / "out.kdenlive"
    code, _, err = cli(capsys, "generate", project, "--at", "frame:2", "--prompt", SPEECH,
                       "--no-audio", "--ledger", tmp_path / "ledger.sqlite3", "--provider",
                       "preview", "--base-url", preview_server.base_url, *FAST, "-o", out)
    assert code == 0, err
    assert _audio_tractors(out) == []
    assert _layout(out)["Audio"] == [] and len(_layout(out)["Video"]) == 1
    edit = read_timeline(out)
    assert [str(t.name) for t in edit.tracks] == ["V1", "AI Generated", "V2"]
    assert all(t.kind != otio.schema.TrackKind.Audio for t in edit.tracks)
