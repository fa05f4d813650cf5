"""``stillmotion review``: one static page to choose between takes by looking at them.

Why a page and not a table in the terminal: editors judge takes by watching them; the page
plays each take, scrubs it on hover and puts the ``stillmotion takes … --use N`` command to
switch next to it, with cost, prompt warnings and provenance, and needs no server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stillmotion.cli.console import console, err_console
from stillmotion.cli.options import LedgerOpt
from stillmotion.cli.reading import reads_timeline

# A sub-app holding ``review``; stillmotion.cli merges it into the root app.
app = typer.Typer()

@app.command("review")
@reads_timeline
def review_command(
    timeline: Annotated[Path | None, typer.Argument(
        help="A timeline stillmotion wrote (.otio keeps every take's metadata).")] = None,
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="The page to write, e.g. review.html (pictures go into "
        "review_assets/ beside it).")] = Path("review.html"),
    media_dirs: list[Path] | None = None,  # every --media-dir (cli.reading)
    ledger: LedgerOpt = None,
    open_page: Annotated[bool, typer.Option(
        "--open", help="Open the page in the web browser when it is written.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
) -> None:
    """Write one static HTML page showing each shot's takes side by side: of a timeline
    (relinked from --media-dir), or of the clips in the --media-dir folder given alone."""
    import webbrowser

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from stillmotion.review import gather, write_review
    from stillmotion.settings import load_settings

    settings = load_settings(ledger=ledger)
    review = gather(timeline=timeline, media_dirs=media_dirs or [],
                    ledger=settings.ledger_path)
    with Progress(TextColumn("Drawing thumbnails"), BarColumn(), MofNCompleteColumn(),
                  console=err_console, transient=True,
                  disable=not err_console.is_terminal) as bar:
        task = bar.add_task("assets", total=None)
        result = write_review(review, output, overwrite=overwrite,
                              on_progress=lambda done, total: bar.update(
                                  task, completed=done, total=total))
    console.print(f"Review page: {result.page} ({_count(result.shots, 'shot')}, "
                  f"{_count(result.takes, 'take')})", markup=False)
    if open_page:
        webbrowser.open(result.page.as_uri())


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
