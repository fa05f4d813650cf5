"""Content Credentials read back: a vendor-signed download, the same with one media byte flipped,
a file without any, our own signatures, and the one-line failures around signing.

The "vendor download" is signed in the test by c2pa-python itself with a throwaway certificate
(tests/support/c2pa_vendor.py), so our reader is checked against an independent writer; the
command-line results are the real ``stillmotion provenance`` run in-process.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import c2pa
import pytest

from stillmotion.media.credentials import conform_recipe, signed_output
from stillmotion.media.identity import LOCAL_NAME, local_identity
from stillmotion.media.manifest_store import AI_SOURCE
from stillmotion.media.probe import probe
from stillmotion.media.provenance import read_credentials, read_provenance
from stillmotion.settings import Settings
from support.c2pa_vendor import Vendor, flip_box_byte, make_vendor, sign_download
from support.chromium import chromium_page, missing_reason
from support.generate_env import cli, isolate


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def vendor() -> Vendor:
    return make_vendor()


@pytest.fixture
def downloads(vendor: Vendor, make_clip: Callable[[str], Path],
              tmp_path: Path) -> dict[str, Path]:
    """The three downloads: signed by the vendor, the same tampered, and one without any."""
    plain = make_clip("landscape_30")
    signed = sign_download(vendor, plain, tmp_path / "vendor_original.mp4")
    return {"untrusted": signed,
            "tampered": flip_box_byte(signed, tmp_path / "tampered_original.mp4"),
            "none": plain}


def test_provenance_command_reads_untrusted_tampered_and_none(
    downloads: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for status, path in downloads.items():
        code, out, err = cli(capsys, "provenance", path, "--json")
        # Untrusted (a local or unlisted signer) and none are normal; tampered is bad media.
        assert code == (7 if status == "tampered" else 0), err
        report = json.loads(out)
        assert report["status"] == status, (path.name, report)
        if status == "tampered":
            assert err.count("\n") == 1 and "was altered after it was signed" in err
            assert "Traceback" not in err
        else:
            assert err == ""
    signed = json.loads(cli(capsys, "provenance", downloads["untrusted"], "--json")[1])
    assert signed["signer"] == "Test Vendor Signer" and signed["failures"] == []
    assert signed["claim_generator"] == "Test Video Vendor 2.0"
    assert signed["actions"] == ["c2pa.created"] and signed["ai_generated"] is True
    tampered = json.loads(cli(capsys, "provenance", downloads["tampered"], "--json")[1])
    assert any(f.startswith("assertion.bmffHash.mismatch") for f in tampered["failures"])

    code, out, _ = cli(capsys, "provenance", downloads["untrusted"])
    assert code == 0
    assert "valid signature, untrusted signer" in out
    assert "AI-generated: yes, declared by Test Video Vendor 2.0" in out
    code, out, _ = cli(capsys, "provenance", downloads["tampered"])
    assert code == 7 and "TAMPERED" in out
    code, out, _ = cli(capsys, "provenance", downloads["none"])
    assert code == 0 and "no Content Credentials" in out
    code, out, err = cli(capsys, "provenance", downloads["none"].with_name("missing.mp4"))
    assert (code, out, err.count("\n")) == (7, "", 1) and "is not a file" in err


def test_a_trusted_vendor_root_reads_valid(
    vendor: Vendor, downloads: dict[str, Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(vendor.ca_pem)
    assert read_credentials(downloads["untrusted"], trust_anchors=anchors).status == "valid"
    monkeypatch.setenv("STILLMOTION_TRUST_ANCHORS", str(anchors))
    code, out, _ = cli(capsys, "provenance", downloads["untrusted"], "--json")
    assert code == 0 and json.loads(out)["status"] == "valid"
    # Trusting a root does not excuse altered media.
    assert read_credentials(downloads["tampered"], trust_anchors=anchors).status == "tampered"


def test_the_raw_store_is_kept_beside_the_download(downloads: dict[str, Path]) -> None:
    signed = downloads["untrusted"]
    facts = read_provenance(signed, probe(signed))
    assert facts["c2pa"] is True and facts["credentials"]["status"] == "untrusted"
    store = Path(facts["manifest_store"])
    assert store == signed.with_name(signed.name + ".c2pa.json")
    assert json.loads(store.read_text(encoding="utf-8"))["active_manifest"]
    plain = downloads["none"]
    bare = read_provenance(plain, probe(plain))
    assert bare["c2pa"] is False and bare["manifest_store"] is None
    assert bare["credentials"]["status"] == "none"


def test_a_conform_carries_the_vendor_chain_forward(
    downloads: dict[str, Path], tmp_path: Path
) -> None:
    """Our manifest names the download as parent; an independent c2pa.Reader validates every
    signature along the chain and finds the vendor's trainedAlgorithmicMedia."""
    settings = Settings(data_dir=tmp_path / "data")
    output = tmp_path / "clip.mp4"
    notes: list[str] = []
    with signed_output(output, conform_recipe(downloads["untrusted"], "conformed"), settings,
                       notes.append) as unsigned:
        shutil.copyfile(downloads["none"], unsigned)
    assert notes == [f"Content Credentials on clip.mp4 signed with a local, untrusted identity "
                     f"({LOCAL_NAME})."]
    assert [p.name for p in tmp_path.iterdir() if ".partial-" in p.name] == []
    with c2pa.Reader(str(output)) as reader:
        assert reader.get_validation_state() == "Valid"
        store = json.loads(reader.json())
    active = store["manifests"][store["active_manifest"]]
    (parent,) = active["ingredients"]
    assert parent["title"] == "vendor_original.mp4" and parent["relationship"] == "parentOf"
    vendor_manifest = store["manifests"][parent["active_manifest"]]
    assert vendor_manifest["signature_info"]["common_name"] == "Test Vendor Signer"
    sources = [a.get("digitalSourceType") for m in store["manifests"].values()
               for x in m["assertions"] if x["label"].startswith("c2pa.actions")
               for a in x["data"]["actions"]]
    assert sources.count(AI_SOURCE) == 2  # the vendor's created, our transcoded
    ours = read_credentials(output)
    assert ours.status == "untrusted" and ours.ai_generator is not None
    assert ours.ai_generator.signer == "Test Vendor Signer"
    assert [m.status for m in ours.chain] == ["untrusted", "untrusted"]


def test_a_signing_failure_leaves_nothing_and_says_why(
    downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CA certificate cannot sign claims: c2pa refuses, and no master is left behind."""
    own = local_identity(tmp_path / "ids")
    assert own.local and b"PRIVATE KEY" in own.key_pem
    assert "PRIVATE" not in repr(own) and "PRIVATE" not in str(own)
    assert (tmp_path / "ids" / "local-signer.key").stat().st_mode & 0o077 == 0
    ca_only = tmp_path / "ca-only.pem"
    ca_only.write_bytes(own.chain_pem.split(b"-----END CERTIFICATE-----\n", 1)[1])
    key = tmp_path / "ids" / "local-signer.key"
    monkeypatch.setenv("STILLMOTION_SIGNING_CERT", str(ca_only))
    monkeypatch.setenv("STILLMOTION_SIGNING_KEY", str(key))
    output = tmp_path / "master.mp4"
    code, out, err = cli(capsys, "stitch", "-o", output, "--preset", "h264-web",
                         downloads["untrusted"])
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "does not belong to the first certificate" in err
    assert not output.exists()
    # A pair that matches but that c2pa refuses (a self-signed CA is no claim signer): the
    # render happens, the signature fails, and neither the unsigned master nor the master it
    # was to replace (--overwrite) is touched.
    monkeypatch.setenv("STILLMOTION_SIGNING_CERT", str(_ca_as_signer(tmp_path)))
    monkeypatch.setenv("STILLMOTION_SIGNING_KEY", str(tmp_path / "ca.key"))
    code, out, err = cli(capsys, "stitch", "-o", output, "--preset", "h264-web",
                         downloads["untrusted"])
    assert code == 7, err
    assert err.count("\n") == 1, err
    assert "stillmotion: Signing master.mp4 failed (" in err and "--no-credentials" in err
    assert not output.exists()
    output.write_bytes(b"the editor's earlier master")
    code, out, err = cli(capsys, "stitch", "-o", output, "--preset", "h264-web", "--overwrite",
                         downloads["untrusted"])
    assert code == 7, err
    assert output.read_bytes() == b"the editor's earlier master"
    assert [p.name for p in tmp_path.iterdir() if ".partial-" in p.name] == []
    for text in (out, err):
        assert "PRIVATE KEY" not in text


def _ca_as_signer(folder: Path) -> Path:
    """A self-signed CA certificate and its key, offered as a claim signer (c2pa refuses)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not a claim signer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    (folder / "ca.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    path = folder / "ca-signer.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_no_credentials_writes_none(
    downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "master.mp4"
    code, _, err = cli(capsys, "stitch", "-o", output, "--preset", "h264-web",
                       "--no-credentials", downloads["none"])
    assert code == 0, err
    assert "without Content Credentials" in err
    assert read_credentials(output).status == "none"


REVIEW_BADGES = """Array.from(document.querySelectorAll('article.take')).map((a) => {
  const badge = a.querySelector('.badge.cr');
  const chain = a.querySelector('details.chain');
  if (chain) { chain.querySelector('summary').click(); }
  return {job: a.dataset.job, status: badge && badge.dataset.credentials,
          text: badge && badge.textContent, open: chain ? chain.open : null,
          chain: chain ? chain.querySelector('ol').innerText : ''};
})"""


def _review_of_downloads(downloads: dict[str, Path], tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> tuple[Path, dict[str, str]]:
    """A media folder holding the three downloads as takes (pipeline names), and its page."""
    media = tmp_path / "media"
    media.mkdir()
    jobs = {}
    for status, path in downloads.items():
        job = f"sm_{status}"
        shutil.copyfile(path, media / f"{job}_take1.mp4")
        jobs[job] = status
    before = sorted(p.name for p in media.iterdir())
    code, _, err = cli(capsys, "review", "--media-dir", media, "--ledger",
                       tmp_path / "none.sqlite3", "-o", tmp_path / "review.html")
    assert code == 0, err
    assert sorted(p.name for p in media.iterdir()) == before  # a review writes nothing there
    return tmp_path / "review.html", jobs


def test_review_page_badges_each_take(
    downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page, jobs = _review_of_downloads(downloads, tmp_path, capsys)
    text = page.read_text(encoding="utf-8")
    for job, status in jobs.items():
        article = text.split(f'data-job="{job}"', 1)[1].split("</article>", 1)[0]
        assert f'data-credentials="{status}"' in article, (job, article[:400])
    assert "AI-generated · untrusted signer" in text
    assert "AI-generated · tampered" in text
    assert text.count('<details class="chain">') == 2  # none has no chain to show


@pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))
def test_review_page_badges_and_chain_in_chromium(
    downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page_path, jobs = _review_of_downloads(downloads, tmp_path, capsys)
    with chromium_page() as page:
        page.open(page_path.as_uri())
        seen = {a["job"]: a for a in page.evaluate(REVIEW_BADGES)}
        assert {job: seen[job]["status"] for job in jobs} == jobs
        signed = seen["sm_untrusted"]
        assert signed["text"] == "AI-generated · untrusted signer" and signed["open"] is True
        assert "Test Vendor Signer" in signed["chain"]
        assert seen["sm_none"]["open"] is None
        assert page.errors() == []


def test_a_configured_identity_signs_and_a_trusted_root_validates_it(
    vendor: Vendor, downloads: dict[str, Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cert, key, anchors = tmp_path / "chain.pem", tmp_path / "signer.key", tmp_path / "ca.pem"
    cert.write_bytes(vendor.chain_pem)
    key.write_bytes(vendor.key_pem)
    anchors.write_bytes(vendor.ca_pem)
    monkeypatch.setenv("STILLMOTION_SIGNING_CERT", str(cert))
    monkeypatch.setenv("STILLMOTION_SIGNING_KEY", str(key))
    output = tmp_path / "master.mp4"
    code, _, err = cli(capsys, "stitch", "-o", output, "--preset", "h264-web",
                       downloads["untrusted"], downloads["none"])
    assert code == 0, err
    assert "Content Credentials on master.mp4 signed by Test Vendor Signer." in err
    assert not (tmp_path / "user-data" / "credentials").exists()  # no local identity made
    found = read_credentials(output, trust_anchors=anchors)
    assert found.status == "valid" and found.active is not None
    assert found.active.signer == "Test Vendor Signer"
    assert [i.title for i in found.active.ingredients] == [downloads["untrusted"].name,
                                                           downloads["none"].name]
    assert [i.status for i in found.active.ingredients] == ["valid", "none"]
    # One generated contributor and one without credentials: a composite with AI media.
    assert found.active.ai_source is not None and found.active.ai_source.endswith(
        "compositeWithTrainedAlgorithmicMedia")


def test_a_master_cut_from_camera_media_is_signed_without_listing_it(
    make_container: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """c2pa cannot read .mts, so such a contributor is counted, not listed as an ingredient;
    the stitch must not fail for it."""
    master = tmp_path / "master.mov"
    code, out, err = cli(capsys, "stitch", f"{make_container('avchd_mts')}@5-8", "-o", master)
    assert code == 0, out + err
    with c2pa.Reader(str(master)) as reader:
        store = json.loads(reader.json())
    active = store["manifests"][store["active_manifest"]]
    assert active.get("ingredients", []) == []
    described = json.dumps(active["assertions"])
    assert "joined from 1 clips (1 in formats c2pa cannot read, not listed)" in described
