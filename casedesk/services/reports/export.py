"""A report table written out: each cell as a person reads it (:func:`shown`), and CSV
for spreadsheets — terminal controls made visible and text a spreadsheet would run as a
formula (``= + - @`` …) given a leading ``'``; numbers are written as numbers."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from casedesk.durations import countdown
from casedesk.errors import ValidationError
from casedesk.services.reports.views import Cell, ReportTable
from casedesk.textsafe import spreadsheet_safe, visible


def shown(value: Cell, kind: str) -> str:
    """A cell for people: ``—`` for unknown, ``1,234``, ``3h 20m``, ``92.5%``, ``4.25``."""
    if value is None:
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return visible(value, single_line=True)
    if kind == "seconds":
        return countdown(timedelta(seconds=round(value)))
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "average":
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return spreadsheet_safe(visible(value, single_line=True))
    return str(value)


def write_csv(table: ReportTable, out: IO[str]) -> None:
    """The table as CSV: a header of the column keys, then one line per row."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])


def csv_text(table: ReportTable) -> str:
    out = io.StringIO()
    write_csv(table, out)
    return out.getvalue()


def default_csv_path(table: ReportTable) -> Path:
    """Where the report screen proposes to save a report: the user's documents folder,
    ``casedesk-volume-2026-03-01-to-2026-03-31.csv``."""
    import platformdirs

    period = (f"-{table.start.isoformat()}-to-{table.end.isoformat()}"
              if table.start and table.end else "")
    return Path(platformdirs.user_documents_dir()) / f"casedesk-{table.name}{period}.csv"


def save_csv(table: ReportTable, path: Path) -> Path:
    """Write the table to ``path`` (a temporary file beside it, moved into place when
    complete); a folder that does not exist or cannot be written is one line."""
    path = path.expanduser()
    folder = path.parent
    if not folder.is_dir():
        raise ValidationError(f"no folder {str(folder)!r} to save the report in")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".report-", suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            write_csv(table, out)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise ValidationError(f"cannot save the report as {str(path)!r}: {exc.strerror}") from None
    return path
