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
from casedesk.services.imports.values import fold

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

    @property
    def provided(self) -> frozenset[str]:
        return frozenset(name for _, name, _, _ in self.fields)


@dataclass
class Overrides:
    """Parsed ``--map`` options: folded column → field name, ``-`` or ``extras``."""

    targets: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # folded → as the user wrote it


def parse_overrides(kind: str, specs: Sequence[FieldSpec], options: Sequence[str]) -> Overrides:
    """Check every ``--map "COLUMN=FIELD"`` against the kind's fields; ConfigError if bad."""
    lookup = synonym_table(specs)
    out = Overrides()
    for option in options:
        column, sep, target = option.rpartition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise ConfigError(f'bad --map {option!r}: write it as "COLUMN=FIELD"')
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
                f"bad --map {option!r}: {kind} have no field {target!r} (fields: {names}, "
                "extras, or - to ignore)"
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
            if column not in folded:
                raise ConfigError(
                    f"bad --map {overrides.columns[column]!r}={target}: {source} has no column "
                    f"{overrides.columns[column]!r} (columns: {', '.join(headers)})"
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
    missing = tuple(s.name for s in specs if s.required and s.name not in chosen)
    if strict and missing:
        names = " and ".join(missing)
        raise ConfigError(
            f"{source}: no column for {names} (columns: {', '.join(headers) or 'none'}); "
            f'name one with --map "COLUMN={missing[0]}"'
        )
    return Mapping(
        tuple(headers),
        tuple(sorted(fields)),
        tuple(extras),
        extras_json,
        tuple(ignored),
        missing,
        tuple(s.name for s in specs if s.required),
    )


def extras_object(value: Any) -> dict[str, Any]:
    """The content of an ``extras`` column: a JSON object (text or already parsed)."""
    if isinstance(value, dict):
        return value
    loaded = json.loads(value)
    if not isinstance(loaded, dict):
        raise ValueError("is not a JSON object")
    return loaded
