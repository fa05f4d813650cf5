"""The Content Credentials signing key kept in the OS keyring (``keyring:SERVICE/NAME``).

The keyring is a real one that works headless: keyrings.alt's PlaintextKeyring, chosen the way a
user chooses a backend (PYTHON_KEYRING_BACKEND), writing under the test's XDG_DATA_HOME (see the
autouse folders in conftest.py). Signing is checked by an independent ``c2pa.Reader``, and the
key is looked for byte for byte in everything the runs printed or wrote.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import c2pa
import keyring
import keyring.core
import pytest

from stillmotion.errors import ConfigError
from stillmotion.jobs.ledger import Ledger, LedgerState
from stillmotion.media.identity import LOCAL_NAME, signing_identity
from stillmotion.media.provenance import read_credentials
from stillmotion.settings import load_settings
from support import counting_keyring
from support.c2pa_vendor import Vendor, key_material, make_vendor
from support.crash_run import stillmotion_command
from support.generate_env import case_23976, clean_env, cli, isolate, small_clip, write_case

FILE_BACKEND = "keyrings.alt.file.PlaintextKeyring"
NO_BACKEND = "keyring.backends.fail.Keyring"  # what keyring falls back to when none is viable
PROMPT = "Slow dolly in over 1 s; warm evening light"


def use_backend(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Choose the keyring backend as a user would; keyring keeps its choice for the process
    after first use, so that choice is forgotten here (and restored after the test)."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)
    use_backend(monkeypatch, FILE_BACKEND)


@pytest.fixture(scope="module")
def vendor() -> Vendor:
    return make_vendor()


@pytest.fixture
def files(vendor: Vendor, tmp_path: Path) -> dict[str, Path]:
    """The signer's key file, its certificate chain and its root, outside the scanned folder."""
    folder = tmp_path.parent / f"{tmp_path.name}-identity"
    folder.mkdir()
    contents = {"key": vendor.key_pem, "chain": vendor.chain_pem, "root": vendor.ca_pem}
    paths = {"key": folder / "signer.key", "chain": folder / "chain.pem",
             "root": folder / "root.pem"}
    for name, path in paths.items():
        path.write_bytes(contents[name])
    return paths


def _independent_read(path: Path) -> tuple[str, dict[str, Any]]:
    with c2pa.Reader(str(path)) as reader:
        return reader.get_validation_state() or "", json.loads(reader.json())


def _one_sentence(code: int, out: str, err: str, expected: str) -> None:
    """A refusal: exit 3 (configuration), nothing on stdout, one line on stderr."""
    assert (code, out) == (3, ""), err
    assert err.startswith("stillmotion: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and expected in err, err


def test_a_key_from_the_keyring_signs_generate_and_leaks_nowhere(
    vendor: Vendor, files: dict[str, Path], media_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    printed: list[str] = []
    code, out, err = cli(capsys, "signing-key", "store", files["key"])
    assert code == 0, err
    printed += [out, err]
    assert out == "STILLMOTION_SIGNING_KEY=keyring:stillmotion/signing-key\n"
    files["key"].unlink()  # from here on the key exists only in the keyring
    monkeypatch.setenv("STILLMOTION_SIGNING_KEY", out.strip().split("=", 1)[1])
    monkeypatch.setenv("STILLMOTION_SIGNING_CERT", str(files["chain"]))

    case = case_23976(small_clip(media_dir, "r23_hour"))
    timeline = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    code, out, err = cli(capsys, "generate", timeline, "--at", case.at, "--prompt", PROMPT,
                         "--provider", "preview", "--size", "320x180", "--seconds", "1",
                         "--ledger", ledger, "--json")
    assert code == 0, err
    printed += [out, err]
    result = json.loads(out)
    assert result["credentials"] == "signed by Test Vendor Signer"
    conformed = Path(result["conformed"])

    state, store = _independent_read(conformed)
    active = store["manifests"][store["active_manifest"]]
    assert active["signature_info"]["common_name"] == "Test Vendor Signer" != LOCAL_NAME
    failures = {f["code"] for f in store["validation_results"]["activeManifest"]["failure"]}
    assert state == "Valid" and failures <= {"signingCredential.untrusted"}, failures
    assert read_credentials(conformed, trust_anchors=files["root"]).status == "valid"
    assert not (tmp_path / "user-data" / "credentials").exists()  # no local identity made

    # The key: only in the keyring's own file, nowhere stillmotion wrote or printed.
    secrets = key_material(vendor.key_pem)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert ledger in written and conformed in written
    for path in written:
        assert not [s for s in secrets if s in path.read_bytes()], path
    for text in printed:
        assert not [s for s in secrets if s in text.encode()]
    assert keyring.get_keyring().get_password("stillmotion", "signing-key") \
        == vendor.key_pem.decode()  # still there: the keyring is where it lives


def test_store_round_trip_in_a_fresh_process(
    vendor: Vendor, files: dict[str, Path], tmp_path: Path, user_folders: Path
) -> None:
    """The command run as an editor runs it: backend chosen by the environment alone."""
    env = clean_env(tmp_path)

    def store(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*stillmotion_command(), "signing-key", "store", *extra], env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=120, check=False)

    done = store(str(files["key"]), "--service", "sm-test", "--name", "grading/suite-2")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "STILLMOTION_SIGNING_KEY=keyring:sm-test/grading/suite-2\n"
    assert "es256" in done.stderr and "keyrings.alt.file.PlaintextKeyring" in done.stderr
    assert "keyring does not recommend this backend" in done.stderr  # a plain file
    backend = keyring.get_keyring()
    assert backend.get_password("sm-test", "grading/suite-2") == vendor.key_pem.decode()
    # Where the test keyring keeps it: inside this test's folders, never the real home.
    # file_path belongs to keyrings.alt's PlaintextKeyring (keyrings.alt ships no types).
    assert Path(backend.file_path).is_relative_to(user_folders)  # type: ignore[attr-defined]
    secrets = key_material(vendor.key_pem)
    assert not [s for s in secrets if s in (done.stdout + done.stderr).encode()]

    other = make_vendor()
    files["key"].write_bytes(other.key_pem)
    refused = store(str(files["key"]), "--service", "sm-test", "--name", "grading/suite-2")
    _one_sentence(refused.returncode, refused.stdout, refused.stderr, "pass --replace")
    assert backend.get_password("sm-test", "grading/suite-2") == vendor.key_pem.decode()
    replaced = store(str(files["key"]), "--service", "sm-test", "--name", "grading/suite-2",
                     "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert backend.get_password("sm-test", "grading/suite-2") == other.key_pem.decode()


def test_store_refuses_what_cannot_sign_and_stores_nothing(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases: list[tuple[list[str | Path], str]] = [
        ([files["chain"]], "is not an unencrypted PEM private key"),
        ([tmp_path / "missing.key"], "Cannot read the signing key"),
        ([files["key"], "--service", "a/b"], "needs a service without slashes and a name"),
        ([files["key"], "--name", ""], "needs a service without slashes and a name"),
    ]
    for extra, expected in cases:
        _one_sentence(*cli(capsys, "signing-key", "store", *extra), expected)
    assert keyring.get_keyring().get_password("stillmotion", "signing-key") is None


def _signing_env(monkeypatch: pytest.MonkeyPatch, files: dict[str, Path], key: str) -> None:
    monkeypatch.setenv("STILLMOTION_SIGNING_CERT", str(files["chain"]))
    monkeypatch.setenv("STILLMOTION_SIGNING_KEY", key)


@pytest.mark.parametrize(("key", "backend", "stored", "expected"), [
    ("keyring:stillmotion", FILE_BACKEND, None,
     "STILLMOTION_SIGNING_KEY=keyring:stillmotion is not a keyring reference; write "
     "keyring:SERVICE/NAME"),
    ("keyring:/signing-key", FILE_BACKEND, None, "is not a keyring reference"),
    ("keyring:stillmotion/absent", FILE_BACKEND, None,
     "has no entry stillmotion/absent; put the key there with `stillmotion signing-key store"),
    ("keyring:stillmotion/note", FILE_BACKEND, "not a key at all",
     "The signing key keyring:stillmotion/note is not an unencrypted PEM private key"),
    ("keyring:stillmotion/signing-key", NO_BACKEND, None,
     "No keyring is available on this machine"),
    ("keyring:stillmotion/signing-key", "no.such.Backend", None, "cannot be loaded"),
])
def test_a_bad_keyring_reference_stops_stitch_with_one_sentence(
    key: str, backend: str, stored: str | None, expected: str, files: dict[str, Path],
    make_clip: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    if stored is not None:
        keyring.get_keyring().set_password("stillmotion", key.rsplit("/", 1)[1], stored)
    use_backend(monkeypatch, backend)
    monkeypatch.setenv("STILLMOTION_SIGNING_CERT", str(files["chain"]))
    monkeypatch.setenv("STILLMOTION_SIGNING_KEY", key)
    output = tmp_path / "master.mp4"
    code, out, err = cli(capsys, "stitch", "-o", output, "--preset", "h264-web",
                         make_clip("landscape_30"))
    _one_sentence(code, out, err, expected)
    assert not output.exists()
    assert stored is None or stored not in err


def test_a_missing_keyring_entry_stops_generate_before_the_job_is_sent(
    files: dict[str, Path], media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    """The still sent to the service is signed first, so a paid job is never made with a key
    that cannot be read: the ledger row stays ``prepared``, with no remote job."""
    monkeypatch.setenv("STILLMOTION_SIGNING_CERT", str(files["chain"]))
    monkeypatch.setenv("STILLMOTION_SIGNING_KEY", "keyring:stillmotion/signing-key")
    case = case_23976(small_clip(media_dir, "r23_hour"))
    timeline = write_case(case, tmp_path / "project")
    ledger = tmp_path / "ledger.sqlite3"
    code, out, err = cli(capsys, "generate", timeline, "--at", case.at, "--prompt", PROMPT,
                         "--provider", "preview", "--size", "320x180", "--seconds", "1",
                         "--ledger", ledger, "--json")
    _one_sentence(code, out, err, "has no entry stillmotion/signing-key")
    with Ledger(ledger) as book:
        rows = book.jobs()
    assert [(row.state, row.remote_id) for row in rows] == [(LedgerState.PREPARED, None)]
    assert not list((tmp_path / "project").glob("*.stillmotion.*"))


def test_generate_reads_the_keyring_key_once_per_process(
    vendor: Vendor, files: dict[str, Path], media_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """generate signs twice (the still it sends and the clip it places), and every later job
    of the process signs again; on macOS each Keychain read may prompt, so one read it is."""
    use_backend(monkeypatch, counting_keyring.NAME)
    backend = keyring.get_keyring()
    assert isinstance(backend, counting_keyring.CountingKeyring)
    backend.set_password("stillmotion", "signing-key", vendor.key_pem.decode())
    _signing_env(monkeypatch, files, "keyring:stillmotion/signing-key")

    case = case_23976(small_clip(media_dir, "r23_hour"))
    timeline = write_case(case, tmp_path / "project")
    code, out, err = cli(capsys, "generate", timeline, "--at", case.at, "--prompt", PROMPT,
                         "--provider", "preview", "--size", "320x180", "--seconds", "1",
                         "--ledger", tmp_path / "ledger.sqlite3", "--json")
    assert code == 0, err
    assert json.loads(out)["credentials"] == "signed by Test Vendor Signer"
    assert signing_identity(load_settings()).key_pem == vendor.key_pem  # the next job's
    assert backend.reads == [("stillmotion", "signing-key")]


def test_an_absent_key_is_asked_again_and_a_replaced_one_is_used(
    vendor: Vendor, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    """What is remembered is only what the keyring gave: an entry missing at the first job is
    found once it is stored, and ``signing-key store --replace`` in the process takes effect."""
    use_backend(monkeypatch, counting_keyring.NAME)
    backend = keyring.get_keyring()
    assert isinstance(backend, counting_keyring.CountingKeyring)
    _signing_env(monkeypatch, files, "keyring:stillmotion/later")
    with pytest.raises(ConfigError, match="has no entry stillmotion/later"):
        signing_identity(load_settings())
    backend.set_password("stillmotion", "later", vendor.key_pem.decode())
    for _ in range(3):
        assert signing_identity(load_settings()).key_pem == vendor.key_pem
    assert backend.reads == [("stillmotion", "later")] * 2

    other = make_vendor()
    files["key"].write_bytes(other.key_pem)
    files["chain"].write_bytes(other.chain_pem)
    code, _, err = cli(capsys, "signing-key", "store", files["key"], "--name", "later",
                       "--replace")
    assert code == 0, err
    assert signing_identity(load_settings()).key_pem == other.key_pem
