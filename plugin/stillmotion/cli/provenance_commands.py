"""``stillmotion provenance FILE``: who made a file, with what, through which steps, and whether
each Content Credentials signature along the chain validates and reaches an AI generator.

Why a command of its own: an editor or a delivery checker asks this of any file (a vendor's
download, our conform, a master), not only of takes in the ledger.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from stillmotion.cli.console import console
from stillmotion.cli.options import JsonOpt
from stillmotion.errors import MediaError
from stillmotion.media.manifest_store import Credentials, Manifest

STATUS_TEXT = {
    "valid": "valid (signature and content check out; signer trusted)",
    "untrusted": "valid signature, untrusted signer (not on any trust list given)",
    "tampered": "TAMPERED (the content or manifest no longer matches its signature)",
    "none": "no Content Credentials",
}

# A sub-app holding the provenance command; stillmotion.cli merges it into the root app.
app = typer.Typer()


@app.command("provenance")
def provenance_command(
    media: Annotated[Path, typer.Argument(metavar="FILE", help="Media file to inspect.")],
    as_json: JsonOpt = False,
) -> None:
    """Read and validate a file's Content Credentials (C2PA) and follow its ingredient chain.

    Exits 0 for valid, untrusted and none; 7 when the file is tampered. Untrusted is the normal
    state of a file signed with stillmotion's local identity (or a vendor whose root you have
    not given): the signature and content check out, the signer is just on no trust list.
    Trust anchors beyond c2pa's own list come from STILLMOTION_TRUST_ANCHORS (a PEM bundle).
    """
    from stillmotion.media.provenance import read_credentials
    from stillmotion.settings import load_settings

    if not media.is_file():
        raise MediaError(f"{media} is not a file; give the path of a media file.", path=media)
    credentials = read_credentials(media, trust_anchors=load_settings().trust_anchors)
    if as_json:
        console.print_json(json.dumps({"file": str(media), **credentials.to_json()}))
    else:
        for line in describe(media, credentials):
            console.print(line, markup=False, highlight=False)
    if credentials.status == "tampered":
        # A delivery check scripts on the exit code: altered media is bad media (exit 7).
        raise MediaError(f"{media.name} was altered after it was signed: its Content "
                         f"Credentials no longer match; get the file again from its source.",
                         path=media)


def describe(media: Path, credentials: Credentials) -> list[str]:
    """The plain-text report, one fact per line."""
    lines = [f"{media.name}: {STATUS_TEXT[credentials.status]}"]
    if credentials.note and credentials.status == "none":
        lines.append(f"  ({credentials.note})")
    lines += [f"  failure: {failure}" for failure in credentials.failures]
    for depth, manifest in enumerate(credentials.chain):
        lines += _manifest_lines(manifest, "  " * (depth + 1))
    generator = credentials.ai_generator
    if generator is not None:
        lines.append(f"AI-generated: yes, declared by {generator.claim_generator or 'unknown'} "
                     f"(signed by {generator.signer or 'unknown'}, {generator.status})")
    elif credentials.chain:
        lines.append("AI-generated: the chain declares no AI-generated source")
    return lines


def _manifest_lines(manifest: Manifest, pad: str) -> list[str]:
    lines = [f"{pad}{manifest.title or manifest.label}",
             f"{pad}  made with  {manifest.claim_generator or 'unknown'}",
             f"{pad}  signed by  {manifest.signer or 'unknown'}"
             f" (issuer {manifest.issuer or 'unknown'}): {manifest.status}"]
    if manifest.signing_time:
        lines.append(f"{pad}  time       {manifest.signing_time}")
    for action in manifest.actions:
        extra = [x for x in (action.description, _short(action.source_type)) if x]
        lines.append(f"{pad}  step       {action.action}"
                     + (f" ({'; '.join(extra)})" if extra else ""))
    for ingredient in manifest.ingredients:
        lines.append(f"{pad}  from       {ingredient.title} ({ingredient.relationship}, "
                     f"{ingredient.status})")
    return lines


def _short(source_type: str | None) -> str | None:
    return source_type.rsplit("/", 1)[-1] if source_type else None
