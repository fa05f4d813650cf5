"""Our Content Credentials end to end: ``generate`` (preview provider) signs the conformed .mov
with the download as its ingredient, ``stitch --timeline`` signs the master with every
contributing generated clip as an ingredient, and an independent ``c2pa.Reader`` (not our code)
validates each signature and finds trainedAlgorithmicMedia. Then the signing key is looked for,
byte for byte, in everything those runs wrote or printed: it must be nowhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import c2pa
import pytest

from stillmotion.jobs.ledger import LedgerState
from stillmotion.media.manifest_store import AI_SOURCE
from support.c2pa_vendor import key_material, top_level_boxes
from support.generate_env import (
    case_23976,
    cli,
    generate_two_takes,
    isolate,
    job,
    small_clip,
    write_case,
)

PROMPT = "Slow dolly in over 1 s; warm evening light"


def _independent_read(path: Path) -> tuple[str, dict[str, Any]]:
    """Validation state and manifest store as c2pa-python reports them."""
    with c2pa.Reader(str(path)) as reader:
        return reader.get_validation_state() or "", json.loads(reader.json())


def _source_types(store: dict[str, Any]) -> set[str]:
    return {a.get("digitalSourceType") for m in store["manifests"].values()
            for x in m["assertions"] if x["label"].startswith("c2pa.actions")
            for a in x["data"]["actions"]} - {None}


def _failures(store: dict[str, Any]) -> set[str]:
    block = store["validation_results"]["activeManifest"]
    return {f["code"] for f in block.get("failure", [])}


def test_generate_and_stitch_sign_a_chain_an_independent_reader_validates(
    media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    data = isolate(monkeypatch, tmp_path)
    project = tmp_path / "project"
    ledger = tmp_path / "ledger.sqlite3"
    # Two takes at two playheads: the second is generated on the first one's timeline.
    clips, printed = generate_two_takes(capsys, media_dir, project, ledger, PROMPT)
    for clip in clips:
        assert clip["credentials"] == "signed with a local, untrusted identity"
        conformed, original = Path(clip["conformed"]), Path(clip["original"])
        assert conformed.suffix == ".mov"
        # Signed by appending its manifest box (media.bmff_hash), not by c2pa's rewrite.
        assert top_level_boxes(conformed.read_bytes())[-1][3]
        state, store = _independent_read(conformed)
        assert state == "Valid" and _failures(store) <= {"signingCredential.untrusted"}
        active = store["manifests"][store["active_manifest"]]
        assert active["claim_generator_info"][0]["name"] == "stillmotion"
        (ingredient,) = active["ingredients"]
        assert ingredient["title"] == original.name
        assert ingredient["relationship"] == "parentOf"
        assert AI_SOURCE in _source_types(store)
        row = job(ledger, clip["job_id"])
        assert row.state is LedgerState.PLACED
        # The still sent to the service is signed too, its parent the editor's frame.
        assert row.files.image is not None and row.files.source_image is not None
        state, store = _independent_read(row.files.image)
        assert state == "Valid" and _failures(store) <= {"signingCredential.untrusted"}
        (frame,) = store["manifests"][store["active_manifest"]]["ingredients"]
        assert frame["title"] == row.files.source_image.name
        assert frame["relationship"] == "parentOf"

    master = tmp_path / "master.mov"
    code, stdout, stderr = cli(capsys, "stitch", "--timeline", project / "two.otio", "-o",
                               master, "--size", "320x180")
    assert code == 0, stderr
    printed += [stdout, stderr]
    assert "signed with a local, untrusted identity" in stderr
    assert top_level_boxes(master.read_bytes())[-1][3]
    state, store = _independent_read(master)
    assert state == "Valid" and _failures(store) <= {"signingCredential.untrusted"}
    active = store["manifests"][store["active_manifest"]]
    parts = {i["title"]: i for i in active["ingredients"]}
    for clip in clips:
        part = parts[Path(clip["conformed"]).name]
        assert part["relationship"] == "componentOf"
        assert store["manifests"][part["active_manifest"]]["ingredients"][0]["title"] \
            == Path(clip["original"]).name
    assert "r23_hour.mov" in parts  # the editor's own footage is a component too
    assert AI_SOURCE in _source_types(store)

    code, stdout, stderr = cli(capsys, "review", project / "two.otio", "--ledger", ledger,
                               "-o", tmp_path / "review.html")
    assert code == 0, stderr
    printed += [stdout, stderr]
    code, stdout, stderr = cli(capsys, "provenance", master)
    assert code == 0 and "AI-generated: yes" in stdout
    printed += [stdout, stderr]

    # The key: nowhere but its own file (ledger and its WAL, timelines, review page and
    # assets, media, manifest stores, everything printed).
    key_file = data / "credentials" / "local-signer.key"
    secrets = key_material(key_file.read_bytes())
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != key_file]
    assert any(p.suffix == ".sqlite3" for p in written)
    assert any(p.name == "review.html" for p in written)
    for path in written:
        blob = path.read_bytes()
        assert not [s for s in secrets if s in blob], path
    for text in printed:
        assert not [s for s in secrets if s in text.encode()]


def test_generate_with_no_credentials_writes_none(
    media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    data = isolate(monkeypatch, tmp_path)
    case = case_23976(small_clip(media_dir, "r23_hour"))
    source = write_case(case, tmp_path / "project")
    code, stdout, stderr = cli(
        capsys, "generate", source, "--at", case.at, "--prompt", PROMPT, "--provider",
        "preview", "--size", "320x180", "--seconds", "1", "--ledger",
        tmp_path / "ledger.sqlite3", "--no-credentials", "--json")
    assert code == 0, stderr
    result = json.loads(stdout)
    assert result["credentials"] == "no Content Credentials"
    for written in (result["conformed"], job(tmp_path / "ledger.sqlite3",
                                             result["job_id"]).files.image):
        with pytest.raises(c2pa.C2paError):
            c2pa.Reader(written)
    assert not (data / "credentials").exists()
