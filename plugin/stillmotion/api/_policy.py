"""Recognise content-policy refusals (moderation, safety) among service error codes.

Why one place: a refusal can arrive as an HTTP 400 on create or as a failed job long after, and
both must become :class:`~stillmotion.errors.PolicyRejectedError` (never retried, the service's
words shown verbatim), whatever spelling the gateway uses (``moderation_blocked``,
``content_policy_violation``, ``safety_filter`` …). No official list of codes exists, so the
match is on the telling words.
"""

from __future__ import annotations

_POLICY_WORDS = ("moderation", "policy", "safety", "content_filter", "nsfw")


def is_policy_code(*codes: str | None) -> bool:
    """True when any of the given error codes or types names a moderation or policy block."""
    for code in codes:
        if not code:
            continue
        lowered = code.lower()
        if any(word in lowered for word in _POLICY_WORDS):
            return True
    return False
