"""``stillmotion jobs``: list, show, forget and resume the jobs recorded in the ledger.

Why a command group of its own: after a crash, a closed laptop or a Resolve restart the ledger
is the only record of jobs that were paid for; these commands make it visible and let a user
finish such jobs without a second create. Finishing a job is the pipeline's work
(``stillmotion.jobs.pipeline.resume_job``); this module only chooses which rows to hand it and
refuses to resend an ambiguous ``submitting`` row unless told to with ``--resubmit ID``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stillmotion.cli.console import console, err_console
from stillmotion.errors import ConfigError, JobStateError, LedgerError, StillmotionError
from stillmotion.jobs.cost import format_money
from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState, ResumeAction, resume_action

if TYPE_CHECKING:
    from stillmotion.settings import Settings

LedgerOption = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        help="The job ledger file (default: STILLMOTION_LEDGER, else ledger.sqlite3 in the "
        "user data folder).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _existing_ledger(ledger: Path | None, ref: str | None = None) -> Ledger | None:
    """Open the ledger if its file exists; never create one just to read it."""
    from stillmotion.settings import load_settings

    path = load_settings(ledger=ledger).ledger_path
    if path.exists():
        return Ledger(path)
    if ref is not None:
        raise LedgerError(f"There is no job {ref}: the job ledger {path} does not exist yet.")
    return None


def _money(row: JobRow) -> str:
    return format_money(row.cost_estimate) if row.cost_estimate is not None else "$?"


def _summary(row: JobRow) -> str:
    """One line per job: id, state, take, what was asked, cost, when, prompt excerpt."""
    prompt = row.prompt if len(row.prompt) <= 40 else row.prompt[:39] + "…"
    state = row.state.value
    if row.state is LedgerState.SUBMITTING:
        state += " (needs a decision)"
    elif row.state is LedgerState.FAILED and row.failure_reason:
        state += f" ({row.failure_reason})"
    created = row.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    what = f"{row.provider}/{row.model or '-'} {row.size or '-'} {row.seconds or '-'} s"
    return f"{row.id}  take {row.take}  {what}  {_money(row)}  {created}  {prompt!r}  {state}"


def _print_detail(row: JobRow) -> None:
    from stillmotion.media.sound import describe_sound

    data = row.to_json()
    for key in ("id", "state", "goal", "take", "take_group", "provider", "base_url", "model",
                "size", "seconds", "prompt", "remote_id", "failure_reason", "failed_from",
                "cost_estimate", "currency", "attempts", "progress", "created_at", "updated_at",
                "sent_at", "finished_at", "request_hash"):
        if data[key] is not None:
            console.print(f"{key:15} {data[key]}", markup=False)
    sound = describe_sound(data["context"])
    if sound is not None:
        console.print(f"{'sound':15} {sound}", markup=False)
    for key in ("files", "request", "context"):  # the records as JSON
        if data[key]:
            console.print(f"{key:15} {json.dumps(data[key], sort_keys=True)}", markup=False)
    if row.state is LedgerState.SUBMITTING:
        console.print(_decision_message(row), markup=False)


def _decision_message(row: JobRow) -> str:
    where = f"{row.provider} ({row.base_url})" if row.base_url else row.provider
    return (
        f"Job {row.id} was being submitted to {where} when stillmotion stopped, so the service "
        "may hold (and bill) it without our knowing its id; check the provider's dashboard, then "
        f"run `stillmotion jobs resume {row.id} --resubmit` to send it again or "
        f"`stillmotion jobs forget {row.id} --yes` to drop it."
    )


def _outcome(row: JobRow) -> str:
    files = row.files
    for key, path in (("timeline", files.timeline), ("conformed", files.conformed),
                      ("download", files.download)):
        if path is not None:
            return f"{row.id}: {row.state.value}, {key} {path}"
    return f"{row.id}: {row.state.value}"


def _interrupted(
    book: Ledger, resubmit: bool
) -> tuple[list[tuple[JobRow, ResumeAction]], list[JobRow]]:
    """Every interrupted row: those to resume, and the ambiguous ones that need a decision."""
    if resubmit:
        raise ConfigError(
            "--resubmit needs a job id; check that job on the provider's dashboard first, "
            "then run `stillmotion jobs resume ID --resubmit`."
        )
    pairs = [(row, resume_action(row)) for row in book.interrupted()]
    return (
        [(row, action) for row, action in pairs if action is ResumeAction.CONTINUE],
        [row for row, action in pairs if action is ResumeAction.DECIDE],
    )


def _chosen(row: JobRow, resubmit: bool) -> ResumeAction:
    """The action for a job the user named; a failed or undecided job is an error."""
    action = resume_action(row, resubmit=resubmit)
    if action is ResumeAction.FAILED:
        raise JobStateError(
            f"Job {row.id} failed ({row.failure_reason or 'no reason recorded'}); run the same "
            "request again with --new-take to make a new take.",
            job_id=row.id, state=row.state.value, target="resumed",
        )
    if action is ResumeAction.DECIDE:
        raise JobStateError(_decision_message(row), job_id=row.id, state=row.state.value,
                            target="resumed")
    return action



# A sub-app holding the ``jobs`` command group; stillmotion.cli merges it into the root app.
app = typer.Typer()
jobs = typer.Typer(
    name="jobs",
    help="The job ledger: every generation job, its state, files and cost.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(jobs, name="jobs")

@jobs.command("list")
def list_command(
    ledger: LedgerOption = None,
    as_json: JsonOption = False,
    state: Annotated[
        list[LedgerState] | None,
        typer.Option("--state", help="Only jobs in this state (repeatable)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many jobs.")
    ] = None,
) -> None:
    """List jobs, newest first."""
    from stillmotion.settings import load_settings

    book = _existing_ledger(ledger)
    rows: list[JobRow] = []
    if book is not None:
        with book:
            rows = book.jobs(states=state, limit=limit)
    if as_json:
        console.print_json(json.dumps([row.to_json() for row in rows]))
        return
    if not rows:
        path = load_settings(ledger=ledger).ledger_path
        console.print(f"No jobs in {path}.", markup=False)
        return
    for row in rows:
        console.print(_summary(row), markup=False)

@jobs.command("show")
def show_command(
    job: Annotated[str, typer.Argument(help="Job id, a unique id prefix, or remote id.")],
    ledger: LedgerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show everything recorded for one job."""
    book = _existing_ledger(ledger, job)
    assert book is not None
    with book:
        row = book.lookup(job)
    if as_json:
        console.print_json(json.dumps(row.to_json()))
        return
    _print_detail(row)

@jobs.command("forget")
def forget_command(
    job: Annotated[str, typer.Argument(help="Job id, a unique id prefix, or remote id.")],
    ledger: LedgerOption = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Forget even a job the service may still run and bill."),
    ] = False,
) -> None:
    """Remove a job from the ledger (its files stay where they are)."""
    book = _existing_ledger(ledger, job)
    assert book is not None
    with book:
        row = book.forget(book.lookup(job).id, force=yes)
    console.print(
        f"Forgot {row.id} ({row.state.value}); its files were left in place.", markup=False
    )

@jobs.command("resume")
def resume_command(
    job: Annotated[
        str | None, typer.Argument(help="Only this job (id, prefix or remote id).")
    ] = None,
    ledger: LedgerOption = None,
    resubmit: Annotated[
        bool,
        typer.Option(
            "--resubmit",
            help="Send a job stuck in 'submitting' again (it may already be billed once).",
        ),
    ] = False,
) -> None:
    """Finish interrupted jobs without creating them again."""
    from stillmotion.settings import load_settings

    settings = load_settings(ledger=ledger)
    book = _existing_ledger(ledger, job)
    if book is None:
        console.print(f"Nothing to resume: no ledger at {settings.ledger_path}.", markup=False)
        return
    todo: list[tuple[JobRow, ResumeAction]]
    undecided: list[JobRow]
    with book:
        if job is not None:
            row = book.lookup(job)
            action = _chosen(row, resubmit)
            if action is ResumeAction.FINISHED:
                console.print(f"Job {row.id} is {row.state.value}; nothing to resume.",
                              markup=False)
                return
            todo, undecided = [(row, action)], []
        else:
            todo, undecided = _interrupted(book, resubmit)
        for row in undecided:
            err_console.print(f"stillmotion: {_decision_message(row)}", markup=False)
        if not todo and not undecided:
            console.print(f"Nothing to resume in {book.path}.", markup=False)
            return
        failures = _resume_all(todo, settings, book, single=job is not None) if todo else []
    codes = failures + [JobStateError.exit_code] * len(undecided)
    if codes:
        raise typer.Exit(codes[0])


def _resume_all(
    todo: list[tuple[JobRow, ResumeAction]], settings: Settings, book: Ledger, *, single: bool
) -> list[int]:
    """Hand each row to the pipeline; with several rows one failure does not stop the rest."""
    from stillmotion.jobs.pipeline import resume_job  # heavy (media, providers): only when used

    codes: list[int] = []
    for row, action in todo:
        remote = f", remote {row.remote_id}" if row.remote_id else ""
        console.print(f"Resuming {row.id} ({row.state.value} on {row.provider}{remote})…",
                      markup=False)
        try:
            done = resume_job(row, settings, ledger=book,
                              resubmit=action is ResumeAction.RESUBMIT)
        except StillmotionError as exc:
            if single:
                raise
            err_console.print(f"stillmotion: {row.id}: {exc.message}", markup=False)
            codes.append(exc.exit_code)
            continue
        console.print(_outcome(done), markup=False)
    return codes
