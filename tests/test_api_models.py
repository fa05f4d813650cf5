"""Lenient readers and strict writers of /v1/videos bodies."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from stillmotion.api.models import (
    Character,
    Video,
    VideoDeleted,
    VideoError,
    VideoList,
    normalise_status,
)
from stillmotion.api.params import (
    CreateVideoParams,
    ExtendVideoParams,
    FileIdReference,
    ImageUrlReference,
)
from stillmotion.api.providers.base import JobStatus
from stillmotion.errors import ConfigError
from support.videos_fakes import JPEG_HEAD, MP4_HEAD, PNG_HEAD, video_json


def test_full_video_object_reads_and_keeps_extra_keys() -> None:
    body = video_json(status="in_progress", progress=42, quality="high")
    video = Video.model_validate(body)
    assert video.id == "video_1"
    assert video.seconds == "8"
    assert video.progress == 42.0
    assert video.model_extra == {"quality": "high"}
    state = video.to_job_state(poll_after=2.5)
    assert state.status is JobStatus.RUNNING
    assert state.raw_status == "in_progress"
    assert state.poll_after == 2.5
    assert state.raw["quality"] == "high"


def test_missing_keys_are_tolerated() -> None:
    video = Video.model_validate({"id": "video_2"})
    assert video.status is None
    assert video.error is None
    assert video.job_status is JobStatus.RUNNING


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("queued", JobStatus.QUEUED),
        ("in_progress", JobStatus.RUNNING),
        ("processing", JobStatus.RUNNING),
        ("completed", JobStatus.COMPLETED),
        ("failed", JobStatus.FAILED),
        ("cancelled", JobStatus.FAILED),
        ("canceled", JobStatus.FAILED),
        ("expired", JobStatus.FAILED),
        ("IN_PROGRESS", JobStatus.RUNNING),
        ("SUCCEEDED", JobStatus.COMPLETED),
        ("rendering_frames", JobStatus.RUNNING),
        ("moderation-failed", JobStatus.FAILED),
        (None, JobStatus.RUNNING),
    ],
)
def test_status_normalisation(raw: str | None, expected: JobStatus) -> None:
    assert normalise_status(raw) is expected


def test_unknown_status_is_kept_verbatim() -> None:
    video = Video.model_validate(video_json(status="Upscaling"))
    assert video.status == "Upscaling"
    state = video.to_job_state()
    assert state.raw_status == "Upscaling"
    assert state.status is JobStatus.RUNNING


def test_failed_job_error_with_newer_fields() -> None:
    body = video_json(status="failed", error={
        "code": "moderation_blocked", "message": "Your request was blocked.",
        "param": "prompt", "type": "invalid_request_error",
        "headers": {"Retry-After": "3"}, "misalignment": {"error_type": "other"}})
    video = Video.model_validate(body)
    assert video.error is not None
    assert video.error.param == "prompt"
    assert video.error.model_extra == {"headers": {"Retry-After": "3"},
                                       "misalignment": {"error_type": "other"}}
    state = video.to_job_state()
    assert (state.status, state.error_code) == (JobStatus.FAILED, "moderation_blocked")
    assert state.error_message == "Your request was blocked."


def test_error_given_as_text_or_empty() -> None:
    assert Video.model_validate({"id": "v", "error": "boom"}).error == VideoError(message="boom")
    assert Video.model_validate({"id": "v", "error": {}}).error is None
    assert VideoError.model_validate({"code": 500}).code == "500"


def test_gateway_data_envelope_and_task_id() -> None:
    body = {"code": "success", "message": "", "data": {
        "task_id": "task_9", "status": "PROCESSING", "progress": "35%", "seconds": 8}}
    video = Video.model_validate(body)
    assert video.id == "task_9"
    assert video.progress == 35.0
    assert video.seconds == "8"
    assert video.job_status is JobStatus.RUNNING
    assert Video.model_validate({"task_id": 77, "status": "queued"}).id == "77"
    # an envelope whose task id sits outside the data block
    outer = Video.model_validate({"task_id": "t_out", "data": {"status": "completed"}})
    assert outer.id == "t_out"


def test_iso_and_float_timestamps() -> None:
    video = Video.model_validate({"id": "v", "created_at": "2025-10-01T00:00:00Z",
                                  "completed_at": 1759276800.7, "expires_at": "soon"})
    assert video.created_at == 1759276800
    assert video.completed_at == 1759276800
    assert video.expires_at is None
    # nanoseconds (Go, Google) and short fractions, which Python 3.10's fromisoformat refuses
    nanos = Video.model_validate({"id": "v", "created_at": "2025-10-01T00:00:01.123456789Z",
                                  "completed_at": "2025-10-01T00:00:02.5+00:00"})
    assert (nanos.created_at, nanos.completed_at) == (1759276801, 1759276802)


def test_list_page_deletion_character() -> None:
    page = VideoList.model_validate({
        "object": "list", "data": [video_json("a"), video_json("b")],
        "first_id": "a", "last_id": "b", "has_more": True})
    assert [v.id for v in page.data] == ["a", "b"]
    assert page.next_cursor() == "b"
    assert VideoList.model_validate({"data": [video_json("c")]}).next_cursor() is None
    no_last = VideoList.model_validate({"data": [video_json("c")], "has_more": True})
    assert no_last.next_cursor() == "c"
    wrapped = VideoList.model_validate({"data": {"object": "list", "data": [video_json("w")]}})
    assert wrapped.data[0].id == "w"
    deleted = VideoDeleted.model_validate({"id": "a", "object": "video.deleted",
                                           "deleted": True})
    assert deleted.deleted
    assert VideoDeleted.model_validate({"id": "a"}).deleted
    character = Character.model_validate({"id": "char_1", "name": "Mia", "created_at": 5})
    assert (character.id, character.name, character.created_at) == ("char_1", "Mia", 5)


def test_writer_spells_seconds_and_size() -> None:
    params = CreateVideoParams.build(prompt="p", model="sora-2", seconds=8, size=(1280, 720))
    assert params.fields() == {"prompt": "p", "model": "sora-2", "seconds": "8",
                               "size": "1280x720"}
    body = params.json_body()
    assert isinstance(body["seconds"], str)
    assert json.loads(json.dumps(body))["seconds"] == "8"
    assert CreateVideoParams.build(prompt="p", seconds="12", size="720X1280").size == "720x1280"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 32001}, "prompt"),
        ({"prompt": "p", "seconds": 4.5}, "seconds"),
        ({"prompt": "p", "seconds": 0}, "seconds"),
        ({"prompt": "p", "seconds": True}, "seconds"),
        ({"prompt": "p", "size": "1280x721"}, "size"),
        ({"prompt": "p", "size": "wide"}, "size"),
        ({"prompt": "p", "fps": 24}, "fps"),
    ],
)
def test_writer_refuses_bad_values(values: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        CreateVideoParams.build(**values)
    assert field in info.value.message
    assert "\n" not in info.value.message


def test_input_reference_json_forms(tmp_path: Path) -> None:
    image = tmp_path / "still.png"
    image.write_bytes(PNG_HEAD + b"pixels")
    by_url = ImageUrlReference.from_file(image)
    assert by_url.image_url.startswith("data:image/png;base64,")
    assert base64.b64decode(by_url.image_url.split(",", 1)[1]) == PNG_HEAD + b"pixels"
    body = CreateVideoParams.build(prompt="p", input_reference=by_url).json_body()
    assert body["input_reference"] == {"image_url": by_url.image_url}
    body = CreateVideoParams.build(prompt="p",
                                   input_reference=FileIdReference(file_id="file_1")).json_body()
    assert body["input_reference"] == {"file_id": "file_1"}


def test_reference_image_must_be_an_image(tmp_path: Path) -> None:
    fake = tmp_path / "still.jpg"
    fake.write_bytes(MP4_HEAD)
    with pytest.raises(ConfigError, match="not a JPEG, PNG or WebP"):
        ImageUrlReference.from_file(fake)
    with pytest.raises(ConfigError, match="Cannot read"):
        ImageUrlReference.from_file(tmp_path / "missing.jpg")
    real = tmp_path / "real.jpg"
    real.write_bytes(JPEG_HEAD)
    assert ImageUrlReference.from_file(real).image_url.startswith("data:image/jpeg;base64,")
    with pytest.raises(ConfigError, match="image_url"):
        ImageUrlReference.build(image_url="ftp://nope")


def test_extend_params_need_whole_seconds() -> None:
    params = ExtendVideoParams.build(prompt="more", seconds=4, video={"id": "video_1"})
    assert params.seconds == "4"
    with pytest.raises(ConfigError, match="seconds"):
        ExtendVideoParams.build(prompt="more", seconds="four", video={"id": "video_1"})
