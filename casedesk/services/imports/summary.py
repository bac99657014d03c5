"""What an import is asked to do, and what it did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from casedesk.i18n import _
from casedesk.localformat import number
from casedesk.services.imports.kinds.base import Pending
from casedesk.textsafe import visible

MAX_ERRORS = 20


def printable(text: str) -> str:
    """An error or warning line any terminal, log or JSON can take: controls, bidi
    overrides and lone surrogates from the file's values shown visibly (``␛``)."""
    return visible(text, single_line=True)

#: progress(file name, rows read so far, position, total) — position/total in file units
Progress = Callable[[str, int, int, int], None]


@dataclass(frozen=True)
class ImportOptions:
    """How to read and what to do with bad rows (see ``casedesk import --help``)."""

    dry_run: bool = False
    on_error: str = "skip"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    mappings: tuple[str, ...] = ()
    #: a profile's ``[columns]`` as "COLUMN=FIELD": like ``mappings`` (which win over them),
    #: but a column the file lacks is no error
    profile_maps: tuple[str, ...] = ()
    dayfirst: bool = True
    timezone: str = "Europe/Madrid"
    queue: str | None = None
    batch_size: int = 5000
    #: plan batches in a second process while this one writes: None = for large files
    parallel: bool | None = None
    #: value maps: (field, source value, casedesk value, where it was given), later wins
    values: tuple[tuple[str, str, str, str], ...] = ()
    #: (field, value, where it was given): the value of rows that leave the field empty
    defaults: tuple[tuple[str, str, str], ...] = ()
    #: only ISO dates (2026-03-01) are accepted (a profile's ``date_order = "iso"``)
    iso_dates: bool = False


@dataclass
class ImportSummary:
    """What an import did. ``to_json`` gives the documented keys only."""

    kind: str
    dry_run: bool = False
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    details: dict[str, int] = field(default_factory=dict)
    #: field → folded value → [the value as first seen, rows]: coded values no map knows
    unmapped: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    #: "contacts created", "contacts matched", "accounts …": the customers a cases or
    #: interactions import wrote for its rows
    customers: dict[str, int] = field(default_factory=dict)

    def count_customers(self, tally: dict[str, int]) -> None:
        for name, n in tally.items():
            self.customers[name] = self.customers.get(name, 0) + n

    def customer_lines(self) -> list[str]:
        """``contacts: 580 created, 7,889 matched`` (and accounts), for the summary."""
        lines = []
        for record in ("contacts", "accounts"):
            created = self.customers.get(f"{record} created", 0)
            matched = self.customers.get(f"{record} matched", 0)
            if created or matched:
                template = (_("contacts: {created} created, {matched} matched")
                            if record == "contacts" else
                            _("accounts: {created} created, {matched} matched"))
                lines.append(template.format(created=number(created), matched=number(matched)))
        return lines

    def detail_lines(self) -> list[str]:
        """``cases opened: 12`` … for the summary: each of :attr:`details` (whose keys are
        the English words, marked ``N_`` where they are counted) in the reader's language."""
        return [_("{what}: {n}").format(what=_(key), n=number(n))
                for key, n in sorted(self.details.items())]

    def add_unmapped(self, found: dict[str, dict[str, list[Any]]]) -> None:
        """Merge another tally of unmapped values (a batch planned in another process)."""
        for name, seen in found.items():
            mine = self.unmapped.setdefault(name, {})
            for key, (shown, count) in seen.items():
                entry = mine.setdefault(key, [shown, 0])
                entry[1] += count

    def reject(self, p: Pending, source: str) -> None:
        self.reject_line(p.line, p.reason or "", source)

    def reject_line(self, line: int, reason: str, source: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(printable(f"{source}:{line}: {reason}"))

    def to_json(self) -> dict[str, Any]:
        rejects: Any = self.rejects[0] if len(self.rejects) == 1 else (self.rejects or None)
        out = {"read": self.read, "created": self.created, "updated": self.updated,
               "unchanged": self.unchanged, "rejected": self.rejected, "rejects": rejects}
        if self.customers:  # {"contacts": {"created": n, "matched": m}, "accounts": …}
            out["customers"] = {
                record: {what: self.customers.get(f"{record} {what}", 0)
                         for what in ("created", "matched")}
                for record in ("contacts", "accounts")
                if any(k.startswith(record) for k in self.customers)}
        if self.unmapped:  # field → value as first seen → rows
            out["unmapped"] = {name: {shown: rows for shown, rows in seen.values()}
                               for name, seen in sorted(self.unmapped.items())}
        return out
