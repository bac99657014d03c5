"""Headers → fields: synonyms in English and Spanish, ``--map`` overrides, extras.

A header matches a field when their :func:`~casedesk.services.imports.values.fold` keys
are equal (case, accents, spaces and punctuation do not matter), so ``Correo
Electrónico``, ``e-mail`` and ``EMAIL`` all land in ``email``. ``--map "Ticket
Subject=title"`` wins over the synonyms; ``--map "Col=-"`` ignores a column and
``--map "Col=extras"`` keeps it in extras. Columns that match nothing are kept in the
record's ``extras`` JSON under their original header (on tables that have extras). A
column named ``extras`` holding a JSON object is merged into extras, and ``_reason`` (the
column a rejects file adds) is ignored, so exports and rejects files import back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from casedesk.errors import ConfigError
from casedesk.i18n import _, ngettext
from casedesk.localformat import number
from casedesk.services.imports.values import Coded, Relabel, fold, quoted
from casedesk.textsafe import visible

IGNORE = "-"
EXTRAS = "extras"
REASON_COLUMN = "_reason"

Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class FieldSpec:
    """One importable field: its synonyms, its parser and its length limit."""

    name: str
    synonyms: tuple[str, ...] = ()
    parse: Parser | str | None = None  # a callable, "datetime", or None for text
    max_length: int | None = None
    required: bool = False


@dataclass(frozen=True)
class Mapping:
    """How one header row maps onto a kind's fields."""

    headers: tuple[str, ...]
    #: (cell index, field name, parser, max length)
    fields: tuple[tuple[int, str, Parser | None, int | None], ...]
    extras: tuple[tuple[int, str], ...]
    extras_json: int | None
    ignored: tuple[str, ...]
    missing: tuple[str, ...]
    required: tuple[str, ...]
    #: (field, parsed value) for rows that leave the field empty (a profile's [defaults])
    defaults: tuple[tuple[str, Any], ...] = ()

    @property
    def provided(self) -> frozenset[str]:
        return frozenset([*(name for _, name, _, _ in self.fields),
                          *(name for name, _ in self.defaults)])


@dataclass
class Overrides:
    """Parsed ``--map`` options: folded column → field name, ``-`` or ``extras``."""

    targets: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # folded → as the user wrote it
    #: field → (value as written, where it was given): see :func:`parse_defaults`
    defaults: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: folded columns that may be missing from a file (a profile's)
    optional: set[str] = field(default_factory=set)


def parse_overrides(kind: str, specs: Sequence[FieldSpec], options: Sequence[str],
                    defaults: Sequence[tuple[str, str, str]] = (),
                    optional: Sequence[str] = ()) -> Overrides:
    """Check every ``--map "COLUMN=FIELD"`` (and every default's field) against the kind's
    fields; ConfigError if bad. ``optional`` maps (a profile's columns) come first, so the
    flags win over them (by column and by field), and may name columns a file lacks."""
    lookup = synonym_table(specs)
    out = Overrides()
    if optional:
        out = parse_overrides(kind, specs, optional)
        out.optional = set(out.targets)
        flags = parse_overrides(kind, specs, options)
        named = {t for t in flags.targets.values() if t not in (IGNORE, EXTRAS)}
        for column in [c for c, t in out.targets.items() if t in named]:
            del out.targets[column]
        out.targets.update(flags.targets)
        out.columns.update(flags.columns)
        out.optional -= set(flags.targets)
        options = ()
    for name, value, origin in defaults:
        resolved = lookup.get(fold(name))
        if resolved is None:
            names = ", ".join(s.name for s in specs)
            raise ConfigError(_("{origin}: {kind} have no field {name} (fields: {names})").format(
                origin=origin, kind=kind, name=repr(name), names=names))
        out.defaults[resolved] = (value, origin)
    for option in options:
        column, sep, target = option.rpartition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise ConfigError(_('bad --map {option}: write it as "COLUMN=FIELD"').format(
                option=repr(option)))
        folded_target = fold(target)
        if target == IGNORE:
            resolved = IGNORE
        elif folded_target == EXTRAS:
            resolved = EXTRAS
        elif folded_target in lookup:
            resolved = lookup[folded_target]
        else:
            names = ", ".join(s.name for s in specs)
            raise ConfigError(
                _("bad --map {option}: {kind} have no field {target} (fields: {names}, "
                  "extras, or - to ignore)").format(
                    option=repr(option), kind=kind, target=repr(target), names=names)
            )
        out.targets[fold(column)] = resolved
        out.columns[fold(column)] = column
    return out


def synonym_table(specs: Sequence[FieldSpec]) -> dict[str, str]:
    """Folded synonym → field name (a field's own name always matches)."""
    table: dict[str, str] = {}
    for spec in specs:
        for word in (spec.name, *spec.synonyms):
            table.setdefault(fold(word), spec.name)
    return table


def _listed(headers: Sequence[str]) -> str:
    """A file's column headings for a one-line error: a heading's newline or control
    character shown visibly (``␊``), never breaking the line."""
    return ", ".join(visible(h, single_line=True) for h in headers)


def build_mapping(
    specs: Sequence[FieldSpec],
    headers: Sequence[str],
    overrides: Overrides,
    parsers: dict[str, Parser],
    *,
    source: str,
    strict: bool,
    has_extras: bool,
) -> Mapping:
    """Map ``headers``; with ``strict`` (tabular files) a bad map or missing field is fatal."""
    lookup = synonym_table(specs)
    by_name = {s.name: s for s in specs}
    folded = [fold(h) for h in headers]
    target: str | None
    if strict:
        for column, target in overrides.targets.items():
            if column not in folded and column not in overrides.optional:
                raise ConfigError(
                    _("bad --map {column}={target}: {source} has no column {column} "
                      "(columns: {columns})").format(
                        column=repr(overrides.columns[column]), target=target, source=source,
                        columns=_listed(headers))
                )
    chosen: dict[str, int] = {}
    targets: dict[int, str] = {}
    for index, key in enumerate(folded):
        target = overrides.targets.get(key)
        if target is not None:
            targets[index] = target
            if target in by_name:
                chosen[target] = index
    for index, key in enumerate(folded):
        if index in targets or headers[index] == REASON_COLUMN:
            continue
        name = lookup.get(key)
        if name is not None and name not in chosen:
            chosen[name] = index
            targets[index] = name
    fields = []
    for name, index in chosen.items():
        spec = by_name[name]
        fields.append((index, name, parsers.get(name), spec.max_length))
    extras: list[tuple[int, str]] = []
    ignored: list[str] = []
    extras_json = None
    mapped = set(chosen.values())
    for index, header in enumerate(headers):
        target = targets.get(index)
        if header == REASON_COLUMN or target == IGNORE or index in mapped:
            continue
        if folded[index] == EXTRAS and target is None and has_extras:
            extras_json = index
        elif has_extras:
            extras.append((index, header))
        else:
            ignored.append(header)
    defaults = parse_defaults(overrides, parsers, by_name)
    missing = tuple(s.name for s in specs if s.required and s.name not in chosen
                    and s.name not in overrides.defaults)
    if strict and missing:
        raise ConfigError(
            ngettext('{source}: no column for {names} (columns: {columns}); name one with '
                     '--map "COLUMN={field}"',
                     '{source}: no column for {names} (columns: {columns}); name one with '
                     '--map "COLUMN={field}"', len(missing)).format(
                source=source, names=_(" and ").join(missing),
                columns=_listed(headers) or _("none"), field=missing[0])
        )
    return Mapping(
        tuple(headers),
        tuple(sorted(fields)),
        tuple(extras),
        extras_json,
        tuple(ignored),
        missing,
        tuple(s.name for s in specs if s.required),
        defaults,
    )


def parse_defaults(overrides: Overrides, parsers: dict[str, Parser],
                   by_name: dict[str, FieldSpec]) -> tuple[tuple[str, Any], ...]:
    """Each default value parsed as a cell of its field would be; ConfigError if bad."""
    out = []
    for name, (text, origin) in overrides.defaults.items():
        value: Any = text.strip()
        if not value:
            continue
        parse = parsers.get(name)
        try:
            if parse is not None:
                value = parse(value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(_("{origin}: {field}: {problem}").format(
                origin=origin, field=name, problem=exc)) from None
        limit = by_name[name].max_length
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise ConfigError(_("{origin}: {field}: longer than {limit} characters").format(
                origin=origin, field=name, limit=number(limit)))
        out.append((name, value))
    return tuple(out)


# --- value maps -----------------------------------------------------------------------

#: free-text fields that take a value map too (their unmapped values are kept as they are)
RELABELLED = ("resolution_type",)


def mappable(specs: Sequence[FieldSpec]) -> dict[str, Coded | None]:
    """The fields a value map can name: coded ones (their parser), and free-text ones
    that may be relabelled (None)."""
    out: dict[str, Coded | None] = {}
    for spec in specs:
        if isinstance(spec.parse, Coded):
            out[spec.name] = spec.parse
        elif spec.name in RELABELLED:
            out[spec.name] = None
    return out


def value_maps(kind: str, specs: Sequence[FieldSpec],
               entries: Sequence[tuple[str, str, str, str]]) -> dict[str, dict[str, str]]:
    """``(field, source, target, origin)`` entries → field → folded source → value.

    The field may be any of its synonyms; a coded field's target must be one of its
    values (in any language: ``alta`` is ``high``). Later entries win. ConfigError (one
    line naming ``origin``) for anything else."""
    fields = mappable(specs)
    lookup = synonym_table(specs)
    out: dict[str, dict[str, str]] = {}
    for name, source, target, origin in entries:
        resolved = lookup.get(fold(name))
        if resolved is None or resolved not in fields:
            choices = ", ".join(fields) or _("none")
            raise ConfigError(_("{origin}: {kind} have no coded field {name} "
                                "(value maps are for: {choices})").format(
                origin=origin, kind=kind, name=repr(name), choices=choices))
        key = fold(source)
        if not key:
            raise ConfigError(_("{origin}: the value to map is empty").format(origin=origin))
        coded = fields[resolved]
        if coded is None:
            value = target.strip()
            if not value or len(value) > 40:
                raise ConfigError(_("{origin}: {field} must be 1 to 40 characters").format(
                    origin=origin, field=resolved))
        else:
            found = coded.target(target.strip())
            if found is None:
                raise ConfigError(_("{origin}: {value} is not a {what} ({choices})").format(
                    origin=origin, value=quoted(target), what=_(coded.what),
                    choices=", ".join(coded.canonical)))
            value = found
        out.setdefault(resolved, {})[key] = value
    return out


def with_value_maps(parsers: dict[str, Parser], maps: dict[str, dict[str, str]]
                    ) -> dict[str, Parser]:
    """``parsers`` with each mapped field's parser given its value map."""
    out = dict(parsers)
    for name, table in maps.items():
        parse = out.get(name)
        out[name] = parse.with_map(table) if isinstance(parse, Coded) else Relabel(table)
    return out


def parse_value_option(option: str) -> tuple[str, str, str, str]:
    """``--value "FIELD:SOURCE=VALUE"`` → (field, source, value, origin); ConfigError."""
    name, colon, rest = option.partition(":")
    source, equals, target = rest.rpartition("=")
    if not colon or not equals or not name.strip() or not source.strip() or not target.strip():
        raise ConfigError(_('bad --value {option}: write it as "FIELD:VALUE IN THE FILE='
                            'CASEDESK VALUE", e.g. "priority:Critical=high"').format(
            option=repr(option)))
    return (name.strip(), source.strip(), target.strip(),
            _("bad --value {option}").format(option=repr(option)))


Unmapped = dict[str, dict[str, list[Any]]]


class UnmappedAudit:
    """Tallies, for a rejected row, every coded cell that no map knows (all of them, not
    only the first that rejected the row): field → folded value → [as seen, rows]."""

    def __init__(self, mapping: Mapping) -> None:
        self.coded = tuple((index, name, parse) for index, name, parse, _ in mapping.fields
                           if isinstance(parse, Coded))

    def __call__(self, cells: Sequence[Any], tally: Unmapped) -> None:
        n = len(cells)
        for index, name, parse in self.coded:
            if index >= n:
                continue
            value = cells[index]
            if value.__class__ is str:
                value = value.strip()
            if value is None or value == "" or not isinstance(value, str | int | float):
                continue
            if parse.lookup(value) is None:
                seen = tally.setdefault(name, {})
                key = fold(str(value))
                entry = seen.get(key)
                if entry is None:
                    seen[key] = [str(value), 1]
                else:
                    entry[1] += 1


def extras_object(value: Any) -> dict[str, Any]:
    """The content of an ``extras`` column: a JSON object (text or already parsed)."""
    if isinstance(value, dict):
        return value
    loaded = json.loads(value)
    if not isinstance(loaded, dict):
        raise ValueError(_("is not a JSON object"))
    return loaded
