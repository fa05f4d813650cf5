"""Content Credentials (C2PA): read and validate a file's manifest store, and sign one into a file.

Why c2pa-python (the only module importing ``c2pa``): it is the Content Authenticity
Initiative's own binding of c2pa-rs, so signatures, hard bindings (the hash of the media data)
and ingredient chains are checked the way every other verifier checks them, and the manifests we
write are ones those verifiers accept. A video service's credentials are gone after any remux, so
they are read from the original download and carried forward as an ingredient of what we write.

Status words: ``valid`` (signature and media hash check out and the signer chains to a trust
anchor), ``untrusted`` (they check out, but the signer is on no trust list we were given),
``tampered`` (a hash or signature does not match), ``none`` (no manifest store).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import c2pa

from stillmotion.errors import MediaError
from stillmotion.files import atomic_write_bytes
from stillmotion.media.marks import is_preview
from stillmotion.media.probe import MediaInfo

Status = Literal["valid", "untrusted", "tampered", "none"]

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_SOURCE = IPTC + "trainedAlgorithmicMedia"
AI_COMPOSITE_SOURCE = IPTC + "compositeWithTrainedAlgorithmicMedia"
AI_SOURCE_TYPES = frozenset({AI_SOURCE, AI_COMPOSITE_SOURCE})

# Failure codes that say who signed is not on a trust list, not that anything was altered.
_TRUST_ONLY = frozenset({"signingCredential.untrusted"})

MIME_TYPES = {
    ".mov": "video/quicktime", ".mp4": "video/mp4", ".m4v": "video/mp4",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".tif": "image/tiff", ".tiff": "image/tiff",
}


@dataclass(frozen=True)
class SigningIdentity:
    """A certificate chain and its private key, ready for c2pa; the key never prints.

    ``alg`` is c2pa's name (``es256``, ``es384``, ``ps256``, ``ed25519``); ``local`` marks the
    per-install development identity that no verifier trusts.
    """

    chain_pem: bytes
    key_pem: bytes = field(repr=False)
    alg: str
    name: str
    local: bool

    def __str__(self) -> str:
        return f"{self.name} ({'local, untrusted' if self.local else 'configured'})"


@dataclass(frozen=True)
class Action:
    """One entry of a manifest's ``c2pa.actions``."""

    action: str
    source_type: str | None = None
    agent: str | None = None
    description: str | None = None
    when: str | None = None


@dataclass(frozen=True)
class Ingredient:
    """A file a manifest says its asset was made from; ``manifest`` is that file's own label."""

    title: str
    relationship: str
    manifest: str | None
    status: Status


@dataclass(frozen=True)
class Manifest:
    """What one manifest in the store says, and whether its signature validates."""

    label: str
    title: str | None
    claim_generator: str | None
    signer: str | None
    issuer: str | None
    signing_time: str | None
    actions: tuple[Action, ...]
    ingredients: tuple[Ingredient, ...]
    status: Status

    @property
    def ai_source(self) -> str | None:
        """The AI digital source type this manifest declares, if any."""
        return next((a.source_type for a in self.actions if a.source_type in AI_SOURCE_TYPES),
                    None)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for ``--json`` and the ledger."""
        return {
            "label": self.label, "title": self.title, "claim_generator": self.claim_generator,
            "signer": self.signer, "issuer": self.issuer, "signing_time": self.signing_time,
            "status": self.status, "ai_source": self.ai_source,
            "actions": [{k: v for k, v in vars(a).items() if v is not None} for a in self.actions],
            "ingredients": [vars(i) for i in self.ingredients],
        }


@dataclass(frozen=True)
class Credentials:
    """A file's manifest store: the active manifest first, then its ingredients' in chain order.

    ``failures`` are the integrity failures (``code: explanation``) of the active manifest;
    ``raw_json`` is the store as c2pa reports it; ``note`` says why there is none.
    """

    status: Status
    chain: tuple[Manifest, ...] = ()
    failures: tuple[str, ...] = ()
    raw_json: str | None = None
    note: str | None = None

    @property
    def active(self) -> Manifest | None:
        return self.chain[0] if self.chain else None

    @property
    def ai_generator(self) -> Manifest | None:
        """The deepest manifest along the chain that declares AI-generated media (the origin
        the chain reaches, e.g. the video service behind our conform), if any."""
        return next((m for m in reversed(self.chain) if m.ai_source is not None), None)

    def summary(self) -> dict[str, Any]:
        """The short form kept in the ledger and timeline metadata (no raw store)."""
        active, generator = self.active, self.ai_generator
        return {
            "status": self.status,
            "claim_generator": active.claim_generator if active else None,
            "signer": active.signer if active else None,
            "issuer": active.issuer if active else None,
            "signing_time": active.signing_time if active else None,
            "actions": [a.action for a in active.actions] if active else [],
            "ai_generated": generator is not None,
            "ai_generator": generator.claim_generator if generator else None,
            "failures": list(self.failures),
        }

    def to_json(self) -> dict[str, Any]:
        """Everything ``stillmotion provenance --json`` prints."""
        return {**self.summary(), "note": self.note,
                "chain": [m.to_json() for m in self.chain]}


def can_carry(path: Path) -> bool:
    """Whether c2pa reads and writes manifests in ``path``'s format (MP4, MOV, PNG, JPEG …;
    not camera formats such as .mts, .mxf or .mkv, nor EXR or DPX)."""
    return path.suffix.lower() in MIME_TYPES


def mime_type(path: Path) -> str:
    """The media type c2pa needs for ``path``; MediaError for formats it cannot carry."""
    kind = MIME_TYPES.get(path.suffix.lower())
    if kind is None:
        what = path.suffix or "extensionless"
        raise MediaError(f"Content Credentials cannot be embedded in {what} files like "
                         f"{path.name}; use a sidecar .c2pa manifest.", path=path)
    return kind


def read_credentials(path: Path, *, trust_anchors: Path | None = None) -> Credentials:
    """Read and validate the manifest store embedded in ``path``.

    ``trust_anchors`` is a PEM bundle of extra root certificates; a signer chaining to one (or
    to c2pa's own list) reads ``valid``, any other intact signature ``untrusted``.
    """
    if not can_carry(path):
        return Credentials("none", note=f"c2pa cannot carry credentials in {path.suffix} files")
    try:
        with _context(trust_anchors) as context:
            reader = c2pa.Reader.try_create(str(path), None, None, context)
            if reader is None:
                return Credentials("none", note="no C2PA manifest store")
            with reader:
                raw = reader.json()
    except c2pa.C2paError as exc:
        return Credentials("tampered", failures=(f"unreadable manifest store: {_plain(exc)}",))
    except OSError as exc:
        raise MediaError(f"Cannot read {path.name} ({exc.strerror}); check the file.",
                         path=path) from exc
    return _parse(raw)


def active_signer(path: Path) -> str | None:
    """Who signed the active manifest of ``path`` (its certificate's common name), read
    without validating: no hash of the media, so it costs milliseconds where a validating
    read of a 1080p master re-hashes every byte. Only for describing a file we just wrote;
    whether a signature holds is :func:`read_credentials`' question. None without a store."""
    if not can_carry(path):
        return None
    settings = c2pa.Settings.from_dict({"verify": {"verify_after_reading": False}})
    try:
        with c2pa.Context(settings=settings) as context:
            reader = c2pa.Reader.try_create(str(path), None, None, context)
            if reader is None:
                return None
            with reader:
                store = json.loads(reader.json())
    except (c2pa.C2paError, OSError, ValueError):
        return None
    body = (store.get("manifests") or {}).get(store.get("active_manifest")) or {}
    return str((body.get("signature_info") or {}).get("common_name") or "an unnamed signer")


def _context(trust_anchors: Path | None) -> c2pa.Context:
    settings = c2pa.Settings()
    if trust_anchors is not None:
        settings.update({"trust": {"user_anchors": trust_anchors.read_text(encoding="ascii")}})
    return c2pa.Context(settings=settings)


def _parse(raw: str) -> Credentials:
    store = json.loads(raw)
    manifests: Mapping[str, Any] = store.get("manifests") or {}
    active = store.get("active_manifest")
    results = store.get("validation_results") or {}
    status, failures = _judge((results.get("activeManifest") or {}).get("failure"))
    now = _deltas(results.get("ingredientDeltas"))
    chain = tuple(_walk(manifests, active, status, now, set()))
    return Credentials(status, chain, failures, raw)


def _judge(failed: Sequence[Mapping[str, Any]] | None) -> tuple[Status, tuple[str, ...]]:
    """Status and integrity failures from a list of validation failures."""
    failed = list(failed or [])
    integrity = tuple(f"{item.get('code')}: {item.get('explanation', '')}".strip(": ")
                      for item in failed if item.get("code") not in _TRUST_ONLY)
    if integrity:
        return "tampered", integrity
    if any(item.get("code") in _TRUST_ONLY for item in failed):
        return "untrusted", ()
    return "valid", ()


_Delta = dict[str, list[Mapping[str, Any]]]


def _deltas(entries: Sequence[Mapping[str, Any]] | None) -> dict[str, _Delta]:
    """What this read found about each ingredient manifest (by label), as opposed to what was
    recorded when it was added: trust is judged now, against today's trust anchors."""
    found: dict[str, _Delta] = {}
    for entry in entries or ():
        for kind, items in (entry.get("validationDeltas") or {}).items():
            for item in items or ():
                match = _MANIFEST_URL.search(str(item.get("url", "")))
                if match:
                    found.setdefault(match[1], {}).setdefault(kind, []).append(item)
    return found


_MANIFEST_URL = re.compile(r"/c2pa/([^/]+)")


def _walk(manifests: Mapping[str, Any], label: str | None, status: Status,
          now: Mapping[str, _Delta], seen: set[str]) -> Iterator[Manifest]:
    if not label or label in seen or label not in manifests:
        return
    seen.add(label)
    body = manifests[label]
    ingredients = [_ingredient(item, now) for item in body.get("ingredients") or []]
    yield _manifest(label, body, status, ingredients)
    for ingredient in ingredients:
        yield from _walk(manifests, ingredient.manifest, ingredient.status, now, seen)


def _ingredient(item: Mapping[str, Any], now: Mapping[str, _Delta]) -> Ingredient:
    title, relation = str(item.get("title") or ""), str(item.get("relationship") or "")
    label = item.get("active_manifest")
    if not label:
        return Ingredient(title, relation, None, "none")
    recorded = (item.get("validation_results") or {}).get("activeManifest") or {}
    delta = now.get(label, {})
    failed = [f for f in recorded.get("failure") or [] if f.get("code") not in _TRUST_ONLY]
    trusted = any(s.get("code") == "signingCredential.trusted" for s in delta.get("success", []))
    if not trusted:  # still untrusted today, unless this read trusts its signer
        failed += [f for f in recorded.get("failure") or [] if f.get("code") in _TRUST_ONLY]
    return Ingredient(title, relation, label, _judge(failed + delta.get("failure", []))[0])


def _manifest(label: str, body: Mapping[str, Any], status: Status,
              ingredients: list[Ingredient]) -> Manifest:
    signature = body.get("signature_info") or {}
    generator = body.get("claim_generator")
    info = body.get("claim_generator_info") or []
    if info and isinstance(info[0], Mapping):
        name, version = info[0].get("name"), info[0].get("version")
        generator = f"{name} {version}" if name and version else name or generator
    actions = tuple(
        Action(str(act.get("action")), act.get("digitalSourceType"),
               _agent(act.get("softwareAgent")), act.get("description"), act.get("when"))
        for assertion in body.get("assertions") or []
        if str(assertion.get("label", "")).startswith("c2pa.actions")
        for act in (assertion.get("data") or {}).get("actions") or []
    )
    # Without a timestamp authority c2pa records no signing time; the actions' own ``when``
    # (the time the signer declares) is the next best answer.
    declared = max((a.when for a in actions if a.when), default=None)
    return Manifest(label, body.get("title"), generator, signature.get("common_name"),
                    signature.get("issuer"), signature.get("time") or declared, actions,
                    tuple(ingredients), status)


def _agent(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return " ".join(str(value[k]) for k in ("name", "version") if value.get(k)) or None
    return str(value) if value else None


def sign_file(source: Path, dest: Path, manifest: Mapping[str, Any],
              ingredients: Sequence[tuple[Path, Mapping[str, Any]]],
              identity: SigningIdentity) -> None:
    """Write ``source`` with ``manifest`` signed by ``identity`` into ``dest`` (a new file).

    ``ingredients`` are (file, ingredient JSON) pairs; each file's own manifest store, when it
    has one, is carried into ours so a verifier can follow the chain back.
    """
    kind = mime_type(dest)
    try:
        info = c2pa.C2paSignerInfo(identity.alg, identity.chain_pem, identity.key_pem, None)
        # No read-back after signing: it re-hashes the whole output (a third of the cost on a
        # 1080p master) and our recipes are checked by an independent reader in the tests. No
        # thumbnails either: they made a signed 320x180 still seven times its size.
        context = c2pa.Context(settings=c2pa.Settings.from_dict(
            {"verify": {"verify_after_sign": False}, "builder": {"thumbnail": {"enabled": False}}}))
        with c2pa.Signer.from_info(info) as signer, context, \
                c2pa.Builder(dict(manifest), context) as builder:
            for path, ingredient in ingredients:
                with path.open("rb") as stream:
                    builder.add_ingredient(dict(ingredient), mime_type(path), stream)
            with source.open("rb") as reading, dest.open("w+b") as writing:
                builder.sign(signer, kind, reading, writing)
    except (c2pa.C2paError, ValueError) as exc:
        title = manifest.get("title") or dest.name
        raise MediaError(f"Signing {title} failed ({_plain(exc)}); check the signing "
                         f"certificate and key, or pass --no-credentials.", path=dest) from exc


def _plain(exc: BaseException) -> str:
    """The first line of a c2pa error, with nothing that could quote key material."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return "details withheld" if "PRIVATE" in text.upper() else text[:200]


def read_provenance(path: Path, info: MediaInfo, *, keep_store: bool = True) -> dict[str, Any]:
    """What the ledger and timeline metadata record about where a download came from.

    With ``keep_store`` the raw manifest store is kept beside the download
    (``<name>.c2pa.json``), because a later conform or remux cannot reproduce it, and the
    record names that file; readers that must not write (the review page) pass False.
    """
    credentials = read_credentials(path)
    kept = path.with_name(f"{path.name}.c2pa.json")
    if credentials.raw_json is not None and keep_store:
        atomic_write_bytes(kept, credentials.raw_json.encode("utf-8"))
    store = kept if credentials.raw_json is not None and kept.is_file() else None
    return {
        "preview": is_preview(info),
        "c2pa": credentials.status != "none",
        "credentials": credentials.summary(),
        "manifest_store": str(store) if store else None,
        "encoder": info.tags.get("encoder"),
    }
