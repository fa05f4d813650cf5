"""Our Content Credentials on what stillmotion writes: each output's manifest, signed atomically.

Why: a conform or stitch re-encodes, so the video service's own manifest is lost unless the new
file carries one that names the download (or, for a master, every contributing clip) as an
ingredient; a verifier then follows that chain back to the vendor's signature, and the
AI-generated digital source type travels with it. Signing writes a temporary sibling and renames
it, so a failed signature leaves no unsigned file where a signed one is expected.

Recipes (C2PA 2.x actions):
- conformed clip: ``c2pa.opened`` the download (``parentOf``), then ``c2pa.transcoded`` with
  ``trainedAlgorithmicMedia`` (the clip came from an image-to-video model);
- master: ``c2pa.created`` as ``trainedAlgorithmicMedia`` when every contributor is generated,
  ``compositeWithTrainedAlgorithmicMedia`` when only some are, then ``c2pa.placed`` for each
  contributor (``componentOf``);
- stills sent to the service: the editor's frame opened, then ``c2pa.resized``;
- turnover plates: as a conformed clip (movies embedded, EXR/DPX frames with sidecars);
- the standalone ``conform``: as a conformed clip, AI-generated only if the input says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from stillmotion import __version__
from stillmotion.files import remove_partials
from stillmotion.media.identity import LOCAL_NAME, signing_identity
from stillmotion.media.manifest_store import AI_COMPOSITE_SOURCE, AI_SOURCE, IPTC
from stillmotion.media.provenance import (
    SigningIdentity,
    active_signer,
    can_carry,
    read_credentials,
    sign_in_place,
    sign_sidecars,
)
from stillmotion.settings import Settings

CLAIM_GENERATOR = {"name": "stillmotion", "version": __version__}
LOCAL_NOTE = "signed with a local, untrusted identity"
Notify = Callable[[str], None]


@dataclass(frozen=True)
class Recipe:
    """The manifest one output gets: its actions and its ingredient files (with their JSON)."""

    actions: tuple[dict[str, Any], ...]
    ingredients: tuple[tuple[Path, dict[str, Any]], ...]

    def manifest(self, title: str) -> dict[str, Any]:
        return {"claim_generator_info": [CLAIM_GENERATOR], "title": title,
                "assertions": [{"label": "c2pa.actions",
                                "data": {"actions": list(self.actions)}}]}


def _agent() -> dict[str, str]:
    return dict(CLAIM_GENERATOR)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def conform_recipe(download: Path, description: str, *, ai: bool = True) -> Recipe:
    """A conformed clip (or turnover plate): the download opened and transcoded, still
    AI-generated media (``ai``; the standalone ``conform`` passes what the source declares)."""
    transcoded = {"action": "c2pa.transcoded", "softwareAgent": _agent(),
                  "description": description, "when": _now()}
    if ai:
        transcoded["digitalSourceType"] = AI_SOURCE
    return Recipe(
        actions=({"action": "c2pa.opened", "parameters": {"ingredientIds": ["download"]}},
                 transcoded),
        ingredients=((download, {"title": download.name, "relationship": "parentOf",
                                 "label": "download"}),),
    )


def transcode_recipe(source: Path, description: str) -> Recipe:
    """Any clip conformed by ``stillmotion conform``: AI-generated only when ``source``'s own
    credentials chain says so (camera footage is conformed too, and must not be labelled)."""
    return conform_recipe(source, description,
                          ai=read_credentials(source).ai_generator is not None)


def master_recipe(contributors: Sequence[Path]) -> Recipe:
    """A stitched or rendered master: every contributing file placed as a component."""
    every = list(dict.fromkeys(Path(p) for p in contributors))
    # Camera files c2pa cannot read (.mts, .mxf …) carry no manifest to chain to: they are
    # counted in the description, not listed as ingredients (c2pa needs to read an ingredient).
    unique = [p for p in every if can_carry(p)]
    generated = [read_credentials(p).ai_generator is not None for p in unique]
    source = AI_SOURCE if generated and all(generated) and len(unique) == len(every) else \
        AI_COMPOSITE_SOURCE if any(generated) else IPTC + "composite"
    labels = [f"clip{i}" for i in range(len(unique))]
    unlisted = len(every) - len(unique)
    note = f" ({unlisted} in formats c2pa cannot read, not listed)" if unlisted else ""
    return Recipe(
        actions=(
            {"action": "c2pa.created", "digitalSourceType": source, "softwareAgent": _agent(),
             "description": f"joined from {len(every)} clips{note}", "when": _now()},
            *({"action": "c2pa.placed", "parameters": {"ingredientIds": [label]}}
              for label in labels),
        ),
        ingredients=tuple(
            (path, {"title": path.name, "relationship": "componentOf", "label": label})
            for path, label in zip(unique, labels, strict=True)),
    )


def still_recipe(source: Path) -> Recipe:
    """The still sent to the service: the editor's frame opened, then cropped and resized."""
    return Recipe(
        actions=(
            {"action": "c2pa.opened", "parameters": {"ingredientIds": ["frame"]}},
            {"action": "c2pa.resized", "softwareAgent": _agent(), "when": _now(),
             "description": "cropped and resized to the size the service generates"},
        ),
        ingredients=((source, {"title": source.name, "relationship": "parentOf",
                               "label": "frame"}),),
    )


def signed_still(still: Path, source: Path,
                 settings: Settings) -> contextlib.AbstractContextManager[Path]:
    """:func:`signed_derivative` for a fitted still (first or last frame)."""
    return signed_derivative(still, source, still_recipe(source), settings)


def signed_derivative(final: Path, source: Path, recipe: Recipe, settings: Settings,
                      on_note: Notify | None = None) -> contextlib.AbstractContextManager[Path]:
    """:func:`signed_output` for a file made from ``source``; a source c2pa cannot take as an
    ingredient (EXR, DPX, MXF …) leaves it unsigned rather than claim an origin we cannot
    show, and the note says why."""
    if can_carry(source):
        return signed_output(final, recipe, settings, on_note)
    unsigned = settings.model_copy(update={"credentials": False})
    why = None if on_note is None else (lambda _: on_note(
        f"Wrote {final.name} without Content Credentials: c2pa cannot name a "
        f"{source.suffix or 'extensionless'} file as its origin."))
    return signed_output(final, recipe, unsigned, why)


def signing_note(identity: SigningIdentity | None, path: Path) -> str:
    """The one line a command prints about the credentials it wrote."""
    if identity is None:
        return f"Wrote {path.name} without Content Credentials (--no-credentials)."
    if identity.local:
        return f"Content Credentials on {path.name} {LOCAL_NOTE} ({identity.name})."
    return f"Content Credentials on {path.name} signed by {identity.name}."


def credentials_line(path: Path) -> str:
    """Who signed a file stillmotion just wrote (or reused), in a few words.

    Read without validating (:func:`active_signer`): a validating read re-hashes the whole clip,
    as long again as signing it; ``stillmotion provenance`` is where a signature is checked.
    """
    signer = active_signer(path)
    if signer is None:
        return "no Content Credentials"
    return LOCAL_NOTE if signer == LOCAL_NAME else f"signed by {signer}"


def chosen_identity(settings: Settings) -> SigningIdentity | None:
    """The identity to sign with, or None when the user asked for no credentials."""
    return signing_identity(settings) if settings.credentials else None


def sign_written(path: Path, recipe: Recipe, identity: SigningIdentity,
                 title: str | None = None) -> None:
    """Sign a file stillmotion has just written, in place (:func:`provenance.sign_in_place`:
    a movie's manifest box is appended, anything else is rewritten through a sibling).
    ``title`` is the name the file will have, when it is written under a temporary one."""
    sign_in_place(path, recipe.manifest(title or path.name), recipe.ingredients, identity)


@contextlib.contextmanager
def signed_output(final: Path, recipe: Recipe, settings: Settings,
                  on_note: Notify | None = None) -> Iterator[Path]:
    """Yield a temporary sibling of ``final`` to write into; sign it, then rename it to ``final``.

    The identity is resolved first, so a bad certificate fails before any work. With
    ``settings.credentials`` off the written file is simply renamed. Either way nothing reaches
    ``final`` unless the whole write (and signature) succeeded; the sibling is always removed.
    """
    identity = chosen_identity(settings)
    with _signed_write(final, lambda: recipe, identity) as unsigned:
        yield unsigned
    if on_note is not None:
        on_note(signing_note(identity, final))


def signed_master(final: Path, contributors: Sequence[Path],
                  identity: SigningIdentity | None) -> contextlib.AbstractContextManager[Path]:
    """:func:`signed_output` for a stitched or rendered master, every file in
    ``contributors`` an ingredient (:func:`master_recipe`, read once the render is done).

    Resolve ``identity`` with :func:`chosen_identity` before the render, so a bad certificate
    stops the run first. A failed signature leaves nothing at ``final``, and a master it was to
    replace (``--overwrite``) untouched.
    """
    return _signed_write(final, lambda: master_recipe(contributors), identity)


@contextlib.contextmanager
def _signed_write(final: Path, recipe: Callable[[], Recipe],
                  identity: SigningIdentity | None) -> Iterator[Path]:
    """The one write-sign-rename rule behind :func:`signed_output` and :func:`signed_master`."""
    # A fixed name, so a run killed mid-write leaves siblings the next run sweeps: this one
    # (``remove_partials(final)`` matches it) and the writer's own partials of it.
    unsigned = final.with_name(f".{final.stem}.partial-unsigned{final.suffix}")
    remove_partials(unsigned)
    unsigned.unlink(missing_ok=True)
    try:
        yield unsigned
        if identity is not None:
            sign_written(unsigned, recipe(), identity, final.name)
        unsigned.replace(final)
    finally:
        unsigned.unlink(missing_ok=True)


def sign_plate(files: Sequence[Path], download: Path, identity: SigningIdentity | None,
               description: str) -> dict[str, Any]:
    """Sign a just-written turnover plate; what the shot JSON records about it.

    A movie plate gets an embedded manifest (signed in place through a temporary sibling); an
    EXR or DPX sequence gets a sidecar ``<frame>.c2pa`` beside each frame, bound to the frame's
    bytes. Either way the download is the ingredient, so the chain reaches the vendor.
    """
    if identity is None or not can_carry(download):
        return {"signed": False, "sidecars": []}
    recipe = conform_recipe(download, description)
    if len(files) == 1 and can_carry(files[0]):
        sign_written(files[0], recipe, identity)
        return {"signed": True, "sidecars": []}
    sidecars = sign_sidecars(files, recipe.manifest(""), recipe.ingredients, identity)
    return {"signed": True, "sidecars": [path.name for path in sidecars]}
