"""What a C2PA manifest store says: status, signer, actions and the ingredient chain, typed.

Why apart from :mod:`stillmotion.media.provenance`: this is plain JSON reading with no c2pa
call, so the rules that turn c2pa's validation report into one status word (a trust-only
failure is ``untrusted``, anything else ``tampered``; an ingredient's trust judged again today)
sit here, and the c2pa boundary stays small.

Status words: ``valid`` (signature and media hash check out and the signer chains to a trust
anchor), ``untrusted`` (they check out, but the signer is on no trust list we were given),
``tampered`` (a hash or signature does not match), ``none`` (no manifest store).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["valid", "untrusted", "tampered", "none"]

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_SOURCE = IPTC + "trainedAlgorithmicMedia"
AI_COMPOSITE_SOURCE = IPTC + "compositeWithTrainedAlgorithmicMedia"
AI_SOURCE_TYPES = frozenset({AI_SOURCE, AI_COMPOSITE_SOURCE})

# Failure codes that say who signed is not on a trust list, not that anything was altered.
_TRUST_ONLY = frozenset({"signingCredential.untrusted"})

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


def parse_store(raw: str) -> Credentials:
    """The typed view of the manifest store JSON c2pa reports (``Reader.json``)."""
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
