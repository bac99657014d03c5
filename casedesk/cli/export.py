"""``casedesk export KIND``: every record of a kind out, as CSV or JSON Lines."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from casedesk.cli import params
from casedesk.cli.format import say
from casedesk.cli.state import CliState, err_console, print_json
from casedesk.i18n import _
from casedesk.services.imports.export import FORMATS, check_export, export_records, export_to_file
from casedesk.services.imports.run import KIND_NAMES

HELP = _("Export every record of a kind as CSV or JSON Lines (importable back).")


def export_command(
    ctx: typer.Context,
    kind: str = typer.Argument(
        ..., metavar="KIND", help=_("What to export: {kinds}.").format(kinds=", ".join(KIND_NAMES)),
        parser=params.choice("KIND", KIND_NAMES),
    ),
    fmt: str = typer.Option(
        "csv", "--format", "-f", help=_("csv (for people and spreadsheets) or jsonl (for "
        "programs: always written exactly as stored)."), parser=params.choice("--format", FORMATS),
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help=_("File (default: stdout), written to a temporary file "
        "beside it and moved into place only when complete.")
    ),
    raw_formulas: bool = typer.Option(
        False, "--raw-formulas", "--raw", help=_("CSV for programs: every cell exactly as "
        "stored. By default text starting with = + - @ gets a leading ' (so a spreadsheet "
        "does not run it) and terminal controls are shown visibly. JSON Lines is always "
        "the stored data.")
    ),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    actor = state.actor()
    check_export(actor, kind, fmt)  # refused before anything is opened or written
    if output is None:
        export_records(desk, actor, kind, sys.stdout, fmt, raw_formulas=raw_formulas)
        return
    count = export_to_file(desk, actor, kind, output, fmt, raw_formulas=raw_formulas)
    if state.json:
        print_json({"kind": kind, "count": count, "file": str(output)})
    else:
        say(err_console, _("exported {count} {kind} to {file}").format(
            count=f"{count:,}", kind=kind, file=output))
