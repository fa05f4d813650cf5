"""Several models on one shot: ``generate --provider P:MODEL --provider Q:MODEL`` end to end.

One local server (key required) speaks Runway's and fal's dialects and renders real clips. The
real command runs in-process; what the server received is read from its job store (the stills
carry burnt-in frame codes), what was placed from the new timeline, what the ledger holds from
the ledger. The budget is checked on the sum before anything is sent; a failure of one model
still places the others and ends non-zero.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.api import capabilities
from stillmotion.errors import ConfigError
from stillmotion.jobs.choices import ModelChoice, parse_choices
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.server import RunningServer
from stillmotion.server.store import JobRecord
from stillmotion.timecode import parse_size
from stillmotion.timeline.io import read_timeline, write_timeline
from support.framecode import fit_rect, luma_of_image, read_code
from support.generate_env import TEN_25, ai_items, cli, cli_json, generated, isolate, job
from support.server import last_job_seq, reset_server, server_fixture
from support.timelines import media_clip, timeline, track

KEY = "multi-test-key"
R25 = Fraction(25)
SIZE = (160, 90)
PROMPT = "Slow dolly in; warm evening light"
WAN = "fal-ai/wan/v2.7/image-to-video"
CHOICES = ["--provider", "runway:gen4.5", "--provider", f"fal:{WAN}"]
CREATES = ("POST /v1/image_to_video", "POST /{model_path:falmodel}")


server = server_fixture(require_key=KEY, workers=2)


_SINCE = [0]


@pytest.fixture
def live(server: RunningServer, monkeypatch: pytest.MonkeyPatch,
         tmp_path: Path) -> RunningServer:
    isolate(monkeypatch, tmp_path)
    for variable in ("RUNWAYML_API_SECRET", "FAL_KEY", "GEMINI_API_KEY"):
        monkeypatch.setenv(variable, KEY)
    reset_server(server)
    _SINCE[0] = last_job_seq(server)
    return server


@pytest.fixture
def cut(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    media = render_clip(tmp_path_factory.mktemp("multi-media") / "coded.mp4",
                        ClipSpec(SIZE[0], SIZE[1], R25, 40, audio_rate=None, label="M"))
    shot = media_clip("A", media, rate=R25, source_start=5, duration=30, available=(0, 40))
    project = tmp_path / "project"
    project.mkdir()
    return Path(write_timeline(timeline("multi", R25, TEN_25, [track("V1", [shot])]),
                               project / "cut.otio"))


def _common(server: RunningServer, tmp_path: Path, *extra: str) -> list[str]:
    return ["generate", "--at", "10:00:00:10", "--prompt", PROMPT, "--seconds", "5",
            *CHOICES, "--base-url", server.root_url, "--preset", "h264-web",
            "--ledger", str(tmp_path / "ledger.sqlite3"), *extra]


def _jobs(server: RunningServer) -> list[JobRecord]:
    return [r for r in server.service.store.jobs() if r.seq > _SINCE[0]]


def _creates(server: RunningServer) -> int:
    requests = server.stats()["requests"]
    return sum(int(requests.get(route, 0)) for route in CREATES)


def test_two_models_place_two_takes_in_one_slot(live: RunningServer, cut: Path,
                                                tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    argv = _common(live, tmp_path)
    code, out, err = cli(capsys, argv[0], cut, *argv[1:], "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["failed"] == []
    assert [(t["provider"], t["model"]) for t in result["takes"]] == [
        ("runway", "gen4.5"), ("fal", WAN)]
    assert _creates(live) == 2
    # Both services received the same still: the source frame under the playhead (5 + 10).
    records = _jobs(live)
    assert sorted(r.extra["dialect"] for r in records) == ["fal", "runway"]
    for record in records:
        size = parse_size(record.size)
        assert read_code(luma_of_image(live.service.store.path(record.image or "")),
                         fit_rect(SIZE, size, "crop")) == 15
    # One slot on the new timeline, showing the first choice, holding both takes by model.
    placed = read_timeline(result["timeline"])
    assert [(start, end) for _, _, start, end in ai_items(placed)] == [(10, 135)]
    (clip,) = generated(Path(result["timeline"]))
    assert clip.metadata is not None
    assert (clip.metadata.provider, clip.metadata.model) == ("runway", "gen4.5")
    assert sorted(t.label for t in clip.metadata.takes) == ["fal " + WAN, "runway gen4.5"]
    ledger = tmp_path / "ledger.sqlite3"
    rows = [job(ledger, t["job_id"]) for t in result["takes"]]
    assert len({r.take_group for r in rows}) == 1
    assert {r.state.value for r in rows} == {"placed"}
    # The other model's take is one `takes --use` away, and the review shows both side by side.
    fal_take = next(t.take for t in clip.metadata.takes if t.label.startswith("fal"))
    switched = tmp_path / "project" / "switched.otio"
    code, _, err = cli(capsys, "takes", result["timeline"], "--at", "10:00:00:10", "--use",
                       str(fal_take), "-o", switched)
    assert code == 0, err
    (shown,) = generated(switched)
    assert shown.metadata is not None and shown.metadata.model == WAN
    page = tmp_path / "review.html"
    code, _, err = cli(capsys, "review", result["timeline"], "-o", page, "--ledger", ledger)
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert "runway gen4.5" in text and f"fal {WAN}" in text
    assert text.count('<article class="take') == 2


def test_the_budget_is_checked_on_the_sum_before_any_create(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # gen4.5 5 s at $0.12/s = $0.60 and Wan 2.7 720p 5 s at $0.10/s = $0.50: each fits $1.00.
    argv = _common(live, tmp_path, "--budget", "1.00")
    code, _, err = cli(capsys, argv[0], cut, *argv[1:])
    assert code == 9, err
    assert "These 2 jobs are estimated at $1.10 in total" in err
    assert _creates(live) == 0 and live.stats()["total_requests"] == 0
    assert not (tmp_path / "project" / "cut.stillmotion.otio").exists()


def test_one_failure_still_places_the_other(live: RunningServer, cut: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FAL_KEY", "not-the-key")
    argv = _common(live, tmp_path)
    code, out, err = cli(capsys, argv[0], cut, *argv[1:], "--json")
    assert code == 4, err  # the failed model's own exit code, after placing the other
    assert f"fal:{WAN}:" in err and "FAL_KEY" in err and "the other takes were placed" in err
    assert "not-the-key" not in err + out
    result = json.loads(out)
    assert [t["model"] for t in result["takes"]] == ["gen4.5"]
    assert [f["choice"] for f in result["failed"]] == [f"fal:{WAN}"]
    placed = read_timeline(result["timeline"])
    assert [(start, end) for _, _, start, end in ai_items(placed)] == [(10, 135)]


def test_choices_are_checked_before_anything_is_sent(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--at", "10:00:00:10", "--prompt", PROMPT, "--base-url", live.root_url,
            "--preset", "h264-web", "--ledger", str(tmp_path / "ledger.sqlite3")]
    code, _, err = cli(capsys, "generate", cut, *base, "--provider", "openai",
                       "--provider", "runway")
    assert code == 3 and "has no default model" in err
    code, _, err = cli(capsys, "generate", cut, *base, "--provider", "runway:gen3a_turbo",
                       "--provider", "fal")
    assert code == 3 and "Runway retired gen3a_turbo on 2026-07-30; use gen4.5" in err
    code, _, err = cli(capsys, "generate", cut, *base, "--provider", "runway",
                       "--provider", "fal", "--model", "gen4.5")
    assert code == 3 and "--provider P:MODEL" in err
    code, _, err = cli(capsys, "generate", cut, *base, "--provider", "openai")
    assert code == 3 and "no default model" in err  # a single choice works as before
    assert live.stats()["total_requests"] == 0


def test_a_single_provider_with_a_model_works_as_before(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    result = cli_json(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                      "--seconds", "5", "--provider", "runway:gen4_turbo", "--base-url",
                      live.root_url, "--preset", "h264-web",
                      "--ledger", str(tmp_path / "ledger.sqlite3"))
    assert (result["provider"], result["model"]) == ("runway", "gen4_turbo")
    assert _creates(live) == 1


def test_parse_choices() -> None:
    assert parse_choices(["runway:gen4.5", "fal:fal-ai/wan/v2.7/image-to-video", "veo"]) == [
        ModelChoice("runway", "gen4.5"), ModelChoice("fal", WAN), ModelChoice("veo")]
    with pytest.raises(ConfigError, match="given twice"):
        parse_choices(["runway", "runway"])
    with pytest.raises(ConfigError, match="not a provider choice"):
        parse_choices(["runway:"])


def test_no_default_is_a_sora_model() -> None:
    assert not [m for m in capabilities.DEFAULT_MODEL.values() if m.startswith("sora-2")]
    assert "openai" not in capabilities.DEFAULT_MODEL


def test_a_dry_run_shows_each_model_and_sends_nothing(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = _common(live, tmp_path, "--dry-run")
    code, out, err = cli(capsys, argv[0], cut, *argv[1:])
    assert code == 0, err
    assert out.count("Dry run: nothing was sent.") == 2
    assert "gen4.5" in out and WAN in out and "$0.60" in out and "$0.50" in out
    assert live.stats()["total_requests"] == 0
