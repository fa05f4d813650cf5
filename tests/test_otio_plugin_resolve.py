"""Resolve-shaped OTIO: every rule of the reference checked on the written file, independently.

The reference's rules for ``MediaPool.ImportTimelineFromFile``: a ``global_start_time``;
``Clip.2`` with ``media_references["DEFAULT_MEDIA"]``; ``target_url`` a bare path (no file://);
``available_range`` on every reference; source ranges in the media's own timecode space (media
starting at 01:00:00:00 at 23.976 needs ``start_time`` >= 86400).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.errors import TimelineError
from stillmotion.media.assembly import Show
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.timeline.locate import locate
from stillmotion.timeline.metadata import GeneratedClipMetadata
from stillmotion.timeline.place import place_generated
from stillmotion.timeline.render import plan_timeline
from stillmotion.timeline.resolve_shape import make_resolve_shaped, resolve_problems
from support.render_media import track

FILM = Fraction(24000, 1001)
HOUR = 86400  # 01:00:00:00 at 23.976 (non-drop), in frames


def _rt(value: float) -> Any:
    return otio.opentime.RationalTime(value, float(FILM))


def _span(start: float, duration: float) -> Any:
    return otio.opentime.TimeRange(_rt(start), _rt(duration))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("resolve media")
    return {
        "tc": render_clip(folder / "camera a.mov", ClipSpec(320, 180, FILM, 48, audio_rate=48000,
                                                            start_timecode="01:00:00:00")),
        "plain": render_clip(folder / "plain.mp4", ClipSpec(320, 180, FILM, 36)),
        "generated": render_clip(folder / "sm_x_take1.mov", ClipSpec(320, 180, FILM, 24)),
        "original": render_clip(folder / "sm_x_take1_original.mp4",
                                ClipSpec(320, 180, Fraction(30), 30, audio_rate=None)),
    }


def _export_like(files: dict[str, Path]) -> Any:
    """A timeline as another tool might write it, breaking each of Resolve's rules somewhere."""
    url_clip = otio.schema.Clip(  # file:// URL, 0-based source range, no available range
        name="camera", source_range=_span(5, 24),
        media_reference=otio.schema.ExternalReference(target_url=files["tc"].as_uri()))
    proxy = otio.schema.Clip(name="proxied", source_range=_span(2, 10))
    proxy.set_media_references({  # the active reference is not DEFAULT_MEDIA; relative path
        "proxy": otio.schema.ExternalReference(target_url=files["plain"].name),
    }, "proxy")
    zero_based = otio.schema.ExternalReference(  # available range at 0 for a TC file
        target_url=str(files["tc"]), available_range=_span(0, 48))
    sound = otio.schema.Clip(name="camera sound", source_range=_span(5, 24),
                             media_reference=zero_based)
    edit = otio.schema.Timeline(name="export")
    edit.tracks.extend([
        track("V1", [url_clip, proxy]),
        track("A1", [sound], kind="Audio"),
    ])
    metadata = GeneratedClipMetadata(prompt="steam rises", provider="preview", model="preview",
                                     job_id="sm_x", seconds=1.0, size="320x180")
    place_generated(edit, record_start=4, media_path=files["generated"], duration_frames=24,
                    rate=FILM, name="generated", metadata=metadata,
                    original_path=files["original"], original_frames=30,
                    original_rate=Fraction(30), after_track=0)
    return edit


def _clip_dicts(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, dict):
        if str(data.get("OTIO_SCHEMA", "")).startswith("Clip."):
            yield data
        for value in data.values():
            yield from _clip_dicts(value)
    elif isinstance(data, list):
        for value in data:
            yield from _clip_dicts(value)


def test_written_file_follows_every_rule(files: dict[str, Path], tmp_path: Path) -> None:
    edit = _export_like(files)
    before = otio.adapters.write_to_string(edit, "otio_json")
    path = tmp_path / "for resolve.otio"
    otio.adapters.write_to_file(edit, str(path), adapter_name="stillmotion_resolve_otio",
                                base_dir=str(files["plain"].parent))
    assert otio.adapters.write_to_string(edit, "otio_json") == before  # input untouched
    data = json.loads(path.read_text(encoding="utf-8"))
    # 1. global start time, 01:00:00:00 at the timeline rate
    start = data["global_start_time"]
    assert (start["value"], start["rate"]) == (HOUR, pytest.approx(float(FILM)))
    clips = {c["name"]: c for c in _clip_dicts(data)}
    assert set(clips) == {"camera", "proxied", "camera sound", "generated"}
    for name, clip in clips.items():
        # 2. Clip.2 showing DEFAULT_MEDIA
        assert clip["OTIO_SCHEMA"] == "Clip.2", name
        assert clip["active_media_reference_key"] == "DEFAULT_MEDIA", name
        for key, reference in clip["media_references"].items():
            url = reference["target_url"]
            # 3. bare absolute paths to files that exist
            assert "://" not in url and Path(url).is_absolute() and Path(url).is_file(), url
            # 4. an available range on every reference
            assert reference["available_range"] is not None, (name, key)
    # 5. the TC file's ranges in its own timecode space (01:00:00:00 = frame 86400)
    for name in ("camera", "camera sound"):
        reference = clips[name]["media_references"]["DEFAULT_MEDIA"]
        assert reference["target_url"] == str(files["tc"])
        assert reference["available_range"]["start_time"]["value"] == HOUR
        assert reference["available_range"]["duration"]["value"] == 48
        assert clips[name]["source_range"]["start_time"]["value"] == HOUR + 5
    proxied = clips["proxied"]["media_references"]
    assert proxied["DEFAULT_MEDIA"]["target_url"] == str(files["plain"])
    assert proxied["DEFAULT_MEDIA"]["available_range"]["start_time"]["value"] == 0
    assert clips["proxied"]["source_range"]["start_time"]["value"] == 2
    original = clips["generated"]["media_references"]["original_download"]
    assert original["available_range"]["duration"]["value"] == 30
    assert resolve_problems(otio.adapters.read_from_file(str(path)),
                            serialized=path.read_text(encoding="utf-8")) == []


def test_shaping_keeps_what_the_editor_sees(files: dict[str, Path]) -> None:
    edit = _export_like(files)
    shaped = make_resolve_shaped(edit, base_dir=files["plain"].parent)
    for frame in (0, 3, 4, 20, 27, 30):
        was = locate(edit, frame, timeline_path=files["plain"])
        now = locate(shaped, frame, timeline_path=files["plain"])
        assert (now.clip_name, now.source_frame_index) == (was.clip_name, was.source_frame_index)
    base = files["plain"].parent

    def shown(timeline: Any) -> list[tuple[Any, ...]]:
        return [(e.span.path, e.span.first, e.skip, e.frames)
                for e in plan_timeline(timeline, base_dir=base).picture if isinstance(e, Show)]

    assert shown(shaped) == shown(edit)  # the renderer reads both timecode spaces alike


def test_validator_names_each_broken_rule(files: dict[str, Path]) -> None:
    problems = resolve_problems(_export_like(files), base_dir=files["plain"].parent)
    text = "\n".join(problems)
    assert "no global_start_time" in text
    assert "clip 'proxied' shows the reference proxy, not DEFAULT_MEDIA" in text
    assert f"target_url {files['tc'].as_uri()} is a URL" in text
    assert "target_url plain.mp4 is relative" in text
    assert "clip 'camera' reference DEFAULT_MEDIA has no available_range" in text
    assert "clip 'camera sound' available_range starts at frame 0, not at the media's start " \
           f"timecode (frame {HOUR})" in text
    shaped = make_resolve_shaped(_export_like(files), base_dir=files["plain"].parent)
    old = otio.adapters.write_to_string(shaped, "otio_json", target_schema_versions={"Clip": 1})
    assert any("written as Clip.1, not Clip.2" in p
               for p in resolve_problems(shaped, serialized=old))


def test_offline_clip_without_a_range_cannot_be_shaped(tmp_path: Path) -> None:
    edit = otio.schema.Timeline(name="offline")
    edit.tracks.append(track("V1", [otio.schema.Clip(
        name="lost", source_range=_span(0, 10),
        media_reference=otio.schema.ExternalReference(target_url=str(tmp_path / "gone.mov")))]))
    with pytest.raises(TimelineError, match="clip 'lost' is offline"):
        make_resolve_shaped(edit)
