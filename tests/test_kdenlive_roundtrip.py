"""A Kdenlive project goes through generate, takes and review and keeps the editor's work.

The project (tests/data/nle/mixes.kdenlive, authored as Kdenlive 23.08 writes it) holds a
same-track mix, a composition, clip, track and master filters, clip markers, guides and a
title. Every element of the input must come back unchanged in the output, plus our track and
clip, and our metadata must be readable from the output for takes and review.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stillmotion.server import RunningServer
from stillmotion.timeline.io import read_timeline
from stillmotion.timeline.kdenlive_write import METADATA_PROPERTY
from support.generate_env import FAST, cli, code_of, generated, isolate
from support.render_media import make_media

FIXTURE = Path(__file__).parent / "data" / "nle" / "mixes.kdenlive"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("kdenlive_media"))


@pytest.fixture
def project(tmp_path: Path, media: dict[str, Path]) -> Path:
    folder = tmp_path / "edit"
    folder.mkdir()
    shutil.copyfile(media["a24.mp4"], folder / "clip.mov")
    return Path(shutil.copyfile(FIXTURE, folder / "mixes.kdenlive"))


def _elements(path: Path) -> dict[str, str]:
    """id -> serialised element, for every element with an id in the project; a timeline
    transition's a_track/b_track numbers are written as the tracks they name (inserting a
    track renumbers the ones above it)."""
    root = ET.parse(path).getroot()
    main = root.find("tractor[@global_feed='1']")
    assert main is not None
    names = [str(t.get("producer")) for t in main.findall("track")]
    for transition in main.findall("transition"):
        for prop in transition.findall("property"):
            if prop.get("name") in ("a_track", "b_track"):
                prop.text = names[int(prop.text or "0")]
    return {str(e.get("id")): ET.tostring(e, encoding="unicode") for e in root.iter()
            if e.get("id")}


# The two containers our additions go into: the bin and the timeline tractor.
_GROWN = ("main_bin", "tractor2")


def _assert_kept(before: dict[str, str], after: dict[str, str]) -> None:
    """Every element of the input is in the output unchanged; the bin and the timeline tractor
    keep every child they had, in order, and only gain ours."""
    assert {k: after.get(k) for k in before if k not in _GROWN} == {
        k: v for k, v in before.items() if k not in _GROWN}
    for key in _GROWN:
        old = [ET.tostring(c, encoding="unicode").strip()
               for c in ET.fromstring(before[key]) if not c.get("id")]
        new = [ET.tostring(c, encoding="unicode").strip()
               for c in ET.fromstring(after[key]) if not c.get("id")]
        assert [c for c in new if c in old] == old, key


def _counts(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    transitions = list(root.iter("transition"))

    def has(element: ET.Element, name: str) -> bool:
        return any(p.get("name") == name for p in element.findall("property"))

    return {
        "mixes": sum(1 for t in transitions if has(t, "kdenlive:mixcut")),
        "compositions": sum(1 for t in transitions
                            if not has(t, "kdenlive:mixcut") and not has(t, "internal_added")),
        "filters": sum(1 for _ in root.iter("filter")),
        "guides": sum(len(json.loads(p.text or "[]")) for p in root.iter("property")
                      if p.get("name") == "kdenlive:docproperties.guides"),
        "clip markers": sum(len(json.loads(p.text or "[]")) for e in root.iter("producer")
                            if not has(e, METADATA_PROPERTY)
                            for p in e.findall("property") if p.get("name") == "kdenlive:markers"),
    }


def _track_names(path: Path) -> list[str]:
    edit = read_timeline(path)
    return [str(track.name) for track in edit.tracks]


def _ai_tractors(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    return [t for t in root.iter("tractor") for p in t.findall("property")
            if p.get("name") == "kdenlive:track_name" and (p.text or "").startswith("AI Gen")]


def test_generate_keeps_mixes_compositions_filters_markers_and_guides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, project: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    before = _elements(project)
    counts = _counts(project)
    assert counts == {"mixes": 1, "compositions": 1, "filters": 3, "guides": 2,
                      "clip markers": 2}
    ledger = tmp_path / "ledger.sqlite3"
    local: list[str | Path] = ["--ledger", ledger, "--provider", "preview", "--base-url",
                               preview_server.base_url, *FAST]
    out = project.with_name("out.kdenlive")
    # Frame 33: the title on V2 is passed over to the shot on V1 (record 33 = file frame 39).
    code, stdout, err = cli(capsys, "generate", project, "--at", "frame:33", "--prompt",
                            "Slow push in over 1 s", "-o", out, *local, "--dry-run", "--json")
    assert code == 0, err
    assert code_of(json.loads(stdout)["image"]) == 39
    code, _, err = cli(capsys, "generate", project, "--at", "frame:33", "--prompt",
                       "Slow push in over 1 s", "-o", out, *local)
    assert code == 0, err
    _assert_kept(before, _elements(out))
    assert _counts(out) == counts
    [tractor] = _ai_tractors(out)
    assert len(tractor.findall("track")) == 2
    # The title on V2 overlaps the new clip, so the AI track goes above it (the track rule).
    assert _track_names(out) == ["V1", "V2", "AI Generated"]
    found = generated(out)
    assert [(g.track_name, g.record_start_frame) for g in found] == [("AI Generated", 33)]
    assert found[0].metadata is not None and found[0].metadata.source_frame == 39
    # A second take of the same shot (as in the .otio takes test): one AI track, two takes.
    again = out
    code, _, err = cli(capsys, "generate", project, "--at", "frame:33", "--prompt",
                       "Slow push in over 1 s", "--new-take", "--overwrite", "-o", again,
                       *local)
    assert code == 0, err
    _assert_kept(before, _elements(again))
    assert len(_ai_tractors(again)) == 1 and _counts(again) == counts
    [take] = generated(again)
    assert take.metadata is not None and take.metadata.take == 2
    assert len(take.metadata.takes) == 2
    # takes switches back to take 1 in a third project; review reads the takes.
    third = project.with_name("take1.kdenlive")
    code, _, err = cli(capsys, "takes", again, "--at", "frame:33", "--use", "1", "-o", third)
    assert code == 0, err
    [shown] = generated(third)
    assert shown.metadata is not None and shown.metadata.take == 1
    assert _counts(third) == counts
    code, _, err = cli(capsys, "review", third, "-o", tmp_path / "review.html", "--ledger",
                       ledger)
    assert code == 0, err
    page = (tmp_path / "review.html").read_text()
    assert "Slow push in over 1 s" in page
    assert _track_names(third) == ["V1", "V2", "AI Generated"]


@pytest.mark.parametrize("prompt", ["Slow push in over 1 s",
                                    "Slow push in over 1 s; she says hello"])
def test_a_track_inserted_under_a_composition_renumbers_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, project: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str], prompt: str,
) -> None:
    """Frame 2: nothing on V2 overlaps the clip, so the AI track goes between V1 and V2 and
    the V1-V2 composition (tracks 1 and 2) now joins tracks 1 and 3, the same two tracks.
    A prompt with speech also gets its sound on an AI audio track, which goes at the bottom of
    the stack where Kdenlive keeps audio tracks: every track number moves up by one and the
    composition still joins V1 and V2."""
    isolate(monkeypatch, tmp_path)
    before = _elements(project)
    out = project.with_name("low.kdenlive")
    code, _, err = cli(capsys, "generate", project, "--at", "frame:2", "--prompt",
                       prompt, "-o", out, "--ledger", tmp_path / "l.sqlite3",
                       "--provider", "preview", "--base-url", preview_server.base_url, *FAST)
    assert code == 0, err
    sound = "says" in prompt
    assert _track_names(out) == ["AI Generated"] * sound + ["V1", "AI Generated", "V2"]
    _assert_kept(before, _elements(out))
    root = ET.parse(out).getroot()
    [composition] = [t for t in root.iter("transition") if t.get("id") == "composition0"]
    numbers = {p.get("name"): p.text for p in composition.findall("property")}
    assert (numbers["a_track"], numbers["b_track"]) == (("2", "4") if sound else ("1", "3"))
    [found] = generated(out)
    assert (found.track_name, found.record_start_frame) == ("AI Generated", 2)


def test_the_editors_own_clip_on_the_ai_track_is_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, project: Path, preview_server: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The editor drops a clip of their own on "AI Generated" (record 30-35); rewriting the
    track (takes) keeps their entry as it was."""
    isolate(monkeypatch, tmp_path)
    out = project.with_name("low.kdenlive")
    code, _, err = cli(capsys, "generate", project, "--at", "frame:2", "--prompt",
                       "Slow push in over 1 s", "-o", out, "--ledger", tmp_path / "l.sqlite3",
                       "--provider", "preview", "--base-url", preview_server.base_url, *FAST)
    assert code == 0, err
    own = ('<blank length="4" /><entry producer="producer0" in="40" out="45">'
           '<property name="kdenlive:id">2</property></entry></playlist>')
    text = out.read_text()
    ai_playlist = text.index("<playlist id=\"stillmotion_playlist")
    end = text.index("</playlist>", ai_playlist)
    edited = project.with_name("edited.kdenlive")
    edited.write_text(text[:end] + own + text[end + len("</playlist>"):])
    chosen = project.with_name("chosen.kdenlive")
    code, _, err = cli(capsys, "takes", edited, "--at", "frame:2", "--use", "1", "-o", chosen)
    assert code == 0, err
    assert '<entry producer="producer0" in="40" out="45">' in chosen.read_text()
    edit = read_timeline(chosen)
    [ai] = [t for t in edit.tracks if t.name == "AI Generated"]
    layout = [(c.name, c.range_in_parent().start_time.value) for c in ai.find_clips()]
    assert layout == [("AI shot take 1", 2), ("shot", 30)]
