"""The static review page: each shot's takes side by side, playable, with cost and provenance.

``stillmotion review`` calls :func:`gather` (a timeline file or a media folder, plus the
ledger) and :func:`write_review`; :func:`render_page` turns a :class:`Review` into HTML alone.
"""

from __future__ import annotations

from stillmotion.review.assets import ASSETS_FOLDER, ReviewAssets, make_assets
from stillmotion.review.build import ReviewResult, gather, write_review
from stillmotion.review.model import Review, Shot, SourceStill, SwitchCommand, Take
from stillmotion.review.page import render_page

__all__ = [
    "ASSETS_FOLDER",
    "Review",
    "ReviewAssets",
    "ReviewResult",
    "Shot",
    "SourceStill",
    "SwitchCommand",
    "Take",
    "gather",
    "make_assets",
    "render_page",
    "write_review",
]
