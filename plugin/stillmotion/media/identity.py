"""Who signs our Content Credentials: the configured certificate and key, or a local dev one.

Why a generated fallback: signing must work on a fresh install with nothing configured, yet must
never pass for a real identity. c2pa refuses a bare self-signed certificate (it wants a leaf
with the signing key usage issued by a CA), so a per-install CA and an ES256 leaf are made once
under the user data folder with ``cryptography``; every output signed with it says so, and no
verifier trusts it. Key material is read from a file or from the OS keyring
(``keyring:SERVICE/NAME``, through :mod:`stillmotion.keychain`) and is never logged or echoed.
"""

from __future__ import annotations

import datetime
import os
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from stillmotion import keychain
from stillmotion.errors import ConfigError
from stillmotion.files import atomic_path
from stillmotion.media.provenance import SigningIdentity
from stillmotion.settings import Settings

LOCAL_NAME = "stillmotion local development identity"
_CURVES = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


def signing_identity(settings: Settings) -> SigningIdentity:
    """The configured identity (``signing_cert`` + ``signing_key``, the key a file or a
    ``keyring:SERVICE/NAME`` entry), else the local one."""
    cert, key = settings.signing_cert, settings.signing_key
    if (cert is None) != (key is None):
        raise ConfigError("Set both STILLMOTION_SIGNING_CERT and STILLMOTION_SIGNING_KEY (a PEM "
                          "certificate chain and its private key), or neither.")
    if cert is not None and key is not None:
        if keychain.is_reference(key):
            return identity_from_pem(cert, _read(cert, "signing certificate"),
                                     key, keyring_key(key))
        return load_identity(cert, Path(key))
    return local_identity(settings.data_dir / "credentials")


def keyring_key(reference: str) -> bytes:
    """The PEM private key in the keyring entry ``keyring:SERVICE/NAME`` names, read from the
    keyring once per process (:func:`stillmotion.keychain.remembered_secret`)."""
    where = keychain.parse_reference(reference, "STILLMOTION_SIGNING_KEY")
    text = keychain.remembered_secret(where)
    if text is None:
        raise ConfigError(f"The keyring ({keychain.backend_name()}) has no entry "
                          f"{where.service}/{where.name}; put the key there with "
                          f"`stillmotion signing-key store KEYFILE`.")
    return text.encode("utf-8")


def load_identity(cert: Path, key: Path, *, local: bool = False) -> SigningIdentity:
    """An identity from a PEM certificate chain (leaf first) and an unencrypted PEM key."""
    return identity_from_pem(cert, _read(cert, "signing certificate"), str(key),
                             _read(key, "signing key"), local=local)


def identity_from_pem(cert: Path, chain_pem: bytes, key: str, key_pem: bytes, *,
                      local: bool = False) -> SigningIdentity:
    """An identity from the chain read from ``cert`` and the key read from ``key`` (a path or
    a keyring reference, named in messages; the key's bytes never are)."""
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        raise ConfigError(f"The signing certificate {cert} is not a PEM certificate chain; "
                          "give the leaf certificate followed by its issuers.") from exc
    private, alg = _private_key(key_pem, key)
    if private.public_key().public_bytes(*_SPKI) != chain[0].public_key().public_bytes(*_SPKI):
        raise ConfigError(f"The signing key {key} does not belong to the first certificate in "
                          f"{cert}; put the leaf certificate first.")
    names = chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(names[0].value) if names else cert.stem
    return SigningIdentity(chain_pem, key_pem, alg, name, local)


def signing_algorithm(key_pem: bytes, key: str) -> str:
    """The C2PA algorithm an unencrypted PEM private key signs with (``es256`` …), or a
    ConfigError naming ``key`` (a path or keyring reference) when it cannot sign at all."""
    return _private_key(key_pem, key)[1]


_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def read_key_file(path: Path) -> bytes:
    """A key file's bytes, or a ConfigError saying the path cannot be read."""
    return _read(path, "signing key")


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the {what} {path} ({exc.strerror}); check the path in "
                          "the settings.") from exc


def _private_key(key_pem: bytes, key: str) -> tuple[PrivateKeyTypes, str]:
    try:
        private = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"The signing key {key} is not an unencrypted PEM private key; "
                          "export it without a passphrase.") from exc
    if isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name in _CURVES:
        return private, _CURVES[private.curve.name]
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return private, "ed25519"
    if isinstance(private, rsa.RSAPrivateKey):
        return private, "ps256"
    raise ConfigError(f"The signing key {key} is of a kind C2PA cannot sign with; use an EC "
                      "P-256/P-384/P-521, Ed25519 or RSA key.")


_CREATING = threading.Lock()
"""Concurrent jobs (batch, several models on one shot) must not each create a key and a
certificate: one thread's key would end up beside another's certificate."""


def local_identity(folder: Path) -> SigningIdentity:
    """The per-install development identity in ``folder``, created on first use."""
    cert, key = folder / "local-signer.pem", folder / "local-signer.key"
    with _CREATING:
        if not (cert.is_file() and key.is_file()):
            _create_local(folder, cert, key)
    return load_identity(cert, key, local=True)


def _create_local(folder: Path, cert: Path, key: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("stillmotion local development CA")
    ca = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, now, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(_name(LOCAL_NAME), ca_name, leaf_key.public_key(), ca_key, now, ca=False)
    pem = serialization.Encoding.PEM
    key_bytes = leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    with atomic_path(key) as temp:
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key_bytes)
    with atomic_path(cert) as temp:
        temp.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "stillmotion (untrusted)")])


def _certificate(subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey,
                 signer: ec.EllipticCurvePrivateKey, now: datetime.datetime, *,
                 ca: bool) -> x509.Certificate:
    """A CA (signs certificates) or a leaf (signs claims: digitalSignature + emailProtection,
    the key usage c2pa asks of a claim signer)."""
    years = 20 if ca else 10
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None),
                       critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=not ca, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False,
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False)
    return builder.sign(signer, hashes.SHA256())
