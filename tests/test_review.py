"""The review page without a browser: hundreds of takes escaped and lazy, links, commands,
which file plays, and a media folder read by file names alone (real ffmpeg, no ledger)."""

from __future__ import annotations

import base64
import hashlib
import shlex
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest

from stillmotion.media.conform import conform
from stillmotion.media.frames import grab_frame
from stillmotion.media.probe import probe
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.review import Review, ReviewAssets, Shot, SwitchCommand, Take, render_page
from stillmotion.review.assets import Sprite, TakeAssets, choose_player, playable
from stillmotion.review.page import href
from support.generate_env import cli, isolate, snapshot

NASTY = '<script>alert("x")</script> & \'quotes\' <img src=x onerror=alert(1)>'
ALLOWED_ATTRIBUTES = {
    "lang", "charset", "name", "content", "http-equiv", "class", "id", "data-shot", "data-job",
    "data-take", "data-sprite", "data-columns", "data-rows", "data-tiles", "data-tile-width",
    "data-tile-height", "data-padding", "loading", "decoding", "src", "alt", "type",
    "aria-label", "controls", "preload", "playsinline", "hidden", "href", "title",
    "data-command",
}


class PageParser(HTMLParser):
    """Every start tag with its attributes, the text of each prompt, and inline blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.prompts: list[str] = []
        self.blocks: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "p" and found.get("class") == "prompt":
            self._in = "prompt"
            self.prompts.append("")
        elif tag in ("script", "style"):
            self._in = tag
            self.blocks[tag] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "script", "style"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "prompt":
            self.prompts[-1] += data
        elif self._in in ("script", "style"):
            self.blocks[self._in] += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def _parse(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


def _many_takes(folder: Path) -> tuple[Review, ReviewAssets]:
    shots, takes_assets = [], {}
    for s in range(30):
        key = f"group{s}"
        takes = []
        for t in range(10):
            media = folder / f"odd name #{s}-{t} <&>.mov"
            takes.append(Take(
                job_id=f'sm_{s}_{t}"><b>', number=t + 1, prompt=f"{NASTY} shot {s} take {t}",
                provider="preview", model="m<1>", seconds=4.0, size="1280x720",
                cost_estimate=Decimal("0.40"), preview=bool(t % 2),
                provenance={"c2pa": False, "encoder": "<enc>", "note": NASTY},
                conformed=media, original=media.with_suffix(".mp4"), in_use=t == 3,
                notes=(NASTY,)))
            takes_assets[(key, t)] = TakeAssets(
                thumbnail=folder / "review_assets" / f"t{s}-{t}.jpg",
                sprite=Sprite(folder / "review_assets" / f"s{s}-{t}.jpg", 5, 2, 10, 240, 135),
                play=media.with_suffix(".mp4"), play_note=f"Plays {media.name}.")
        shots.append(Shot(key=key, title=f"{NASTY} {s}", takes=tuple(takes),
                          record_timecode="01:00:00:00", source_label=NASTY,
                          switch=SwitchCommand(folder / "cut 'a'.otio", "01:00:00:00"),
                          notes=(NASTY,)))
    return Review(title=NASTY, origin=NASTY, shots=tuple(shots)), ReviewAssets({}, takes_assets)


def test_three_hundred_takes_render_escaped_lazy_and_whole(tmp_path: Path) -> None:
    review, assets = _many_takes(tmp_path)
    text = render_page(review, assets, tmp_path, generated_at="2026-01-01T00:00:00Z")
    page = _parse(text)

    articles = page.all("article")
    assert len(articles) == 300
    expected = [t.job_id for shot in review.shots for t in shot.takes]
    assert [a["data-job"] for a in articles] == expected  # attribute values round-trip
    assert page.prompts == [t.prompt for shot in review.shots for t in shot.takes]
    assert len(page.all("script")) == 1 and not page.all("b")
    assert {name for _, attrs in page.tags for name in attrs} <= ALLOWED_ATTRIBUTES
    assert len([a for a in page.all("img") if a.get("loading") == "lazy"]) == 300
    videos = page.all("video")
    assert len(videos) == 300 and all(v.get("preload") == "none" for v in videos)
    for attrs in [*page.all("img"), *videos]:
        src = str(attrs["src"])
        assert not src.startswith(("/", "file:", "http")), src
        assert " " not in src and "#" not in src and "<" not in src
    assert videos[0]["src"] == "odd%20name%20%230-0%20%3C%26%3E.mp4"

    # The policy allows exactly the inline style and script the page carries.
    policy = next(str(m["content"]) for m in page.all("meta")
                  if m.get("http-equiv") == "Content-Security-Policy")
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        digest = base64.b64encode(hashlib.sha256(page.blocks[tag].encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy

    commands = [str(b["data-command"]) for b in page.all("button") if b.get("class") == "copy"]
    assert len(commands) == 270  # every take but the one each shot shows
    assert shlex.split(commands[0]) == ["stillmotion", "takes", str(tmp_path / "cut 'a'.otio"),
                                        "--at", "01:00:00:00", "--use", "1"]
    assert "$120.00 estimated" in text


def test_links_are_relative_and_percent_encoded(tmp_path: Path) -> None:
    page = tmp_path / "site"
    assert href(tmp_path / "media" / "a b#1?.mp4", page) == "../media/a%20b%231%3F.mp4"
    assert href(page / "review_assets" / "x.jpg", page) == "review_assets/x.jpg"
    assert href(page / "http:evil.mp4", page) == "http%3Aevil.mp4"  # never read as a scheme


def test_prompt_warnings_and_unknowns_are_shown(tmp_path: Path) -> None:
    vague = Take(job_id="j1", number=1, prompt="make it move nicely", seconds=4.0)
    silent = Take(job_id="j2", number=None, prompt="")
    review = Review("r", "o", (Shot("k", "shot", (vague, silent)),))
    text = render_page(review, ReviewAssets.none(), tmp_path, generated_at="now")
    assert '<ul class="lint"' in text and "no_camera_move" in text
    assert "Prompt unknown" in text and "Take (unnumbered)" in text
    assert text.count('class="copy"') == 0  # no timeline: nothing to switch with
    assert "1 shot · 2 takes · no estimated" in text


def test_file_names_alone_group_a_media_folder_and_pick_the_playable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path)
    media = tmp_path / "media"
    media.mkdir()
    original = render_clip(media / "sm_x_take1_original.mp4", ClipSpec(
        320, 180, Fraction(24), 24, audio_rate=48000, label="X"))
    dnxhr = conform(original, media / "sm_x_take1.mov", preset="resolve-dnxhr-hq")
    grab_frame(original, media / "sm_x_take1_first_frame.png", frame=0)
    render_clip(media / "sm_y_take3.mp4", ClipSpec(
        320, 180, Fraction(24), 24, audio_rate=None, label="Y"))
    for junk in ("notes.txt", ".sm_x_take1.partial-ab12.mov", "other.mp4"):
        (media / junk).write_text("not media")
    before = snapshot(media)

    assert playable(probe(original)) == (True, "H.264 in .mp4")
    assert playable(probe(dnxhr)) == (False, "DNxHR in .mov with pcm_s24le audio")
    play, note = choose_player(Take("sm_x", 1, "", conformed=dnxhr, original=original))
    assert play == original and "does not play in browsers" in note
    assert choose_player(Take("z", 1, "", conformed=media / "gone.mov"))[0] is None

    out = tmp_path / "out"
    out.mkdir()
    missing_ledger = tmp_path / "no-ledger.sqlite3"
    code, stdout, err = cli(capsys, "review", "--media-dir", media, "-o", out / "review.html",
                            "--ledger", missing_ledger)
    assert code == 0, err
    assert "(2 shots, 2 takes)" in stdout
    assert not missing_ledger.exists()  # a review never creates a ledger
    assert snapshot(media) == before  # nor writes into the media folder
    page = _parse((out / "review.html").read_text(encoding="utf-8"))
    assert [a["data-job"] for a in page.all("article")] == ["sm_x", "sm_y"]
    assert [a["data-take"] for a in page.all("article")] == ["1", "3"]
    sources = [str(v["src"]) for v in page.all("video")]
    assert sources == ["../media/sm_x_take1_original.mp4", "../media/sm_y_take3.mp4"]
    images = [str(i["src"]) for i in page.all("img")]
    assert len(images) == 3 and all(i.startswith("review_assets/") for i in images)
    assert all((out / i).is_file() for i in images)
    text = (out / "review.html").read_text(encoding="utf-8")
    assert "No job ledger was found" in text and "No ledger row" in text


def test_open_hands_the_page_to_the_web_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path)
    render_clip(tmp_path / "sm_z_take1.mp4", ClipSpec(160, 90, Fraction(24), 12,
                                                      audio_rate=None, label="Z"))
    opened: list[str] = []

    def open_url(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr("webbrowser.open", open_url)
    code, _, err = cli(capsys, "review", "--media-dir", tmp_path, "-o",
                       tmp_path / "r.html", "--open")
    assert code == 0, err
    assert opened == [(tmp_path / "r.html").as_uri()]
