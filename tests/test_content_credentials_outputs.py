"""Content Credentials on the outputs signed since the first pass: the standalone ``conform``,
``extend --crossfade``, the last-frame still ``fill-gap`` sends, and ``turnover`` plates
(ProRes movies embedded, EXR frames with a sidecar ``<frame>.c2pa``).

Every check is made by an independent ``c2pa.Reader`` (not our code): the signature validates
(untrusted only because the local identity is on no trust list), the ingredient is the file the
output was made from, and a sidecar binds to its frame's bytes (a flipped byte reads as a data
hash mismatch). Runs are the real commands in-process against ``stillmotion serve`` over HTTP.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import c2pa
import opentimelineio as otio
import pytest

from stillmotion.media.manifest_store import AI_SOURCE
from stillmotion.server import RunningServer
from support.c2pa_vendor import make_vendor, sign_download
from support.finishing import ThreeShots, make_three_shots
from support.generate_env import case_25, cli, cli_json, isolate, job, small_clip, write_case

KEY = "dummy-test-key"
TRUST_ONLY = {"signingCredential.untrusted"}


def _read(path: Path, sidecar: Path | None = None,
          kind: str = "image/x-exr") -> tuple[str, dict[str, Any]]:
    """Validation state and store as c2pa-python reports them (a sidecar with its file)."""
    if sidecar is None:
        with c2pa.Reader(str(path)) as reader:
            return reader.get_validation_state() or "", json.loads(reader.json())
    with c2pa.Reader(kind, io.BytesIO(path.read_bytes()), sidecar.read_bytes()) as reader:
        return reader.get_validation_state() or "", json.loads(reader.json())


def _active(store: dict[str, Any]) -> dict[str, Any]:
    manifest: dict[str, Any] = store["manifests"][store["active_manifest"]]
    return manifest


def _failures(store: dict[str, Any]) -> set[str]:
    return {f["code"] for f in store["validation_results"]["activeManifest"].get("failure", [])}


def _ours_with_parent(path: Path, parent: str, sidecar: Path | None = None,
                      kind: str = "image/x-exr") -> dict[str, Any]:
    """Assert ``path`` carries a valid stillmotion manifest whose parent is ``parent``."""
    state, store = _read(path, sidecar, kind)
    assert state == "Valid" and _failures(store) <= TRUST_ONLY, (path, _failures(store))
    active = _active(store)
    assert active["claim_generator_info"][0]["name"] == "stillmotion"
    (ingredient,) = active["ingredients"]
    assert (ingredient["title"], ingredient["relationship"]) == (parent, "parentOf")
    return store


def _source_types(manifest: dict[str, Any]) -> set[str]:
    return {a.get("digitalSourceType") for x in manifest["assertions"]
            if x["label"].startswith("c2pa.actions") for a in x["data"]["actions"]} - {None}


def _unsigned(path: Path) -> None:
    with pytest.raises(c2pa.C2paError):
        c2pa.Reader(str(path))


def test_standalone_conform_names_its_input_and_keeps_the_ai_label_only_if_declared(
    media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    plain = small_clip(media_dir, "r25_ten")
    vendor = sign_download(make_vendor(), plain, tmp_path / "vendor_original.mov")
    for source, ai in ((vendor, True), (plain, False)):
        out = tmp_path / f"{source.stem}_conformed.mov"
        code, stdout, stderr = cli(capsys, "conform", source, "-o", out, "--size", "320x180")
        assert code == 0, stderr
        assert stdout.strip() == str(out)
        assert "signed with a local, untrusted identity" in stderr
        store = _ours_with_parent(out, source.name)
        # Camera footage conformed here is not labelled AI-generated; a vendor's clip stays so.
        assert (AI_SOURCE in _source_types(_active(store))) is ai
    out = tmp_path / "bare.mov"
    code, _, stderr = cli(capsys, "conform", vendor, "-o", out, "--size", "320x180",
                          "--no-credentials")
    assert code == 0, stderr
    _unsigned(out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_extend_with_crossfade_signs_the_clip_and_the_still(
    preview_server: RunningServer, media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    source = write_case(case_25(small_clip(media_dir, "r25_ten")), tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    result = cli_json(capsys, "extend", source, "--clip", "pal", "--prompt", "Keep drifting",
                      "--seconds", "1", "--crossfade", "0.4", "--provider", "preview",
                      "--base-url", preview_server.base_url, "--size", "320x180",
                      "--ledger", ledger)
    row = job(ledger, result["job_id"])
    store = _ours_with_parent(Path(result["conformed"]), Path(result["original"]).name)
    assert AI_SOURCE in _source_types(_active(store))
    assert row.files.image is not None and row.files.source_image is not None
    _ours_with_parent(row.files.image, row.files.source_image.name)
    # The dissolve itself is rendered by ``stitch --timeline``: a master whose components are
    # the editor's clip and the extension, each with its own chain.
    master = tmp_path / "master.mov"
    code, _, stderr = cli(capsys, "stitch", "--timeline", result["timeline"], "-o", master,
                          "--size", "320x180")
    assert code == 0, stderr
    state, store = _read(master)
    assert state == "Valid" and _failures(store) <= TRUST_ONLY
    parts = {i["title"]: i for i in _active(store)["ingredients"]}
    assert set(parts) == {"r25_ten.mov", Path(result["conformed"]).name}
    extension = parts[Path(result["conformed"]).name]
    assert extension["relationship"] == "componentOf"
    assert store["manifests"][extension["active_manifest"]]["ingredients"][0]["title"] \
        == Path(result["original"]).name


def test_fill_gap_signs_the_last_frame_still(
    preview_server: RunningServer, media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    case = case_25(small_clip(media_dir, "r25_ten"))
    cut = write_case(case, tmp_path / "project")
    # Cut the clip in two around a gap: fill-gap sends the frame before and the one after.
    tl = otio.adapters.read_from_file(str(cut))
    (clip,) = list(tl.tracks[0])
    after = clip.deepcopy()
    start, rate = clip.source_range.start_time, clip.source_range.start_time.rate
    clip.source_range = otio.opentime.TimeRange(start, otio.opentime.RationalTime(10, rate))
    after.source_range = otio.opentime.TimeRange(start + otio.opentime.RationalTime(30, rate),
                                                 otio.opentime.RationalTime(10, rate))
    tl.tracks[0].append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
        duration=otio.opentime.RationalTime(20, rate))))
    tl.tracks[0].append(after)
    otio.adapters.write_to_file(tl, str(cut))
    ledger = tmp_path / "ledger.sqlite3"
    result = cli_json(capsys, "fill-gap", cut, "--at", "15", "--prompt", "Bridge the cut",
                      "--provider", "veo", "--model", "veo-3.1-fast-generate-preview",
                      "--base-url", preview_server.root_url, "--preset", "h264-web",
                      "--ledger", ledger)
    row = job(ledger, result["job_id"])
    assert row.files.last_image is not None and row.files.last_image.name.endswith(
        "_last_frame.png")
    assert row.files.last_source_image is not None
    _ours_with_parent(row.files.last_image, row.files.last_source_image.name)


@pytest.fixture(scope="module")
def three(preview_server: RunningServer, media_dir: Path, tmp_path_factory: pytest.TempPathFactory,
          ) -> ThreeShots:
    folder = tmp_path_factory.mktemp("three")
    with pytest.MonkeyPatch.context() as patch:
        isolate(patch, folder)
        return make_three_shots(preview_server, media_dir, folder / "project")


def _turn_over(capsys: pytest.CaptureFixture[str], three: ThreeShots, out: Path,
               fmt: str) -> list[dict[str, Any]]:
    code, _, err = cli(capsys, "turnover", three.timeline, "--handles", "2", "--format", fmt,
                       "-o", out, "--ledger", three.ledger, "--track", "AI Generated")
    assert code == 0, err
    return [json.loads(p.read_text()) for p in sorted(out.glob("*/*.json"))]


def test_turnover_prores_plates_carry_credentials_naming_the_download(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    records = _turn_over(capsys, three, tmp_path / "prores", "prores4444")
    assert len(records) == 3
    for record in records:
        assert record["plate"]["credentials"] == {"signed": True, "sidecars": []}
        movie = tmp_path / "prores" / record["name"] / f"{record['name']}.mov"
        download = Path(record["provenance"]["original_download"])
        store = _ours_with_parent(movie, download.name)
        assert AI_SOURCE in _source_types(_active(store))


def test_turnover_exr_frames_get_sidecars_bound_to_their_bytes(
    three: ThreeShots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "exr"
    records = _turn_over(capsys, three, out, "exr")
    record = records[0]
    folder = out / record["name"]
    frames = [folder / name for name in record["plate"]["files"]]
    sidecars = [folder / name for name in record["plate"]["credentials"]["sidecars"]]
    assert [s.name for s in sidecars] == [f.with_suffix(".c2pa").name for f in frames]
    download = Path(record["provenance"]["original_download"])
    for frame, sidecar in zip(frames, sidecars, strict=True):
        store = _ours_with_parent(frame, download.name, sidecar)
        assert _active(store)["title"] == frame.name
    sidecars[2].unlink()
    code, stdout, _ = cli(capsys, "provenance", frames[2])
    assert code == 0 and "no Content Credentials" in stdout
    assert f"no sidecar manifest store {sidecars[2].name}" in stdout
    # A sidecar belongs to its own frame: read against another frame, or a flipped byte, fails.
    _, store = _read(frames[1], sidecars[0])
    assert "assertion.dataHash.mismatch" in _failures(store)
    # ``stillmotion provenance`` finds the sidecar: untrusted (exit 0), tampered (exit 7).
    code, stdout, _ = cli(capsys, "provenance", frames[0], "--json")
    assert code == 0 and json.loads(stdout)["status"] == "untrusted"
    assert json.loads(stdout)["ai_generated"] is True
    data = bytearray(frames[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    frames[0].write_bytes(bytes(data))
    code, stdout, stderr = cli(capsys, "provenance", frames[0])
    assert code == 7 and "TAMPERED" in stdout and "altered" in stderr

