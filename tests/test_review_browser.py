"""``stillmotion review`` on a real batch from the local server, checked in headless Chromium.

The batch is made through the real CLI: shot A gets two takes conformed to DNxHR (which no
browser plays, so the page must play the H.264 download), shot B one H.264 take whose prompt
holds ``<script>``. The page must show every take, play a video (currentTime advances), scrub
on hover, print no console error, show the script as text, and give a ``takes --use`` command
that works when pasted.
"""

from __future__ import annotations

import shlex
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
from stillmotion.server import RunningServer
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.shots import sample_timeline
from support.chromium import Page, chromium_page, missing_reason
from support.generate_env import cli, generated, isolate, snapshot

PROMPT_A = "Slow dolly in over 1 s; warm evening light"
PROMPT_B = 'Static. Steam rises <script>alert(1)</script> & "quoted" \'text\''
AT_A, AT_B = "01:00:00:12", "01:00:03:00"
SMALL = ["--size", "320x180", "--seconds", "1"]


@dataclass(frozen=True)
class Batch:
    root: Path
    cut: Path
    final: Path
    ledger: Path
    media: Path
    rows: list[JobRow]

    def job(self, prompt: str, take: int = 1) -> JobRow:
        return next(r for r in self.rows if r.prompt == prompt and r.take == take)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory,
          preview_server: RunningServer) -> Iterator[Batch]:
    """Two shots generated through the CLI: A twice (DNxHR), B once (H.264, script prompt)."""
    root = tmp_path_factory.mktemp("review-batch")
    with pytest.MonkeyPatch.context() as patch:
        isolate(patch, root)
        source = root / "source"
        source.mkdir()
        clips = [(render_clip(source / f"shot_{label}.mp4", ClipSpec(
            320, 180, Fraction(24), 48, audio_rate=None, label=label)), 48) for label in "AB"]
        cut = write_timeline(sample_timeline("cut", clips, Fraction(24), 86400),
                             root / "cut.otio")
        ledger = root / "ledger.sqlite3"
        common = ["--provider", "preview", "--base-url", preview_server.base_url, *SMALL,
                  "--ledger", str(ledger)]
        dnxhr = [*common, "--preset", "resolve-dnxhr-hq"]
        steps = [
            ["generate", cut, "--at", AT_A, "--prompt", PROMPT_A, "-o", root / "cut1.otio",
             *dnxhr],
            ["generate", cut, "--at", AT_A, "--prompt", PROMPT_A, "--new-take", "-o",
             root / "cut1.otio", "--overwrite", *dnxhr],
            ["generate", root / "cut1.otio", "--at", AT_B, "--prompt", PROMPT_B, "-o",
             root / "final.otio", *common, "--preset", "h264-web"],
        ]
        for step in steps:
            assert run([str(a) for a in step]) == 0, step
        with Ledger(ledger) as book:
            rows = book.jobs()
        yield Batch(root, cut, root / "final.otio", ledger, root / "stillmotion_media", rows)


def _review(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Path:
    code, out, err = cli(capsys, "review", *argv)
    assert code == 0, err
    assert "Review page:" in out
    return Path(out.split("Review page: ", 1)[1].split(" (", 1)[0])


def _articles(page: Page) -> list[dict[str, Any]]:
    return list(page.evaluate("""Array.from(document.querySelectorAll('article.take')).map(
        (a) => ({job: a.dataset.job, take: a.dataset.take, inUse: a.classList.contains('in-use'),
                 prompt: a.querySelector('.prompt').textContent,
                 plays: a.querySelector('.plays').textContent,
                 command: (a.querySelector('.switch code') || {}).textContent || null}))"""))


SCRUB_BOX = "((job) => document.querySelector(`article.take[data-job=\"${job}\"] .scrub`))"
PLAY = """(async (job) => {
  const article = document.querySelector(`article.take[data-job="${job}"]`);
  const video = article.querySelector('video');
  article.querySelector('button.play').click();
  const times = [];
  const end = Date.now() + 8000;
  while (Date.now() < end && !video.ended && video.currentTime < 0.4) {
    times.push(video.currentTime);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  times.push(video.currentTime);
  return {times, src: video.currentSrc, error: video.error && video.error.code,
          hidden: video.hidden};
})"""


def _plays(page: Page, job: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(f"{PLAY}({job!r})")
    return result


@pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))
def test_timeline_review_plays_scrubs_escapes_and_switches(
    batch: Batch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media_before = snapshot(batch.media)
    out = tmp_path / "review"
    out.mkdir()
    page_path = _review(capsys, batch.final, "-o", out / "review.html", "--ledger", batch.ledger)
    assert snapshot(batch.media) == media_before  # nothing written into the user's media
    assert sorted(p.name for p in out.iterdir()) == ["review.html", "review_assets"]
    a1, a2, b1 = batch.job(PROMPT_A, 1), batch.job(PROMPT_A, 2), batch.job(PROMPT_B)

    with chromium_page() as page:
        page.open(page_path.as_uri())
        page.screenshot(tmp_path / "review-top.png")
        articles = {a["job"]: a for a in _articles(page)}
        assert set(articles) == {a1.id, a2.id, b1.id}
        assert [articles[j]["take"] for j in (a1.id, a2.id, b1.id)] == ["1", "2", "1"]
        assert [articles[j]["inUse"] for j in (a1.id, a2.id, b1.id)] == [False, True, True]

        # The prompt with <script> is text, and the page holds only its own script.
        assert articles[b1.id]["prompt"] == PROMPT_B
        assert page.evaluate("document.scripts.length") == 1
        assert page.evaluate("document.querySelectorAll('article script').length") == 0

        # DNxHR does not play in browsers: the player plays the H.264 download and says so.
        assert a1.files.download is not None and b1.files.conformed is not None
        assert f"original download {a1.files.download.name}" in articles[a1.id]["plays"]
        assert "DNxHR" in articles[a1.id]["plays"]
        assert f"conformed file {b1.files.conformed.name}" in articles[b1.id]["plays"]

        # Hover scrub: the spritesheet is shown, at a tile chosen by the pointer.
        box = page.evaluate(f"{SCRUB_BOX}({a1.id!r}).getBoundingClientRect().toJSON()")
        page.move_mouse(box["left"] + box["width"] * 0.75, box["top"] + box["height"] / 2)
        scrub = page.evaluate(f"""(() => {{ const b = {SCRUB_BOX}({a1.id!r});
            return {{cls: b.className, image: b.style.backgroundImage, sprite: b.dataset.sprite,
                     position: b.style.backgroundPosition}}; }})()""")
        assert "scrubbing" in scrub["cls"] and scrub["sprite"] in scrub["image"]
        assert scrub["position"] != "0px 0px"
        assert (out / scrub["sprite"]).is_file()
        page.screenshot(tmp_path / "review-scrub.png")

        # Videos play: currentTime advances, from the right file.
        for job, suffix in ((a1.id, "_original.mp4"), (b1.id, b1.files.conformed.name)):
            played = _plays(page, job)
            assert played["error"] is None and not played["hidden"], played
            assert played["src"].endswith(suffix), played
            times = played["times"]  # sampled from the click on: playback moves forward
            assert times == sorted(times) and times[-1] > times[0] and times[-1] >= 0.4, played

        # Every picture loads when the whole page is in view.
        page.resize(1280, page.content_height())
        images = page.wait_for_images()
        assert len(images) == 5  # two source stills, three thumbnails
        assert all(i["complete"] and i["width"] > 0 for i in images), images
        page.screenshot(tmp_path / "review-full.png")
        assert page.errors() == []
        command = articles[a1.id]["command"]

    assert (tmp_path / "review-full.png").stat().st_size > 10_000
    # The copied command works: it switches the shot back to take 1.
    argv = shlex.split(command)
    assert argv[:2] == ["stillmotion", "takes"] and argv[-2:] == ["--use", "1"]
    switched = tmp_path / "switched.otio"
    code, _, err = cli(capsys, *argv[1:], "-o", switched)
    assert code == 0, err
    shown = [g.metadata for g in generated(switched) if g.metadata is not None]
    assert {m.job_id for m in shown} == {a1.id, b1.id}


@pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))
def test_media_dir_review_groups_by_ledger_and_plays(
    batch: Batch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page_path = _review(capsys, "--media-dir", batch.media, "-o", tmp_path / "media.html",
                        "--ledger", batch.ledger)
    text = page_path.read_text(encoding="utf-8")
    assert text.count('<section class="shot"') == 2
    a1, a2, b1 = batch.job(PROMPT_A, 1), batch.job(PROMPT_A, 2), batch.job(PROMPT_B)
    with chromium_page() as page:
        page.open(page_path.as_uri())
        articles = {a["job"]: a for a in _articles(page)}
        assert set(articles) == {a1.id, a2.id, b1.id}
        # Shot A's newest timeline (cut1.otio) shows take 2; its command switches on that file.
        assert articles[a2.id]["inUse"] and not articles[a1.id]["inUse"]
        assert shlex.split(articles[a1.id]["command"])[2] == str(batch.root / "cut1.otio")
        assert articles[b1.id]["prompt"] == PROMPT_B
        played = _plays(page, a2.id)
        assert played["src"].endswith("_original.mp4") and played["times"][-1] > 0, played
        assert page.errors() == []


def test_review_refuses_to_overwrite_and_reuses_assets(
    batch: Batch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "review.html"
    target.write_text("keep me")
    code, _, err = cli(capsys, "review", batch.final, "-o", target, "--ledger", batch.ledger)
    assert code == 3
    assert err.count("\n") == 1 and "--overwrite" in err and "Traceback" not in err
    assert target.read_text() == "keep me"
    assert not (tmp_path / "review_assets").exists()

    _review(capsys, batch.final, "-o", target, "--ledger", batch.ledger, "--overwrite")
    assets = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "review_assets").iterdir()}
    assert len(assets) == 2 + 3 * 2  # stills, then a thumbnail and a spritesheet per take
    _review(capsys, batch.final, "-o", target, "--ledger", batch.ledger, "--overwrite")
    again = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "review_assets").iterdir()}
    assert again == assets
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(("args", "code", "words"), [
    (["--media-dir", "MEDIA", "--media-dir", "EMPTY"], 3, "one --media-dir folder"),
    ([], 3, "Give a timeline file, or one --media-dir"),
    (["CUT"], 8, "no generated clips"),
    (["--media-dir", "MISSING"], 3, "does not exist"),
    (["--media-dir", "EMPTY"], 3, "No generated takes"),
])
def test_review_bad_inputs_say_one_sentence(
    batch: Batch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    args: list[str], code: int, words: str,
) -> None:
    (tmp_path / "empty").mkdir()
    names = {"TIMELINE": str(batch.final), "MEDIA": str(batch.media), "CUT": str(batch.cut),
             "MISSING": str(tmp_path / "nope"), "EMPTY": str(tmp_path / "empty")}
    argv = [names.get(a, a) for a in args]
    result, _, err = cli(capsys, "review", *argv, "-o", tmp_path / "r.html", "--ledger",
                         batch.ledger)
    assert result == code, err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


def test_a_format_that_drops_metadata_still_shows_the_generated_clips(
    batch: Batch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Written by the plain OTIO FCP 7 XML adapter, as another tool would: it drops our
    # metadata (stillmotion's own writer keeps it in <comments>).
    xml = tmp_path / "final.xml"
    otio.adapters.write_to_file(read_timeline(batch.final), str(xml), adapter_name="fcp_xml")
    page_path = _review(capsys, xml, "-o", tmp_path / "xml.html", "--ledger", batch.ledger)
    text = page_path.read_text(encoding="utf-8")
    assert text.count('<section class="shot"') == 2
    assert text.count("dropped the stillmotion metadata") == 2
    assert "Its takes are unknown" in text
    assert text.count("<video ") == 2  # the placed media still plays
