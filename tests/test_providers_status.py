"""Reading Veo, Runway and fal answers: status words (documented and not), refusals that name
the image or the prompt, expired result URLs, retries of GETs but never of creates.

Answers come from an ``httpx.MockTransport`` script, so each case is exactly the JSON (or
status code) a vendor sends; the end-to-end tests over real HTTP are in
``test_providers_e2e.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stillmotion.api.providers.base import GenerationRequest, JobState, JobStatus
from stillmotion.api.providers.dialect import RESULT_URL
from stillmotion.api.providers.fal import FalProvider
from stillmotion.api.providers.runway import RunwayProvider
from stillmotion.api.providers.veo import VeoProvider
from stillmotion.errors import (
    AuthenticationError,
    ContentExpiredError,
    PolicyRejectedError,
    ServerError,
)
from support.dialects import (
    MP4_BYTES,
    NO_WAIT,
    Script,
    Stills,
    make_stills,
)

OP = "models/veo-3.1-generate-preview/operations/op1"
URI = "https://generativelanguage.googleapis.com/v1beta/files/f1:download?alt=media"
TASK = "0b7a0c55-1111-4222-8333-444455556666"
FAL_JOB = "fal-ai/kling-video/v2.1/pro/image-to-video/requests/r1"
FAL_BASE = f"https://queue.fal.run/{FAL_JOB}"


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills(tmp_path_factory)


def _no_sleep(seconds: float) -> None:
    return None


def veo(script: Script) -> VeoProvider:
    return VeoProvider.open("https://generativelanguage.googleapis.com", "k",
                            transport=script.transport, retry=NO_WAIT, sleep=_no_sleep)


def runway(script: Script) -> RunwayProvider:
    return RunwayProvider.open("https://api.dev.runwayml.com", "k", transport=script.transport,
                               retry=NO_WAIT, sleep=_no_sleep)


def fal(script: Script) -> FalProvider:
    return FalProvider.open("https://queue.fal.run", "k", transport=script.transport,
                            retry=NO_WAIT, sleep=_no_sleep)


def _sample(uri: str = URI) -> dict[str, Any]:
    return {"generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}}


# -- status words ----------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "status", "raw"), [
    ({"name": OP}, JobStatus.RUNNING, "running"),  # Google omits a false "done"
    ({"name": OP, "done": False}, JobStatus.RUNNING, "running"),
    ({"name": OP, "metadata": {"state": "WARMING_UP"}}, JobStatus.RUNNING, "WARMING_UP"),
    ({"name": OP, "done": True, "response": _sample()}, JobStatus.COMPLETED, "done"),
    ({"name": OP, "done": True, "response": {"generatedVideos": [{"video": {"uri": URI}}]}},
     JobStatus.COMPLETED, "done"),
    ({"name": OP, "done": True, "error": {"code": 13, "message": "Internal error."}},
     JobStatus.FAILED, "error"),
    ({"name": OP, "done": True, "response": {}}, JobStatus.FAILED, "done without a video"),
])
def test_veo_operation_states(answer: dict[str, Any], status: JobStatus, raw: str) -> None:
    state = veo(Script().add(200, answer)).poll(OP)
    assert (state.status, state.raw_status, state.id) == (status, raw, OP)
    if status is JobStatus.COMPLETED:
        assert state.raw[RESULT_URL] == URI
    if status is JobStatus.FAILED and raw == "error":
        assert (state.error_code, state.error_message) == ("13", "Internal error.")


@pytest.mark.parametrize(("answer", "status"), [
    ({"status": "PENDING"}, JobStatus.QUEUED),
    ({"status": "THROTTLED"}, JobStatus.QUEUED),
    ({"status": "RUNNING", "progress": 0.42}, JobStatus.RUNNING),
    ({"status": "SUCCEEDED", "output": ["https://cdn.example/o.mp4"]}, JobStatus.COMPLETED),
    ({"status": "FAILED", "failure": "Render crashed.", "failureCode": "INTERNAL.BAD_OUTPUT"},
     JobStatus.FAILED),
    ({"status": "CANCELLED"}, JobStatus.FAILED),
    ({"status": "WARMING_UP"}, JobStatus.RUNNING),  # unknown, running
    ({"status": "ASSIGNED_TO_GPU", "progress": 0.1}, JobStatus.RUNNING),
    ({"status": "ABORTED"}, JobStatus.FAILED),  # unknown word of ending
    ({"status": "PAUSED", "failure": "Out of credits."}, JobStatus.FAILED),  # unknown + error
    ({"status": "SUCCEEDED", "output": []}, JobStatus.FAILED),  # finished without a video
])
def test_runway_task_states(answer: dict[str, Any], status: JobStatus) -> None:
    state = runway(Script().add(200, {"id": TASK, **answer})).poll(TASK)
    assert state.status is status
    assert state.raw_status == answer["status"]  # the raw word is always kept
    if "progress" in answer and status is JobStatus.RUNNING:
        assert state.progress == pytest.approx(answer["progress"] * 100)
    if answer["status"] == "FAILED":
        assert (state.error_code, state.error_message) == ("INTERNAL.BAD_OUTPUT",
                                                           "Render crashed.")


@pytest.mark.parametrize(("answer", "status"), [
    ({"status": "IN_QUEUE", "queue_position": 4}, JobStatus.QUEUED),
    ({"status": "IN_PROGRESS", "logs": []}, JobStatus.RUNNING),
    ({"status": "IN_WARMUP"}, JobStatus.RUNNING),
    ({"status": "CANCELLED"}, JobStatus.FAILED),
    ({"status": "COMPLETED", "error": "The app crashed."}, JobStatus.FAILED),
])
def test_fal_request_states(answer: dict[str, Any], status: JobStatus) -> None:
    state = fal(Script().add(200, answer)).poll(FAL_JOB)
    assert (state.status, state.raw_status) == (status, answer["status"])


def test_fal_completed_reads_the_result() -> None:
    script = (Script().add(200, {"status": "COMPLETED", "response_url": FAL_BASE})
              .add(200, {"video": {"url": "https://v3.fal.media/o.mp4"}}))
    state = fal(script).poll(FAL_JOB)
    assert state.status is JobStatus.COMPLETED
    assert state.raw[RESULT_URL] == "https://v3.fal.media/o.mp4"
    assert str(script.seen[0].url) == f"{FAL_BASE}/status"  # derived after a restart
    assert str(script.seen[1].url) == FAL_BASE


def test_polls_are_retried_on_server_errors() -> None:
    script = (Script().add(503, {"error": "busy"}).add(500, {"error": "busy"})
              .add(200, {"id": TASK, "status": "RUNNING"}))
    assert runway(script).poll(TASK).status is JobStatus.RUNNING
    assert len(script.seen) == 3


def test_creates_are_never_retried_on_server_errors(stills: Stills) -> None:
    script = Script().add(500, {"error": {"code": 500, "message": "Internal error.",
                                          "status": "INTERNAL"}})
    with pytest.raises(ServerError, match="may still have been created") as caught:
        veo(script).submit(GenerationRequest(prompt="p", model="veo-3.1-generate-preview",
                                             seconds=8, size=(1280, 720),
                                             first_frame=stills.first))
    assert "Internal error" in caught.value.message  # Google's words kept
    assert len(script.seen) == 1


def test_veo_invalid_key_is_an_authentication_error(stills: Stills) -> None:
    script = Script().add(400, {"error": {
        "code": 400, "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT", "details": [{"reason": "API_KEY_INVALID"}]}})
    with pytest.raises(AuthenticationError, match="GEMINI_API_KEY"):
        veo(script).submit(GenerationRequest(prompt="p", model=None, seconds=8,
                                             size=(1280, 720), first_frame=stills.first))


# -- refusals name the image or the prompt ----------------------------------------------------


@pytest.mark.parametrize(("answer", "named"), [
    ({"done": True, "error": {"code": 3, "message": "The prompt was blocked by the safety "
                              "filters: it violates the usage guidelines."}}, "prompt"),
    ({"done": True, "error": {"code": 3, "message": "Your input image was flagged by our "
                              "Responsible AI filters."}}, "reference image"),
    ({"done": True, "response": {"generateVideoResponse": {
        "raiMediaFilteredCount": 1,
        "raiMediaFilteredReasons": ["The input image contains content blocked by safety."]}}},
     "reference image"),
    ({"done": True, "response": {"generateVideoResponse": {
        "raiMediaFilteredCount": 1, "raiMediaFilteredReasons": ["Filtered by RAI."]}}},
     "generated video"),
])
def test_veo_refusals(answer: dict[str, Any], named: str) -> None:
    with pytest.raises(PolicyRejectedError, match=f"the {named} was refused by veo"):
        veo(Script().add(200, {"name": OP, **answer})).poll(OP)


def test_veo_refusal_at_create(stills: Stills) -> None:
    script = Script().add(400, {"error": {
        "code": 400, "status": "INVALID_ARGUMENT",
        "message": "The prompt contains words that violate the usage guidelines (safety)."}})
    with pytest.raises(PolicyRejectedError, match="the prompt was refused") as caught:
        veo(script).submit(GenerationRequest(prompt="p", model=None, seconds=8,
                                             size=(1280, 720), first_frame=stills.first))
    assert caught.value.exit_code == 5


@pytest.mark.parametrize(("code", "named"), [
    ("SAFETY.INPUT.IMAGE", "reference image"), ("SAFETY.INPUT.TEXT", "prompt"),
    ("SAFETY.OUTPUT.VIDEO", "generated video")])
def test_runway_safety_failure_codes(code: str, named: str) -> None:
    answer = {"id": TASK, "status": "FAILED", "failure": "Flagged by moderation.",
              "failureCode": code}
    with pytest.raises(PolicyRejectedError, match=f"the {named} was refused by runway") as err:
        runway(Script().add(200, answer)).poll(TASK)
    assert code in err.value.message


@pytest.mark.parametrize(("field", "named"), [("image_url", "reference image"),
                                              ("tail_image_url", "reference image"),
                                              ("prompt", "prompt")])
def test_fal_422_content_filter_names_the_field(field: str, named: str, stills: Stills) -> None:
    detail = {"detail": [{"loc": ["body", field], "type": "content_policy_violation",
                          "msg": "The content was flagged by a content checker."}]}
    at_result = Script().add(200, {"status": "COMPLETED", "response_url": FAL_BASE}) \
        .add(422, detail)
    with pytest.raises(PolicyRejectedError, match=f"the {named} was refused by fal"):
        fal(at_result).poll(FAL_JOB)
    at_submit = Script().add(422, detail)
    with pytest.raises(PolicyRejectedError, match=f"the {named} was refused by fal"):
        fal(at_submit).submit(GenerationRequest(
            prompt="p", model="fal-ai/kling-video/v2.1/pro/image-to-video", seconds=5,
            size=(1280, 720), first_frame=stills.first))
    assert len(at_submit.seen) == 1


def test_fal_422_validation_is_not_a_refusal(stills: Stills) -> None:
    detail = {"detail": [{"loc": ["body", "duration"], "type": "literal_error",
                          "msg": "Input should be '5' or '10'"}]}
    with pytest.raises(Exception, match="HTTP 422") as caught:
        fal(Script().add(422, detail)).submit(GenerationRequest(
            prompt="p", model=None, seconds=5, size=(1280, 720), first_frame=stills.first))
    assert not isinstance(caught.value, PolicyRejectedError)
    assert "Input should be" in str(caught.value)


# -- expired result URLs ----------------------------------------------------------------------


def _done_task(url: str) -> dict[str, Any]:
    return {"id": TASK, "status": "SUCCEEDED", "output": [url]}


@pytest.mark.parametrize("status", [403, 404, 410])
def test_an_expired_url_is_asked_for_afresh_once(status: int, tmp_path: Path) -> None:
    old, new = "https://cdn.example/o.mp4?sig=old", "https://cdn.example/o.mp4?sig=new"
    script = (Script().add(200, _done_task(old))
              .add(status, content=b"<Error><Code>AccessDenied</Code></Error>")
              .add(200, _done_task(new)).add(200, content=MP4_BYTES))
    provider = runway(script)
    provider.download(JobState(id=TASK, status=JobStatus.COMPLETED, raw_status="completed"),
                      tmp_path / "o.mp4")
    assert [str(r.url) for r in script.seen] == [
        f"https://api.dev.runwayml.com/v1/tasks/{TASK}", old,
        f"https://api.dev.runwayml.com/v1/tasks/{TASK}", new]
    assert (tmp_path / "o.mp4").read_bytes() == MP4_BYTES


@pytest.mark.parametrize("status", [403, 410])
def test_an_expired_url_that_stays_expired(status: int, tmp_path: Path) -> None:
    url = "https://cdn.example/o.mp4?sig=1"
    script = (Script().add(200, _done_task(url)).add(status)
              .add(200, _done_task(url + "&again")).add(status))
    with pytest.raises(ContentExpiredError, match="generate the clip again") as caught:
        runway(script).download(
            JobState(id=TASK, status=JobStatus.COMPLETED, raw_status="completed"),
            tmp_path / "o.mp4")
    assert f"HTTP {status}" in caught.value.message
    assert not (tmp_path / "o.mp4").exists()


def test_an_expired_veo_file_is_not_retried_with_the_same_uri(tmp_path: Path) -> None:
    done = {"name": OP, "done": True, "response": _sample()}
    script = Script().add(200, done).add(404, {"error": {"code": 404, "message": "gone",
                                                         "status": "NOT_FOUND"}}) \
        .add(200, done)
    with pytest.raises(ContentExpiredError):
        veo(script).download(JobState(id=OP, status=JobStatus.COMPLETED,
                                      raw_status="done"), tmp_path / "v.mp4")
    assert len(script.seen) == 3  # poll, download, poll again; the same uri is not refetched


def test_json_where_a_video_was_expected_is_refused(tmp_path: Path) -> None:
    script = Script().add(200, _done_task("https://cdn.example/o.mp4")) \
        .add(200, {"error": "not a video"})
    with pytest.raises(Exception, match="JSON text, not MP4"):
        runway(script).download(JobState(id=TASK, status=JobStatus.COMPLETED,
                                         raw_status="completed"), tmp_path / "o.mp4")
    assert not (tmp_path / "o.mp4").exists()
