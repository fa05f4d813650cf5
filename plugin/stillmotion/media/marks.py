"""The spelling of the preview mark: the container tags that say a clip is our own draft render.

Why in media/: the preview renderer writes the mark and provenance reads it back; both sit on
top of media, so the spelling lives here, below both, and neither imports the other.
"""

from __future__ import annotations

from stillmotion.media.probe import MediaInfo

PREVIEW_COMMENT = "stillmotion preview"
PREVIEW_TAG = "stillmotion_preview"


def is_preview(info: MediaInfo) -> bool:
    """Whether a probed file carries the preview tag (our own render)."""
    return info.tags.get(PREVIEW_TAG) == "1" or info.tags.get("comment") == PREVIEW_COMMENT
