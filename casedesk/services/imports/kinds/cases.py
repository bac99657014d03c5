"""Cases as an importable kind: numbers, SLA deadlines, placement and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlmodel import Session, col

from casedesk.bulk import fast_insert
from casedesk.i18n import N_, _
from casedesk.models import (
    Account,
    Case,
    CaseEvent,
)
from casedesk.models.base import table_of
from casedesk.services.directory.customers import name_key
from casedesk.services.imports import values as v
from casedesk.services.imports.kinds.base import CREATED, EXT, Ctx, Kind, Pending, RowError
from casedesk.services.imports.kinds.customers import (
    CUSTOMER_FIELDS,
    CUSTOMER_SPECS,
    names_customer,
    write_customers,
)
from casedesk.services.imports.kinds.history import history_clocks
from casedesk.services.imports.mapping import FieldSpec
from casedesk.services.imports.refs import (
    AccountRef,
    ContactRef,
    QueueRef,
)
from casedesk.services.numbers import claim_numbers
from casedesk.services.routing.rules import Decision, NewCase, RuleSet, decide
from casedesk.services.sla import clocks
from casedesk.services.workflow.changes import record_event

#: the times of a case's past an export may bring (besides its created time)
HISTORY_TIMES = ("first_response_at", "resolved_at", "closed_at")


def agent_named(ctx: Ctx, name: str) -> int | None:
    """The agent a cell names: by login (any case), else by folded name (None: nobody)."""
    logins: dict[str, int] = ctx.cache["agents"]
    hit = logins.get(name.strip().lower())
    if hit is None:
        hit = ctx.cache["agent_names"].get(name_key(name))
    return hit


class Cases(Kind):
    """Cases keyed by external id; see :mod:`.kinds` for what a changed row updates."""

    name = "cases"
    table = table_of(Case)
    specs = (
        FieldSpec("external_id", (*EXT.synonyms, "case id", "ticket id", "ticket", "id caso",
                                  "id ticket", "nº ticket", "id incidencia"), v.identifier,
                  max_length=128),
        FieldSpec("number", ("número", "numero", "case number", "número de caso", "cs")),
        FieldSpec("title", ("título", "titulo", "subject", "asunto", "summary", "resumen",
                            "ticket subject", "case subject", "subject line", "tema"),
                  max_length=300, required=True),
        FieldSpec("description", ("descripción", "details", "detalle", "detalles", "body",
                                  "texto", "ticket description", "case description",
                                  "problem description", "descripción del problema"),
                  max_length=100_000),
        FieldSpec("area", ("área", "category", "categoría", "department", "departamento"),
                  v.choice(v.AREA, N_("area"))),
        FieldSpec("priority", ("prioridad", "ticket priority", "case priority", "urgency",
                                 "urgencia"), v.choice(v.PRIORITY, N_("priority"))),
        FieldSpec("severity", ("severidad", "gravedad", "impact", "impacto"),
                  v.choice(v.SEVERITY, N_("severity"))),
        FieldSpec("status", ("estado", "state", "ticket status", "case status",
                               "estado del caso", "estado del ticket"),
                  v.choice(v.STATUS, N_("status"))),
        FieldSpec("channel", ("canal", "medio", "vía", "origen", "source", "ticket channel",
                                "case origin", "canal de entrada"),
                  v.choice(v.CHANNEL, N_("channel"))),
        FieldSpec("contact", ("contacto", "customer", "cliente", "contact id", "id cliente",
                              "customer id", "id contacto")),
        FieldSpec("account", ("cuenta", "account id", "id cuenta")),
        *CUSTOMER_SPECS,
        FieldSpec("queue", ("cola", "group", "grupo", "queue name")),
        FieldSpec("owner", ("assignee", "asignado", "asignado a", "propietario", "responsable",
                            "agent", "agente", "owner login", "agente asignado",
                            "assigned to", "owner name"), max_length=200),
        FieldSpec("created_at", (*CREATED.synonyms, "fecha", "date", "opened", "apertura",
                                 "fecha apertura", "fecha de apertura"), "datetime"),
        FieldSpec("resolved_at", ("resolved", "fecha resolución", "resuelto el", "resolved at",
                                    "solved at", "resolved time", "fecha de resolución"),
                  "datetime"),
        FieldSpec("closed_at", ("closed", "fecha cierre", "fecha de cierre", "cerrado el",
                                  "closed at", "closed time"),
                  "datetime"),
        FieldSpec("first_response_at", ("first response", "first response at",
                                        "first response time", "first responded at",
                                        "primera respuesta", "fecha primera respuesta",
                                        "fecha de primera respuesta"), "datetime"),
        FieldSpec("satisfaction", ("customer satisfaction rating", "satisfaction rating",
                                   "satisfaction", "satisfacción", "csat", "rating",
                                   "valoración", "satisfacción del cliente"), v.rating),
        FieldSpec("resolution_type", ("tipo resolución", "tipo de resolución",
                                      "resolution code"), max_length=40),
        FieldSpec("resolution_notes", ("resolution", "resolución", "solution", "solución",
                                       "notas resolución")),
    )
    refs = {"contact": (ContactRef, "contact_id"), "account": (AccountRef, "account_id"),
            "queue": (QueueRef, "queue_id")}
    columns = {n: n for n in ("title", "description", "area", "priority", "severity",
                              "status", "channel", "created_at", "resolved_at", "closed_at",
                              "first_response_at", "resolution_type", "resolution_notes",
                              "satisfaction")}
    update_columns = ("title", "description", "area", "priority", "severity", "channel",
                      "contact_id", "account_id", "resolution_type", "resolution_notes",
                      "satisfaction")

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        actor_id = ctx.actor.id if ctx.actor else None
        return {
            "number": 0, "title": None, "description": "", "area": "general",
            "priority": "medium", "severity": "minor", "status": "new", "channel": None,
            "contact_id": None, "account_id": None, "contract_line_id": None,
            "parent_id": None, "queue_id": None, "owner_id": None, "creator_id": actor_id,
            "sla_policy_id": None, "created_at": ctx.now, "updated_at": ctx.now,
            "last_activity_at": None, "due_at": clocks.FAR_FUTURE, "first_response_due": None,
            "first_response_warn": None, "first_response_at": None, "next_response_due": None,
            "next_response_warn": None, "resolution_due": None, "resolution_warn": None,
            "inactivity_due": None, "autoclose_due": None, "paused_at": None,
            "paused_seconds": 0, "sla_flags": 0, "resolution_type": None,
            "resolution_notes": None, "resolved_at": None, "closed_at": None, "version": 1,
            "external_id": None, "extras": None, "satisfaction": None,
        }

    def prepare(self, session: Session, live: list[Pending], provided: frozenset[str],
                ctx: Ctx) -> None:
        """The customers the rows name, written first (:mod:`.customers`)."""
        if provided & CUSTOMER_FIELDS:
            write_customers(session, live, ctx)

    def plans_writes(self, provided: frozenset[str] | None) -> bool:
        return names_customer(provided)

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        # A "number" column (e.g. from an export) is read but never stored: numbers are
        # casedesk's own, claimed when the case is created.
        contact = p.refs.get("contact")
        account = p.refs.get("account")
        if account is None and contact is not None and contact[1] is not None:
            row["account_id"] = contact[1]
        owner = p.fields.get("owner")
        if owner is not None:
            row["owner_id"] = agent_named(ctx, owner)
            if row["owner_id"] is None:  # no such agent: the name is kept, as history
                row["extras"] = {**(row["extras"] or {}), "owner": owner}
        queue = p.refs.get("queue")
        if queue is None and row["owner_id"] is None:
            queue = default_queue(ctx, row["area"])
            if queue is None:
                raise RowError(_("queue: none given and no default queue; pass --queue NAME"))
            row["queue_id"] = queue[0]
        times = [row[t] for t in HISTORY_TIMES if row[t] is not None]
        if "created_at" not in p.fields and times:
            row["created_at"] = min(times)  # an export without a created time: its earliest
        created = row["created_at"]
        for name in ("created_at", *HISTORY_TIMES):
            if row[name] is not None and row[name] > ctx.now:
                raise RowError(_("{field}: {value} is in the future").format(
                    field=name, value=row[name].isoformat()))
        status = row["status"]
        row["last_activity_at"] = created
        resolved_known = row["resolved_at"] or row["closed_at"]
        if status in ("resolved", "closed"):
            row["resolved_at"] = row["resolved_at"] or row["closed_at"] or ctx.now
            row["resolution_type"] = row["resolution_type"] or "imported"
        if status == "closed":
            row["closed_at"] = row["closed_at"] or ctx.now
        if status == "awaiting_customer":
            row["paused_at"] = ctx.now
        tier = account[1] if account else (contact[2] if contact else None)
        policy = pick_policy(ctx, row["priority"], row["severity"], tier,
                             queue[1] if queue else None)
        if created < ctx.now or times:  # history: outcomes once, open clocks from now
            row.update(history_clocks(ctx, policy, {**row, "resolved_at": resolved_known}))
        else:
            row.update(case_deadlines(ctx, policy, created, status))

    def compared(self, provided: frozenset[str]) -> tuple[str, ...]:
        cols = super().compared(provided)
        if provided & CUSTOMER_FIELDS:
            cols = (*cols, *(c for c in ("contact_id", "account_id") if c not in cols))
        if "contact" in provided and "account_id" not in cols:
            cols = (*cols, "account_id")
        return cols

    def insert(self, session: Session, new: list[Pending], ctx: Ctx) -> None:
        routed = self.route(session, new, ctx)
        numbers = claim_numbers(session, "case", len(new))
        for p, number in zip(new, numbers, strict=True):
            p.row["number"] = number
        fast_insert(session, self.table, [p.row for p in new])
        ids = dict(session.execute(
            select(col(Case.number), col(Case.id))
            .where(col(Case.number).between(numbers[0], numbers[-1]))
        ).all())
        events = []
        for p in new:
            row = p.row
            decision = routed.get(id(p))
            events.append({
                "case_id": ids[row["number"]], "at": row["created_at"],
                "actor_id": ctx.actor.id if ctx.actor else None, "kind": "create",
                "from_queue_id": None, "to_queue_id": row["queue_id"], "from_owner_id": None,
                "to_owner_id": row["owner_id"], "from_status": None, "to_status": row["status"],
                "note": f"imported from {ctx.source}:{p.line}"
                        + (f"; {decision.reason}" if decision else ""),
                "data": {"import": ctx.source, "policy": ctx.cache["policy_names"].get(
                    row["sla_policy_id"]),
                    **({"routing": decision.event_data()} if decision else {})},
            })
        fast_insert(session, table_of(CaseEvent), events)

    def route(self, session: Session, new: list[Pending], ctx: Ctx) -> dict[int, Decision]:
        """Route the new rows that name neither a queue nor an owner by the routing rules
        (read once per batch, matched in Python); returns ``id(pending)`` → decision.

        Imports route to queues but do not assign history: only a row still ``new`` asks
        the queue's strategy for an agent (a manual queue never picks). The SLA policy and
        deadlines are chosen again when a rule changed the queue, priority or severity.
        """
        todo = [p for p in new if p.refs.get("queue") is None and p.row["owner_id"] is None]
        if not todo:
            return {}
        rules = ctx.cache.get("routing_rules")
        if rules is None:
            rules = ctx.cache["routing_rules"] = RuleSet.load(session)
        if not rules.active:
            return {}
        out: dict[int, Decision] = {}
        for p in todo:
            row = p.row
            account, contact = p.refs.get("account"), p.refs.get("contact")
            tier = account[1] if account else (contact[2] if contact else None)
            decision = decide(session, NewCase(
                title=row["title"] or "", description=row["description"] or "",
                area=row["area"], priority=row["priority"], severity=row["severity"],
                channel=row["channel"], account_id=row["account_id"],
                contact_id=row["contact_id"], tier=tier,
            ), ctx.now, rules=rules, pick=row["status"] == "new")
            if decision is None:
                continue
            out[id(p)] = decision
            row["queue_id"] = decision.queue_id
            row["owner_id"] = decision.agent_id
            row["priority"] = decision.priority or row["priority"]
            row["severity"] = decision.severity or row["severity"]
            policy = pick_policy(ctx, row["priority"], row["severity"], tier,
                                 decision.queue_name)
            row.update(case_deadlines(ctx, policy, row["created_at"], row["status"]))
        return out

    def update(self, session: Session, changed: list[tuple[Pending, dict[str, Any]]],
               cols: tuple[str, ...], ctx: Ctx) -> None:
        for p, old in changed:
            case = session.execute(
                select(Case).where(col(Case.id) == old["id"])
                .execution_options(populate_existing=True)
            ).scalar_one()
            values = {c: p.row[c] for c in cols if getattr(case, c) != p.row[c]}
            if p.row.get("extras") != case.extras:
                values["extras"] = p.row.get("extras")
            data = {k: [getattr(case, k), values[k]] for k in values if k != "extras"}
            if {"priority", "severity"} & set(values):
                account_id = values.get("account_id", case.account_id)
                tier = session.execute(
                    select(col(Account.tier)).where(col(Account.id) == account_id)
                ).scalar_one_or_none()
                queue_name = ctx.cache["queue_names"].get(case.queue_id)
                policy = pick_policy(ctx, values.get("priority", case.priority),
                                     values.get("severity", case.severity), tier, queue_name)
                targets = ctx.cache["targets"].get(policy, clocks.NO_POLICY)
                values.update(clocks.deadlines(clocks.ClockFacts.of(case), targets, ctx.now))
                data["policy"] = targets.name
            values.update(version=case.version + 1, updated_at=ctx.now)
            done = cast(CursorResult[Any], session.execute(
                update(Case).where(col(Case.id) == case.id, col(Case.version) == case.version)
                .values(**values).execution_options(synchronize_session=False)
            ))
            if done.rowcount != 1:
                p.reason = _("the case changed during the import; run it again")
                continue
            record_event(session, case_id=case.id, at=ctx.now,
                         actor_id=ctx.actor.id if ctx.actor else None, kind="update",
                         before=case, after=values, note=f"updated by import of {ctx.source}",
                         data=_jsonable(data))


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: [x.isoformat() if isinstance(x, datetime) else x for x in val]
            if isinstance(val, list) else val for k, val in data.items()}


def default_queue(ctx: Ctx, area: str) -> tuple[int, str] | None:
    """``--queue``, else the first queue of the case's area, else of general/technical."""
    queues: dict[str, tuple[int, str]] = ctx.cache["queues"]
    if ctx.default_queue:
        return queues.get(ctx.default_queue)
    areas: dict[str, tuple[int, str]] = ctx.cache["queue_by_area"]
    return areas.get(area) or areas.get("general") or areas.get("technical")


def pick_policy(ctx: Ctx, priority: str, severity: str, tier: str | None,
                queue: str | None) -> int | None:
    """The SLA policy a new case gets (first active by position whose match holds)."""
    picks: dict[tuple[str, str, str | None, str | None], int | None] = ctx.cache["picks"]
    key = (priority, severity, tier, queue)
    if key not in picks:
        facts = {"priority": priority, "severity": severity, "tier": tier, "queue": queue,
                 "contract": False}
        picks[key] = None
        for policy in ctx.cache["policies"]:
            cond = policy.match or {}
            if all(clocks._matches(cond.get(k), facts.get(k)) for k in facts):
                picks[key] = policy.id
                break
    return picks[key]


def case_deadlines(ctx: Ctx, policy: int | None, created: datetime, status: str) -> dict[str, Any]:
    """SLA columns of a new case created at ``created`` (cached per policy and instant)."""
    cache: dict[tuple[int | None, datetime, str], dict[str, Any]] = ctx.cache["deadlines"]
    key = (policy, created, status)
    hit = cache.get(key)
    if hit is None:
        targets = ctx.cache["targets"].get(policy, clocks.NO_POLICY)
        facts = clocks.ClockFacts(created_at=created, status=status, last_activity_at=created)
        hit = clocks.deadlines(facts, targets, ctx.now)
        if status in ("resolved", "closed", "cancelled"):
            hit["due_at"] = clocks.FAR_FUTURE
            hit["inactivity_due"] = None
        if len(cache) > 100_000:
            cache.clear()
        cache[key] = hit
    return hit


# --- articles -------------------------------------------------------------------------
