"""``casedesk import KIND FILE…``: files in (CSV, JSON Lines, XLSX, mail)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from casedesk.cli import params
from casedesk.cli.format import say
from casedesk.cli.state import CliState, console, err_console, print_json
from casedesk.errors import ConfigError
from casedesk.services.imports.run import KIND_NAMES, check_options, run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from casedesk.textsafe import one_line

#: Show a progress bar only for inputs at least this large (bytes, rows or messages).
PROGRESS_MIN = 1_000_000


class _Bar:
    """Rich progress on stderr: rows, rows/s and the time left, one task per file."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[rows]:>12,} rows"),
            TextColumn("{task.fields[rate]:>10,.0f} rows/s"),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
        )
        self.tasks: dict[str, tuple[TaskID, float, int]] = {}
        self.started = False
        self.last = (time.monotonic(), 0)  # (when, rows) of the previous report

    def __call__(self, name: str, rows: int, position: int, total: int) -> None:
        if name not in self.tasks:
            if total < PROGRESS_MIN and not self.started and position >= total:
                return
            if not self.started:
                self.progress.start()
                self.started = True
            task = self.progress.add_task(  # a file name is outside text: literal
                one_line(name), total=max(total, 1), rows=0, rate=0.0
            )
            self.tasks[name] = (task, *self.last)
        task, began, first = self.tasks[name]
        now = time.monotonic()
        self.progress.update(task, completed=position, rows=rows - first,
                             rate=(rows - first) / max(now - began, 1e-6))
        self.last = (now, rows)

    def stop(self) -> None:
        if self.started:
            self.progress.stop()


def import_command(
    ctx: typer.Context,
    kind: str = typer.Argument(
        ..., metavar="KIND", help=f"What the files hold: {', '.join(KIND_NAMES)}.",
        parser=params.choice("KIND", KIND_NAMES),
    ),
    files: list[Path] = typer.Argument(
        ..., metavar="FILE...", help="CSV, JSON Lines or XLSX files; for emails mbox files, "
        "Maildir folders or .eml files."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing."),
    on_error: str = typer.Option(
        "skip", "--on-error", help="skip: import the good rows and write the bad ones to a "
        "rejects file; abort: import nothing if any row is bad.",
        parser=params.choice("--on-error", ("skip", "abort")),
    ),
    maps: list[str] = typer.Option(
        [], "--map", metavar='"COLUMN=FIELD"', help="Map a column to a field (repeatable); "
        "FIELD '-' ignores the column, 'extras' keeps it in extras."
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="Force the file encoding (default: UTF-8, else cp1252).",
        parser=params.text_encoding,
    ),
    delimiter: str | None = typer.Option(
        None, "--delimiter", help="Force the CSV delimiter (default: sniffed; \\t for tab)."
    ),
    sheet: str | None = typer.Option(None, "--sheet", help="XLSX sheet (default: the first)."),
    dayfirst: bool = typer.Option(
        True, "--dayfirst/--monthfirst", help="Read ambiguous 03/04/2026 as 3 April "
        "(default, Spanish/European) or as March 4."
    ),
    timezone: str = typer.Option(
        "Europe/Madrid", "--timezone", help="Zone of times written without an offset.",
        parser=params.time_zone,
    ),
    queue: str | None = typer.Option(
        None, "--queue", "-q", help="Queue for new cases that name none (cases, emails)."
    ),
    batch_size: int = typer.Option(
        5000, "--batch-size", help="Rows per transaction (1 to 1,000,000).",
        parser=params.integer("--batch-size", 1, 1_000_000),
    ),
    parallel: bool | None = typer.Option(
        None, "--parallel/--one-process", help="Check rows in a second process while this "
        "one writes (contacts, accounts, interactions; default: for files of 8 MB or more)."
    ),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import records from files; bad rows go to a rejects file beside each input.

    Exit status: 0 all rows imported, 1 some rows rejected, 2 unusable file or flags.
    """
    state: CliState = ctx.obj
    options = ImportOptions(
        dry_run=dry_run, on_error=on_error, encoding=encoding, delimiter=delimiter,
        sheet=sheet, mappings=tuple(maps), dayfirst=dayfirst, timezone=timezone, queue=queue,
        batch_size=batch_size, parallel=parallel,
    )
    check_options(kind, options)
    for path in files:
        try:
            found = path.exists()
        except (OSError, ValueError) as exc:  # a name too long for the file system …
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(f"cannot read {path}: {reason}") from None
        if not found:
            raise ConfigError(f"no such file: {path}")
    desk = state.desk()
    actor = state.optional_actor()
    if actor is None and kind != "agents":
        actor = state.actor()
    bar = _Bar() if err_console.is_terminal else None
    try:
        summary = run_import(desk, actor, kind, files, options, progress=bar)
    finally:
        if bar is not None:
            bar.stop()
    if json_ or state.json:
        print_json(summary.to_json())
    else:
        _print_summary(summary)
    if summary.rejected:
        raise typer.Exit(1)


def _print_summary(summary: ImportSummary) -> None:
    title = f"import {summary.kind}" + (" — dry run, nothing written" if summary.dry_run else "")
    table = Table(title=title)
    for column in ("read", "created", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="right")
    table.add_row(*(f"{getattr(summary, c):,}" for c in
                    ("read", "created", "updated", "unchanged", "rejected")))
    console.print(table)
    if summary.details:
        say(console, ", ".join(f"{k}: {v:,}" for k, v in sorted(summary.details.items())))
    for path in summary.rejects:
        say(console, f"rejected rows and their reasons: {path}")
    for warning in summary.warnings:
        say(err_console, f"casedesk: warning: {warning}")
    for error in summary.errors:
        say(err_console, error)
    hidden = summary.rejected - len(summary.errors)
    if hidden > 0:
        say(err_console, f"… and {hidden:,} more")
