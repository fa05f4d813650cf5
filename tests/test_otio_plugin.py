"""The OTIO plugin: registered for otiopluginfo, and the media linker finding moved media."""

from __future__ import annotations

import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from stillmotion.jobs.ledger import Ledger
from stillmotion.jobs.records import JobFiles
from stillmotion.media.synth import ClipSpec, render_clip
from stillmotion.timeline.io import writable_suffixes
from stillmotion.timeline.metadata import GeneratedClipMetadata
from stillmotion.timeline.place import ORIGINAL_REFERENCE_KEY, place_generated
from stillmotion.timeline.render import render_timeline
from support.framecode import luma_frames, read_code
from support.render_media import clip, gap, track

LINKER = "stillmotion_linker"


def test_otiopluginfo_lists_the_adapters_and_the_linker() -> None:
    tool = Path(sys.executable).parent / "otiopluginfo"
    done = subprocess.run([str(tool), "stillmotion*"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "stillmotion_otio/plugin_manifest.json" in text
    for name in ("stillmotion_render", "stillmotion_resolve_otio", LINKER):
        assert f"  {name}\n" in text
    assert "write_to_file args: ['input_otio', 'filepath', 'preset', 'size', 'rate'" in text
    assert "Traceback" not in text + done.stderr


def test_the_adapters_take_no_extension_away() -> None:
    manifest = otio.plugins.ActiveManifest()
    names = {adapter.name: adapter for adapter in manifest.adapters}
    assert list(names["stillmotion_render"].suffixes) == []
    assert otio.adapters.from_filepath("x.otio").name == "otio_json"
    assert {"mov", "mp4"}.isdisjoint(writable_suffixes())
    assert LINKER in otio.media_linker.available_media_linker_names()


# -- the media linker -----------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Any]:
    """A timeline with a source clip on V1 and a generated clip placed on "AI Generated"."""
    folder = tmp_path / "project"
    media = folder / "stillmotion_media"
    media.mkdir(parents=True)
    source = render_clip(folder / "source.mp4", ClipSpec(320, 180, Fraction(24), 30,
                                                         audio_rate=None))
    conformed = render_clip(media / "sm_job_take1.mov", ClipSpec(320, 180, Fraction(24), 12))
    original = render_clip(media / "sm_job_take1_original.mp4",
                           ClipSpec(320, 180, Fraction(24), 12, audio_rate=None))
    edit = otio.schema.Timeline(name="cut")
    edit.tracks.append(track("V1", [clip("source", source, 0, 30)]))
    return {"folder": folder, "media": media, "edit": edit, "conformed": conformed,
            "original": original}


def _place(project: dict[str, Any], job_id: str) -> Path:
    metadata = GeneratedClipMetadata(prompt="slow push in", provider="preview", model="preview",
                                     job_id=job_id, seconds=1.0, size="320x180")
    place_generated(project["edit"], record_start=6, media_path=project["conformed"],
                    duration_frames=12, rate=Fraction(24), name="generated", metadata=metadata,
                    original_path=project["original"], original_frames=12,
                    original_rate=Fraction(24), after_track=0)
    path: Path = project["folder"] / "cut.stillmotion.otio"
    otio.adapters.write_to_file(project["edit"], str(path))
    return path


def _read(path: Path, **arguments: Any) -> Any:
    return otio.adapters.read_from_file(str(path), media_linker_name=LINKER,
                                        media_linker_argument_map=arguments)


def _generated(edit: Any) -> Any:
    return next(c for c in edit.find_clips() if c.name == "generated")


def test_linker_relinks_after_the_media_folder_moved(
    project: dict[str, Any], tmp_path: Path
) -> None:
    path = _place(project, "sm_job")
    moved = tmp_path / "archive" / "media_moved"
    moved.parent.mkdir()
    shutil.move(str(project["media"]), str(moved))
    edit = _read(path, media_dir=str(moved))
    generated = _generated(edit)
    reference = generated.media_reference
    assert isinstance(reference, otio.schema.ExternalReference)
    assert reference.target_url == str(moved / "sm_job_take1.mov")
    assert reference.available_range.duration.value == 12
    assert generated.media_references()[ORIGINAL_REFERENCE_KEY].target_url == str(
        project["original"])  # only the active reference is relinked
    source = next(c for c in edit.find_clips() if c.name == "source")
    assert source.media_reference.target_url == str(project["folder"] / "source.mp4")
    # The relinked timeline renders: the AI track is 6 black frames then the clip's 12.
    output = tmp_path / "ai.mov"
    render_timeline(edit, output, tracks=["AI Generated"])
    codes = [read_code(luma) for luma in luma_frames(output)]
    assert codes == [None] * 6 + list(range(12))


def test_linker_follows_a_moved_project_through_base_dir(
    project: dict[str, Any], tmp_path: Path
) -> None:
    _place(project, "sm_job")
    moved = tmp_path / "elsewhere"
    shutil.move(str(project["folder"]), str(moved))
    edit = _read(moved / "cut.stillmotion.otio", base_dir=str(moved))
    assert _generated(edit).media_reference.target_url == str(
        moved / "stillmotion_media" / "sm_job_take1.mov")


def test_linker_asks_the_ledger(project: dict[str, Any], tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.sqlite3"
    with Ledger(ledger_path) as ledger:
        row = ledger.claim("hash", provider="preview", model="preview").row
        path = _place(project, row.id)
        kept = tmp_path / "kept" / "renamed.mov"
        kept.parent.mkdir()
        shutil.move(str(project["conformed"]), str(kept))
        ledger.update(row.id, files=JobFiles(conformed=kept))
    edit = _read(path, ledger=str(ledger_path))
    assert _generated(edit).media_reference.target_url == str(kept)


def test_linker_says_what_is_missing(project: dict[str, Any], tmp_path: Path) -> None:
    path = _place(project, "sm_gone")
    shutil.rmtree(project["media"])
    edit = _read(path, ledger=str(tmp_path / "no-ledger.sqlite3"))
    reference = _generated(edit).media_reference
    assert isinstance(reference, otio.schema.MissingReference)
    assert reference.name.startswith("missing sm_job_take1.mov of stillmotion job sm_gone")
    assert str(project["media"]) in reference.name
    assert reference.available_range.duration.value == 12
    assert not (tmp_path / "no-ledger.sqlite3").exists()


def test_linker_leaves_clips_that_are_fine_or_not_ours(project: dict[str, Any]) -> None:
    path = _place(project, "sm_job")
    edit = _read(path)
    assert _generated(edit).media_reference.target_url == str(project["conformed"])
    plain = otio.schema.Timeline(name="plain")
    plain.tracks.append(track("V1", [gap(3), clip("other", Path("/nowhere/x.mov"), 0, 5)]))
    other = project["folder"] / "plain.otio"
    otio.adapters.write_to_file(plain, str(other))
    assert _read(other).find_clips()[0].media_reference.target_url == "/nowhere/x.mov"
