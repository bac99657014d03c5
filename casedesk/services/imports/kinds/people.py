"""Contacts, accounts, agents and queues as importable kinds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from casedesk.i18n import N_, _
from casedesk.models import (
    Account,
    Agent,
    Contact,
    Queue,
    QueueMember,
    Role,
)
from casedesk.models.base import table_of
from casedesk.services.directory.customers import contact_keys, name_key
from casedesk.services.directory.staff import active_admins, role_refusal
from casedesk.services.imports import values as v
from casedesk.services.imports.kinds.base import (
    CREATED,
    EXT,
    Ctx,
    Kind,
    Pending,
    RowError,
    login_name,
    timezone_name,
)
from casedesk.services.imports.kinds.matching import (
    insert_with_ids,
    match_accounts,
    match_contacts,
)
from casedesk.services.imports.mapping import FieldSpec
from casedesk.services.imports.refs import (
    AccountRef,
    chunks,
)


class Contacts(Kind):
    """People keyed by external id; ``account`` names an account by id or exact name."""

    name = "contacts"
    table = table_of(Contact)
    specs = (
        FieldSpec("external_id", (*EXT.synonyms, "contact id", "id contacto", "customer id",
                                  "id cliente", "código cliente", "nº cliente"), max_length=128),
        FieldSpec("name", ("nombre", "full name", "nombre completo", "nombre y apellidos",
                           "contact name", "customer", "cliente"), max_length=200, required=True),
        FieldSpec("email", ("mail", "e-mail", "email address", "correo", "correo electrónico",
                            "dirección de correo", "e-mail address"), v.email_address,
                  max_length=254),
        FieldSpec("phone", ("telephone", "tel", "teléfono", "móvil", "movil", "mobile",
                            "phone number", "número de teléfono", "celular"), v.phone_number,
                  max_length=40),
        FieldSpec("account", ("cuenta", "company", "empresa", "organisation", "organization",
                              "organización", "account id", "id cuenta")),
        FieldSpec("marketing_consent", ("consent", "consentimiento", "marketing", "publicidad",
                                        "acepta publicidad", "opt in", "optin"), v.boolean),
        CREATED,
    )
    refs = {"account": (AccountRef, "account_id")}
    columns = {"name": "name", "email": "email", "phone": "phone",
               "marketing_consent": "marketing_consent", "created_at": "created_at"}
    update_columns = ("name", "email", "phone", "account_id", "marketing_consent", "created_at",
                      "email_key", "phone_key", "name_key")
    #: insert new contacts one statement with RETURNING and note their ids (``p.refs["id"]``):
    #: the contacts a cases or interactions import writes for its rows
    want_ids = False

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        return {"name": None, "email": None, "phone": None, "account_id": None,
                "marketing_consent": False, "created_at": ctx.now, "external_id": None,
                "extras": None, "email_key": None, "phone_key": None, "name_key": None}

    def prepare(self, session: Session, live: list[Pending], provided: frozenset[str],
                ctx: Ctx) -> None:
        """One customer is one contact (:mod:`.matching`)."""
        match_contacts(session, self.table, live)

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        if p.key.startswith("casedesk:"):  # matched by keys, or new without an external id
            row["external_id"] = None
        row.update(contact_keys(row["name"], row["email"], row["phone"]))

    def compared(self, provided: frozenset[str]) -> tuple[str, ...]:
        cols = super().compared(provided)
        keys = {"email": "email_key", "phone": "phone_key", "name": "name_key"}
        return (*cols, *(keys[f] for f in keys if f in provided))

    def insert(self, session: Session, new: list[Pending], ctx: Ctx) -> None:
        if self.want_ids:
            insert_with_ids(session, self.table, new)
        else:
            super().insert(session, new, ctx)


class Accounts(Kind):
    """Customer organisations keyed by external id; tier standard/gold/vip (estándar/oro)."""

    name = "accounts"
    table = table_of(Account)
    specs = (
        FieldSpec("external_id", (*EXT.synonyms, "account id", "id cuenta", "customer id",
                                  "id cliente"), max_length=128),
        FieldSpec("name", ("nombre", "account name", "company", "empresa", "razón social",
                           "cliente", "customer"), max_length=200, required=True),
        FieldSpec("tier", ("nivel", "segmento", "segment", "categoría cliente", "tipo cliente"),
                  v.choice(v.TIER, N_("tier"))),
        CREATED,
    )
    columns = {"name": "name", "tier": "tier", "created_at": "created_at"}
    update_columns = ("name", "tier", "created_at", "name_key")
    want_ids = False

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        return {"name": None, "tier": "standard", "created_at": ctx.now, "external_id": None,
                "extras": None, "name_key": None}

    def prepare(self, session: Session, live: list[Pending], provided: frozenset[str],
                ctx: Ctx) -> None:
        """Accounts without a stored external id are matched by folded name."""
        match_accounts(session, self.table, live)

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        if p.key.startswith("casedesk:"):
            row["external_id"] = None
        row["name_key"] = name_key(row["name"])

    def compared(self, provided: frozenset[str]) -> tuple[str, ...]:
        cols = super().compared(provided)
        return (*cols, "name_key") if "name" in provided else cols

    def insert(self, session: Session, new: list[Pending], ctx: Ctx) -> None:
        if self.want_ids:
            insert_with_ids(session, self.table, new)
        else:
            super().insert(session, new, ctx)


# --- agents and queues ----------------------------------------------------------------


class Agents(Kind):
    """Agents keyed by login; a ``queues`` column sets their memberships exactly."""

    name = "agents"
    table = table_of(Agent)
    key = "login"
    has_extras = False
    links_field = "queues"
    specs = (
        FieldSpec("login", ("user", "username", "usuario", "agent login", "agente", "agent",
                            "id"), login_name, required=True),
        FieldSpec("name", ("nombre", "full name", "nombre completo"), max_length=200),
        FieldSpec("email", ("mail", "e-mail", "correo", "correo electrónico"), v.email_address,
                  max_length=254),
        FieldSpec("role", ("rol", "perfil", "profile"), v.choice(v.ROLE, N_("role"))),
        FieldSpec("skills", ("habilidades", "competencias", "skill"), v.word_list),
        FieldSpec("capacity", ("capacidad", "max cases", "máximo de casos"), v.integer),
        FieldSpec("timezone", ("time zone", "tz", "zona horaria", "huso horario"), timezone_name),
        FieldSpec("active", ("activo", "activa", "enabled", "habilitado"), v.boolean),
        FieldSpec("queues", ("colas", "queue", "cola", "grupos", "groups"), v.word_list),
    )
    columns = {"login": "login", "name": "name", "email": "email", "role": "role",
               "skills": "skills", "capacity": "capacity", "timezone": "timezone",
               "active": "active"}
    update_columns = ("name", "email", "role", "skills", "capacity", "timezone", "active")

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        return {"login": None, "name": None, "email": None, "role": "agent", "skills": [],
                "capacity": 10, "status": "available", "timezone": "Europe/Madrid",
                "active": True, "created_at": ctx.now}

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        row["name"] = row["name"] or row["login"]
        if "queues" in p.fields:
            p.links = _named_ids(p.fields["queues"], ctx.cache["queues"], "queues",
                                 N_("no queue {value}"))

    # --- the role order (as ``agent add`` and ``staff.set_agent_role`` keep it) ---------
    def existing(self, session: Session, keys: list[str], cols: tuple[str, ...]
                 ) -> dict[str, dict[str, Any]]:
        """As the base class, and always the current role and active flag (the rules)."""
        return super().existing(session, keys, tuple(dict.fromkeys((*cols, "role", "active"))))

    def insert(self, session: Session, new: list[Pending], ctx: Ctx) -> None:
        """New agents, except those the importing actor may not create (admins)."""
        kept = []
        for p in new:
            refusal = role_refusal(ctx.actor, new_role=p.row["role"])
            if refusal:
                p.reason = _("{field}: {problem}").format(field="role", problem=refusal)
            else:
                kept.append(p)
        new[:] = kept  # the plan's own list: refused rows get no memberships either
        if new:
            super().insert(session, new, ctx)

    def update(self, session: Session, changed: list[tuple[Pending, dict[str, Any]]],
               cols: tuple[str, ...], ctx: Ctx) -> None:
        """Changed agents, in the role order, and never leaving the desk without an admin.

        Runs after :meth:`insert`, so admins created by the same batch count.
        """
        admins = active_admins(session, lock=True)
        kept = []
        for p, old in changed:
            role = p.row["role"] if "role" in cols else old["role"]
            active = p.row["active"] if "active" in cols else old["active"]
            refusal = role_refusal(ctx.actor, new_role=role, old_role=old["role"])
            if refusal:
                p.reason = _("{field}: {problem}").format(field="role", problem=refusal)
                continue
            admin_after = role == Role.admin and bool(active)
            if old["id"] in admins and not admin_after:
                if not admins - {old["id"]}:
                    p.reason = _("role: {login} is the last active admin: make another agent "
                                 "an admin first").format(login=p.row["login"])
                    continue
                admins.discard(old["id"])
            elif admin_after:
                admins.add(old["id"])
            kept.append((p, old))
        changed[:] = kept
        if changed:
            super().update(session, changed, cols, ctx)

    def current_links(self, session: Session, ids: list[int]) -> dict[int, frozenset[int]]:
        out: dict[int, set[int]] = {i: set() for i in ids}
        for part in chunks(ids):
            for agent, queue in session.execute(
                select(col(QueueMember.agent_id), col(QueueMember.queue_id))
                .where(col(QueueMember.agent_id).in_(part))
            ):
                out[agent].add(queue)
        return {k: frozenset(s) for k, s in out.items()}

    def write_links(self, session: Session, links: dict[int, frozenset[int]]) -> None:
        for part in chunks(links):
            session.execute(delete(QueueMember).where(col(QueueMember.agent_id).in_(part)))
        rows = [{"queue_id": q, "agent_id": a} for a, qs in links.items() for q in sorted(qs)]
        if rows:
            session.execute(insert(QueueMember), rows)


class Queues(Kind):
    """Queues keyed by name; a ``members`` column sets their membership exactly."""

    name = "queues"
    table = table_of(Queue)
    key = "name"
    has_extras = False
    links_field = "members"
    specs = (
        FieldSpec("name", ("nombre", "queue", "cola", "queue name", "nombre de la cola"),
                  max_length=100, required=True),
        FieldSpec("area", ("área", "department", "departamento", "category", "categoría"),
                  v.choice(v.AREA, N_("area"))),
        FieldSpec("description", ("descripción", "details", "detalle"), max_length=500),
        FieldSpec("members", ("miembros", "agents", "agentes", "logins"), v.word_list),
    )
    columns = {"name": "name", "area": "area", "description": "description"}
    update_columns = ("area", "description")

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        return {"name": None, "area": "general", "description": None, "created_at": ctx.now}

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        if "members" in p.fields:
            agents = {login: (aid,) for login, aid in ctx.cache["agents"].items()}
            p.links = _named_ids([m.lower() for m in p.fields["members"]], agents, "members",
                                 N_("no agent {value}"))

    def current_links(self, session: Session, ids: list[int]) -> dict[int, frozenset[int]]:
        out: dict[int, set[int]] = {i: set() for i in ids}
        for part in chunks(ids):
            for queue, agent in session.execute(
                select(col(QueueMember.queue_id), col(QueueMember.agent_id))
                .where(col(QueueMember.queue_id).in_(part))
            ):
                out[queue].add(agent)
        return {k: frozenset(s) for k, s in out.items()}

    def write_links(self, session: Session, links: dict[int, frozenset[int]]) -> None:
        for part in chunks(links):
            session.execute(delete(QueueMember).where(col(QueueMember.queue_id).in_(part)))
        rows = [{"queue_id": q, "agent_id": a} for q, ags in links.items() for a in sorted(ags)]
        if rows:
            session.execute(insert(QueueMember), rows)


def _named_ids(names: list[str], known: dict[str, Any], field_name: str,
               not_found: str) -> frozenset[int]:
    """The ids ``names`` name; RowError (``not_found``, marked ``N_``) for one unknown."""
    ids = set()
    for name in names:
        hit = known.get(name) or known.get(v.fold(name))
        if hit is None:
            raise RowError(_("{field}: {problem}").format(
                field=field_name, problem=_(not_found).format(value=v.quoted(name))))
        ids.add(hit[0])
    return frozenset(ids)


# --- interactions ---------------------------------------------------------------------
