"""One batch of parsed rows → the database: references, keys, compare, insert, update.

Runs inside the batch's transaction. Each row ends with ``status`` created / updated /
unchanged, or with a ``reason``. Lookups are one query per batch (``… IN (…)``), writes
are bulk (COPY / executemany), never one ORM object per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from casedesk.i18n import _
from casedesk.services.imports.kinds.base import Ctx, Kind, Pending, RowError, merged_extras
from casedesk.services.imports.refs import chunks
from casedesk.services.imports.values import quoted


@dataclass
class Plan:
    """What one batch (of one mapping) will write: new rows, and changed records with
    their current values."""

    new: list[Pending]
    changed: list[tuple[Pending, dict[str, Any]]]
    cols: tuple[str, ...]
    with_links: bool


def process_batch(
    session: Session,
    kind: Kind,
    live: list[Pending],
    provided: frozenset[str],
    ctx: Ctx,
    *,
    write: bool = True,
) -> None:
    """Resolve, classify and (with ``write``) store ``live`` rows; sets status or reason."""
    plan = plan_batch(session, kind, live, provided, ctx)
    if write:
        apply_plan(session, kind, plan, ctx)


def plan_batch(
    session: Session, kind: Kind, live: list[Pending], provided: frozenset[str], ctx: Ctx
) -> Plan:
    """Resolve references, shape rows and classify them against the database (reads only);
    sets each row's status or reason."""
    kind.prepare(session, live, provided, ctx)
    found = _lookups(session, kind, [p for p in live if p.reason is None], provided)
    base = kind.defaults(ctx)
    ok: list[Pending] = []
    to_row = kind.to_row
    for p in live:
        if p.reason is not None:
            continue
        if found:
            fields = p.fields
            for name, hits in found:
                value = fields.get(name)
                if value is not None:
                    hit = hits.get(value)
                    if hit is None:
                        p.reason = _("{field}: {problem}").format(
                            field=name, problem=kind.resolvers[name].missing(value))
                        break
                    p.refs[name] = hit
            if p.reason is not None:
                continue
        try:
            p.row = to_row(p, base, ctx)
        except RowError as exc:
            p.reason = str(exc)
            continue
        ok.append(p)
    cols = kind.compared(provided)
    _check_unique(session, kind, ok, cols)
    ok = [p for p in ok if p.reason is None]
    existing = kind.existing(session, [p.key for p in ok], cols) if ok else {}
    with_links = kind.links_field is not None and kind.links_field in provided
    current = kind.current_links(session, [o["id"] for o in existing.values()]) \
        if with_links else {}
    new, changed = _classify(kind, ok, existing, current, cols, with_links)
    return Plan(new, changed, cols, with_links)


def apply_plan(session: Session, kind: Kind, plan: Plan, ctx: Ctx) -> None:
    """Write a planned batch in the session's transaction."""
    new, changed = plan.new, plan.changed
    if new:
        kind.insert(session, new, ctx)
    if changed:
        kind.update(session, changed, plan.cols, ctx)
    if plan.with_links:
        links = {old["id"]: p.links for p, old in changed if p.links is not None}
        if new:
            table = kind.table
            keys = {p.key: p for p in new}
            for part in chunks(keys):
                for rid, key in session.execute(
                    select(table.c.id, table.c[kind.key]).where(table.c[kind.key].in_(part))
                ):
                    new_links = keys[key].links
                    if new_links is not None:
                        links[rid] = new_links
        if links:
            kind.write_links(session, links)


def _lookups(session: Session, kind: Kind, live: list[Pending],
             provided: frozenset[str]) -> list[tuple[str, dict[str, Any]]]:
    """(field, value → record) for each reference column the file has: one query each."""
    out = []
    for name, resolver in kind.resolvers.items():
        if name not in provided:
            continue
        wanted = {p.fields[name] for p in live if name in p.fields}
        out.append((name, resolver.resolve(session, wanted) if wanted else {}))
    return out


def _check_unique(session: Session, kind: Kind, ok: list[Pending], cols: tuple[str, ...]) -> None:
    """Reject rows whose secondary unique value (a Message-ID) belongs to another record."""
    table = kind.table
    for col in kind.unique:
        if col not in cols:
            continue
        owner: dict[Any, str] = {}
        for p in ok:
            value = p.row.get(col)
            if value is None:
                continue
            if owner.setdefault(value, p.key) != p.key:
                p.reason = _("{field}: {value} is already used by another row of this file").format(
                    field=col, value=quoted(value))
        for part in chunks(owner):
            for value, key in session.execute(
                select(table.c[col], table.c[kind.key]).where(table.c[col].in_(part))
            ):
                if key != owner[value]:
                    for p in ok:
                        if p.row.get(col) == value and p.reason is None:
                            p.reason = _(
                                "{field}: {value} already belongs to another record"
                            ).format(field=col, value=quoted(value))


def _differs(old: dict[str, Any], row: dict[str, Any], cols: tuple[str, ...]) -> bool:
    return any(old[c] != row[c] for c in cols)


def _classify(
    kind: Kind,
    ok: list[Pending],
    existing: dict[str, dict[str, Any]],
    current: dict[int, frozenset[int]],
    cols: tuple[str, ...],
    with_links: bool,
) -> tuple[list[Pending], list[tuple[Pending, dict[str, Any]]]]:
    """new rows, and (row, current values) of changed records; duplicates fold into the first."""
    new: list[Pending] = []
    changed: list[tuple[Pending, dict[str, Any]]] = []
    first: dict[str, Pending] = {}
    queued: set[str] = set()
    extras = kind.has_extras
    for p in ok:
        earlier = first.get(p.key)
        if earlier is not None:
            same = not _differs(earlier.row, p.row, cols) and (
                not with_links or p.links is None or p.links == earlier.links)
            if extras:
                merged = merged_extras(earlier.row.get("extras"), p.row.get("extras"))
                same = same and merged == earlier.row.get("extras")
                p.row["extras"] = merged
            if same:
                p.status = "unchanged"
                continue
            earlier.row.update({c: p.row[c] for c in cols})
            if extras:
                earlier.row["extras"] = p.row["extras"]
            if p.links is not None:
                earlier.links = p.links
            p.status = "updated"
            if earlier.status == "unchanged" and p.key not in queued:
                changed.append((earlier, existing[p.key]))
                queued.add(p.key)
            continue
        first[p.key] = p
        old = existing.get(p.key)
        if old is None:
            p.status = "created"
            new.append(p)
            continue
        differs = _differs(old, p.row, cols)
        if extras:
            p.row["extras"] = merged_extras(old.get("extras"), p.row.get("extras"))
            differs = differs or p.row["extras"] != old.get("extras")
        if with_links and p.links is not None:
            differs = differs or p.links != current.get(old["id"], frozenset())
        if differs:
            p.status = "updated"
            changed.append((p, old))
            queued.add(p.key)
        else:
            p.status = "unchanged"
    return new, changed
