"""Helpers for the generate-at-playhead tests: an isolated environment, small frame-coded media,
timelines at the editorial rates, CLI runs, folder snapshots and ledger reads.

Why a module of its own: the end-to-end, bad-input, crash and demo tests all need the same
sandbox (no real user folders, no stray STILLMOTION_* settings), the same tiny media whose
frames carry their index, and the same way of proving a failed run left every file as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.cli import run
from stillmotion.jobs.ledger import JobRow, Ledger
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.timecode import Timecode
from stillmotion.timeline.generated import GeneratedClip, find_generated_clips
from stillmotion.timeline.io import read_timeline, write_timeline
from support.framecode import luma_of_image, read_code
from support.timelines import R23, R2997, R5994, gap, media_clip, span, timeline, track

SETTING_VARIABLES = (
    "STILLMOTION_PROVIDER", "STILLMOTION_BASE_URL", "STILLMOTION_MODEL", "STILLMOTION_API_KEY",
    "OPENAI_API_KEY", "STILLMOTION_LEDGER", "STILLMOTION_BUDGET", "STILLMOTION_DAILY_BUDGET",
    "STILLMOTION_PRICES", "STILLMOTION_SIZE", "STILLMOTION_PRESET", "STILLMOTION_CONFIG",
    "STILLMOTION_POLL_DEADLINE", "STILLMOTION_SERVE_KEY", "STILLMOTION_SIGNING_CERT",
    "STILLMOTION_SIGNING_KEY", "STILLMOTION_CREDENTIALS", "STILLMOTION_TRUST_ANCHORS",
)

# Small frame-coded clips (code readable at 320x180) at every rate the tests place on.
SMALL_CLIPS: dict[str, ClipSpec] = {
    "r23_hour": ClipSpec(320, 180, R23, 72, audio_rate=None, start_timecode="01:00:00:00",
                         label="T23"),
    "r25_ten": ClipSpec(320, 180, Fraction(25), 50, audio_rate=None,
                        start_timecode="10:00:00:00", label="T25"),
    "r2997_df": ClipSpec(320, 180, R2997, 60, audio_rate=None, start_timecode="00:59:59;28",
                         label="TDF"),
    "r5994_df": ClipSpec(320, 180, R5994, 120, audio_rate=None, start_timecode="01:00:00;00",
                         label="T59"),
    "r25_tiny": ClipSpec(128, 72, Fraction(25), 50, audio_rate=None,
                         start_timecode="10:00:00:00", label="S"),
}

HOUR_23 = 86400  # 01:00:00:00 at 23.976 (timecode base 24)
TEN_25 = 10 * 3600 * 25
FAST = ["--size", "320x180", "--seconds", "1", "--preset", "h264-web"]


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """Clear every STILLMOTION_* setting and point the data folder under ``root``."""
    for name in SETTING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    data = root / "user-data"
    monkeypatch.setenv("STILLMOTION_DATA_DIR", str(data))
    monkeypatch.setenv("STILLMOTION_CACHE_DIR", str(root / "user-cache"))
    return data


def clean_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment for a ``stillmotion`` subprocess: ours without STILLMOTION_* settings."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_VARIABLES}
    env["STILLMOTION_DATA_DIR"] = str(root / "user-data")
    env["STILLMOTION_CACHE_DIR"] = str(root / "user-cache")
    env.update(extra)
    return env


def one_clip_cut(folder: Path, size: tuple[int, int], label: str) -> Path:
    """``folder/project/cut.otio``: one 30-frame clip of burnt-in coded media (25 fps, no
    sound) at 10:00:00:00, for a shot at ``10:00:00:05``."""
    media = render_clip(folder / "coded.mp4", ClipSpec(size[0], size[1], Fraction(25), 30,
                                                       audio_rate=None, label=label))
    clip = media_clip("A", media, rate=Fraction(25), source_start=0, duration=30,
                      available=(0, 30))
    project = folder / "project"
    project.mkdir()
    return Path(write_timeline(timeline("t", Fraction(25), TEN_25, [track("V1", [clip])]),
                               project / "cut.otio"))


def small_clip(folder: Path, name: str) -> Path:
    """Render (once per folder) the SMALL_CLIPS entry ``name``."""
    spec = SMALL_CLIPS[name]
    path = folder / f"{name}.mov"
    if not path.exists():
        render_clip(path, spec)
    return path


@dataclass(frozen=True)
class Case:
    """A timeline to generate on: where to park, which source frame shows there, and the
    timeline-relative record frame the generated clip must start on."""

    name: str
    timeline: Any
    at: str
    source_frame: int
    record_frame: int
    preset: str = "h264-web"


def case_23976(media: Path) -> Case:
    clip = media_clip("hour", media, rate=R23, source_start=HOUR_23 + 6, duration=60,
                      available=(HOUR_23, 72))
    tl = timeline("t23", R23, HOUR_23, [track("V1", [gap(3, R23), clip])])
    return Case("23.976", tl, "01:00:00:20", 6 + 17, 20)


def case_25(media: Path) -> Case:
    clip = media_clip("pal", media, rate=Fraction(25), source_start=TEN_25 + 5, duration=40,
                      available=(TEN_25, 50))
    tl = timeline("t25", Fraction(25), TEN_25, [track("V1", [clip])])
    return Case("25", tl, "10:00:00:24", 29, 24)


def case_25_dissolve(media: Path) -> Case:
    """``case_25``'s shot, a 10-frame dissolve, the shot again; a marker "look" on the first
    (constructs the adapters drop)."""
    case = case_25(media)
    [shot] = list(case.timeline.find_clips())
    again = shot.deepcopy()
    shot.markers.append(otio.schema.Marker(name="look", marked_range=otio.opentime.TimeRange(
        shot.source_range.start_time, otio.opentime.RationalTime(0, 25))))
    case.timeline.tracks[0].extend([otio.schema.Transition(
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=otio.opentime.RationalTime(5, 25), out_offset=otio.opentime.RationalTime(5, 25),
    ), again])
    return Case("25 with a dissolve", case.timeline, case.at, case.source_frame,
                case.record_frame)


def case_2997_df(media: Path) -> Case:
    clock = Timecode(R2997, drop_frame=True)
    media_start = clock.to_frames("00:59:59;28")
    start = clock.to_frames("01:00:00;00")
    clip = media_clip("df", media, rate=R2997, source_start=media_start + 12, duration=45,
                      available=(media_start, 60))
    tl = timeline("tdf", R2997, start, [track("V1", [clip])])
    return Case("29.97 DF", tl, "01:00:00;20", 32, 20, preset="resolve-dnxhr-hq")


def case_5994(media: Path) -> Case:
    clock = Timecode(R5994, drop_frame=True)
    start = clock.to_frames("01:00:00;00")
    clip = media_clip("hfr", media, rate=R5994, source_start=start + 10, duration=100,
                      available=(start, 120))
    tl = timeline("t59", R5994, start, [track("V1", [clip])])
    return Case("59.94", tl, "01:00:01;30", 100, 90)


def case_stacked(media: Path) -> Case:
    """V1 holds A; V2 (disabled) covers the playhead with C; V3 has a gap there."""
    a = media_clip("A", media, rate=R23, source_start=HOUR_23, duration=48,
                   available=(HOUR_23, 72))
    c = media_clip("C", media, rate=R23, source_start=HOUR_23 + 60, duration=12,
                   available=(HOUR_23, 72))
    b = media_clip("B", media, rate=R23, source_start=HOUR_23 + 30, duration=5,
                   available=(HOUR_23, 72))
    tl = timeline("stacked", R23, HOUR_23, [
        track("V1", [a]),
        track("V2", [gap(10, R23), c], enabled=False),
        track("V3", [b]),
    ])
    return Case("stacked", tl, "01:00:00:15", 15, 15)


def case_time_warp(media: Path) -> Case:
    fast = media_clip("fast", media, rate=R23, source_start=HOUR_23 + 10, duration=20,
                      available=(HOUR_23, 72))
    fast.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    tl = timeline("warp", R23, HOUR_23, [track("V1", [gap(4, R23), fast])])
    return Case("2x time warp", tl, "frame:11", 10 + 2 * 7, 11)


def case_transition(media: Path) -> Case:
    a = media_clip("A", media, rate=R23, source_start=HOUR_23, duration=24,
                   available=(HOUR_23, 72))
    b = media_clip("B", media, rate=R23, source_start=HOUR_23 + 40, duration=24,
                   available=(HOUR_23, 72))
    dissolve = otio.schema.Transition(in_offset=span(0, 6, R23).duration,
                                      out_offset=span(0, 6, R23).duration)
    tl = timeline("dissolve", R23, HOUR_23, [track("V1", [a, dissolve, b])])
    return Case("transition", tl, "01:00:01:02", 42, 26)


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run ``stillmotion argv`` in-process; (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> dict[str, Any]:
    """Run a command with ``--json`` that must succeed; its JSON result."""
    code, out, err = cli(capsys, *argv, "--json")
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result



def generate_two_takes(capsys: pytest.CaptureFixture[str], media_dir: Path, project: Path,
                       ledger: Path, prompt: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Two ``generate`` runs on the preview provider at two playheads of the 23.976 case, the
    second on the first one's timeline (``two.otio`` in ``project``): each run's JSON result,
    and everything the runs printed (for secret scans)."""
    case = case_23976(small_clip(media_dir, "r23_hour"))
    source = write_case(case, project)
    clips, printed = [], []
    for at, cut, out in ((case.at, source, "one.otio"),
                         ("01:00:02:02", project / "one.otio", "two.otio")):
        code, stdout, stderr = cli(
            capsys, "generate", cut, "--at", at, "--prompt", prompt, "--provider",
            "preview", "--size", "320x180", "--seconds", "1", "--ledger", ledger,
            "-o", project / out, "--json")
        assert code == 0, stderr
        printed += [stdout, stderr]
        clips.append(json.loads(stdout))
    return clips, printed

def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``folder``."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def job(ledger: Path, job_id: str) -> JobRow:
    with Ledger(ledger) as book:
        return book.get(job_id)


def code_of(image: Path | str) -> int | None:
    """The burnt-in frame index of an image file."""
    return read_code(luma_of_image(Path(image)))


def generated(path: Path, *, rate: str | None = None) -> list[GeneratedClip]:
    """The generated clips on the timeline file ``path``, re-read through its adapter."""
    return find_generated_clips(read_timeline(path, rate=rate))


def write_case(case: Case, folder: Path, name: str = "cut.otio") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_timeline(case.timeline, folder / name)


def copy_media(media: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / media.name
    shutil.copyfile(media, target)
    return target


def ai_items(tl: Any) -> Iterator[tuple[str, str, int, int]]:
    """(track, clip, start, end) of the clips on tracks named "AI Generated…" (relative)."""
    for tr in tl.tracks:
        if not str(tr.name).startswith("AI Generated"):
            continue
        for child in tr:
            if isinstance(child, otio.schema.Clip):
                where = child.range_in_parent()
                start = round(where.start_time.value)
                yield str(tr.name), str(child.name), start, start + round(where.duration.value)
