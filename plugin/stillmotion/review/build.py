"""Write a review page: check the output, gather takes, draw assets, render, write atomically.

Why the output is checked first: pictures for hundreds of takes take a while, and a name that
already exists (without ``--overwrite``) or a missing folder should be refused before any of
that work; the page itself appears only when complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from stillmotion.errors import ConfigError, TimelineError
from stillmotion.files import atomic_path, check_output
from stillmotion.review.assets import ASSETS_FOLDER, ProgressHandler, make_assets
from stillmotion.review.credentials_view import attach_credentials
from stillmotion.review.from_media import review_media_dir
from stillmotion.review.from_timeline import review_timeline
from stillmotion.review.model import Review
from stillmotion.review.page import render_page
from stillmotion.review.rows import LedgerIndex


@dataclass(frozen=True)
class ReviewResult:
    """The page written and what it holds."""

    page: Path
    assets: Path
    shots: int
    takes: int


def gather(*, timeline: Path | None, media_dirs: Sequence[Path],
           ledger: Path | None) -> Review:
    """The takes of a timeline file, else of the one media folder in ``media_dirs``.

    With a timeline, ``media_dirs`` are only where its offline media is relinked from (the
    CLI's reading options do that); without one, exactly one folder is reviewed.
    """
    if timeline is None and len(media_dirs) != 1:
        raise ConfigError("Give a timeline file, or one --media-dir folder of generated clips "
                          "to review.")
    index = LedgerIndex.load(ledger)
    if timeline is not None:
        review = review_timeline(timeline, index)
        if not review.shots:
            raise TimelineError(f"The timeline {timeline.name} has no generated clips; review "
                                "the timeline stillmotion generate wrote.")
        return attach_credentials(review)
    [media_dir] = media_dirs
    review = review_media_dir(media_dir, index)
    if not review.shots:
        raise ConfigError(f"No generated takes were found in {media_dir}; give the folder the "
                          "clips were written to, and --ledger if the ledger is elsewhere.")
    return attach_credentials(review)


def write_review(review: Review, output: Path, *, overwrite: bool = False,
                 on_progress: ProgressHandler | None = None) -> ReviewResult:
    """Draw the assets into ``review_assets/`` beside ``output`` and write the page there."""
    page = check_output(output, overwrite=overwrite)
    folder = page.parent / ASSETS_FOLDER
    assets = make_assets(review, folder, on_progress=on_progress)
    made = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    text = render_page(review, assets, page.parent, generated_at=made)
    with atomic_path(page) as temp:
        temp.write_text(text, encoding="utf-8")
    return ReviewResult(page, folder, len(review.shots), review.take_count)
