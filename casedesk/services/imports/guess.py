"""``casedesk import guess KIND FILE``: a mapping profile proposed from a file's headers
and a sample of its values, and a preview of its first rows as casedesk would store them.

Columns: a header matches a field by the kind's English and Spanish synonyms (folded:
case, accents, spaces and punctuation do not matter), then with a leading "ticket",
"case", "customer" … taken off (``Ticket Priority`` → priority); ``--map`` and a
``--profile``'s columns win. Coded fields: every distinct value of the sample with its
count and a proposal — the user's value map, else the built-in vocabulary, else a word of
the vocabulary the value contains (``Pending Customer Response`` → awaiting_customer),
else ``"?"`` for the user to fill in (an import refuses a profile that still has one).
Nothing here touches the database.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casedesk import localformat
from casedesk.errors import ConfigError
from casedesk.i18n import _, ngettext
from casedesk.services.imports.kinds.base import Pending
from casedesk.services.imports.kinds.registry import KINDS
from casedesk.services.imports.mapping import (
    EXTRAS,
    IGNORE,
    build_mapping,
    mappable,
    parse_overrides,
    synonym_table,
    value_maps,
    with_value_maps,
)
from casedesk.services.imports.profiles import toml_string
from casedesk.services.imports.readers import open_source
from casedesk.services.imports.rows import parse_row
from casedesk.services.imports.stream import parsers_for
from casedesk.services.imports.summary import ImportOptions
from casedesk.services.imports.values import Coded, as_text, fold

SAMPLE_ROWS = 5000
PREVIEW_ROWS = 5
UNKNOWN = "?"
#: words a helpdesk puts before a field's name ("Ticket Subject", "Case Status", …)
PREFIXES = ("ticket", "case", "caso", "incidencia", "customer", "cliente", "requester",
            "contact", "contacto")
_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")
_ISO = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


@dataclass
class ColumnGuess:
    header: str
    target: str  # a field, "extras" or "-"
    how: str  # "your map", "synonym", "synonym without 'ticket'", "no field matched"


@dataclass
class ValueGuess:
    value: str  # as first seen
    rows: int
    proposal: str  # a casedesk value, or "?"
    how: str


@dataclass
class Guess:
    """A proposed profile, and the preview of the first rows under it."""

    kind: str
    source: str
    sampled: int
    columns: list[ColumnGuess]
    values: dict[str, list[ValueGuess]]
    choices: dict[str, tuple[str, ...]]  # coded field → its casedesk values
    date_order: str
    date_note: str
    timezone: str
    preview_fields: list[str] = field(default_factory=list)
    #: (line, field → value as stored, or the reason the row would be rejected)
    preview: list[tuple[int, dict[str, str], str | None]] = field(default_factory=list)

    def to_toml(self, command: str = "") -> str:
        """The proposal as a profile file (every text escaped as a TOML string)."""
        first = (_("casedesk import profile, proposed by `{command}`").format(command=command)
                 if command else _("casedesk import profile"))
        out = ["# " + first,
               "# " + _('Check every line. Replace each "?" with a casedesk value, or delete the'),
               "# " + _("line (those rows are then rejected and listed by the import)."),
               f"kind = {toml_string(self.kind)}",
               f"timezone = {toml_string(self.timezone)}",
               f"date_order = {toml_string(self.date_order)}  # {self.date_note}", "",
               "[columns]"]
        for c in self.columns:
            out.append(f"{toml_string(c.header)} = {toml_string(c.target)}  # {c.how}")
        for name, seen in self.values.items():
            choices = (", ".join(self.choices.get(name, ()))
                       or _("free text, up to 40 characters"))
            out += ["", f"[values.{name}]  # {choices}"]
            for g in seen:
                rows = ngettext("{n} row, {how}", "{n} rows, {how}", g.rows).format(
                    n=localformat.number(g.rows), how=g.how)
                out.append(f"{toml_string(g.value)} = {toml_string(g.proposal)}  # {rows}")
        return "\n".join(out) + "\n"


def guess_profile(kind: str, path: Path, options: ImportOptions = ImportOptions(),
                  *, sample: int = SAMPLE_ROWS, preview: int = PREVIEW_ROWS) -> Guess:
    """Read the header and up to ``sample`` records of ``path`` and propose a profile for
    ``kind`` (``options``' maps, profile columns and value maps taken as given)."""
    if kind not in KINDS:
        raise ConfigError(_("import guess: {kind} is not one of {kinds}").format(
            kind=repr(kind), kinds=", ".join(KINDS)))
    spec = KINDS[kind]()
    specs = spec.specs
    source = open_source(path, encoding=options.encoding, delimiter=options.delimiter,
                         sheet=options.sheet)
    try:
        headers, rows = _sample(source, sample)
    finally:
        source.close()
    given = parse_overrides(kind, specs, options.mappings, (), options.profile_maps)
    columns = _columns(specs, headers, given.targets, spec.has_extras, spec.refs)
    maps = [f"{c.header}={c.target}" for c in columns]
    overrides = parse_overrides(kind, specs, maps)
    user_maps = value_maps(kind, specs, options.values)
    base = parsers_for(spec, _zone(options.timezone), options.dayfirst)
    mapping = build_mapping(specs, headers, overrides, base, source=source.name, strict=False,
                            has_extras=spec.has_extras)
    coded = mappable(specs)
    date_fields = {s.name for s in specs if s.parse in ("datetime", "date")}
    values: dict[str, list[ValueGuess]] = {}
    proposed: dict[str, dict[str, str]] = {}
    dates: list[str] = []
    for index, name, parse, _limit in mapping.fields:
        cells = [as_text(r[index]).strip() for r in rows if index < len(r)
                 and r[index] is not None]
        if parse is not None and name in coded:
            values[name] = _values(cells, coded[name], user_maps.get(name, {}))
            proposed[name] = {fold(g.value): g.proposal for g in values[name]
                              if g.proposal != UNKNOWN}
        elif name in date_fields:
            dates += [c for c in cells[:500] if c]
    order, note = _date_order(dates, options)
    guess = Guess(kind, source.name, len(rows), columns, values,
                  {n: c.canonical for n, c in coded.items() if c is not None}, order, note,
                  options.timezone)
    parsers = with_value_maps(
        parsers_for(spec, _zone(options.timezone), order != "monthfirst",
                    iso_dates=order == "iso"), proposed)
    shown = build_mapping(specs, headers, overrides, parsers, source=source.name,
                          strict=False, has_extras=spec.has_extras)
    guess.preview_fields = [name for _, name, _, _ in shown.fields]
    for number, cells in enumerate(rows[:preview], 1):
        p = Pending(number, number, list(cells))
        parse_row(p, spec, shown, None)
        fields = {k: as_text(v) for k, v in p.fields.items()}
        guess.preview.append((number, fields, p.reason))
    return guess


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(_("unknown time zone {zone}: use a name like Europe/Madrid or UTC")
                          .format(zone=repr(name))) from None


def _sample(source: Any, limit: int) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The headers and up to ``limit`` records as lists (JSON Lines: the union of keys)."""
    records = []
    for _first, _last, cells, error in source:
        if error is None:
            records.append(cells)
        if len(records) >= limit:
            break
    if source.headers is not None:
        return tuple(source.headers), [list(r) for r in records]
    keys: dict[str, None] = {}
    for r in records:
        for k in r:
            keys.setdefault(str(k), None)
    headers = tuple(keys)
    return headers, [[r.get(h) for h in headers] for r in records]


def _columns(specs: Sequence[Any], headers: Sequence[str], given: dict[str, str],
             has_extras: bool, refs: Any = ()) -> list[ColumnGuess]:
    lookup = synonym_table(specs)
    taken = {t for t in given.values() if t not in (IGNORE, EXTRAS)}
    out = []
    for header in headers:
        key = fold(header)
        if key in given:
            out.append(ColumnGuess(header, given[key], _("your map")))
            continue
        target, how = lookup.get(key), _("synonym")
        if target is None:
            for prefix in PREFIXES:
                if key.startswith(prefix) and key[len(prefix):] in lookup:
                    target = lookup[key[len(prefix):]]
                    how = _("synonym without {prefix}").format(prefix=repr(prefix))
                    break
        if target is not None and target not in taken:
            taken.add(target)
            if target in refs:
                how = _("{how}; names an existing {field} (rows naming none are rejected)"
                        ).format(how=how, field=target)
            out.append(ColumnGuess(header, target, how))
        elif header == "_reason":
            out.append(ColumnGuess(header, IGNORE, _("a rejects file's reason")))
        else:
            why = (_("no field matched") if target is None else
                   _("{field} is taken by a column before").format(field=target))
            out.append(ColumnGuess(header, EXTRAS if has_extras else IGNORE, why))
    return out


def _values(cells: list[str], coded: Coded | None, user: dict[str, str]) -> list[ValueGuess]:
    """Distinct values (folded) with counts, most frequent first, and a proposal each."""
    seen: dict[str, list[Any]] = {}
    for c in cells:
        if not c:
            continue
        key = fold(c)
        entry = seen.get(key)
        if entry is None:
            seen[key] = [c, 1]
        else:
            entry[1] += 1
    out = []
    for key, (shown, rows) in sorted(seen.items(), key=lambda kv: (-kv[1][1], kv[0])):
        if key in user:
            out.append(ValueGuess(shown, rows, user[key], _("your map")))
        elif coded is None:
            out.append(ValueGuess(shown, rows, shown, _("kept as it is unless mapped")))
        elif coded.lookup(shown) is not None:
            out.append(ValueGuess(shown, rows, coded.lookup(shown) or "", _("built in")))
        else:
            word = _contained(coded, key)
            if word is not None:
                out.append(ValueGuess(shown, rows, coded.vocabulary[word],
                                      _("guessed from {word}").format(word=repr(word))))
            else:
                out.append(ValueGuess(shown, rows, UNKNOWN, _("no match: fill it in")))
        if len(out) >= 200:
            break
    return out


def _contained(coded: Coded, key: str) -> str | None:
    """The longest vocabulary word (4+ letters) inside ``key``, if it names one value."""
    hits = sorted((w for w in coded.vocabulary if len(w) >= 4 and w in key),
                  key=len, reverse=True)
    if not hits:
        return None
    best = [w for w in hits if len(w) == len(hits[0])]
    if len({coded.vocabulary[w] for w in best}) != 1:
        return None
    return hits[0]


def _date_order(dates: list[str], options: ImportOptions) -> tuple[str, str]:
    if not dates:
        return ("dayfirst" if options.dayfirst else "monthfirst"), _("no dates in the sample")
    iso = sum(1 for d in dates if _ISO.match(d))
    if iso == len(dates):
        return "iso", ngettext("the {n} sampled date is ISO (2026-03-01)",
                               "all {n} sampled dates are ISO (2026-03-01)", len(dates)).format(
            n=localformat.number(len(dates)))
    day = month = 0
    for d in dates:
        m = _DMY.match(d)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            day += a > 12 >= b
            month += b > 12 >= a
    if month and not day:
        return "monthfirst", ngettext(
            "{n} sampled date has a month-first day over 12",
            "{n} sampled dates have a month-first day over 12", month,
        ).format(n=localformat.number(month))
    if day and not month:
        return "dayfirst", ngettext(
            "{n} sampled date has a day over 12 first",
            "{n} sampled dates have a day over 12 first", day,
        ).format(n=localformat.number(day))
    order = "dayfirst" if options.dayfirst else "monthfirst"
    return order, _("the sample does not tell; check it")
