"""Every vendor dialect end to end over real HTTP against ``stillmotion serve``.

One local server (key required) speaks all six dialects (Veo, Runway, fal, Kling, Seedance,
Wan) on their own paths and renders with the preview engine. The real commands run in-process:
``stillmotion generate``, ``extend`` and ``fill-gap`` with ``--provider P --base-url
http://127.0.0.1:PORT`` and a dummy key in the vendor's variable (Kling: a key pair, its secret
made at run time). What the server received is read back from its job store (the first and last
frames carry burnt-in frame codes), what was placed is read back from the new timeline.
The faults a client must survive are injected into the server: status words nobody documented,
expired result URLs, refusals of the prompt and of the image.
"""

from __future__ import annotations

import json
import secrets
import time
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from stillmotion.api.providers.base import (
    GenerationRequest,
    JobState,
    JobStatus,
    Provider,
    last_frame_beside,
)
from stillmotion.errors import ContentExpiredError
from stillmotion.jobs.ledger import LedgerState
from stillmotion.jobs.providers import open_provider
from stillmotion.media.frames import fit_image, grab_frame
from stillmotion.media.probe import probe
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

KEY = "dummy-test-key"
KLING_SECRET = secrets.token_hex(16)
"""The secret half of the Kling key pair (the access half is KEY), made at run time."""
R25 = Fraction(25)
SIZE = (160, 90)
PROMPT = "Slow dolly in; warm evening light"
KEY_VARIABLES = {"veo": "GEMINI_API_KEY", "runway": "RUNWAYML_API_SECRET", "fal": "FAL_KEY",
                 "kling": "KLING_ACCESS_KEY", "seedance": "ARK_API_KEY",
                 "wan": "DASHSCOPE_API_KEY"}
CREATE_ROUTES = {"veo": "POST /v1beta/models/{model}:predictLongRunning",
                 "runway": "POST /v1/image_to_video", "fal": "POST /{model_path:falmodel}",
                 "kling": "POST /v1/videos/image2video",
                 "seedance": "POST /api/v3/contents/generations/tasks",
                 "wan": "POST /api/v1/services/aigc/video-generation/video-synthesis"}
FILL_MODELS = {"veo": ("veo-3.1-fast-generate-preview", 4, (1280, 720)),
               "runway": ("veo3.1_fast", 4, (1280, 720)),  # picked: gen4.5 takes no last frame
               "fal": ("fal-ai/kling-video/v2.1/pro/image-to-video", 5, (1280, 720)),
               "kling": ("kling-v3", 3, (1280, 720)),
               "seedance": ("dreamina-seedance-2-0-260128", 4, (1280, 720)),
               "wan": ("wan2.7-i2v", 2, (1280, 720))}
GENERATE_SECONDS = {"veo": 4, "runway": 5, "fal": 5, "kling": 5, "seedance": 4, "wan": 2}
SIGNED_OUTPUTS = {"runway": "GET /_runway/outputs/{task}.mp4",
                  "kling": "GET /_kling/videos/{task}.mp4",
                  "seedance": "GET /_ark/{task}/video.mp4", "wan": "GET /_wan/{task}.mp4"}
"""Dialects whose result URLs are signed afresh on every poll, and their download routes."""
DIALECTS = list(KEY_VARIABLES)
WAN = "fal-ai/wan/v2.7/image-to-video"
CASES = [(d, None) for d in DIALECTS] + [("fal", WAN)]
"""(dialect, model): each dialect's default, and a fal model that is not Kling."""
FILL_CASES = [(d, FILL_MODELS[d]) for d in DIALECTS] + [("fal", (WAN, 2, (1280, 720)))]
# Record layout (timeline-relative, 25 fps from 10:00:00:00): A 0-20 shows media 5..24, a
# 30-frame gap, B 50-70 shows media 30..49.
A_LAST, B_FIRST, GAP = 24, 30, (20, 50)


server = server_fixture(require_key=KEY, kling_secret=KLING_SECRET, workers=2)


@pytest.fixture
def live(server: RunningServer, monkeypatch: pytest.MonkeyPatch,
         tmp_path: Path) -> RunningServer:
    """The server with no faults and zeroed counters; a sandbox with the dummy vendor keys."""
    isolate(monkeypatch, tmp_path)
    for variable in KEY_VARIABLES.values():
        monkeypatch.setenv(variable, KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", KLING_SECRET)
    reset_server(server)
    _SINCE[0] = last_job_seq(server)
    return server


_SINCE = [0]
"""The last job sequence number before the running test (the server is shared)."""


@pytest.fixture(scope="module")
def coded_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dialect-media")
    return render_clip(folder / "coded.mp4",
                       ClipSpec(SIZE[0], SIZE[1], R25, 60, audio_rate=None, label="G"))


@pytest.fixture
def cut(coded_media: Path, tmp_path: Path) -> Path:
    """A timeline with a gap between two clips of the coded media."""
    a = media_clip("A", coded_media, rate=R25, source_start=5, duration=20, available=(0, 60))
    b = media_clip("B", coded_media, rate=R25, source_start=30, duration=20,
                   available=(0, 60))
    tl = timeline("gap", R25, TEN_25, [track("V1", [a, gap(30, R25), b])])
    project = tmp_path / "project"
    project.mkdir()
    return Path(write_timeline(tl, project / "cut.otio"))


def _common(dialect: str, server: RunningServer, tmp_path: Path) -> list[str]:
    return ["--provider", dialect, "--base-url", server.root_url, "--preset", "h264-web",
            "--ledger", str(tmp_path / "ledger.sqlite3")]


def _jobs(server: RunningServer, dialect: str) -> list[JobRecord]:
    """The jobs of ``dialect`` created during the running test."""
    return [r for r in server.service.store.jobs()
            if r.extra.get("dialect") == dialect and r.seq > _SINCE[0]]


def _code(path: Path, size: tuple[int, int]) -> int | None:
    return read_code(luma_of_image(path), fit_rect(SIZE, size, "crop"))


def _creates(server: RunningServer, dialect: str) -> int:
    return int(server.stats()["requests"].get(CREATE_ROUTES[dialect], 0))


# -- generate, extend, fill-gap in every dialect ------------------------------------------------


@pytest.mark.parametrize(("dialect", "model"), CASES)
def test_generate(dialect: str, model: str | None, live: RunningServer, cut: Path,
                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seconds = GENERATE_SECONDS[dialect]
    named = ["--model", model] if model else []
    result = cli_json(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                      "--seconds", str(seconds), *named, *_common(dialect, live, tmp_path))
    if model:
        assert result["model"] == model and _jobs(live, dialect)[0].extra["model"] == model

    assert result["provider"] == dialect and result["seconds"] == seconds
    if dialect == "runway":
        assert result["model"] == "gen4.5"  # the default now; gen3a_turbo is retired
    row = job(tmp_path / "ledger.sqlite3", result["job_id"])
    assert row.state is LedgerState.PLACED
    (record,) = _jobs(live, dialect)
    size = parse_size(record.size)
    assert _code(live.service.store.path(record.image or ""), size) == 15  # 5 + 10
    assert record.last_image is None
    assert _creates(live, dialect) == 1
    assert probe(Path(result["original"])).require_video().frame_count == seconds * 30
    placed = list(ai_items(read_timeline(result["timeline"])))
    assert [(start, end) for _, _, start, end in placed] == [(10, 10 + seconds * 25)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_extend_from_the_last_frame(dialect: str, live: RunningServer, cut: Path,
                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seconds = GENERATE_SECONDS[dialect]
    result = cli_json(capsys, "extend", cut, "--clip", "A", "--prompt", "The camera keeps going",
                      "--seconds", str(seconds), *_common(dialect, live, tmp_path))
    (record,) = _jobs(live, dialect)
    size = parse_size(record.size)
    assert _code(live.service.store.path(record.image or ""), size) == A_LAST
    placed = list(ai_items(read_timeline(result["timeline"])))
    assert [(start, end) for _, _, start, end in placed] == [(20, 20 + seconds * 25)]


def test_veo_native_extension(live: RunningServer, cut: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    common = _common("veo", live, tmp_path)
    first = cli_json(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                     "--seconds", "4", *common)
    (name,) = [clip for _, clip, _, _ in ai_items(read_timeline(first["timeline"]))]
    result = cli_json(capsys, "extend", first["timeline"], "--clip", name, "--native",
                      "--prompt", "The steam keeps rising", "--seconds", "4", *common,
                      "-o", str(tmp_path / "project" / "extended.otio"))

    source, extension = _jobs(live, "veo")
    assert extension.extra["extended_from"] == source.id  # instances[0].video named it
    row = job(tmp_path / "ledger.sqlite3", result["job_id"])
    assert row.request.extend_of == first["remote_id"]
    # Veo's extension holds the source followed by the new part; only the new 4 s are placed,
    # right after the generated clip's out point.
    assert probe(Path(result["original"])).require_video().frame_count == 240
    placed = read_timeline(result["timeline"])
    spans = sorted((start, end) for _, _, start, end in ai_items(placed))
    assert spans == [(10, 110), (110, 210)]
    tail = next(c for t in placed.tracks for c in t if isinstance(c, otio.schema.Clip)
                and c.range_in_parent().start_time.value == 110)
    assert (tail.source_range.start_time.value, tail.source_range.duration.value) == (100, 100)


def test_a_seedance_extend_chain_continues_from_the_returned_last_frame(
        live: RunningServer, coded_media: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Two source clips back to back (0-60, 60-120); the generated clip covers 5-105 above
    # them. Extending it sends the frame Seedance returned, not a frame grabbed from A2.
    a = media_clip("A", coded_media, rate=R25, source_start=0, duration=60, available=(0, 60))
    a2 = media_clip("A2", coded_media, rate=R25, source_start=0, duration=60,
                    available=(0, 60))
    project = tmp_path / "project"
    project.mkdir()
    cut = Path(write_timeline(timeline("chain", R25, TEN_25, [track("V1", [a, a2])]),
                              project / "chain.otio"))
    common = _common("seedance", live, tmp_path)
    first = cli_json(capsys, "generate", cut, "--at", "10:00:00:05", "--prompt", PROMPT,
                     "--seconds", "4", *common)
    returned = last_frame_beside(Path(first["original"]))
    assert returned.is_file()  # content.last_frame_url, fetched with the video
    (name,) = [clip for _, clip, _, _ in ai_items(read_timeline(first["timeline"]))]
    result = cli_json(capsys, "extend", first["timeline"], "--clip", name, "--prompt",
                      "The steam keeps rising", "--seconds", "4", *common,
                      "-o", str(tmp_path / "project" / "chained.otio"))

    row = job(tmp_path / "ledger.sqlite3", result["job_id"])
    assert row.files.source_image == returned.absolute()
    _, extension = _jobs(live, "seedance")
    sent = luma_of_image(live.service.store.path(extension.image or ""))
    rendered = luma_of_image(returned)
    assert sent.shape == rendered.shape and abs(sent - rendered).mean() < 2.0
    assert live.stats()["requests"]["GET /_ark/{task}/last_frame.png"] == 2  # one per job
    placed = list(ai_items(read_timeline(result["timeline"])))
    assert sorted((start, end) for _, _, start, end in placed) == [(5, 105), (105, 205)]


@pytest.mark.parametrize(("dialect", "fill"), FILL_CASES)
def test_fill_gap(dialect: str, fill: tuple[str, int, tuple[int, int]], live: RunningServer,
                  cut: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, seconds, size = fill
    named = [] if dialect == "runway" else ["--model", model]  # runway: fill-gap picks one
    result = cli_json(capsys, "fill-gap", cut, "--at", "10:00:01:10", "--prompt",
                      "The cup is set down", *named, *_common(dialect, live, tmp_path))
    assert result["model"] == model
    if dialect == "runway":
        assert result["model_note"] == ("fill-gap uses runway veo3.1_fast: the default gen4.5 "
                                        "takes no last frame.")

    assert (result["gap_start"], result["gap_frames"], result["placed_frames"],
            result["record_start"]) == (20, 30, 30, 20)
    assert result["seconds"] == seconds  # the nearest length covering 1.2 s
    # The server received the last frame before the gap and the first frame after it.
    (record,) = _jobs(live, dialect)
    assert record.size == f"{size[0]}x{size[1]}"
    assert _code(live.service.store.path(record.image or ""), size) == A_LAST
    assert _code(live.service.store.path(record.last_image or ""), size) == B_FIRST
    # The placed clip fills the gap exactly; the rest of the conformed file stays as handle.
    placed = read_timeline(result["timeline"])
    assert [(start, end) for _, _, start, end in ai_items(placed)] == [GAP]
    clip = next(c for t in placed.tracks if t.name.startswith("AI Generated") for c in t
                if isinstance(c, otio.schema.Clip))
    assert clip.source_range.duration.value == 30
    assert probe(Path(result["conformed"])).require_video().frame_count == seconds * 25
    row = job(tmp_path / "ledger.sqlite3", result["job_id"])
    assert row.files.last_image is not None
    assert read_code(luma_of_image(row.files.last_image),
                     fit_rect(SIZE, size, "crop")) == B_FIRST
    assert _creates(live, dialect) == 1


def test_fill_gap_refuses_a_model_without_a_last_frame(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "fill-gap", cut, "--at", "10:00:01:10", "--prompt", "p",
                       "--model", "gen4.5", *_common("runway", live, tmp_path))
    assert code == 3 and "gen4.5 does not" in err and "runway veo3.1_fast" in err
    code, _, err = cli(capsys, "fill-gap", cut, "--at", "10:00:01:10", "--prompt", "p",
                       "--model", "gen3a_turbo", *_common("runway", live, tmp_path))
    assert code == 3 and "Runway retired gen3a_turbo on 2026-07-30; use gen4.5" in err
    code, _, err = cli(capsys, "fill-gap", cut, "--at", "10:00:00:05", "--prompt", "p",
                       *_common("veo", live, tmp_path))
    assert code == 8 and "clip 'A' shows at 10:00:00:05" in err
    assert live.stats()["total_requests"] == 0


def test_the_table_refuses_before_anything_is_sent(
        live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                       "--seconds", "12", *_common("runway", live, tmp_path))
    assert code == 3 and "12 s is not allowed for gen4.5" in err
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                       "--seconds", "4", "--size", "1920x1080", *_common("veo", live, tmp_path))
    assert code == 3 and "takes only 8 s" in err
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                       "--seconds", "16", *_common("wan", live, tmp_path))
    assert code == 3 and "16 s is not allowed for wan2.7-i2v" in err
    code, _, err = cli(capsys, "fill-gap", cut, "--at", "10:00:01:10", "--prompt", "p",
                       "--model", "kling-v2-6", *_common("kling", live, tmp_path))
    assert code == 3 and "kling kling-v2-6 does not" in err and "kling kling-v3" in err
    assert live.stats()["total_requests"] == 0


# -- faults over real HTTP -----------------------------------------------------------------


def _request(dialect: str, still: Path) -> GenerationRequest:
    """A small job per dialect: fal renders at the still's own size, so it is sent as is; the
    others get it fitted to the size, as the pipeline sends it (Kling refuses small stills)."""
    if dialect == "fal":
        return GenerationRequest(prompt=PROMPT, model=None, seconds=GENERATE_SECONDS[dialect],
                                 size=(160, 90), first_frame=still)
    fitted = fit_image(still, still.with_name("still_1280x720.png"), (1280, 720),
                       overwrite=True)
    return GenerationRequest(prompt=PROMPT, model=None, seconds=GENERATE_SECONDS[dialect],
                             size=(1280, 720), first_frame=fitted)


def _finish(provider: Provider, job_id: str) -> tuple[JobState, list[JobState]]:
    """Poll quickly until the job ends; its last state and every state seen."""
    seen: list[JobState] = []
    for _ in range(1200):
        state = provider.poll(job_id)
        seen.append(state)
        if state.status.terminal:
            return state, seen
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


@pytest.fixture
def still(coded_media: Path, tmp_path: Path) -> Path:
    return Path(grab_frame(coded_media, tmp_path / "still.png", frame=7))


@pytest.mark.parametrize(("dialect", "words"), [
    ("runway", ["WARMING_UP", "ASSIGNED_TO_GPU"]), ("fal", ["IN_WARMUP"]),
    ("veo", ["RESERVING_CAPACITY"]), ("kling", ["queueing"]), ("seedance", ["preparing"]),
    ("wan", ["SUSPENDED"])])
def test_unknown_running_status_words_are_waited_through(
        dialect: str, words: list[str], live: RunningServer, still: Path) -> None:
    dialect_state(live.service).replace(DialectFaultPlan(status_values=words))
    with open_provider(dialect, Settings(base_url=live.root_url)) as provider:
        final, seen = _finish(provider, provider.submit(_request(dialect, still)).id)
    assert final.status is JobStatus.COMPLETED
    unknown = [(s.raw_status, s.status) for s in seen if s.raw_status in words]
    assert unknown == [(w, JobStatus.RUNNING) for w in words]  # raw kept, treated as running


@pytest.mark.parametrize("dialect", list(SIGNED_OUTPUTS))
def test_an_unknown_ending_word_fails_the_job(dialect: str, live: RunningServer, cut: Path,
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    dialect_state(live.service).replace(DialectFaultPlan(status_values=["ABORTED"]))
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                       "--seconds", str(GENERATE_SECONDS[dialect]),
                       *_common(dialect, live, tmp_path))
    assert code == 6 and "failed (ABORTED)" in err
    assert _creates(live, dialect) == 1


@pytest.mark.parametrize("dialect", DIALECTS)
def test_expired_result_urls(dialect: str, live: RunningServer, still: Path,
                             tmp_path: Path) -> None:
    state = dialect_state(live.service)
    with open_provider(dialect, Settings(base_url=live.root_url)) as provider:
        done, _ = _finish(provider, provider.submit(_request(dialect, still)).id)
        state.replace(DialectFaultPlan(expired_downloads=1, expired_status=403))
        if dialect in SIGNED_OUTPUTS:  # a signed URL: asked for afresh once, then it works
            provider.download(done, tmp_path / "fresh.mp4")
            frames = GENERATE_SECONDS[dialect] * 30
            assert probe(tmp_path / "fresh.mp4").require_video().frame_count == frames
            assert live.stats()["requests"][SIGNED_OUTPUTS[dialect]] == 2
            state.replace(DialectFaultPlan(expired_downloads=2, expired_status=410))
        with pytest.raises(ContentExpiredError, match="generate the clip again") as caught:
            provider.download(done, tmp_path / "gone.mp4")
    assert "HTTP 410" in caught.value.message if dialect in SIGNED_OUTPUTS else \
        "HTTP 403" in caught.value.message
    assert not (tmp_path / "gone.mp4").exists()


@pytest.mark.parametrize("dialect", list(SIGNED_OUTPUTS))
def test_an_expired_result_through_the_cli(dialect: str, live: RunningServer, cut: Path,
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    dialect_state(live.service).replace(DialectFaultPlan(expired_downloads=2,
                                                         expired_status=410))
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                       "--seconds", str(GENERATE_SECONDS[dialect]),
                       *_common(dialect, live, tmp_path))
    assert code == 6, err
    assert "no longer available (HTTP 410" in err and "generate the clip again" in err
    assert not list((tmp_path / "project" / "stillmotion_media").glob("*_original.mp4"))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("refused", ["prompt", "image"])
def test_refusals_name_the_prompt_or_the_image(
        dialect: str, refused: str, live: RunningServer, cut: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    prompt = PROMPT
    if refused == "prompt":
        live.set_faults(moderation_words=["forbidden"])
        prompt = "A forbidden dance"
    else:
        dialect_state(live.service).replace(DialectFaultPlan(refuse_images=1))
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", prompt,
                       "--seconds", str(GENERATE_SECONDS[dialect]),
                       *_common(dialect, live, tmp_path))
    named = "the prompt was refused" if refused == "prompt" else \
        "the reference image was refused"
    assert code == 5, err
    assert f"{named} by {dialect}'s content policy" in err


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_wrong_key_names_the_variable(dialect: str, live: RunningServer, cut: Path,
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(KEY_VARIABLES[dialect], "not-the-key")
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                       "--seconds", str(GENERATE_SECONDS[dialect]),
                       *_common(dialect, live, tmp_path))
    assert code == 4 and KEY_VARIABLES[dialect] in err
    assert "not-the-key" not in err and KEY not in err


@pytest.mark.parametrize("unset", ["KLING_SECRET_KEY", "KLING_ACCESS_KEY"])
def test_half_a_kling_key_pair_is_refused_before_sending(
        unset: str, live: RunningServer, cut: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(unset)
    code, _, err = cli(capsys, "generate", cut, "--at", "10:00:00:10", "--prompt", PROMPT,
                       "--seconds", "5", *_common("kling", live, tmp_path))
    assert code == 3, err
    assert f"but {unset} is not; set {unset} too." in err
    assert err.count(". ") == 0 and KEY not in err and KLING_SECRET not in err
    assert live.stats()["total_requests"] == 0


def test_providers_lists_keys_set_never_their_values(
        live: RunningServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("FAL_KEY")
    code, out, _ = cli(capsys, "providers", "--json")
    assert code == 0
    by_name = {entry["provider"]: entry for entry in json.loads(out)}
    assert by_name["veo"]["key_set"] is True and by_name["veo"]["key_from"] == "GEMINI_API_KEY"
    assert by_name["fal"]["key_set"] is False
    assert by_name["preview"]["key_set"] is None
    veo = {m["model"]: m for m in by_name["veo"]["models"]}
    assert veo["veo-3.1-generate-preview"]["last_frame"] is True
    assert veo["veo-3.1-generate-preview"]["native_extension"] is True
    code, out, _ = cli(capsys, "providers")
    assert code == 0 and KEY not in out
    assert "fal: key FAL_KEY: NOT set" in out
    assert "runway: key RUNWAYML_API_SECRET: set (RUNWAYML_API_SECRET)" in out
