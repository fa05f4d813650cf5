"""The official ``openai`` SDK (3.x) against ``stillmotion serve``: every videos call works.

The SDK's ``videos`` methods are marked deprecated (the Sora API shut down); the warning is
silenced here because speaking that wire format is the point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from stillmotion.api.sniff import sniff
from stillmotion.media.probe import probe
from stillmotion.server import RunningServer
from support.videos_http import png_bytes

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# The preview model takes sizes and lengths outside the SDK's Literal lists (Sora's), so these
# keywords go through untyped, as the SDK sends them at run time.
TINY: dict[str, Any] = {"model": "preview", "size": "96x64", "seconds": "1"}


@pytest.fixture
def sdk(clean_server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=clean_server.base_url, api_key="sk-anything",
                       timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def made(preview_server: RunningServer) -> openai.types.Video:
    """A finished tiny video made through the SDK with an uploaded reference image."""
    with openai.OpenAI(base_url=preview_server.base_url, api_key="sk-anything",
                       timeout=60) as client:
        created = client.videos.create(
            prompt="slow push in on the red card",
            input_reference=("card.png", png_bytes(96, 64), "image/png"), **TINY)
        assert created.status == "queued" and created.model == "preview"
        return client.videos.poll(created.id)


def test_create_with_file_then_poll_retrieve_and_download(sdk: openai.OpenAI,
                                                          made: openai.types.Video,
                                                          tmp_path: Path) -> None:
    assert made.status == "completed" and made.progress == 100
    assert made.expires_at is not None and made.completed_at is not None
    again = sdk.videos.retrieve(made.id)
    assert (again.id, again.size, again.seconds) == (made.id, "96x64", "1")
    kinds = {}
    for variant in ("video", "thumbnail", "spritesheet"):
        content = sdk.videos.download_content(made.id, variant=variant)
        kinds[variant] = sniff(content.content[:16])
    assert kinds == {"video": "mp4", "thumbnail": "webp", "spritesheet": "jpeg"}
    target = tmp_path / "made.mp4"
    sdk.videos.download_content(made.id).write_to_file(target)
    facts = probe(target).require_video()
    assert (facts.width, facts.height) == (96, 64)


def test_create_and_poll_with_sora_2_shape(sdk: openai.OpenAI,
                                           clean_server: RunningServer) -> None:
    video = sdk.videos.create_and_poll(
        prompt="static wide shot, steam rising", model="sora-2", size="1280x720", seconds="4",
        input_reference=("frame.png", png_bytes(1280, 720, (30, 60, 90)), "image/png"))
    assert video.status == "completed", video.error
    assert (video.model, video.size, video.seconds) == ("sora-2", "1280x720", "4")
    assert clean_server.stats()["creates"] == {"static wide shot, steam rising": 1}


def test_list_paginates(sdk: openai.OpenAI, made: openai.types.Video,
                        clean_server: RunningServer) -> None:
    clean_server.set_faults(fail_jobs=2)
    extra = [sdk.videos.create(prompt=f"listed {n}", **TINY).id for n in range(2)]
    first_page = sdk.videos.list(limit=2)
    assert [v.id for v in first_page.data] == list(reversed(extra))
    assert first_page.has_more
    every = [v.id for v in sdk.videos.list(limit=2)]  # auto-pagination follows `after`
    assert every[:2] == list(reversed(extra)) and made.id in every
    oldest = sdk.videos.list(order="asc", limit=100)
    assert [v.id for v in oldest.data].index(made.id) < [v.id for v in oldest.data].index(
        extra[0])


def test_remix_extend_edit_and_characters(sdk: openai.OpenAI, made: openai.types.Video,
                                          tmp_path: Path) -> None:
    """Remix by id; extend and edit by id and by upload.

    SDK 3.54.0 cannot send ``video={"id": …}`` itself: its multipart file extraction refuses
    a dict at ``video`` (RuntimeError before any request). The id therefore goes in
    ``extra_body`` (sent as the ``video[id]`` form field, as the SDK would) with ``video``
    omitted; an uploaded file goes through ``video=`` as designed.
    """
    remix = sdk.videos.remix(made.id, prompt="whip pan right")
    assert remix.remixed_from_video_id == made.id
    by_id: dict[str, Any] = {"video": openai.omit, "extra_body": {"video": {"id": made.id}}}
    extended = sdk.videos.extend(prompt="keep pushing in", seconds="1", **by_id)  # type: ignore[arg-type]
    assert extended.seconds == "2", "an extension reports the stitched total"
    edited = sdk.videos.edit(prompt="tilt down", **by_id)
    results = [sdk.videos.poll(v.id) for v in (remix, extended, edited)]
    assert [v.status for v in results] == ["completed"] * 3
    assert results[1].seconds == "2"
    clip = tmp_path / "extended.mp4"
    sdk.videos.download_content(extended.id).write_to_file(clip)
    assert round(float(probe(clip).require_video().duration)) == 2
    uploaded = sdk.videos.extend(prompt="and further", seconds="1", video=clip)  # type: ignore[arg-type]
    assert (uploaded.seconds, uploaded.size) == ("3", "96x64")
    assert sdk.videos.poll(uploaded.id).status == "completed"
    character = sdk.videos.create_character(name="Red", video=clip)
    assert character.name == "Red" and character.id
    assert sdk.videos.get_character(character.id).name == "Red"


def test_delete_and_errors(sdk: openai.OpenAI, clean_server: RunningServer) -> None:
    clean_server.set_faults(fail_jobs=1)
    doomed = sdk.videos.poll(sdk.videos.create(prompt="to delete", **TINY).id)
    assert doomed.status == "failed" and doomed.error is not None
    assert doomed.error.code == "internal_error"
    deleted = sdk.videos.delete(doomed.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (doomed.id, True, "video.deleted")
    with pytest.raises(openai.NotFoundError):
        sdk.videos.retrieve(doomed.id)
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.videos.create(prompt="x", seconds="10")  # type: ignore[arg-type]
    assert bad.value.code == "invalid_value"
    assert "Supported values are: '4', '8', and '12'." in bad.value.message
    clean_server.set_faults(rate_limit=1, retry_after_ms=10)
    clean_server.reset_stats()
    # The SDK waited and retried the 429; the page's "object" is an extra (untyped) field.
    assert sdk.videos.list(limit=1).to_dict()["object"] == "list"
    assert clean_server.stats()["requests"] == {"GET /v1/videos": 2}


def test_key_is_required_when_configured(make_server: Callable[..., RunningServer]) -> None:
    server = make_server(require_key="sk-real")
    with openai.OpenAI(base_url=server.base_url, api_key="sk-fake", max_retries=0) as wrong, \
            pytest.raises(openai.AuthenticationError):
        wrong.videos.list()
    with openai.OpenAI(base_url=server.base_url, api_key="sk-real", max_retries=0) as right:
        assert right.videos.list().data == []
