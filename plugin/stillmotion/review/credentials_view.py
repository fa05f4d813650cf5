"""The Content Credentials badge of a take on the review page, and its chain shown on click.

Why a badge per take: before a take goes into a cut, the editor (and whoever delivers) should
see at a glance that it is AI-generated and whether the file's signatures still validate; the
chain (who signed what, from which ingredient) opens under it without leaving the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from html import escape
from typing import Any

from stillmotion.media.provenance import read_credentials
from stillmotion.review.model import Review, Take

STATUS_WORD = {"valid": "validated", "untrusted": "untrusted signer", "tampered": "tampered",
               "none": "no credentials"}


def attach_credentials(review: Review) -> Review:
    """``review`` with each take's conformed clip's credentials, read (and validated) now so
    the badge says what the file on disk says today."""
    shots = []
    for shot in review.shots:
        takes = tuple(
            replace(take, credentials=read_credentials(take.conformed).to_json())
            if take.conformed is not None and take.conformed.is_file() else take
            for take in shot.takes)
        shots.append(replace(shot, takes=takes))
    return replace(review, shots=tuple(shots))


def credentials_badge(take: Take) -> str:
    """``AI-generated · untrusted signer`` (or the status alone when no AI source is declared)."""
    found: Mapping[str, Any] = take.credentials
    if not found:
        return ""
    status = str(found.get("status", "none"))
    word = STATUS_WORD.get(status, status)
    text = f"AI-generated · {word}" if found.get("ai_generated") else word
    return (f'<span class="badge cr cr-{escape(status)}" data-credentials="{escape(status)}">'
            f"{escape(text)}</span>")


def credentials_chain(take: Take) -> str:
    """The chain, newest first, in a ``<details>`` the editor opens by clicking."""
    chain = take.credentials.get("chain") or []
    if not chain:
        return ""
    items = []
    for manifest in chain:
        steps = ", ".join(str(a.get("action", "")).removeprefix("c2pa.")
                          for a in manifest.get("actions", []))
        source = manifest.get("ai_source")
        items.append(
            f"<li><strong>{escape(str(manifest.get('title') or manifest.get('label')))}</strong>"
            f" made with {escape(str(manifest.get('claim_generator') or 'unknown'))}, signed by "
            f"{escape(str(manifest.get('signer') or 'unknown'))} "
            f"({escape(STATUS_WORD.get(str(manifest.get('status')), 'unknown'))})"
            + (f"; steps: {escape(steps)}" if steps else "")
            + (f"; source: {escape(str(source).rsplit('/', 1)[-1])}" if source else "")
            + "</li>")
    return (f'<details class="chain"><summary>Content Credentials chain</summary>'
            f'<ol>{"".join(items)}</ol></details>')
