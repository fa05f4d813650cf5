"""The procedural preview engine: prompt camera moves -> keyframed camera path -> ffmpeg clip.

The local server (``stillmotion serve``) calls :func:`render_preview`, :func:`render_extension`,
:func:`render_thumbnail` and :func:`render_spritesheet`; the prompt linter reuses the camera
parser in :mod:`stillmotion.moves`.
"""

from __future__ import annotations

from stillmotion.media.marks import PREVIEW_COMMENT, PREVIEW_TAG, is_preview
from stillmotion.preview.path import CameraPath, plan
from stillmotion.preview.render import render_extension, render_preview
from stillmotion.preview.variants import render_spritesheet, render_thumbnail

__all__ = [
    "PREVIEW_COMMENT",
    "PREVIEW_TAG",
    "CameraPath",
    "is_preview",
    "plan",
    "render_extension",
    "render_preview",
    "render_spritesheet",
    "render_thumbnail",
]
