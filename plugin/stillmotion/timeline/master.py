"""A timeline master, rendered and signed: the one rule ``stitch --timeline`` and the
``stillmotion_render`` OTIO adapter share.

Why one function: a master rendered from a timeline must carry the same Content Credentials
whichever front end wrote it (every contributing media file an ingredient, the AI-generated
source type when they are generated), and must honour the same off switch
(``--no-credentials``, ``STILLMOTION_CREDENTIALS=false`` or the settings file). The identity is
resolved by the caller before anything is rendered, so a bad certificate stops the run first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stillmotion.media.assemble import assemble
from stillmotion.media.assembly import Assembly
from stillmotion.media.credentials import sign_master
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
    """Render ``assembly`` into ``output``, then sign it with ``identity`` (None: unsigned)
    naming every media file the assembly reads as an ingredient; ``on_note`` hears the one line
    to tell the user about its credentials. A failed signature removes the master."""
    result = assemble(assembly, output, preset=preset, size=size, fit=fit, overwrite=overwrite,
                      on_progress=on_progress)
    contributors = list(dict.fromkeys(span.path for span in assembly.spans()))
    note = sign_master(result.path, contributors, identity)
    if on_note is not None:
        on_note(note)
    return result
