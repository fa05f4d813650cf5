"""A volume that fills up while we write: one sentence, nothing half-written, the job resumable.

A full disk is simulated with a file size limit (RLIMIT_FSIZE) on the ``stillmotion`` process,
which its ffmpeg children inherit: the write past the limit ends ffmpeg with SIGXFSZ, exactly as
a write onto a full volume ends it with ENOSPC. The limit sits between the size of the
download (small H.264) and of the conformed DNxHR clip, so the job fails in the conform, after
the paid create; ``jobs resume`` without the limit must then finish it without a second create.
"""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

import pytest

from stillmotion.jobs.ledger import LedgerState
from stillmotion.server import RunningServer
from stillmotion.timeline.io import write_timeline
from support.crash_run import row_for, stillmotion_command
from support.generate_env import case_23976, clean_env, cli, isolate, small_clip
from support.server import MakeServer

LIMIT = 2 * 1024 * 1024  # bytes: above a 320x180 H.264 download, below its DNxHR conform
PRICES = '{"openai/preview": 0}'


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def _run_limited(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*stillmotion_command(), *args], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300, check=False,
                          preexec_fn=_limited)


@pytest.fixture
def server(make_server: MakeServer) -> RunningServer:
    return make_server()


def _one_sentence(stderr: str) -> str:
    """The one error line (progress lines may come before it), and no traceback."""
    lines = [line for line in stderr.splitlines() if line.startswith("stillmotion:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_conform_onto_a_full_disk_is_one_sentence_and_leaves_nothing(
    media_dir: Path, tmp_path: Path
) -> None:
    source = small_clip(media_dir, "r23_hour")
    out = tmp_path / "out"
    out.mkdir()
    done = _run_limited(["conform", str(source), "-o", str(out / "clip.mov"), "--size",
                         "1920x1080"], clean_env(tmp_path))
    assert done.returncode == 7, done.stderr
    sentence = _one_sentence(done.stderr)
    assert "disk" in sentence and "full" in sentence and str(out) in sentence
    assert list(out.iterdir()) == []


def test_generate_that_fills_the_disk_resumes_with_one_create(
    server: RunningServer, media_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    case = case_23976(small_clip(media_dir, "r23_hour"))
    project = tmp_path / "project"
    project.mkdir()
    timeline = write_timeline(case.timeline, project / "cut.otio")
    ledger = tmp_path / "ledger.sqlite3"
    prompt = "Slow dolly in onto a full disk"
    done = _run_limited(
        ["generate", str(timeline), "--at", case.at, "--prompt", prompt, "--provider",
         "openai", "--base-url", server.base_url, "--model", "preview", "--size", "320x180",
         "--seconds", "4", "--preset", "resolve-dnxhr-hq", "--ledger", str(ledger)],
        clean_env(tmp_path, STILLMOTION_PRICES=PRICES))
    assert done.returncode == 7, done.stdout + done.stderr
    assert "full" in _one_sentence(done.stderr)
    row = row_for(ledger, prompt)
    assert row is not None and row.state is LedgerState.DOWNLOADED, row
    assert [p.name for p in project.rglob("*") if p.name.startswith(".")] == []
    assert not (project / "cut.stillmotion.otio").exists()
    assert server.stats()["creates"] == {prompt: 1}

    monkeypatch.setenv("STILLMOTION_PRICES", PRICES)
    code, out, err = cli(capsys, "jobs", "resume", "--ledger", ledger)
    assert code == 0, out + err
    assert server.stats()["creates"] == {prompt: 1}
    resumed = row_for(ledger, prompt)
    assert resumed is not None and resumed.state is LedgerState.PLACED
    assert (project / "cut.stillmotion.otio").exists()


def test_a_media_folder_that_cannot_be_written_is_refused_before_sending(
    server: RunningServer, media_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """A file where the media folder should be (permission bits mean nothing to root, so the
    test blocks the folder the way a stray file or a read-only volume would)."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("STILLMOTION_PRICES", PRICES)
    case = case_23976(small_clip(media_dir, "r23_hour"))
    project = tmp_path / "project"
    project.mkdir()
    timeline = write_timeline(case.timeline, project / "cut.otio")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file, not a folder")
    code, out, err = cli(capsys, "generate", timeline, "--at", case.at, "--prompt",
                         "Slow dolly in", "--provider", "openai", "--base-url", server.base_url,
                         "--model", "preview", "--media-dir", blocker / "clips")
    assert code == 3, out + err
    sentence = _one_sentence(err)
    assert "Cannot write into the media folder" in sentence and "--media-dir" in sentence
    assert server.stats()["total_creates"] == 0
    assert blocker.read_text() == "a file, not a folder"
