"""A source's records → parsed rows in batches, grouped by mapping (no database here).

Shared by the one-process import and by the planning process of a parallel one, so both
read, map and validate a file identically.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from casedesk.services.imports.kinds.base import Kind, Pending
from casedesk.services.imports.mapping import (
    Mapping,
    Overrides,
    Parser,
    Unmapped,
    UnmappedAudit,
    build_mapping,
    parse_defaults,
    parse_overrides,
    value_maps,
    with_value_maps,
)
from casedesk.services.imports.readers import Source
from casedesk.services.imports.rows import RowParser, row_parser
from casedesk.services.imports.summary import ImportOptions
from casedesk.services.imports.values import datetime_parser

#: mapping id → (mapping, the batch's rows that parsed under it)
Groups = dict[int, tuple[Mapping, list[Pending]]]


def parsers_for(spec: Kind, zone: zoneinfo.ZoneInfo, dayfirst: bool, *,
                iso_dates: bool = False,
                values: dict[str, dict[str, str]] | None = None) -> dict[str, Parser]:
    """Each field's value parser (dates read in ``zone``; coded fields with ``values``,
    the value maps of :func:`~casedesk.services.imports.mapping.value_maps`)."""
    when = datetime_parser(zone, dayfirst=dayfirst, iso_only=iso_dates)
    out: dict[str, Parser] = {}
    for s in spec.specs:
        if s.parse == "datetime":
            out[s.name] = when
        elif s.parse == "date":  # a day: the date part of a time read as above
            out[s.name] = _day_of(when, zone)
        elif callable(s.parse):
            out[s.name] = s.parse
    return with_value_maps(out, values) if values else out


def _day_of(when: Callable[[Any], datetime], zone: zoneinfo.ZoneInfo) -> Parser:
    """A day: a date cell as it is, else the local date of the time ``when`` reads."""
    def day(value: Any) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        return when(value).astimezone(zone).date()
    return day


def options_parsers(spec: Kind, options: ImportOptions, zone: zoneinfo.ZoneInfo
                    ) -> tuple[Overrides, dict[str, Parser]]:
    """The column overrides and value parsers an import's options ask for (ConfigError,
    naming the flag or profile key, for a bad one)."""
    maps = value_maps(spec.name, spec.specs, options.values)
    parsers = parsers_for(spec, zone, options.dayfirst, iso_dates=options.iso_dates,
                          values=maps)
    overrides = parse_overrides(spec.name, spec.specs, options.mappings, options.defaults,
                                options.profile_maps)
    parse_defaults(overrides, parsers, {s.name: s for s in spec.specs})
    return overrides, parsers


def header_mapping(source: Source, spec: Kind, overrides: Overrides,
                   parsers: dict[str, Parser]) -> Mapping | None:
    """The mapping of a file's header (None for JSON Lines, mapped record by record)."""
    if source.headers is None:
        return None
    return build_mapping(spec.specs, source.headers, overrides, parsers, source=source.name,
                         strict=True, has_extras=spec.has_extras)


def read_batches(
    source: Source,
    fixed: Mapping | None,
    spec: Kind,
    overrides: Overrides,
    parsers: dict[str, Parser],
    size: int,
    skip: int = 0,
    unmapped: Unmapped | None = None,
) -> Iterator[tuple[list[Pending], Groups]]:
    """Batches of ``size`` records, each parsed (or given its reason), after the first
    ``skip`` records (the ones an earlier, interrupted pass already wrote). The coded
    values of rejected rows that no map knows are tallied into ``unmapped``."""
    mappings: dict[tuple[str, ...], tuple[Mapping, RowParser, UnmappedAudit]] = {}
    audit_fixed = UnmappedAudit(fixed) if fixed is not None else None
    width = len(source.headers) if source.headers is not None and source.exact_width else None
    nul = getattr(source, "may_hold_nul", True)
    parse_fixed = row_parser(spec, fixed, width, nul_possible=nul) if fixed is not None else None
    batch: list[Pending] = []
    groups: Groups = {}
    fixed_group: list[Pending] = []
    seen = 0
    for line, end, cells, error in source:
        if seen < skip:
            seen += 1
            continue
        p = Pending(line, end, cells)
        batch.append(p)
        if error is not None:
            p.reason = error
        elif parse_fixed is not None and fixed is not None:
            parse_fixed(p)
            if p.reason is None:
                if not fixed_group:
                    groups[id(fixed)] = (fixed, fixed_group)
                fixed_group.append(p)
            elif unmapped is not None and audit_fixed is not None and audit_fixed.coded:
                audit_fixed(cells, unmapped)
        else:
            keys = tuple(cells)
            known = mappings.get(keys)
            if known is None:
                mapping = build_mapping(spec.specs, keys, overrides, parsers,
                                        source=source.name, strict=False,
                                        has_extras=spec.has_extras)
                known = mappings[keys] = (mapping, row_parser(spec, mapping, None),
                                          UnmappedAudit(mapping))
            mapping, parse, audit = known
            p.cells = list(cells.values())
            parse(p)
            if p.reason is None:
                if id(mapping) not in groups:
                    groups[id(mapping)] = (mapping, [])
                groups[id(mapping)][1].append(p)
            elif unmapped is not None and audit.coded:
                audit(p.cells, unmapped)
        if len(batch) >= size:
            yield batch, groups
            batch, groups, fixed_group = [], {}, []
    if batch:
        yield batch, groups
