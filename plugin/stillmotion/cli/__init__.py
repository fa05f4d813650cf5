"""The ``stillmotion`` command: a typer app whose commands live in one module per area.

Why a package: each area (media, jobs, server, timeline …) keeps its commands on a module-level
sub-app merged here, and
:func:`run` is the single place where a StillmotionError becomes one plain sentence on stderr and
its exit code, so no command ever ends in a traceback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import typer
from typer._click.exceptions import ClickException  # typer 0.29 vendors click

from stillmotion.cli import (
    conform_commands,
    demo_commands,
    generate_commands,
    grab_commands,
    jobs_commands,
    media_commands,
    provenance_commands,
    provider_commands,
    review_commands,
    serve_commands,
    shot_commands,
    signing_commands,
    stitch_commands,
    turnover_commands,
    webhook_commands,
)
from stillmotion.cli.console import err_console
from stillmotion.errors import StillmotionError
from stillmotion.jobs.providers import embedded_server

EXIT_CODES = """Exit codes: 0 done; 1 other stillmotion error; 2 usage error; 3 configuration
(key, provider, model, size, seconds); 4 service unreachable or refused; 5 prompt or image
refused by policy; 6 job failed or timed out; 7 media unreadable or ffmpeg failed; 8 timeline
problem (no clip at playhead, offline media); 9 budget exceeded; 10 DaVinci Resolve; 130
interrupted."""

app = typer.Typer(
    name="stillmotion",
    help="Generate video from the still under the playhead, conform it and place it on the "
    "timeline.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

for module in (
    demo_commands, generate_commands, shot_commands, media_commands, grab_commands,
    webhook_commands, jobs_commands, conform_commands, stitch_commands, serve_commands,
    provider_commands, review_commands, turnover_commands, provenance_commands,
    signing_commands,
):
    app.add_typer(module.app)  # unnamed: the sub-app's commands join the root


@contextlib.contextmanager
def embedded_base_url(data_dir: Path) -> Iterator[str]:
    """The embedded preview server (:func:`stillmotion.server.embedded_base_url`), imported
    when a job starts it: FastAPI, uvicorn and the renderer are not loaded by every command."""
    from stillmotion.server import running

    with running.embedded_base_url(data_dir) as base_url:
        yield base_url


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv``; returns the exit code instead of raising."""
    command = typer.main.get_command(app)
    try:
        # The entry point, not the jobs layer, decides how the embedded preview server starts.
        with embedded_server(embedded_base_url):
            result = command.main(
                args=list(argv) if argv is not None else None,
                prog_name="stillmotion",
                standalone_mode=False,
            )
    except StillmotionError as exc:
        err_console.print(f"stillmotion: {exc.message}", markup=False, highlight=False)
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except typer.Abort:
        err_console.print("stillmotion: interrupted.")
        return 130
    except KeyboardInterrupt:
        err_console.print("stillmotion: interrupted.")
        return 130
    return int(result) if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
