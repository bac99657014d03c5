"""A source's records → parsed rows in batches, grouped by mapping (no database here).

Shared by the one-process import and by the planning process of a parallel one, so both
read, map and validate a file identically.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator

from casedesk.services.imports.kinds.base import Kind, Pending
from casedesk.services.imports.mapping import Mapping, Overrides, Parser, build_mapping
from casedesk.services.imports.readers import Source
from casedesk.services.imports.rows import RowParser, row_parser
from casedesk.services.imports.values import datetime_parser

#: mapping id → (mapping, the batch's rows that parsed under it)
Groups = dict[int, tuple[Mapping, list[Pending]]]


def parsers_for(spec: Kind, zone: zoneinfo.ZoneInfo, dayfirst: bool) -> dict[str, Parser]:
    """Each field's value parser (dates read in ``zone``)."""
    when = datetime_parser(zone, dayfirst=dayfirst)
    out: dict[str, Parser] = {}
    for s in spec.specs:
        if s.parse == "datetime":
            out[s.name] = when
        elif callable(s.parse):
            out[s.name] = s.parse
    return out


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
) -> Iterator[tuple[list[Pending], Groups]]:
    """Batches of ``size`` records, each parsed (or given its reason), after the first
    ``skip`` records (the ones an earlier, interrupted pass already wrote)."""
    mappings: dict[tuple[str, ...], tuple[Mapping, RowParser]] = {}
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
        else:
            keys = tuple(cells)
            known = mappings.get(keys)
            if known is None:
                mapping = build_mapping(spec.specs, keys, overrides, parsers,
                                        source=source.name, strict=False,
                                        has_extras=spec.has_extras)
                known = mappings[keys] = (mapping, row_parser(spec, mapping, None))
            mapping, parse = known
            p.cells = list(cells.values())
            parse(p)
            if p.reason is None:
                if id(mapping) not in groups:
                    groups[id(mapping)] = (mapping, [])
                groups[id(mapping)][1].append(p)
        if len(batch) >= size:
            yield batch, groups
            batch, groups, fixed_group = [], {}, []
    if batch:
        yield batch, groups
