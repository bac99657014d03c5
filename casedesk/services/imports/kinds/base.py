"""The shape every kind shares: a pending row, the batch context, the Kind base class."""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlmodel import Session, col

from casedesk.bulk import fast_insert, select_in
from casedesk.i18n import _
from casedesk.models import (
    Agent,
    Queue,
    SlaPolicy,
)
from casedesk.services.context import Actor
from casedesk.services.directory.customers import name_key
from casedesk.services.imports import values as v
from casedesk.services.imports.mapping import FieldSpec
from casedesk.services.imports.refs import (
    Ref,
    chunks,
    internal_id,
)
from casedesk.services.sla import clocks


class RowError(Exception):
    """A row cannot be imported; the message is the reason after ``file:line:``."""


@dataclass
class Ctx:
    """What a batch needs besides the rows."""

    actor: Actor | None
    now: datetime
    source: str
    default_queue: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)


class Pending:
    """One record on its way in."""

    __slots__ = ("line", "end", "cells", "fields", "extras", "key", "row", "refs", "links",
                 "reason", "status")

    def __init__(self, line: int, end: int, cells: Any) -> None:
        self.line, self.end, self.cells = line, end, cells
        self.fields: dict[str, Any] = {}
        self.extras: dict[str, Any] = {}
        self.key: str = ""
        self.row: dict[str, Any] = {}
        self.refs: dict[str, Any] = {}
        self.links: frozenset[int] | None = None
        self.reason: str | None = None
        self.status: str = ""


def row_hash(kind: str, fields: dict[str, Any], extras: dict[str, Any]) -> str:
    """A stable external id for a row without one: SHA-1 of its normalised values."""
    parts = [kind]
    parts += [f"{k}={fields[k]}" for k in sorted(fields)]
    parts += [f"+{k}={extras[k]}" for k in sorted(extras)]
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return "h-" + digest


def timezone_name(value: Any) -> str:
    text = v.as_text(value).strip()
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("{value} is not a time zone (e.g. Europe/Madrid)").format(
            value=v.quoted(value))) from None
    return text


def login_name(value: Any) -> str:
    text = v.as_text(value).strip().lower()
    if not re.match(r"^[a-z0-9][a-z0-9._-]{0,63}$", text):
        raise ValueError(_("{value} is not a login (lower-case letters, digits, . _ -)").format(
            value=v.quoted(value)))
    return text


def json_list(value: Any) -> list[Any]:
    """A JSON array (attachments), as text or already parsed."""
    if isinstance(value, list):
        return value
    try:
        loaded = json.loads(v.as_text(value))
    except ValueError:
        loaded = None
    if not isinstance(loaded, list):
        raise ValueError(_("{value} is not a JSON list").format(value=v.quoted(value)))
    return loaded


EXT = FieldSpec("external_id", ("id", "external id", "external ref", "ref", "reference",
                                "referencia", "código", "code", "key", "clave",
                                "identificador"), max_length=128)
CREATED = FieldSpec("created_at", ("created", "creation date", "fecha creación",
                                   "fecha de creación", "fecha alta", "alta", "creado",
                                   "created at", "created time", "date created"),
                    "datetime")


class Kind:
    """A kind of record that comes from a table-shaped file."""

    name = ""
    table: Table
    specs: tuple[FieldSpec, ...] = ()
    key = "external_id"
    has_extras = True
    refs: dict[str, tuple[type[Ref], str]] = {}
    #: field → column, for fields stored as they are
    columns: dict[str, str] = {}
    update_columns: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    links_field: str | None = None

    def __init__(self) -> None:
        self.resolvers = {name: cls() for name, (cls, _) in self.refs.items()}
        self.ref_columns = [(name, column) for name, (_, column) in self.refs.items()]
        self.not_columns = tuple(s.name for s in self.specs if s.name not in self.columns
                                 and s.name != self.key)
        assert all(k == c for k, c in self.columns.items()), "fields are named as columns"

    # --- per batch, before anything else ----------------------------------------
    def prepare(self, session: Session, live: list[Pending], provided: frozenset[str],
                ctx: Ctx) -> None:
        """Work a batch needs before its references are resolved (in its transaction):
        contacts match their stored records; cases and interactions write the customers
        their rows name. May set ``p.reason`` and ``p.key``."""

    def plans_writes(self, provided: frozenset[str] | None) -> bool:
        """Whether :meth:`prepare` writes for a file providing these fields (None: not
        known before each record), so the file cannot be planned in a second process."""
        return False

    # --- per row ---------------------------------------------------------------
    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        raise NotImplementedError

    def key_of(self, p: Pending) -> str:
        value: str | None = p.fields.get(self.key)
        if value is not None:
            return value
        return row_hash(self.name, p.fields, p.extras)

    def to_row(self, p: Pending, base: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        row = base | p.fields
        for name in self.not_columns:
            row.pop(name, None)
        refs = p.refs
        if refs:
            for name, column in self.ref_columns:
                result = refs.get(name)
                if result is not None:
                    row[column] = result[0] if result.__class__ is tuple else result
        row[self.key] = p.key
        if self.has_extras:
            row["extras"] = p.extras or None
        self.finish(p, row, ctx)
        return row

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        """Kind-specific columns; raise RowError to reject."""

    def compared(self, provided: frozenset[str]) -> tuple[str, ...]:
        """The columns an update compares and writes, given the fields the file has."""
        cols = {self.columns.get(f) for f in provided} | {
            self.refs[f][1] for f in provided if f in self.refs
        }
        return tuple(c for c in self.update_columns if c in cols)

    # --- per batch -------------------------------------------------------------
    def existing(self, session: Session, keys: list[str], cols: tuple[str, ...]
                 ) -> dict[str, dict[str, Any]]:
        """key → current values (with ``id``) of the records that already exist."""
        t = self.table
        names = ["id", self.key, *cols, *(["extras"] if self.has_extras else [])]
        out: dict[str, dict[str, Any]] = {}
        prefix = f"casedesk:{t.name}:"
        plain = [k for k in keys if not k.startswith(prefix)]
        by_id = {}
        if len(plain) < len(keys):
            by_id = {internal_id(k, t.name): k for k in keys if internal_id(k, t.name)}
        for part in chunks(plain):
            for values in select_in(session, t, names, self.key, part):
                out.setdefault(values[1], dict(zip(names, values, strict=True)))
        for part in chunks(by_id):
            for values in select_in(session, t, names, "id", part):
                out[by_id[values[0]]] = dict(zip(names, values, strict=True))
        return out

    def current_links(self, session: Session, ids: list[int]) -> dict[int, frozenset[int]]:
        return {}

    def insert(self, session: Session, new: list[Pending], ctx: Ctx) -> None:
        fast_insert(session, self.table, [p.row for p in new])

    def update(self, session: Session, changed: list[tuple[Pending, dict[str, Any]]],
               cols: tuple[str, ...], ctx: Ctx) -> None:
        """Write the compared columns (and merged extras) of changed records."""
        names, params = self.update_params(changed, cols)
        if names:
            session.execute(self.update_statement(names), params)

    @property
    def plain_writes(self) -> bool:
        """Inserts and updates are the generic ones (no numbers, events or links), so a
        batch can be planned in one process and written by another."""
        cls = type(self)
        return (cls.insert is Kind.insert and cls.update is Kind.update
                and self.links_field is None)

    def update_params(self, changed: list[tuple[Pending, dict[str, Any]]], cols: tuple[str, ...]
                      ) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
        """The columns an update writes and one parameter set per changed record."""
        names = (*cols, *(("extras",) if self.has_extras else ()))
        params = []
        for p, old in changed:
            item = {"b_id": old["id"]}
            item.update({f"b_{c}": p.row.get(c) for c in cols})
            if self.has_extras:
                item["b_extras"] = p.row.get("extras")
            params.append(item)
        return names, params

    def update_statement(self, names: tuple[str, ...]) -> Any:
        return (
            update(self.table)
            .where(self.table.c.id == bindparam("b_id"))
            .values({c: bindparam(f"b_{c}") for c in names})
        )

    def write_links(self, session: Session, links: dict[int, frozenset[int]]) -> None:
        """Replace the link sets (memberships) of records by id."""


def merged_extras(old: dict[str, Any] | None, new: dict[str, Any] | None
                  ) -> dict[str, Any] | None:
    merged = {**(old or {}), **(new or {})}
    return merged or None


# --- contacts and accounts ------------------------------------------------------------


def prepare_cache(session: Session, ctx: Ctx) -> None:
    """Read the small tables once per import: queues, agents, tiers, SLA policies."""
    queues = session.execute(
        select(col(Queue.id), col(Queue.name), col(Queue.area)).order_by(col(Queue.id))
    ).all()
    ctx.cache["queues"] = {}
    ctx.cache["queue_by_area"] = {}
    for qid, name, area in queues:
        ctx.cache["queues"].setdefault(name, (qid, name))
        ctx.cache["queues"].setdefault(v.fold(name), (qid, name))
        ctx.cache["queue_by_area"].setdefault(area, (qid, name))
    ctx.cache["queue_names"] = {qid: name for qid, name, _ in queues}
    ctx.cache["queue_areas"] = {qid: area for qid, _, area in queues}
    agents = session.execute(
        select(col(Agent.login), col(Agent.id), col(Agent.name)).order_by(col(Agent.id))).all()
    ctx.cache["agents"] = {login: aid for login, aid, _ in agents}
    ctx.cache["agent_names"] = {}
    for _login, aid, name in agents:
        ctx.cache["agent_names"].setdefault(name_key(name), aid)
    policies = list(session.execute(
        select(SlaPolicy).where(col(SlaPolicy.active).is_(True))
        .order_by(col(SlaPolicy.position), col(SlaPolicy.id))
    ).scalars())
    for policy in policies:
        session.expunge(policy)
    ctx.cache["policies"] = policies
    ctx.cache["policy_names"] = {p.id: p.name for p in policies}
    ctx.cache["targets"] = {p.id: clocks.targets_of(session, p) for p in policies}
    ctx.cache["deadlines"] = {}
    ctx.cache["picks"] = {}
