"""A report table written out: each cell as a person reads it (:func:`shown_rows`: codes
in the reader's words, numbers in the locale's format), and CSV for spreadsheets — column
keys and codes as they are, terminal controls made visible and text a spreadsheet would
run as a formula (``= + - @`` …) given a leading ``'``; numbers are written as numbers."""

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
from casedesk.i18n import _, pgettext
from casedesk.labels import NP_, VOCABULARIES, label
from casedesk.localformat import day, number, percent
from casedesk.services.reports.views import MARKERS, Cell, Column, ReportTable
from casedesk.textsafe import spreadsheet_safe, visible

#: The reports' own vocabularies of codes (those of :mod:`casedesk.labels` work too):
#: vocabulary → code → (gettext context, English word).
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "deadline": {
        "first_response": NP_("deadline", "first response"),
        "next_response": NP_("deadline", "next response"),
        "resolution": NP_("deadline", "resolution"),
    },
    "dimension": {
        "category": NP_("report dimension", "category"),
        "product": NP_("report dimension", "product"),
    },
    "allotment": {
        "cases": NP_("allotment", "cases"),
        "minutes": NP_("allotment", "minutes"),
    },
}


def shown(value: Cell, kind: str) -> str:
    """A cell for people, in the locale's format: ``—`` for unknown, ``1,234`` /
    ``1.234``, ``3h 20m``, ``92.5%`` / ``92,5 %``, ``4.25`` / ``4,25``; a day as the
    locale writes it (ISO in English)."""
    if value is None:
        return "—"
    if isinstance(value, date):
        return day(value)
    if isinstance(value, str):
        if value in MARKERS:
            return _(value)
        return visible(value, single_line=True)
    if kind == "seconds":
        return countdown(timedelta(seconds=round(value)))
    if kind == "percent":
        return percent(value / 100, 1)
    if kind == "average":
        return number(value, 2)
    if isinstance(value, float):
        return number(value, 1)
    return number(value)


def word(vocabulary: str, code: str) -> str:
    """The reader's word for a code of a report vocabulary (:data:`WORDS` or
    :mod:`casedesk.labels`); an unknown code is shown as it is."""
    entry = WORDS.get(vocabulary, {}).get(code)
    if entry is not None:
        return pgettext(*entry)
    if vocabulary in VOCABULARIES:
        return label(vocabulary, code)
    return code


def shown_cell(value: Cell, column: Column, row: dict[str, Cell] | None = None) -> str:
    """A cell of ``column`` for people (:func:`shown`, with a code column's codes in the
    reader's words). ``row`` (key → value) lets the causes report show a category's word
    while a product keeps its name."""
    vocabulary = column.labels
    if isinstance(value, str) and vocabulary is not None and value not in MARKERS:
        if vocabulary == "cause":
            if row is not None and row.get("dimension") == "category":
                return visible(label("area", value), single_line=True)
        else:
            return visible(word(vocabulary, value), single_line=True)
    return shown(value, column.kind)


def shown_rows(table: ReportTable) -> list[list[str]]:
    """Every row of ``table`` as people read it (what the CLI and the report screen show
    under :attr:`~casedesk.services.reports.views.Column.heading`)."""
    keys = [c.key for c in table.columns]
    out = []
    for row in table.rows:
        values = dict(zip(keys, row, strict=True))
        out.append([shown_cell(v, c, values) for v, c in zip(row, table.columns, strict=True)])
    return out


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
        raise ValidationError(_("no folder {folder} to save the report in").format(
            folder=repr(str(folder))))
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".report-", suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            write_csv(table, out)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise ValidationError(_("cannot save the report as {path}: {problem}").format(
            path=repr(str(path)), problem=exc.strerror)) from None
    return path
