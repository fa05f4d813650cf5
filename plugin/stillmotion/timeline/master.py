"""A timeline master, rendered and signed: the one rule ``stitch --timeline`` and the
``stillmotion_render`` OTIO adapter share.

Why one function: a master rendered from a timeline must carry the same Content Credentials
whichever front end wrote it (every contributing media file an ingredient, the AI-generated
source type when they are generated), and must honour the same off switch
(``--no-credentials``, ``STILLMOTION_CREDENTIALS=false`` or the settings file). The identity is
resolved by the caller before anything is rendered, so a bad certificate stops the run first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from stillmotion.files import check_output
from stillmotion.media.assemble import assemble
from stillmotion.media.assembly import Assembly
from stillmotion.media.credentials import signed_master, signing_note
from stillmotion.media.ffmpeg import ProgressCallback
from stillmotion.media.provenance import SigningIdentity
from stillmotion.media.stitch import StitchResult


def render_master(
    assembly: Assembly,
    output: Path,
    identity: SigningIdentity | None,
    *,
    preset: str,
    size: tuple[int, int] | None,
    fit: str,
    overwrite: bool,
    on_progress: ProgressCallback | None = None,
    on_note: Callable[[str], None] | None = None,
) -> StitchResult:
    """Render ``assembly`` into a temporary sibling of ``output``, sign it with ``identity``
    (None: unsigned) naming every media file the assembly reads as an ingredient, then rename
    it to ``output``; ``on_note`` hears the one line to tell the user about its credentials.
    A failed render or signature leaves nothing at ``output``."""
    contributors = list(dict.fromkeys(span.path for span in assembly.spans()))
    final = check_output(output, inputs=contributors, overwrite=overwrite)
    with signed_master(final, contributors, identity) as unsigned:
        result = assemble(assembly, unsigned, preset=preset, size=size, fit=fit, overwrite=True,
                          on_progress=on_progress)
    if on_note is not None:
        on_note(signing_note(identity, final))
    return dataclasses.replace(result, path=final)
