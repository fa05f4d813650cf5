"""OpenRouter's wire, client side: requests against the vendor's golden payloads, status words,
refusals, expired content, the model catalogue and its cache.

The provider runs against an ``httpx.MockTransport`` that records what would leave the machine;
the documents it is compared with are the vendor's (tests/data/vendors/openrouter).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stillmotion.api.providers.base import GenerationRequest, JobStatus
from stillmotion.api.providers.dialect import RESULT_URL
from stillmotion.api.providers.openrouter import OpenRouterProvider, create_body
from stillmotion.api.providers.openrouter_catalogue import (
    cache_file,
    catalogue_rows,
    rows_from,
)
from stillmotion.errors import (
    ConfigError,
    ContentExpiredError,
    PolicyRejectedError,
    ServiceError,
)
from support.dialects import MP4_BYTES, NO_WAIT, Script, Stills, body_of, data_uri, make_stills
from support.openrouter import golden, shape

ROOT = "https://openrouter.ai/api/v1"


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills(tmp_path_factory)


def _no_sleep(seconds: float) -> None:
    return None


def provider(script: Script, key: str | None = "or-key") -> OpenRouterProvider:
    return OpenRouterProvider.open(ROOT, key, transport=script.transport, retry=NO_WAIT,
                                   sleep=_no_sleep)


def _with_urls(body: dict[str, Any], urls: dict[str, str]) -> dict[str, Any]:
    """The golden body with each frame's placeholder URL replaced by our still."""
    frames = [{**f, "image_url": {"url": urls[f["frame_type"]]}} for f in body["frame_images"]]
    return {**body, "frame_images": frames}


def test_the_create_request_is_the_documented_one(stills: Stills) -> None:
    script = Script().add(202, golden("create_response"))
    request = GenerationRequest("A golden retriever on a beach", "google/veo-3.1", 8,
                                (1920, 1080), first_frame=stills.first,
                                extra={"generate_audio": True, "seed": 42})
    state = provider(script).submit(request)

    (sent,) = script.seen
    assert (sent.method, str(sent.url)) == ("POST", f"{ROOT}/videos")
    assert sent.headers["authorization"] == "Bearer or-key"
    documented = golden("create_request")
    # What the docs' request holds beyond ours (references, passthrough) we do not send.
    for unsent in ("input_references", "provider"):
        documented.pop(unsent)
    assert body_of(sent) == _with_urls(documented, {"first_frame": data_uri(stills.first)})
    assert (state.id, state.status, state.raw_status) == ("job-abc123", JobStatus.QUEUED,
                                                          "pending")


def test_first_and_last_frames_go_in_frame_images(stills: Stills) -> None:
    documented = golden("create_first_last")
    request = GenerationRequest(documented["prompt"], "google/veo-3.1", 8, (1280, 720),
                                first_frame=stills.first, last_frame=stills.last)
    body = create_body("google/veo-3.1", request)
    assert body == _with_urls(documented, {"first_frame": data_uri(stills.first),
                                           "last_frame": data_uri(stills.last)})
    assert shape(body) == shape(documented)


def test_no_audio_sends_generate_audio_false(stills: Stills) -> None:
    documented = golden("create_no_audio")
    request = GenerationRequest(documented["prompt"], "google/veo-3.1", 8, (1280, 720),
                                first_frame=stills.first, audio=False)
    body = create_body("google/veo-3.1", request)
    assert body == _with_urls(documented, {"first_frame": data_uri(stills.first)})
    # --no-audio wins over a knob asking for sound; a promise does not override a knob.
    knob = GenerationRequest("p", None, 8, (1280, 720), first_frame=stills.first,
                             extra={"generate_audio": True}, audio=False)
    assert create_body("google/veo-3.1", knob)["generate_audio"] is False
    quiet = GenerationRequest("p", None, 8, (1280, 720), first_frame=stills.first,
                              extra={"generate_audio": False}, audio=True)
    assert create_body("google/veo-3.1", quiet)["generate_audio"] is False
    promised = GenerationRequest("p", None, 8, (1280, 720), first_frame=stills.first,
                                 audio=True)
    assert create_body("google/veo-3.1", promised)["generate_audio"] is True
    unknown = GenerationRequest("p", None, 8, (1280, 720), first_frame=stills.first)
    assert "generate_audio" not in create_body("google/veo-3.1", unknown)


def test_knobs_and_a_lone_last_frame_are_refused_before_sending(stills: Stills) -> None:
    with pytest.raises(ConfigError, match="no setting 'negative_prompt'"):
        create_body("google/veo-3.1", GenerationRequest(
            "p", None, 8, (1280, 720), first_frame=stills.first,
            extra={"negative_prompt": "blurry"}))
    with pytest.raises(ConfigError, match="'seed' must be a int"):
        create_body("google/veo-3.1", GenerationRequest(
            "p", None, 8, (1280, 720), first_frame=stills.first, extra={"seed": True}))
    with pytest.raises(ConfigError, match="give both stills"):
        create_body("google/veo-3.1", GenerationRequest("p", None, 8, (1280, 720),
                                                        last_frame=stills.last))


def test_poll_reads_the_documented_answers(tmp_path: Path) -> None:
    script = (Script().add(200, golden("poll_in_progress")).add(200, golden("poll_completed"))
              .add(200, content=MP4_BYTES, headers={"content-type": "video/mp4"}))
    opened = provider(script)
    running = opened.poll("job-abc123")
    assert (running.status, running.raw_status) == (JobStatus.RUNNING, "in_progress")
    done = opened.poll("job-abc123")
    assert done.status is JobStatus.COMPLETED
    url = golden("poll_completed")["unsigned_urls"][0]
    assert done.raw[RESULT_URL] == url
    opened.download(done, tmp_path / "out.mp4")
    fetched = script.seen[-1]
    assert str(fetched.url) == url
    assert fetched.headers["authorization"] == "Bearer or-key"  # the proxy is on the API origin
    assert (tmp_path / "out.mp4").read_bytes() == MP4_BYTES


def test_a_relative_or_missing_content_url_is_made_from_the_root() -> None:
    answer = {**golden("poll_completed"), "unsigned_urls": ["/api/v1/videos/job-abc123/content"
                                                             "?index=0"]}
    without = {k: v for k, v in golden("poll_completed").items() if k != "unsigned_urls"}
    script = Script().add(200, answer).add(200, without)
    opened = provider(script)
    expected = f"{ROOT}/videos/job-abc123/content?index=0"
    assert opened.poll("job-abc123").raw[RESULT_URL] == expected
    assert opened.poll("job-abc123").raw[RESULT_URL] == expected


@pytest.mark.parametrize(("word", "status"), [
    ("pending", JobStatus.QUEUED), ("in_progress", JobStatus.RUNNING),
    ("cancelled", JobStatus.FAILED), ("expired", JobStatus.FAILED),
    ("warming_up", JobStatus.RUNNING), ("ABORTED", JobStatus.FAILED)])
def test_status_words(word: str, status: JobStatus) -> None:
    script = Script().add(200, {**golden("poll_in_progress"), "status": word})
    state = provider(script).poll("job-abc123")
    assert (state.status, state.raw_status) == (status, word)  # the raw word is kept


def test_a_failed_job_with_moderation_words_is_a_refusal_naming_the_prompt() -> None:
    script = Script().add(200, golden("poll_failed"))
    with pytest.raises(PolicyRejectedError) as caught:
        provider(script).poll("job-abc123")
    assert "the prompt was refused by openrouter's content policy" in caught.value.message


def test_a_failed_job_without_policy_words_is_a_failure() -> None:
    script = Script().add(200, {**golden("poll_failed"), "error": "Provider timed out"})
    state = provider(script).poll("job-abc123")
    assert (state.status, state.error_message) == (JobStatus.FAILED, "Provider timed out")


def test_a_create_refused_as_flagged_names_the_image(stills: Stills) -> None:
    refused = {"error": {"code": 403, "message": "Input image was flagged by moderation",
                         "metadata": {"reasons": ["sexual"], "flagged_input": "..."}}}
    script = Script().add(403, refused)
    request = GenerationRequest("p", "google/veo-3.1", 8, (1280, 720), first_frame=stills.first)
    with pytest.raises(PolicyRejectedError, match="the reference image was refused"):
        provider(script).submit(request)
    assert len(script.seen) == 1  # refusals are never retried


def test_a_create_is_never_retried_on_a_server_error(stills: Stills) -> None:
    script = Script().add(502, {"error": {"code": 502, "message": "Bad gateway"}})
    request = GenerationRequest("p", "google/veo-3.1", 8, (1280, 720), first_frame=stills.first)
    with pytest.raises(ServiceError):
        provider(script).submit(request)
    assert len(script.seen) == 1


@pytest.mark.parametrize("status", [403, 404, 410])
def test_expired_content_is_asked_for_once_then_refused(status: int, tmp_path: Path) -> None:
    gone = {"error": {"code": status, "message": "The video content has expired."}}
    script = (Script().add(200, golden("poll_completed")).add(status, gone)
              .add(200, golden("poll_completed")))
    opened = provider(script)
    with pytest.raises(ContentExpiredError, match=f"HTTP {status}.*generate the clip again"):
        opened.download(opened.poll("job-abc123"), tmp_path / "gone.mp4")
    assert not (tmp_path / "gone.mp4").exists()


def test_a_missing_key_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY"):
        OpenRouterProvider.open(ROOT, None)


# -- the catalogue ------------------------------------------------------------------------


def test_catalogue_rows_from_the_documented_list() -> None:
    sdk, guide = rows_from(golden("models"))
    assert (sdk.model, sdk.sizes, sdk.seconds, sdk.default_seconds) == (
        "google/veo-3.1", ((1280, 720),), (5, 8), 5)
    assert (sdk.first_frame, sdk.last_frame, sdk.audio, sdk.source) == (True, True, True,
                                                                        "catalogue")
    assert sdk.prices == ()  # no pricing_skus: unpriced, never free
    assert guide.sizes == ((1280, 720), (1920, 1080), (720, 1280), (720, 720), (1080, 1920),
                           (1080, 1080))
    assert (guide.first_frame, guide.last_frame) == (True, False)
    prices = dict(guide.prices)
    assert prices["openrouter/google/veo-3.1-guide"] == "0.50"
    assert prices["openrouter/google/veo-3.1-guide/1920x1080"] == "0.75"
    assert "openrouter/google/veo-3.1-guide/1280x720" not in prices


def test_models_without_sizes_or_durations_are_left_out() -> None:
    body = golden("models")
    broken = [{**body["data"][0], "id": "a/none", "supported_durations": []},
              {**body["data"][0], "id": "a/shapeless", "supported_resolutions": ["tiny"]},
              {"id": 7}, "not a model"]
    assert [r.model for r in rows_from({"data": [*broken, body["data"][1]]})] == [
        "google/veo-3.1-guide"]


def test_the_catalogue_is_read_once_and_kept_for_its_time(tmp_path: Path) -> None:
    script = Script().add(200, golden("models")).add(200, {"data": []})
    clock = [1000.0]

    def read() -> list[str]:
        rows = catalogue_rows(ROOT, "or-key", tmp_path, 3600, clock=lambda: clock[0],
                              transport=script.transport)
        return [r.model for r in rows]

    assert read() == ["google/veo-3.1", "google/veo-3.1-guide"]
    clock[0] += 3599
    assert read() == ["google/veo-3.1", "google/veo-3.1-guide"]  # from the cache
    assert len(script.seen) == 1
    assert str(script.seen[0].url) == f"{ROOT}/videos/models"
    clock[0] += 2  # past its time: read afresh
    assert read() == []
    assert len(script.seen) == 2


def test_a_damaged_cache_is_read_afresh(tmp_path: Path) -> None:
    path = cache_file(tmp_path, ROOT)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    script = Script().add(200, golden("models"))
    rows = catalogue_rows(ROOT, "or-key", tmp_path, 3600, transport=script.transport)
    assert len(rows) == 2 and len(script.seen) == 1
    assert "or-key" not in path.read_text(encoding="utf-8")  # the key is never kept


def test_the_catalogue_read_carries_the_key() -> None:
    """The catalogue read goes through the same key rule as every call (bearer, root only)."""
    script = Script().add(200, golden("models"))
    opened = provider(script)
    assert opened.catalogue()["data"][0]["id"] == "google/veo-3.1"
    assert script.seen[0].headers["authorization"] == "Bearer or-key"
