"""``stillmotion serve`` over real HTTP on 127.0.0.1: the /v1/videos contract and its rules."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stillmotion.api.sniff import sniff
from stillmotion.media.probe import probe
from stillmotion.server import RunningServer
from stillmotion.server.store import COMPLETED, JobRecord
from support.server import MakeServer
from support.videos_http import PREVIEW_JOB, create, error_of, png_bytes, wait


@pytest.fixture
def client(clean_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=clean_server.base_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def finished(preview_server: RunningServer) -> dict[str, Any]:
    """One completed tiny job with a reference image, shared by the read-only tests."""
    with httpx.Client(base_url=preview_server.base_url, timeout=30) as http:
        answer = http.post("/videos", data={"prompt": "slow dolly in", **PREVIEW_JOB},
                           files={"input_reference": ("ref.png", png_bytes(96, 64), "image/png")})
        assert answer.status_code == 200, answer.text
        video = wait(http, answer.json()["id"])
    assert video["status"] == "completed", video
    return video


def _open(server: RunningServer, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=30, headers=headers)


# --------------------------------------------------------------------------- lifecycle


def test_status_lifecycle_progress_poll_hint_and_early_content(make_server: MakeServer) -> None:
    server = make_server(workers=1, render_delay=0.6, content_ttl=600)
    with _open(server) as http:
        first = create(http, "first in line")
        second = create(http, "second in line")
        assert first["status"] == "queued" and first["progress"] == 0
        assert first["completed_at"] is None and first["expires_at"] is None
        seen: list[tuple[str, int]] = []
        second_while_first_runs: set[str] = set()
        early_answers: list[tuple[httpx.Response, httpx.Response]] = []
        while True:
            # The second job is asked about *before* the first: if the first is still running
            # afterwards, it was running then too, so the single worker had not reached the
            # second job yet.
            second_status = http.get(f"/videos/{second['id']}").json()["status"]
            early = (http.get(f"/videos/{second['id']}/content"),
                     http.delete(f"/videos/{second['id']}"))
            answer = http.get(f"/videos/{first['id']}")
            video = answer.json()
            seen.append((video["status"], video["progress"]))
            if video["status"] in ("completed", "failed"):
                assert "openai-poll-after-ms" not in answer.headers
                break
            assert answer.headers["openai-poll-after-ms"] == "50"
            second_while_first_runs.add(second_status)
            early_answers.append(early)
            time.sleep(0.03)
        assert early_answers
        for content, delete in early_answers:
            assert error_of(content, 400)["code"] == "video_not_ready"
            assert error_of(delete, 400)["code"] == "video_not_finished"
        assert video["status"] == "completed" and video["progress"] == 100
        statuses = [status for status, _ in seen]
        assert "in_progress" in statuses
        assert statuses.index("in_progress") < statuses.index("completed")
        progress = [value for _, value in seen]
        assert progress == sorted(progress), "progress must never go back"
        assert any(0 < value < 100 for value in progress), "progress must rise while rendering"
        assert second_while_first_runs == {"queued"}, "one worker: the second job waits"
        assert video["expires_at"] - video["completed_at"] in (600, 601)
        assert wait(http, second["id"])["status"] == "completed"


# --------------------------------------------------------------------------- content


def test_variants_are_what_their_bytes_say(client: httpx.Client, finished: dict[str, Any],
                                           tmp_path: Path) -> None:
    expected = {"video": ("mp4", "video/mp4"), "thumbnail": ("webp", "image/webp"),
                "spritesheet": ("jpeg", "image/jpeg")}
    for variant, (kind, media_type) in expected.items():
        answer = client.get(f"/videos/{finished['id']}/content", params={"variant": variant})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == media_type
        assert sniff(answer.content[:16]) == kind
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(client.get(f"/videos/{finished['id']}/content").content)
    part = client.get(f"/videos/{finished['id']}/content", headers={"range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == clip.read_bytes()[100:200]
    video = probe(clip).require_video()
    assert (video.width, video.height) == (96, 64)
    assert round(float(video.duration)) == 1
    bad = error_of(client.get(f"/videos/{finished['id']}/content",
                              params={"variant": "poster"}), 400)
    assert bad["message"] == ("Invalid value: 'poster'. Supported values are: 'video', "
                              "'thumbnail', and 'spritesheet'.")
    assert bad["param"] == "variant"


def test_content_expires_after_the_ttl(make_server: MakeServer) -> None:
    server = make_server(content_ttl=1)
    with _open(server) as http:
        video = wait(http, create(http, "short lived")["id"])
        assert video["expires_at"] - video["completed_at"] in (1, 2)
        deadline = time.monotonic() + 10
        while (answer := http.get(f"/videos/{video['id']}/content")).status_code == 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        expired = error_of(answer, 410)
        assert expired["code"] == "video_expired"
        assert time.time() >= video["expires_at"]
        assert http.get(f"/videos/{video['id']}").json()["status"] == "completed"
        refused = error_of(http.post("/videos/extensions", json={
            "prompt": "more", "seconds": "1", "video": {"id": video["id"]}}), 400)
        assert refused["code"] == "video_expired"


# --------------------------------------------------------------------------- errors


def test_unknown_routes_and_ids_answer_404_in_the_envelope(client: httpx.Client) -> None:
    route = error_of(client.get("/nothing/here"), 404)
    assert route["message"] == "Invalid URL (GET /v1/nothing/here)"
    for answer in (client.get("/videos/video_missing"),
                   client.delete("/videos/video_missing"),
                   client.get("/videos/video_missing/content"),
                   client.post("/videos/video_missing/remix", json={"prompt": "x"}),
                   client.post("/videos/extensions",
                               json={"prompt": "x", "seconds": "1",
                                     "video": {"id": "video_missing"}}),
                   client.get("/videos/characters/char_missing"),
                   client.get("/files/file-missing")):
        assert error_of(answer, 404)["code"] == "not_found"
    assert error_of(client.put("/videos"), 405)["code"] == "method_not_allowed"


@pytest.mark.parametrize(("body", "param", "message"), [
    ({}, "prompt", "Missing required parameter: 'prompt'."),
    ({"prompt": ""}, "prompt", "Invalid 'prompt': string too short. Expected a string with "
     "minimum length 1, but got an empty string instead."),
    ({"prompt": "x" * 32001}, "prompt", "Invalid 'prompt': string too long. Expected a string "
     "with maximum length 32000, but got a string with length 32001 instead."),
    ({"prompt": "x", "seconds": "10"}, "seconds",
     "Invalid value: '10'. Supported values are: '4', '8', and '12'."),
    ({"prompt": "x", "seconds": 4}, "seconds",
     "Invalid type for 'seconds': expected a string, but got an integer instead."),
    ({"prompt": "x", "size": "1792x1024"}, "size",
     "Invalid value: '1792x1024'. Supported values are: '720x1280' and '1280x720'."),
    ({"prompt": "x", "model": "sora-2-pro", "size": "640x480"}, "size",
     "Invalid value: '640x480'. Supported values are: '720x1280', '1280x720', '1024x1792', "
     "'1792x1024', '1080x1920', and '1920x1080'."),
    ({"prompt": "x", "model": "sora-3"}, "model",
     "Invalid value: 'sora-3'. Supported values are: 'sora-2', 'sora-2-2025-10-06', "
     "'sora-2-2025-12-08', 'sora-2-pro', 'sora-2-pro-2025-10-06', and 'preview'."),
    ({"prompt": "x", "model": "preview", "size": "95x64", "seconds": "1"}, "size",
     "Invalid value: '95x64'. Supported values are: 'WxH' with even sides from 16 to 1920 "
     "pixels."),
    ({"prompt": "x", "model": "preview", "size": "1922x64", "seconds": "1"}, "size", None),
    ({"prompt": "x", "model": "preview", "size": "96x64", "seconds": "21"}, "seconds",
     "Invalid value: '21'. Supported values are: whole numbers from '1' to '20'."),
    ({"prompt": "x", "model": "preview", "size": "96x64", "seconds": "0"}, "seconds", None),
])
def test_invalid_creates_are_refused_in_the_originals_words(
        client: httpx.Client, clean_server: RunningServer, body: dict[str, Any], param: str,
        message: str | None) -> None:
    error = error_of(client.post("/videos", json=body), 400)
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"
    if message is not None:
        assert error["message"] == message
    assert clean_server.stats()["total_creates"] == 0


def test_broken_bodies_are_400_in_the_envelope(client: httpx.Client) -> None:
    assert error_of(client.post("/videos", content=b"{not json",
                                headers={"content-type": "application/json"}),
                    400)["code"] == "invalid_json"
    assert error_of(client.post("/videos", json=["a list"]), 400)["code"] == "invalid_type"
    assert error_of(client.get("/videos", params={"limit": "many"}), 400)["code"] == \
        "invalid_type"


@pytest.mark.parametrize(("model", "size", "seconds"), [
    ("sora-2", "1280x720", "12"), ("sora-2-2025-12-08", "720x1280", "8"),
    ("sora-2-pro", "1792x1024", "4"), ("sora-2-pro", "1080x1920", "8"),
    ("preview", "1920x16", "20"),
])
def test_valid_combinations_reach_the_image_check(client: httpx.Client, model: str, size: str,
                                                  seconds: str) -> None:
    """An accepted model/size/seconds gets as far as comparing the reference image's size
    (so no large render is started to prove it)."""
    answer = client.post("/videos", data={"prompt": "x", "model": model, "size": size,
                                          "seconds": seconds},
                         files={"input_reference": ("r.png", png_bytes(32, 32), "image/png")})
    error = error_of(answer, 400)
    assert error["message"] == "Inpaint image must match the requested width and height"
    assert error["param"] == "input_reference"


def test_reference_image_by_upload_data_url_and_file_id(client: httpx.Client,
                                                        clean_server: RunningServer) -> None:
    image = png_bytes(96, 64, (10, 200, 30))
    data_url = "data:image/png;base64," + base64.b64encode(image).decode()
    mismatch = "data:image/png;base64," + base64.b64encode(png_bytes(64, 96)).decode()
    error = error_of(client.post("/videos", json={
        "prompt": "x", **PREVIEW_JOB, "input_reference": {"image_url": mismatch}}), 400)
    assert error["message"] == "Inpaint image must match the requested width and height"
    uploaded = client.post("/files", files={"file": ("ref.png", image, "image/png")},
                           data={"purpose": "vision"})
    assert uploaded.status_code == 200
    file_id = uploaded.json()["id"]
    assert client.get(f"/files/{file_id}").json()["bytes"] == len(image)
    ids = [create(client, "by data url", input_reference={"image_url": data_url})["id"],
           create(client, "by file id", input_reference={"file_id": file_id})["id"]]
    assert [wait(client, i)["status"] for i in ids] == ["completed", "completed"]
    for bad, code in ((b"GIF89a not allowed", "invalid_image_format"),
                      (b"\x89PNG\r\n\x1a\n broken", "invalid_image")):
        refused = client.post("/videos", data={"prompt": "x", **PREVIEW_JOB},
                              files={"input_reference": ("r.png", bad, "image/png")})
        assert error_of(refused, 400)["code"] == code
    remote = error_of(client.post("/videos", json={
        "prompt": "x", **PREVIEW_JOB,
        "input_reference": {"image_url": "https://example.com/a.png"}}), 400)
    assert remote["code"] == "invalid_image_url"
    both = error_of(client.post("/videos", json={
        "prompt": "x", **PREVIEW_JOB,
        "input_reference": {"image_url": data_url, "file_id": file_id}}), 400)
    assert both["param"] == "input_reference"
    assert error_of(client.post("/videos", json={
        "prompt": "x", **PREVIEW_JOB, "input_reference": {"file_id": "file-nope"}}),
        400)["param"] == "input_reference.file_id"
    assert clean_server.stats()["creates"] == {"by data url": 1, "by file id": 1}


def test_require_key_answers_401_without_the_key(make_server: MakeServer) -> None:
    server = make_server(require_key="sk-local-secret")
    with _open(server) as anonymous:
        missing = error_of(anonymous.get("/videos"), 401)
        assert missing["code"] == "missing_api_key"
    with _open(server, authorization="Bearer sk-wrong") as wrong:
        bad = error_of(wrong.get("/videos"), 401)
        assert bad["code"] == "invalid_api_key"
        assert "sk-wrong" not in bad["message"]
    with _open(server, authorization="Bearer sk-local-secret") as bearer:
        assert bearer.get("/videos").status_code == 200
    with _open(server, **{"api-key": "sk-local-secret"}) as azure_style:
        assert azure_style.get("/videos").status_code == 200
    assert httpx.get(server.root_url + "/healthz").status_code == 200


# --------------------------------------------------------------------------- list and delete


def test_list_pages_with_after_limit_and_order(make_server: MakeServer) -> None:
    server = make_server()
    server.set_faults(fail_jobs=5)  # jobs fail at once: listing needs no renders
    with _open(server) as http:
        ids = [create(http, f"job {n}")["id"] for n in range(5)]
        newest_first = list(reversed(ids))
        page = http.get("/videos", params={"limit": 2}).json()
        assert page["object"] == "list"
        assert [v["id"] for v in page["data"]] == newest_first[:2]
        assert (page["first_id"], page["last_id"], page["has_more"]) == (
            newest_first[0], newest_first[1], True)
        walked = [v["id"] for v in page["data"]]
        while page["has_more"]:
            page = http.get("/videos", params={"limit": 2, "after": page["last_id"]}).json()
            walked += [v["id"] for v in page["data"]]
        assert walked == newest_first
        oldest = http.get("/videos", params={"order": "asc", "limit": 100}).json()
        assert [v["id"] for v in oldest["data"]] == ids and oldest["has_more"] is False
        rest = http.get("/videos", params={"after": ids[0], "order": "asc"}).json()
        assert [v["id"] for v in rest["data"]] == ids[1:]
        assert error_of(http.get("/videos", params={"limit": 0}), 400)["message"] == (
            "Invalid 'limit': integer below minimum value. Expected a value greater than or "
            "equal to 1, but got 0 instead.")
        assert error_of(http.get("/videos", params={"limit": 101}), 400)["code"] == \
            "integer_above_max_value"
        assert error_of(http.get("/videos", params={"order": "up"}), 400)["message"] == \
            "Invalid value: 'up'. Supported values are: 'asc' and 'desc'."
        assert error_of(http.get("/videos", params={"after": "video_nope"}), 400)["param"] == \
            "after"


def test_delete_removes_the_job_and_its_files(client: httpx.Client,
                                              clean_server: RunningServer) -> None:
    video = wait(client, create(client, "to be deleted")["id"])
    folder = clean_server.data_dir / "videos" / video["id"]
    assert (folder / "video.mp4").exists()
    assert client.delete(f"/videos/{video['id']}").json() == {
        "id": video["id"], "object": "video.deleted", "deleted": True}
    assert not folder.exists()
    assert error_of(client.get(f"/videos/{video['id']}"), 404)["code"] == "not_found"
    assert error_of(client.delete(f"/videos/{video['id']}"), 404)["code"] == "not_found"


# --------------------------------------------------------------------------- derived jobs


def test_remix_extension_and_edit(client: httpx.Client, finished: dict[str, Any],
                                  tmp_path: Path) -> None:
    remix = client.post(f"/videos/{finished['id']}/remix", json={"prompt": "pan left"}).json()
    assert remix["remixed_from_video_id"] == finished["id"]
    assert (remix["size"], remix["seconds"], remix["model"]) == ("96x64", "1", "preview")
    extension = client.post("/videos/extensions", json={
        "prompt": "keep going", "seconds": "2", "video": {"id": finished["id"]}}).json()
    assert extension["seconds"] == "3", "an extension reports the stitched total"
    edit = client.post("/videos/edits", json={"prompt": "tilt up",
                                              "video": {"id": finished["id"]}}).json()
    results = {name: wait(client, job["id"]) for name, job in
               (("remix", remix), ("extension", extension), ("edit", edit))}
    assert {name: v["status"] for name, v in results.items()} == dict.fromkeys(results,
                                                                               "completed")
    stitched = tmp_path / "extended.mp4"
    stitched.write_bytes(client.get(f"/videos/{extension['id']}/content").content)
    assert round(float(probe(stitched).require_video().duration)) == 3
    uploaded = client.post("/videos/extensions", data={"prompt": "onwards", "seconds": "1"},
                           files={"video": ("clip.mp4", stitched.read_bytes(), "video/mp4")})
    assert uploaded.status_code == 200, uploaded.text
    assert (uploaded.json()["seconds"], uploaded.json()["model"]) == ("4", "preview")
    assert wait(client, uploaded.json()["id"])["status"] == "completed"


def test_derived_jobs_refuse_unfinished_or_over_long_sources(
        client: httpx.Client, clean_server: RunningServer) -> None:
    clean_server.set_faults(fail_jobs=1)
    failed = wait(client, create(client, "doomed")["id"])
    assert failed["status"] == "failed"
    for answer in (client.post(f"/videos/{failed['id']}/remix", json={"prompt": "again"}),
                   client.post("/videos/extensions", json={
                       "prompt": "m", "seconds": "1", "video": {"id": failed["id"]}}),
                   client.post("/videos/edits", json={"prompt": "m",
                                                      "video": {"id": failed["id"]}})):
        assert error_of(answer, 400)["code"] == "video_not_ready"
    store = clean_server.service.store
    for seconds, extensions, param in (("118", 0, "seconds"), ("8", 6, "video")):
        long_one = JobRecord(id=f"video_limit{extensions}", seq=store.next_seq(),
                             created_at=int(time.time()), model="preview", prompt="long",
                             size="96x64", seconds=seconds, status=COMPLETED, progress=100,
                             extensions=extensions)
        store.add(long_one)
        refused = error_of(client.post("/videos/extensions", json={
            "prompt": "more", "seconds": "4", "video": {"id": long_one.id}}), 400)
        assert refused["param"] == param
    assert error_of(client.post("/videos/extensions", json={
        "prompt": "m", "video": {"id": failed["id"]}}), 400)["param"] == "seconds"
    assert error_of(client.post("/videos/edits", json={"prompt": "m"}), 400)["param"] == "video"
    folders = {p.name for p in (clean_server.data_dir / "videos").iterdir()}
    assert folders <= {job.id for job in store.jobs()}, "a refused request leaves no files"


def test_characters(client: httpx.Client, finished: dict[str, Any]) -> None:
    clip = client.get(f"/videos/{finished['id']}/content").content
    made = client.post("/videos/characters", data={"name": "Ada"},
                       files={"video": ("ada.mp4", clip, "video/mp4")})
    assert made.status_code == 200, made.text
    character = made.json()
    assert set(character) == {"id", "name", "created_at"} and character["name"] == "Ada"
    assert client.get(f"/videos/characters/{character['id']}").json() == character
    too_long = client.post("/videos/characters", data={"name": "x" * 81},
                           files={"video": ("a.mp4", clip, "video/mp4")})
    assert error_of(too_long, 400)["param"] == "name"
    not_video = client.post("/videos/characters", data={"name": "Bob"},
                            files={"video": ("a.mp4", png_bytes(8, 8), "video/mp4")})
    assert error_of(not_video, 400)["code"] == "invalid_video_format"
