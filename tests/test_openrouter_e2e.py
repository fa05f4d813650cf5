"""OpenRouter end to end over real HTTP: the CLI against ``stillmotion serve --require-key``.

The real commands run in-process (``generate``, ``fill-gap``, ``providers``) with ``--provider
openrouter --base-url http://127.0.0.1:PORT/api/v1`` and a dummy key in OPENROUTER_API_KEY.
Models our table lists (Veo 3.1) and models only the server's catalogue lists (Wan 2.7,
Seedance 2.0, Sora 2 Pro, an unpriced Hailuo) are both used by name. What the server received
is read back from its job store (frames carry burnt-in frame codes), what was placed from the
new timeline; the faults a client must survive are injected into the server.
"""

from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.api.providers.base import GenerationRequest, JobStatus
from stillmotion.jobs.ledger import LedgerState
from stillmotion.jobs.providers import open_provider
from stillmotion.media.frames import grab_frame
from stillmotion.media.probe import probe
from stillmotion.media.sound import file_has_sound
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.server import RunningServer
from stillmotion.server.dialects import DialectFaultPlan, dialect_state
from stillmotion.server.store import JobRecord
from stillmotion.settings import Settings
from stillmotion.timecode import parse_size
from stillmotion.timeline.io import read_timeline, write_timeline
from support.framecode import fit_rect, luma_of_image, read_code
from support.generate_env import TEN_25, ai_items, cli, cli_json, isolate, job
from support.server import last_job_seq, reset_server, server_fixture
from support.timelines import gap, media_clip, timeline, track

KEY = "openrouter-e2e-key"
VARIABLE = "OPENROUTER_API_KEY"
R25 = Fraction(25)
SIZE = (160, 90)
PROMPT = "Slow dolly in; warm evening light"
CREATE = "POST /api/v1/videos"
CATALOGUE = "GET /api/v1/videos/models"
# Record layout (25 fps from 10:00:00:00): A 0-20 shows media 5..24, a 30-frame gap, B 50-70
# shows media 30..49.
A_LAST, B_FIRST, GAP = 24, 30, (20, 50)


server = server_fixture(require_key=KEY, workers=2)


_SINCE = [0]


@pytest.fixture
def live(server: RunningServer, monkeypatch: pytest.MonkeyPatch,
         tmp_path: Path) -> RunningServer:
    """No faults, zeroed counters, a sandbox (own cache folder) with the dummy key set."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.delenv("STILLMOTION_MODELS", raising=False)
    monkeypatch.setenv(VARIABLE, KEY)
    reset_server(server)
    _SINCE[0] = last_job_seq(server)
    return server


@pytest.fixture(scope="module")
def coded_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("openrouter-media")
    return render_clip(folder / "coded.mp4",
                       ClipSpec(SIZE[0], SIZE[1], R25, 60, audio_rate=None, label="O"))


@pytest.fixture
def cut(coded_media: Path, tmp_path: Path) -> Path:
    a = media_clip("A", coded_media, rate=R25, source_start=5, duration=20, available=(0, 60))
    b = media_clip("B", coded_media, rate=R25, source_start=30, duration=20,
                   available=(0, 60))
    tl = timeline("gap", R25, TEN_25, [track("V1", [a, gap(30, R25), b])])
    project = tmp_path / "project"
    project.mkdir()
    return Path(write_timeline(tl, project / "cut.otio"))


def _common(server: RunningServer, tmp_path: Path) -> list[str]:
    return ["--provider", "openrouter", "--base-url", f"{server.root_url}/api/v1",
            "--preset", "h264-web", "--ledger", str(tmp_path / "ledger.sqlite3")]


def _jobs(server: RunningServer) -> list[JobRecord]:
    return [r for r in server.service.store.jobs()
            if r.extra.get("dialect") == "openrouter" and r.seq > _SINCE[0]]


def _code(server: RunningServer, stored: str | None, size: tuple[int, int]) -> int | None:
    return read_code(luma_of_image(server.service.store.path(stored or "")),
                     fit_rect(SIZE, size, "crop"))


def _count(server: RunningServer, route: str) -> int:
    return int(server.stats()["requests"].get(route, 0))


def _generate(capsys: pytest.CaptureFixture[str], cut: Path, server: RunningServer,
              tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT, *extra,
               *_common(server, tmp_path))


# -- generate and fill-gap -----------------------------------------------------------------


def test_generate_places_the_clip(live: RunningServer, cut: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    result = cli_json(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                      "--model", "google/veo-3.1-fast", "--seconds", "4",
                      *_common(live, tmp_path))
    assert (result["provider"], result["model"], result["seconds"]) == (
        "openrouter", "google/veo-3.1-fast", 4)
    assert job(tmp_path / "ledger.sqlite3", result["job_id"]).state is LedgerState.PLACED
    (record,) = _jobs(live)
    assert record.size == "1280x720"  # 720p 16:9 from the 16:9 timeline
    assert _code(live, record.image, parse_size(record.size)) == 15  # 5 + 10
    assert record.last_image is None
    assert (_count(live, CREATE), _count(live, CATALOGUE)) == (1, 0)  # a row of ours
    assert probe(Path(result["original"])).require_video().frame_count == 4 * 30
    placed = list(ai_items(read_timeline(result["timeline"])))
    assert [(start, end) for _, _, start, end in placed] == [(10, 110)]


@pytest.mark.parametrize(("flags", "sent"), [([], True), (["--no-audio"], False)])
def test_generate_audio_follows_the_row_and_no_audio(
        flags: list[str], sent: bool, live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Veo 3.1 Fast's row promises sound: the create asks for it, unless ``--no-audio``
    asks for none (then nothing is made or billed for sound, and the clip comes back without
    an audio stream)."""
    result = cli_json(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt",
                      f"{PROMPT}; rain on the window", "--model", "google/veo-3.1-fast",
                      "--seconds", "4", *flags, *_common(live, tmp_path))
    assert job(tmp_path / "ledger.sqlite3", result["job_id"]).state is LedgerState.PLACED
    (record,) = _jobs(live)
    assert record.extra["generate_audio"] is sent
    original = Path(result["original"])
    assert (probe(original).audio is not None, file_has_sound(original)) == (sent, sent)


def test_a_model_only_the_catalogue_lists_works_by_name(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    result = cli_json(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                      "--model", "bytedance/seedance-2.0", "--seconds", "4", "--size",
                      "854x480", *_common(live, tmp_path))
    assert result["cost_estimate"] == "1.00"  # the catalogue's $0.25/s for 4 s
    (record,) = _jobs(live)
    assert (record.size, record.extra["model"]) == ("854x480", "bytedance/seedance-2.0")
    assert _count(live, CATALOGUE) == 1
    # The catalogue is kept: a second model from it needs no second read.
    code, _, err = _generate(capsys, cut, live, tmp_path, "--model", "alibaba/wan-2.7",
                             "--seconds", "2", "--size", "720x1280", "-o",
                             str(tmp_path / "project" / "second.otio"))
    assert code == 0, err
    assert (_count(live, CATALOGUE), _count(live, CREATE)) == (1, 2)
    code, out, _ = cli(capsys, "providers", "--json", "--base-url",
                       f"{live.root_url}/api/v1")
    assert code == 0
    entry = next(e for e in json.loads(out) if e["provider"] == "openrouter")
    assert (entry["key_set"], entry["key_from"], entry["catalogue"]) == (True, VARIABLE,
                                                                         "cached")
    sources = {m["model"]: m["source"] for m in entry["models"]}
    assert sources["google/veo-3.1"] == "built-in"
    assert sources["alibaba/wan-2.7"] == sources["minimax/hailuo-2.3"] == "catalogue"
    prices = {m["model"]: m["price"] for m in entry["models"]}
    assert prices["minimax/hailuo-2.3"] == "unpriced"
    assert KEY not in out


def test_fill_gap_with_a_catalogue_model_that_takes_a_last_frame(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    result = cli_json(capsys, "fill-gap", cut, "--at", "10:00:01:10", "--prompt",
                      "The cup is set down", "--model", "alibaba/wan-2.7",
                      *_common(live, tmp_path))
    assert (result["gap_start"], result["gap_frames"], result["placed_frames"],
            result["record_start"]) == (20, 30, 30, 20)
    assert result["seconds"] == 2  # Wan takes 2-15 s: 2 s is the shortest covering 1.2 s
    (record,) = _jobs(live)
    size = parse_size(record.size)
    assert size == (1280, 720)
    # The server received the last frame before the gap and the first frame after it.
    assert _code(live, record.image, size) == A_LAST
    assert _code(live, record.last_image, size) == B_FIRST
    placed = read_timeline(result["timeline"])
    assert [(start, end) for _, _, start, end in ai_items(placed)] == [GAP]
    assert probe(Path(result["conformed"])).require_video().frame_count == 2 * 25
    assert _count(live, CREATE) == 1


# -- refused before anything is created ----------------------------------------------------


def test_a_missing_key_names_the_variable_and_sends_nothing(
        live: RunningServer, cut: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(VARIABLE)
    for model in ("google/veo-3.1-fast", "alibaba/wan-2.7"):  # ours; the catalogue's
        code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                           "--model", model, "--provider", "openrouter", "--base-url",
                           "https://openrouter.invalid/api/v1", "--preset", "h264-web",
                           "--ledger", str(tmp_path / "l.sqlite3"))
        assert code == 3, err
        (said,) = [line for line in err.splitlines() if line.startswith("stillmotion:")]
        assert VARIABLE in said and "Traceback" not in err


def test_a_wrong_key_names_the_variable(live: RunningServer, cut: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(VARIABLE, "not-the-key")
    code, _, err = _generate(capsys, cut, live, tmp_path, "--model", "google/veo-3.1-fast",
                             "--seconds", "4")
    assert code == 4 and VARIABLE in err
    assert "not-the-key" not in err and KEY not in err


@pytest.mark.parametrize(("extra", "words"), [
    (["--model", "nobody/nothing"], "has no model 'nobody/nothing'"),
    (["--model", "google/veo-3.1-fast", "--seconds", "5"], "5 s is not allowed"),
    (["--model", "google/veo-3.1-fast", "--seconds", "4", "--size", "640x480"],
     "Size 640x480 is not allowed"),
    (["--model", "minimax/hailuo-2.3", "--seconds", "6"], "No price is known"),
])
def test_the_rows_refuse_before_any_create(extra: list[str], words: str, live: RunningServer,
                                           cut: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _generate(capsys, cut, live, tmp_path, *extra)
    assert code == 3, err
    assert words in err and "Traceback" not in err
    assert _count(live, CREATE) == 0
    assert live.stats()["total_requests"] == _count(live, CATALOGUE)  # at most the list


def test_an_unknown_model_names_how_to_declare_it(live: RunningServer, cut: Path,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _generate(capsys, cut, live, tmp_path, "--model", "nobody/nothing")
    assert code == 3 and "alibaba/wan-2.7" in err and "models table" in err


def test_a_price_set_by_the_user_is_counted_never_free(
        live: RunningServer, cut: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STILLMOTION_PRICES", '{"openrouter/minimax/hailuo-2.3": 0.2}')
    code, _, err = _generate(capsys, cut, live, tmp_path, "--model", "minimax/hailuo-2.3",
                             "--seconds", "6", "--budget", "0.5")
    assert code == 9 and "$1.20" in err
    assert _count(live, CREATE) == 0


def test_fill_gap_refuses_a_catalogue_model_without_a_last_frame(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "fill-gap", cut, "--at", "10:00:01:10", "--prompt", "p",
                       "--model", "openai/sora-2-pro", *_common(live, tmp_path))
    assert code == 3 and "openai/sora-2-pro does not" in err
    assert _count(live, CREATE) == 0


# -- faults over real HTTP -----------------------------------------------------------------


@pytest.mark.parametrize("refused", ["prompt", "image"])
def test_refusals_name_the_prompt_or_the_image(
        refused: str, live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    prompt = PROMPT
    if refused == "prompt":
        live.set_faults(moderation_words=["forbidden"])
        prompt = "A forbidden dance"
    else:
        dialect_state(live.service).replace(DialectFaultPlan(refuse_images=1))
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", prompt,
                       "--model", "google/veo-3.1-fast", "--seconds", "4",
                       *_common(live, tmp_path))
    named = "the prompt was refused" if refused == "prompt" else \
        "the reference image was refused"
    assert code == 5, err
    assert f"{named} by openrouter's content policy" in err


def test_an_expired_result_url(live: RunningServer, cut: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    dialect_state(live.service).replace(DialectFaultPlan(expired_downloads=2,
                                                         expired_status=410))
    code, _, err = _generate(capsys, cut, live, tmp_path, "--model", "google/veo-3.1-fast",
                             "--seconds", "4")
    assert code == 6, err
    assert "no longer available (HTTP 410" in err and "generate the clip again" in err
    assert not list((tmp_path / "project" / "stillmotion_media").glob("*_original.mp4"))
    assert _count(live, CREATE) == 1  # the paid job was not sent again


def test_an_unknown_ending_word_fails_the_job(live: RunningServer, cut: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    dialect_state(live.service).replace(DialectFaultPlan(status_values=["ABORTED"]))
    code, _, err = _generate(capsys, cut, live, tmp_path, "--model", "google/veo-3.1-fast",
                             "--seconds", "4")
    assert code == 6 and "failed (ABORTED)" in err


def test_unknown_running_words_are_waited_through(live: RunningServer, coded_media: Path,
                                                  tmp_path: Path) -> None:
    still = Path(grab_frame(coded_media, tmp_path / "still.png", frame=7))
    dialect_state(live.service).replace(DialectFaultPlan(status_values=["WARMING_UP",
                                                                        "queued_upstream"]))
    settings = Settings(base_url=f"{live.root_url}/api/v1")
    seen = []
    with open_provider("openrouter", settings) as provider:
        state = provider.submit(GenerationRequest(PROMPT, "google/veo-3.1-fast", 4,
                                                  (1280, 720), first_frame=still))
        for _ in range(1200):
            state = provider.poll(state.id)
            seen.append((state.raw_status, state.status))
            if state.status.terminal:
                break
            time.sleep(0.05)
    assert state.status is JobStatus.COMPLETED
    assert seen[:2] == [("WARMING_UP", JobStatus.RUNNING), ("queued_upstream",
                                                             JobStatus.RUNNING)]
