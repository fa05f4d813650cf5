"""``stillmotion demo``: the main job end to end on the embedded preview provider."""

from __future__ import annotations

import typer

from stillmotion.cli.console import console


def register(app: typer.Typer) -> None:
    """Add the demo command to ``app``."""

    @app.command()
    def demo() -> None:
        """Run the whole job offline on the built-in preview provider (no key, no network)."""
        console.print("stillmotion demo: not yet — the generate pipeline lands with issue 4.")
