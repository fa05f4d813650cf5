"""Bad input to generate, batch, extend, remix and takes: one sentence, the documented exit code,
no traceback, and nothing the user had is changed or left half-written.

Every case runs the real command in-process on a project folder holding a timeline and its
media; the folder's files are hashed before and after. Refusals that depend on a service (a
moderation block, a closed port) use a real local server or a real closed port.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from stillmotion.media.probe import probe
from stillmotion.server import FaultPlan, RunningServer
from stillmotion.timeline.io import write_timeline
from stillmotion.timeline.metadata import GeneratedClipMetadata, TakeRecord, write_metadata
from support.generate_env import FAST, TEN_25, cli, copy_media, isolate, small_clip, snapshot
from support.server import server_fixture
from support.timelines import gap, media_clip, timeline, track

PROMPT = "Slow push in over 1 s"
BANNED = "forbidden"


@dataclass
class Project:
    """A user's folder: ``cut.otio`` (a gap, then 40 frames of frame-coded media at 25 fps from
    10:00:00:00) plus variants, and where the ledger lives (outside the folder)."""

    folder: Path
    timeline: Path
    media: Path
    ledger: Path
    server: RunningServer

    def generate(self, *extra: str, at: str = "10:00:00:24", prompt: str = PROMPT,
                 timeline: Path | None = None) -> list[str]:
        return ["generate", str(timeline or self.timeline), "--at", at, "--prompt", prompt,
                "--ledger", str(self.ledger), *extra]

    def local(self) -> list[str]:
        """The cheap shape on the test server (provider preview, 320x180, 1 s, H.264)."""
        return ["--provider", "preview", "--base-url", self.server.base_url, *FAST]

    def write(self, name: str, tl: otio.schema.Timeline) -> Path:
        return write_timeline(tl, self.folder / name)


def _pal(media: Path | None, *, name: str = "pal") -> otio.schema.Clip:
    return media_clip(name, media, rate=Fraction(25), source_start=TEN_25 + 5, duration=40,
                      available=(TEN_25, 50))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_generated_clip(project: Project) -> list[str]:
    """A timeline holding a generated clip with one take; ask for take 3."""
    clip = _pal(project.media, name="AI pal take 1")
    write_metadata(clip, GeneratedClipMetadata(
        prompt=PROMPT, provider="preview", model="preview", job_id="sm_x", seconds=1.0,
        size="320x180", take=1, take_group="g1",
        takes=(TakeRecord(take=1, job_id="sm_x", media=str(project.media)),)))
    tl = timeline("ai", Fraction(25), TEN_25, [track("AI Generated", [gap(5, Fraction(25)),
                                                                       clip])])
    path = project.write("ai.otio", tl)
    return ["takes", str(path), "--at", "10:00:00:10", "--use", "3"]


def _no_markers(project: Project) -> list[str]:
    return ["batch", str(project.timeline), "--from-markers", "--ledger", str(project.ledger),
            *project.local()]


def _offline(project: Project) -> list[str]:
    missing = project.folder / "moved away.mov"
    tl = timeline("offline", Fraction(25), TEN_25, [track("V1", [_pal(missing)])])
    return project.generate(*project.local(), timeline=project.write("offline.otio", tl))


def _corrupt(project: Project) -> list[str]:
    path = project.folder / "broken.otio"
    path.write_text('{"OTIO_SCHEMA": "Timeline.1", "tracks": [', encoding="utf-8")
    return project.generate(*project.local(), timeline=path)


def _unknown_suffix(project: Project) -> list[str]:
    path = project.folder / "cut.timeline"
    path.write_text("not a timeline", encoding="utf-8")
    return project.generate(*project.local(), timeline=path)


def _existing_output(project: Project) -> list[str]:
    (project.folder / "cut.stillmotion.otio").write_text("an earlier result", encoding="utf-8")
    return project.generate(*project.local())


Build = Callable[[Project], list[str]]
# (case id, argv builder, exit code, words the one-line message must contain)
CASES: list[tuple[str, Build, int, str]] = [
    ("no clip at the playhead", lambda p: p.generate(*p.local(), at="10:00:00:02"), 8,
     "no enabled video clip"),
    ("playhead past the end", lambda p: p.generate(*p.local(), at="10:00:59:00"), 8,
     "past the end"),
    ("offline media", _offline, 8, "moved away.mov"),
    ("unknown timeline extension", _unknown_suffix, 8, "cannot read as a timeline"),
    ("corrupt timeline", _corrupt, 8, "could not be read"),
    ("missing timeline file", lambda p: p.generate(timeline=p.folder / "nope.otio"), 8,
     "does not exist"),
    ("missing key for a remote provider", lambda p: p.generate(
        "--provider", "openai", "--base-url", "https://videos.example.com/v1", "--model",
        "sora-2", "--size", "1280x720", "--seconds", "4"), 3, "No API key"),
    ("budget exceeded", lambda p: p.generate(
        "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "sora-2",
        "--size", "1280x720", "--seconds", "4", "--budget", "0.01"), 9, "run budget of $0.01"),
    ("refused prompt", lambda p: p.generate(*p.local(), prompt=f"a {BANNED} shot"), 5,
     "moderation"),
    ("size not allowed for the model", lambda p: p.generate(
        "--provider", "preview", "--model", "sora-2", "--size", "640x360", "--seconds", "4"), 3,
     "640x360 is not allowed for sora-2"),
    ("odd size for the preview model", lambda p: p.generate(
        "--provider", "preview", "--size", "321x181", "--seconds", "1"), 3, "321x181"),
    ("malformed size", lambda p: p.generate("--size", "big"), 3, "big"),
    ("unknown provider", lambda p: p.generate("--provider", "bogus", *FAST), 3,
     "Unknown provider 'bogus'"),
    ("unreachable base URL", lambda p: p.generate(
        "--provider", "preview", "--base-url", f"http://127.0.0.1:{_closed_port()}/v1", *FAST),
     4, "could not connect"),
    ("output path equal to the input", lambda p: p.generate(
        *p.local(), "-o", str(p.timeline)), 3, "input"),
    ("existing output without --overwrite", _existing_output, 3, "--overwrite"),
    ("malformed timecode", lambda p: p.generate(*p.local(), at="10:00:xx:00"), 8,
     "10:00:xx:00"),
    ("drop-frame label on a 25 fps timeline", lambda p: p.generate(
        *p.local(), at="10:00:00;05"), 8, "drop-frame"),
    ("unknown preset", lambda p: p.generate(
        "--provider", "preview", "--base-url", p.server.base_url, "--size", "320x180",
        "--seconds", "1", "--preset", "mpeg1"), 3, "Unknown preset 'mpeg1'"),
    ("preset refusing the timeline size", lambda p: p.generate(
        "--provider", "preview", "--base-url", p.server.base_url, "--size", "320x180",
        "--seconds", "1", "--preset", "resolve-dnxhr-hq", timeline=p.write(
            "tiny.otio", timeline("tiny", Fraction(25), TEN_25, [track("V1", [media_clip(
                "t", small_clip(p.folder, "r25_tiny"), rate=Fraction(25),
                source_start=TEN_25, duration=40, available=(TEN_25, 50))])]))), 3,
     "at least 256x120"),
    ("seconds not allowed", lambda p: p.generate(
        "--provider", "preview", "--size", "320x180", "--seconds", "25"), 3, "25 s"),
    ("empty prompt", lambda p: p.generate(*p.local(), prompt="   "), 3, "prompt is empty"),
    ("prompt over 32000 characters", lambda p: p.generate(*p.local(), prompt="x" * 32001), 3,
     "32001 characters"),
    ("--for with a bad value", lambda p: p.generate(*p.local(), "--for", "avid"), 3, "avid"),
    ("marker batch with no markers", _no_markers, 3, "no markers"),
    ("takes --use of a missing take", _with_generated_clip, 8, "no take 3"),
    ("extend an unknown clip", lambda p: [
        "extend", str(p.timeline), "--clip", "nosuch", "--prompt", PROMPT, "--seconds", "1",
        "--ledger", str(p.ledger), *p.local()[:4]], 8, "nosuch"),
    ("remix an unknown job", lambda p: [
        "remix", "sm_nosuchjob", "--prompt", PROMPT, "--ledger", str(p.ledger)], 1,
     "sm_nosuchjob"),
]


server = server_fixture(faults=FaultPlan(moderation_words=[BANNED]))


@pytest.fixture
def project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, media_dir: Path,
            server: RunningServer) -> Project:
    isolate(monkeypatch, tmp_path)
    folder = tmp_path / "project"
    media = copy_media(small_clip(media_dir, "r25_ten"), folder)
    tl = timeline("cut", Fraction(25), TEN_25, [track("V1", [gap(5, Fraction(25)), _pal(media)])])
    path = write_timeline(tl, folder / "cut.otio")
    return Project(folder, path, media, tmp_path / "ledger.sqlite3", server)


@pytest.mark.parametrize(("argv", "exit_code", "words"),
                         [pytest.param(b, c, w, id=i) for i, b, c, w in CASES])
def test_bad_input_is_one_sentence_and_changes_nothing(
    project: Project, argv: Build, exit_code: int, words: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = argv(project)
    before = snapshot(project.folder)
    code, out, err = cli(capsys, *args)
    lines = [line for line in err.splitlines() if line.strip()]
    ours = [line for line in lines if line.startswith("stillmotion: ")]
    assert "Traceback" not in err + out
    assert len(ours) == 1 and lines[-1] == ours[0], err
    assert words.lower() in ours[0].lower(), ours[0]
    assert code == exit_code, err
    after = snapshot(project.folder)
    assert {k: after.get(k) for k in before} == before
    for name in set(after) - set(before):
        # Only complete stills may appear (the frame grabbed for a request that was refused).
        path = project.folder / name
        assert name.startswith("stillmotion_media/") and path.suffix == ".png", name
        assert not path.name.startswith(".") and ".partial-" not in path.name, name
        assert probe(path).require_video().width > 0


def test_a_refused_connection_sends_nothing_and_keeps_no_claim(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """Connection refused proves the create never left: no ambiguous row, a rerun just works."""
    closed = f"http://127.0.0.1:{_closed_port()}/v1"
    code, _, err = cli(capsys, *project.generate("--provider", "preview", "--base-url", closed,
                                                  *FAST))
    assert code == 4 and "could not connect" in err
    code, out, _ = cli(capsys, "jobs", "list", "--ledger", project.ledger, "--json")
    assert code == 0 and out.split() == ["[]"]


@pytest.mark.parametrize(("provider", "variable"), [("openai", "STILLMOTION_API_KEY"),
                                                     ("veo", "GEMINI_API_KEY")])
def test_a_missing_key_records_nothing_in_the_ledger(
    project: Project, provider: str, variable: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The service is opened before the ledger claim: no key means no row, nothing sent."""
    for name in ("STILLMOTION_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    model = {"openai": ("--model", "sora-2", "--size", "1280x720", "--seconds", "4"),
             "veo": ("--seconds", "8")}[provider]
    code, _, err = cli(capsys, *project.generate("--provider", provider, "--base-url",
                                                  "https://videos.example.com/v1", *model))
    assert code == 3 and variable in err, err
    code, out, _ = cli(capsys, "jobs", "list", "--ledger", project.ledger, "--json")
    assert code == 0 and out.split() == ["[]"]
