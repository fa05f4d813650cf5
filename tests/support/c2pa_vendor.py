"""A stand-in video vendor that signs its downloads with c2pa-python and a throwaway certificate.

Why here and not through stillmotion: the fixture must be what a vendor ships (Sora, Veo and
others embed C2PA Content Credentials declaring trainedAlgorithmicMedia), made by the library
directly, so our reader is tested against an independent writer. The CA and key exist only for
the test run and are never written into the repository.
"""

from __future__ import annotations

import datetime
import struct
from dataclasses import dataclass, field
from pathlib import Path

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# The usertype of the ``uuid`` box that holds a C2PA manifest store (C2PA spec, BMFF embedding).
C2PA_BOX = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")


@dataclass(frozen=True)
class Vendor:
    """A throwaway CA (its PEM for trust tests) and a claim signer it issued."""

    ca_pem: bytes
    chain_pem: bytes
    key_pem: bytes = field(repr=False)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Video Vendor")])


def make_vendor() -> Vendor:
    """A fresh CA and an ES256 leaf with the key usages c2pa asks of a claim signer."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def base(subject: str, public: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder().subject_name(_name(subject))
                .issuer_name(_name("Test Vendor Root")).public_key(public)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False))

    usage = dict(content_commitment=False, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, encipher_only=False, decipher_only=False)
    ca = (base("Test Vendor Root", ca_key.public_key())
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
          .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True,
                                       crl_sign=True, **usage), True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (base("Test Vendor Signer", key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False,
                                         crl_sign=False, **usage), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return Vendor(ca.public_bytes(pem), leaf.public_bytes(pem) + ca.public_bytes(pem),
                  key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))


def sign_download(vendor: Vendor, source: Path, target: Path) -> Path:
    """``source`` (an MP4) as the vendor ships it: created, trainedAlgorithmicMedia, signed."""
    manifest = {
        "claim_generator_info": [{"name": "Test Video Vendor", "version": "2.0"}],
        "title": target.name,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [
            {"action": "c2pa.created", "digitalSourceType": AI_SOURCE}]}}],
    }
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, vendor.chain_pem, vendor.key_pem, None)
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder, \
            source.open("rb") as reading, target.open("w+b") as writing:
        builder.sign(signer, "video/mp4", reading, writing)
    return target


def top_level_boxes(data: bytes) -> list[tuple[int, str, int, bool]]:
    """(offset, type, size, holds a C2PA manifest) of each top-level box of an MP4 or MOV."""
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        head = 8
        if size == 1:
            size, head = struct.unpack(">Q", data[offset + 8:offset + 16])[0], 16
        c2pa_box = kind == b"uuid" and data[offset + head:offset + head + 16] == C2PA_BOX
        boxes.append((offset, kind.decode("latin-1"), size, c2pa_box))
        offset += size
    assert offset == len(data), "box sizes do not add up to the file"
    return boxes


def flip_box_byte(source: Path, target: Path, box: str = "mdat") -> Path:
    """A copy of ``source`` with one byte in the middle of its first ``box`` inverted."""
    data = bytearray(source.read_bytes())
    for offset, kind, size, _ in top_level_boxes(bytes(data)):
        if kind == box:
            data[offset + size // 2] ^= 0xFF
            target.write_bytes(bytes(data))
            return target
    raise AssertionError(f"{source.name} has no {box} box")


def key_material(pem: bytes) -> list[bytes]:
    """An EC signing key as it could leak: its PEM lines, its DER, its raw private scalar
    (what the secret scans look for, byte for byte)."""
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    lines = [line for line in pem.splitlines() if line and not line.startswith(b"-----")]
    return [*lines, der, key.private_numbers().private_value.to_bytes(32, "big")]
