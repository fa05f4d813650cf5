"""Titles, slugs, colour mattes, bars and other generated items: clips that show no media file.

Why one test for them: ``locate`` passes over them to the shot below (as it passes over our own
generated clips), the render shows them as black with a warning, and both must agree on what
counts. OTIO gives every such item a ``GeneratorReference`` (FCP 7 XML ``<generatoritem>``,
Kdenlive colour clips, OTIO files); Kdenlive titles and other non-file producers are turned into
one on reading (:func:`stillmotion.timeline.kdenlive.mark_generators`).
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio


def is_filler(clip: Any) -> bool:
    """True for a clip whose picture is made by the editor (title, slug, matte, bars …)."""
    return isinstance(clip, otio.schema.Clip) and isinstance(
        clip.media_reference, otio.schema.GeneratorReference)


def filler_label(clip: Any) -> str:
    """How to name a filler clip in a message: "the title 'Main title' (kdenlivetitle)"."""
    kind = str(clip.media_reference.generator_kind or "generator")
    return f"the {kind} clip '{clip.name or '(unnamed)'}'"
