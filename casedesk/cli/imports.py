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
from casedesk.i18n import N_, _
from casedesk.services.imports.guess import UNKNOWN, guess_profile
from casedesk.services.imports.mapping import parse_value_option
from casedesk.services.imports.profiles import apply_profile, read_profile, unmapped_snippet
from casedesk.services.imports.run import KIND_NAMES, check_options, run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from casedesk.services.imports.values import quoted
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
            TextColumn("{task.fields[rows]:>12,} " + _("rows")),
            TextColumn("{task.fields[rate]:>10,.0f} " + _("rows/s")),
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


HELP = _(
    "Import records from files; bad rows go to a rejects file beside each input.\n"
    "\n"
    "`casedesk import guess KIND FILE` proposes a mapping profile for FILE (printed, "
    "or written with --write-profile) and previews its first rows; it writes nothing "
    "else.\n"
    "\n"
    "Exit status: 0 all rows imported, 1 some rows rejected, 2 unusable file or "
    "flags."
)


def import_command(
    ctx: typer.Context,
    kind: str = typer.Argument(
        ..., metavar="KIND",
        help=_("What the files hold: {kinds}; or guess (`import guess KIND FILE`: propose "
               "a mapping profile).").format(kinds=", ".join(KIND_NAMES)),
        parser=params.choice("KIND", (*KIND_NAMES, "guess")),
    ),
    files: list[Path] = typer.Argument(
        ..., metavar="FILE...", help=_("CSV, JSON Lines or XLSX files; for emails mbox files, "
        "Maildir folders or .eml files; for articles also folders of Markdown files.")
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help=_("Check everything, write nothing.")),
    on_error: str = typer.Option(
        "skip", "--on-error", help=_("skip: import the good rows and write the bad ones to a "
        "rejects file; abort: import nothing if any row is bad."),
        parser=params.choice("--on-error", ("skip", "abort")),
    ),
    maps: list[str] = typer.Option(
        [], "--map", metavar='"COLUMN=FIELD"', help=_("Map a column to a field (repeatable); "
        "FIELD '-' ignores the column, 'extras' keeps it in extras.")
    ),
    values: list[str] = typer.Option(
        [], "--value", metavar='"FIELD:VALUE=CASEDESK VALUE"', help=_("Map a value of a coded "
        "field (repeatable), e.g. \"priority:Critical=high\"; case and accents do not matter.")
    ),
    profile: str | None = typer.Option(
        None, "--profile", metavar="FILE.toml|NAME", help=_("A mapping profile: columns, value "
        "maps, time zone, date order and defaults (NAME: a shipped one). Flags win over it.")
    ),
    write_profile: Path | None = typer.Option(
        None, "--write-profile", metavar="FILE.toml", help=_("With guess or --dry-run: write "
        "the proposed profile to FILE.toml (a new file).")
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help=_("Force the file encoding (default: UTF-8, else cp1252)."),
        parser=params.text_encoding,
    ),
    delimiter: str | None = typer.Option(
        None, "--delimiter", help=_("Force the CSV delimiter (default: sniffed; \\t for tab).")
    ),
    sheet: str | None = typer.Option(None, "--sheet", help=_("XLSX sheet (default: the first).")),
    dayfirst: bool | None = typer.Option(
        None, "--dayfirst/--monthfirst", help=_("Read ambiguous 03/04/2026 as 3 April "
        "(default, Spanish/European) or as March 4."), show_default=False,
    ),
    timezone: str | None = typer.Option(
        None, "--timezone", help=_("Zone of times written without an offset (default: the "
        "profile's, else Europe/Madrid)."), parser=params.time_zone,
    ),
    queue: str | None = typer.Option(
        None, "--queue", "-q", help=_("Queue for new cases that name none (cases, emails).")
    ),
    batch_size: int = typer.Option(
        5000, "--batch-size", help=_("Rows per transaction (1 to 1,000,000)."),
        parser=params.integer("--batch-size", 1, 1_000_000),
    ),
    parallel: bool | None = typer.Option(
        None, "--parallel/--one-process", help=_("Check rows in a second process while this "
        "one writes (interactions naming no customer; default: for files of 8 MB or more).")
    ),
    json_: bool = typer.Option(False, "--json", help=_("Print the summary as JSON.")),
) -> None:
    state: CliState = ctx.obj
    guessing = kind == "guess"
    if guessing:
        if len(files) != 2 or str(files[0]) not in KIND_NAMES or str(files[0]) == "emails":
            raise ConfigError(_("usage: casedesk import guess KIND FILE (KIND: {kinds})").format(
                kinds=", ".join(k for k in KIND_NAMES if k != "emails")))
        kind, files = str(files[0]), files[1:]
    if write_profile is not None and not (guessing or dry_run):
        raise ConfigError(_("--write-profile goes with --dry-run (or use `casedesk import guess "
                            "KIND FILE --write-profile FILE.toml`)"))
    if write_profile is not None:
        check_new_file(write_profile)
    options = ImportOptions(
        dry_run=dry_run, on_error=on_error, encoding=encoding, delimiter=delimiter,
        sheet=sheet, mappings=tuple(maps), dayfirst=True if dayfirst is None else dayfirst,
        timezone=timezone or "Europe/Madrid", queue=queue, batch_size=batch_size,
        parallel=parallel, values=tuple(parse_value_option(v) for v in values),
    )
    if profile is not None:
        if kind == "emails":
            raise ConfigError(_("--profile is for table-shaped files, not emails"))
        options = apply_profile(read_profile(profile, kind), options, maps=tuple(maps),
                                values=options.values, timezone=timezone, dayfirst=dayfirst)
    check_options(kind, options)
    for path in files:
        try:
            found = path.exists()
        except (OSError, ValueError) as exc:  # a name too long for the file system …
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(_("cannot read {file}: {reason}").format(
                file=path, reason=reason)) from None
        if not found:
            raise ConfigError(_("no such file: {file}").format(file=path))
    if guessing or write_profile is not None:
        _guess(kind, files[0], options, write_profile)
        if guessing:
            return
    desk = state.desk(create=kind == "agents")  # the first agents may make the schema
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


def check_new_file(path: Path) -> None:
    """A profile is written as a new file: an existing one is never replaced."""
    try:
        exists = path.exists() or path.is_symlink()
        folder = path.parent.is_dir()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"--write-profile {path}: {reason}") from None
    if exists:
        raise ConfigError(_("--write-profile {file}: the file exists; remove it or name "
                            "another").format(file=path))
    if not folder:
        raise ConfigError(_("--write-profile {file}: no such folder").format(file=path))


def shorten(value: str, limit: int = 72) -> str:
    """A preview value on one line, at most ``limit`` characters."""
    text = one_line(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _guess(kind: str, path: Path, options: ImportOptions, write_to: Path | None) -> None:
    """Print (or write) the proposed profile and a preview of the first rows."""
    if path.is_dir():
        raise ConfigError(_("{file} is a folder, not a file").format(file=path))
    guess = guess_profile(kind, path, options)
    command = f"casedesk import guess {kind} {path.name}"
    text = guess.to_toml(one_line(command))
    if write_to is None:
        typer.echo(text, nl=False)  # escaped TOML: no control reaches the terminal
    else:
        try:
            with write_to.open("x", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            raise ConfigError(f"--write-profile {write_to}: "
                              f"{exc.strerror or exc}") from None
        say(console, _("profile written to {file}: check it, then import with --profile "
                       "{file}").format(file=write_to))
    unknown = sum(1 for seen in guess.values.values() for g in seen if g.proposal == UNKNOWN)
    if unknown:
        say(err_console, "casedesk: " + _(
            "{count} values have no proposal (\"?\"): fill them in before importing with this "
            "profile").format(count=f"{unknown:,}"))
    say(console, _("Preview: the first {count} of {sampled} sampled rows of {source} as "
                   "casedesk would store them ({kind}):").format(
        count=len(guess.preview), sampled=f"{guess.sampled:,}", source=guess.source, kind=kind))
    width = max((len(n) for n in guess.preview_fields), default=0)
    for line, fields, reason in guess.preview:
        say(console, _("line {line}: rejected: {reason}").format(line=line, reason=reason)
            if reason else _("line {line}: imported").format(line=line))
        for name in guess.preview_fields:
            value = fields.get(name)
            if value is not None:  # outside text: one line, literal, controls visible
                say(console, f"  {name.ljust(width)}  {shorten(value)}")


def _print_summary(summary: ImportSummary) -> None:
    title = (_("import {kind} — dry run, nothing written") if summary.dry_run
             else _("import {kind}")).format(kind=summary.kind)
    table = Table(title=title)
    for column in (N_("read"), N_("created"), N_("updated"), N_("unchanged"), N_("rejected")):
        table.add_column(_(column), justify="right")
    table.add_row(*(f"{getattr(summary, c):,}" for c in
                    ("read", "created", "updated", "unchanged", "rejected")))
    console.print(table)
    for line in summary.customer_lines():
        say(console, line)
    if summary.details:
        say(console, ", ".join(summary.detail_lines()))
    for path in summary.rejects:
        say(console, _("rejected rows and their reasons: {file}").format(file=path))
    for warning in summary.warnings:
        say(err_console, "casedesk: " + _("warning: {warning}").format(warning=warning))
    for error in summary.errors:
        say(err_console, error)
    hidden = summary.rejected - len(summary.errors)
    if hidden > 0:
        say(err_console, _("… and {count} more").format(count=f"{hidden:,}"))
    if summary.unmapped:
        for name, seen in sorted(summary.unmapped.items()):
            listed = sorted(seen.values(), key=lambda e: (-e[1], e[0]))
            shown = ", ".join(f"{quoted(value)} ({rows:,})" for value, rows in listed[:10])
            more = (" " + _("and {count} more").format(count=f"{len(listed) - 10:,}")
                    if len(listed) > 10 else "")
            say(console, _("{field}: values with no mapping (rows): {values}").format(
                field=name, values=shown + more))
        say(console, _("Map them in a profile (--profile FILE.toml) with these lines, each "
                       "\"?\" replaced by a casedesk value, or with --value "
                       "\"FIELD:VALUE=CASEDESK VALUE\":"))
        for line in unmapped_snippet(summary.kind, summary.unmapped).splitlines():
            say(console, line)
