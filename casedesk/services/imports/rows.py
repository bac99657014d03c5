"""One record's cells → typed fields, extras and key (the per-row hot path).

:func:`row_parser` returns the function that parses a record of a given mapping. For CSV
(every cell is text and a row must be as wide as the header) it is compiled from
generated source, one straight line of code per mapped column, which runs about twice as
fast as the generic loop; JSON Lines and XLSX (typed cells, ragged rows) use the loop.
Either sets ``p.reason`` at the first problem and leaves the row otherwise untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from casedesk.i18n import _
from casedesk.localformat import number
from casedesk.services.imports.kinds.base import Kind, Pending
from casedesk.services.imports.mapping import Mapping, extras_object
from casedesk.services.imports.values import as_text, quoted

RowParser = Callable[[Pending], None]


def row_parser(spec: Kind, mapping: Mapping, width: int | None, *,
               nul_possible: bool = True) -> RowParser:
    """The parser for records of ``mapping``; ``width`` set means CSV (whose rows need no
    NUL check when the file has no NUL byte at all)."""
    if width is None:
        return partial(parse_row, spec=spec, mapping=mapping, width=None)
    return _compiled(spec, mapping, width, nul_possible)


def parse_row(p: Pending, spec: Kind, mapping: Mapping, width: int | None) -> None:
    """Cells → typed fields, extras and key; sets ``p.reason`` at the first problem.

    ``width`` is set for CSV, whose cells are all text: then a row must have exactly as
    many cells as the header.
    """
    cells = p.cells
    n = len(cells)
    if width is not None and n != width:
        p.reason = _("has {n} fields, the header has {width}").format(n=n, width=width)
        return
    texts = cells if width is not None else [c for c in cells if c.__class__ is str]
    if "\x00" in "".join(texts):
        p.reason = _("{field}: contains a NUL character").format(field=_nul_column(mapping, cells))
        return
    fields = p.fields
    name = ""
    try:
        for index, name, parse, limit in mapping.fields:
            if index >= n:
                continue
            value = cells[index]
            if value.__class__ is str:
                value = value.strip()
                if not value:
                    continue
            elif value is None:
                continue
            if parse is not None:
                value = parse(value)
            elif value.__class__ is not str:
                value = as_text(value)
            if limit is not None and value.__class__ is str and len(value) > limit:
                p.reason = _too_long(name, limit)
                return
            fields[name] = value
    except ValueError as exc:
        p.reason = field_reason(name, exc)
        return
    except (TypeError, OverflowError, RecursionError):
        # a typed JSON/XLSX cell of a shape no parser expects (a list for a date, ...)
        p.reason = _("{field}: {value} is not a valid value").format(
            field=name, value=quoted(cells[index]))
        return
    for name, value in mapping.defaults:
        if name not in fields:
            fields[name] = value
    for name in mapping.required:
        if name not in fields:
            p.reason = _missing(name)
            return
    if (mapping.extras or mapping.extras_json is not None) and not _extras(p, mapping, n):
        return
    p.key = spec.key_of(p)


def field_reason(name: str, problem: object) -> str:
    """A rejection reason naming the field: ``priority: "x" is not a priority (…)``."""
    return _("{field}: {problem}").format(field=name, problem=problem)


def _too_long(name: str, limit: int) -> str:
    return _("{field}: longer than {limit} characters").format(field=name, limit=number(limit))


def _missing(name: str) -> str:
    return _("{field}: missing").format(field=name)


def _not_json(raw: object) -> str:
    return _("extras: {value} is not a JSON object").format(value=repr(str(raw)[:40]))


def _nul_column(mapping: Mapping, cells: list[Any]) -> str:
    for index, header in enumerate(mapping.headers):
        if index < len(cells) and isinstance(cells[index], str) and "\x00" in cells[index]:
            named = [name for i, name, _, _ in mapping.fields if i == index]
            return named[0] if named else header
    return _("a cell")


def _extras(p: Pending, mapping: Mapping, n: int) -> bool:
    extras = p.extras
    cells = p.cells
    if mapping.extras_json is not None and mapping.extras_json < n:
        raw = cells[mapping.extras_json]
        if raw not in (None, ""):
            try:
                extras.update(extras_object(raw))
            except ValueError:
                p.reason = _not_json(raw)
                return False
    for index, header in mapping.extras:
        if index >= n:
            continue
        value = cells[index]
        if value.__class__ is str:
            value = value.strip()
        if value is None or value == "":
            continue
        extras[header] = value if isinstance(value, str | int | float | bool | list | dict) \
            else as_text(value)
    return True


def _compiled(spec: Kind, mapping: Mapping, width: int, nul_possible: bool) -> RowParser:
    env: dict[str, Any] = {"nul_column": partial(_nul_column, mapping),
                           "key_of": spec.key_of, "extras_json": partial(_extras_json, mapping),
                           "field_reason": field_reason}
    wide = _("has {n} fields, the header has {width}").format(n="%d", width=width)
    nul = _("{field}: contains a NUL character").format(field="%s")
    lines = [
        "def parse(p):",
        "    cells = p.cells",
        f"    if len(cells) != {width}:",
        f"        p.reason = {wide!r} % len(cells)",
        "        return",
    ]
    if nul_possible:
        lines += [
            "    if '\\x00' in ''.join(cells):",
            f"        p.reason = {nul!r} % nul_column(cells)",
            "        return",
        ]
    lines += [
        "    f = p.fields",
        "    name = ''",
        "    try:",
    ]
    for k, (index, name, parse, limit) in enumerate(mapping.fields):
        too_long = _too_long(name, limit) if limit is not None else ""
        lines += [f"        v = cells[{index}].strip()", "        if v:"]
        if parse is not None:
            env[f"P{k}"] = parse
            lines += [f"            name = {name!r}", f"            v = P{k}(v)"]
            if limit is not None:
                lines += [f"            if v.__class__ is str and len(v) > {limit}:",
                          f"                p.reason = {too_long!r}", "                return"]
        elif limit is not None:
            lines += [f"            if len(v) > {limit}:",
                      f"                p.reason = {too_long!r}", "                return"]
        lines.append(f"            f[{name!r}] = v")
    lines += ["    except ValueError as exc:",
              "        p.reason = field_reason(name, exc)",
              "        return"]
    for k, (name, value) in enumerate(mapping.defaults):
        env[f"D{k}"] = value
        lines += [f"    if {name!r} not in f:", f"        f[{name!r}] = D{k}"]
    for name in mapping.required:
        lines += [f"    if {name!r} not in f:", f"        p.reason = {_missing(name)!r}",
                  "        return"]
    if mapping.extras:
        lines.append("    e = p.extras")
        for index, header in mapping.extras:
            lines += [f"    v = cells[{index}].strip()", "    if v:", f"        e[{header!r}] = v"]
    if mapping.extras_json is not None:
        lines += ["    if not extras_json(p):", "        return"]
    if spec.key in {name for _, name, _, _ in mapping.fields}:
        lines += [f"    k = f.get({spec.key!r})", "    p.key = k if k is not None else key_of(p)"]
    else:
        lines.append("    p.key = key_of(p)")
    exec(compile("\n".join(lines), f"<row parser for {spec.name}>", "exec"), env)  # noqa: S102
    return cast(RowParser, env["parse"])


def _extras_json(mapping: Mapping, p: Pending) -> bool:
    raw = p.cells[mapping.extras_json] if mapping.extras_json is not None else None
    if raw in (None, ""):
        return True
    try:
        p.extras.update(extras_object(raw))
    except ValueError:
        p.reason = _not_json(raw)
        return False
    return True
