"""Signing a movie by appending its manifest box (media.bmff_hash), checked by c2pa's own reader.

The movies are real ffmpeg conforms (DNxHR HQ + PCM in a MOV, as ``generate`` writes) of a clip
that a stand-in vendor signed with c2pa-python. What is checked, all by the independent
``c2pa.Reader`` rather than our code:
- the signed file is the unsigned one byte for byte plus one C2PA box at the end;
- its ``c2pa.hash.bmff.v3`` binding validates;
- a flipped byte in the media or the index reads as a hash mismatch;
- layouts the binding does not cover (fragmented movies, a file that already has a manifest) still
  come out signed, through c2pa's own rewrite.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import c2pa
import pytest

from stillmotion.errors import MediaError
from stillmotion.media.bmff_hash import LABEL, binding_assertion
from stillmotion.media.conform import conform
from stillmotion.media.credentials import conform_recipe, sign_written
from stillmotion.media.ffmpeg import ffmpeg_exe
from stillmotion.media.identity import local_identity
from stillmotion.media.manifest_store import AI_SOURCE
from stillmotion.media.provenance import SigningIdentity, read_credentials
from support.c2pa_vendor import Vendor, flip_box_byte, make_vendor, sign_download, top_level_boxes

TRUST_ONLY = {"signingCredential.untrusted"}


@pytest.fixture(scope="module")
def vendor() -> Vendor:
    return make_vendor()


@pytest.fixture(scope="module")
def download(vendor: Vendor, make_clip: Callable[[str], Path],
             tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("download")
    return sign_download(vendor, make_clip("landscape_30"), folder / "vendor_original.mp4")


@pytest.fixture(scope="module")
def conformed(download: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The download conformed as ``generate`` does it (unsigned: the test signs copies)."""
    folder = tmp_path_factory.mktemp("conformed")
    return conform(download, folder / "shot.mov", size=(320, 180), rate=Fraction(25))


@pytest.fixture
def identity(tmp_path: Path) -> SigningIdentity:
    return local_identity(tmp_path / "credentials")


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    with c2pa.Reader(str(path)) as reader:
        return reader.get_validation_state() or "", json.loads(reader.json())


def _failures(store: dict[str, Any]) -> set[str]:
    return {f["code"] for f in store["validation_results"]["activeManifest"].get("failure", [])}


def _signed_copy(source: Path, target: Path, download: Path,
                 identity: SigningIdentity) -> tuple[bytes, bytes]:
    """Copy ``source`` to ``target``, sign it in place; its bytes before and after."""
    shutil.copyfile(source, target)
    before = target.read_bytes()
    sign_written(target, conform_recipe(download, "conformed to resolve-dnxhr-hq"), identity)
    return before, target.read_bytes()


def _c2pa_boxes(data: bytes) -> list[int]:
    return [offset for offset, _, _, c2pa_box in top_level_boxes(data) if c2pa_box]


def test_a_conformed_movie_gets_one_box_appended_that_validates(
    conformed: Path, download: Path, identity: SigningIdentity, tmp_path: Path
) -> None:
    target = tmp_path / "signed.mov"
    before, after = _signed_copy(conformed, target, download, identity)
    assert after[:len(before)] == before  # nothing moved: no rewrite of the media
    boxes = top_level_boxes(after)
    assert boxes[-1][0] == len(before) and boxes[-1][3]  # the C2PA box, last
    assert _c2pa_boxes(after) == [len(before)]

    state, store = _read(target)
    assert state == "Valid" and _failures(store) <= TRUST_ONLY, _failures(store)
    active = store["manifests"][store["active_manifest"]]
    assert LABEL in {assertion["label"] for assertion in active["assertions"]}
    (ingredient,) = active["ingredients"]
    assert (ingredient["title"], ingredient["relationship"]) == (download.name, "parentOf")
    actions = [a for x in active["assertions"] if x["label"].startswith("c2pa.actions")
               for a in x["data"]["actions"]]
    assert AI_SOURCE in {a.get("digitalSourceType") for a in actions}
    assert read_credentials(target).status == "untrusted"


@pytest.mark.parametrize("box", ["mdat", "moov"])
def test_a_flipped_byte_in_the_media_or_its_index_reads_tampered(
    box: str, conformed: Path, download: Path, identity: SigningIdentity, tmp_path: Path
) -> None:
    target = tmp_path / "signed.mov"
    _signed_copy(conformed, target, download, identity)
    flipped = flip_box_byte(target, tmp_path / f"flipped_{box}.mov", box)
    state, store = _read(flipped)
    assert state == "Invalid"
    assert "assertion.bmffHash.mismatch" in _failures(store)
    assert read_credentials(flipped).status == "tampered"


def test_a_64_bit_media_box_header_is_bound_too(
    conformed: Path, download: Path, identity: SigningIdentity, tmp_path: Path
) -> None:
    """Past 4 GiB ffmpeg turns its ``wide`` + ``mdat`` pair into one 16-byte ``mdat`` header
    (a 64-bit size); the same rewrite on a small file keeps every sample offset."""
    data = bytearray(conformed.read_bytes())
    (wide,) = [box for box in top_level_boxes(bytes(data)) if box[1] == "wide"]
    (mdat,) = [box for box in top_level_boxes(bytes(data)) if box[1] == "mdat"]
    assert wide[0] + wide[2] == mdat[0] and mdat[2] < 2 ** 32
    data[wide[0]:mdat[0] + 8] = (1).to_bytes(4, "big") + b"mdat" + \
        (mdat[2] + 8).to_bytes(8, "big")
    large = tmp_path / "large_header.mov"
    large.write_bytes(bytes(data))
    assert [box[1] for box in top_level_boxes(bytes(data))][:3] == ["ftyp", "mdat", "moov"]

    target = tmp_path / "signed.mov"
    before, after = _signed_copy(large, target, download, identity)
    assert after[:len(before)] == before
    state, store = _read(target)
    assert state == "Valid" and _failures(store) <= TRUST_ONLY, _failures(store)


def _fragmented(source: Path, target: Path) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(source), "-c", "copy",
                    "-movflags", "frag_keyframe+empty_moov", str(target)], check=True)
    return target


@pytest.mark.parametrize("layout", ["fragmented", "signed by the vendor", "signed by us"])
def test_layouts_the_binding_does_not_cover_are_signed_by_c2pa_rewrite(
    layout: str, download: Path, conformed: Path, identity: SigningIdentity, tmp_path: Path
) -> None:
    """A fragmented movie, or one that already has a manifest box (after ``ftyp`` as c2pa
    writes it, or at the end as we do): c2pa's rewrite, still exactly one manifest box."""
    if layout == "fragmented":
        source = _fragmented(download, tmp_path / "fragmented.mp4")
    elif layout == "signed by the vendor":
        source = download
    else:
        source = tmp_path / "ours.mov"
        _signed_copy(conformed, source, download, identity)
    assert binding_assertion(source) is None
    target = tmp_path / f"signed{source.suffix}"
    before, after = _signed_copy(source, target, download, identity)
    assert after != before
    assert len(_c2pa_boxes(after)) == 1
    state, store = _read(target)
    assert state == "Valid" and _failures(store) <= TRUST_ONLY, _failures(store)
    active = store["manifests"][store["active_manifest"]]
    assert active["claim_generator_info"][0]["name"] == "stillmotion"


def test_sizes_that_do_not_add_up_have_no_binding(conformed: Path, tmp_path: Path) -> None:
    data = conformed.read_bytes()
    truncated = tmp_path / "truncated.mov"
    truncated.write_bytes(data[:-100])
    open_ended = tmp_path / "open_ended.mov"
    last = top_level_boxes(data)[-1][0]
    open_ended.write_bytes(data[:last] + (0).to_bytes(4, "big") + data[last + 4:])
    assert binding_assertion(truncated) is None
    assert binding_assertion(open_ended) is None
    assert binding_assertion(conformed) is not None


def test_a_signing_failure_leaves_the_movie_as_it_was(
    conformed: Path, download: Path, identity: SigningIdentity, tmp_path: Path
) -> None:
    """A key c2pa cannot load: signing fails after the hash, and nothing is appended."""
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "shot.mov"
    shutil.copyfile(conformed, target)
    before = target.read_bytes()
    broken = SigningIdentity(identity.chain_pem, b"not a key", identity.alg, identity.name,
                             identity.local)
    with pytest.raises(MediaError) as caught:
        sign_written(target, conform_recipe(download, "conformed"), broken)
    assert "Signing shot.mov failed" in caught.value.message
    assert target.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["shot.mov"]
