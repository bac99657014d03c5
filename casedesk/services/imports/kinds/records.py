"""Interactions and knowledge articles as importable kinds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from casedesk.bulk import fast_insert
from casedesk.i18n import N_
from casedesk.models import (
    Article,
    Interaction,
)
from casedesk.models.base import table_of
from casedesk.services.imports import values as v
from casedesk.services.imports.kinds.base import CREATED, EXT, Ctx, Kind, Pending, json_list
from casedesk.services.imports.kinds.cases import agent_named
from casedesk.services.imports.kinds.customers import (
    CUSTOMER_FIELDS,
    CUSTOMER_SPECS,
    names_customer,
    write_customers,
)
from casedesk.services.imports.mapping import FieldSpec
from casedesk.services.imports.refs import (
    AgentRef,
    CaseRef,
    ContactRef,
    chunks,
)
from casedesk.services.numbers import claim_numbers


class Interactions(Kind):
    """Contact moments keyed by external id; a Message-ID may belong to one only."""

    name = "interactions"
    table = table_of(Interaction)
    unique = ("message_id",)
    specs = (
        FieldSpec("external_id", (*EXT.synonyms, "interaction id", "id interacción",
                                  "call id", "id llamada", "id contacto", "comment id",
                                  "reply id", "id comentario"), v.identifier, max_length=128),
        FieldSpec("channel", ("canal", "medio", "vía", "via", "source", "origen"),
                  v.choice(v.CHANNEL, N_("channel")), required=True),
        FieldSpec("direction", ("dirección", "sentido", "in out", "entrante saliente"),
                  v.choice(v.DIRECTION, N_("direction"))),
        FieldSpec("typification", ("tipificación", "type", "tipo", "reason", "clase"),
                  v.choice(v.TYPIFICATION, N_("typification"))),
        FieldSpec("contact", ("contacto", "customer", "cliente", "contact id", "id cliente")),
        *CUSTOMER_SPECS,
        FieldSpec("agent", ("agente", "login", "usuario", "operador", "operator", "user")),
        FieldSpec("case", ("caso", "case number", "número de caso", "ticket", "expediente",
                           "ticket id", "id ticket", "case id", "id caso", "nº ticket"),
                  v.identifier),
        FieldSpec("author", ("autor", "autora", "author name", "commenter", "written by",
                             "escrito por", "comment author"), max_length=200),
        FieldSpec("public", ("público", "publico", "is public", "public reply", "visible"),
                  v.boolean),
        FieldSpec("started_at", ("start", "started", "date", "datetime", "fecha", "fecha hora",
                                 "inicio", "hora", "timestamp", "when", "cuándo", "created at",
                                 "created", "comment date", "fecha comentario"), "datetime",
                  required=True),
        FieldSpec("duration_seconds", ("duration", "duración", "seconds", "segundos",
                                       "duration s"), v.seconds),
        FieldSpec("subject", ("asunto", "motivo", "título", "title", "summary", "resumen"),
                  max_length=500),
        FieldSpec("notes", ("notas", "comments", "comentarios", "observaciones", "texto",
                            "text", "description", "descripción", "body"), max_length=100_000),
        FieldSpec("message_id", ("message id", "id mensaje"), max_length=500),
        FieldSpec("in_reply_to", ("in reply to", "en respuesta a"), max_length=500),
        FieldSpec("email_from", ("from", "de", "remitente", "sender"), max_length=500),
        FieldSpec("email_to", ("to", "para", "destinatario", "recipient"), max_length=2000),
        FieldSpec("attachments", ("adjuntos", "ficheros adjuntos"), json_list),
    )
    refs = {"contact": (ContactRef, "contact_id"), "agent": (AgentRef, "agent_id"),
            "case": (CaseRef, "case_id")}
    columns = {n: n for n in ("channel", "direction", "typification", "started_at",
                              "duration_seconds", "subject", "notes", "message_id",
                              "in_reply_to", "email_from", "email_to", "attachments")}
    update_columns = ("channel", "direction", "typification", "contact_id", "agent_id",
                      "case_id", "started_at", "duration_seconds", "subject", "notes",
                      "message_id", "in_reply_to", "email_from", "email_to", "attachments")

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        return {"channel": None, "direction": "inbound", "typification": "query",
                "contact_id": None, "agent_id": None, "case_id": None, "started_at": None,
                "duration_seconds": 0, "subject": "", "notes": "", "message_id": None,
                "in_reply_to": None, "email_from": None, "email_to": None,
                "attachments": None, "external_id": None, "extras": None}

    def prepare(self, session: Session, live: list[Pending], provided: frozenset[str],
                ctx: Ctx) -> None:
        """The customers the rows name, written first (:mod:`.customers`)."""
        if provided & CUSTOMER_FIELDS:
            write_customers(session, live, ctx)

    def plans_writes(self, provided: frozenset[str] | None) -> bool:
        return names_customer(provided)

    def compared(self, provided: frozenset[str]) -> tuple[str, ...]:
        cols = super().compared(provided)
        if provided & CUSTOMER_FIELDS and "contact_id" not in cols:
            cols = (*cols, "contact_id")
        if "author" in provided:
            cols = (*cols, *(c for c in ("agent_id", "direction") if c not in cols))
        return cols

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        """A ticket's comment: its author is an agent (an outbound reply) or the customer;
        an author no agent answers to, and the public flag, are kept in extras."""
        author = p.fields.get("author")
        public = p.fields.get("public")
        extras = dict(row["extras"] or {})
        if author is not None:
            agent = agent_named(ctx, author)
            if agent is not None:
                row["agent_id"] = row["agent_id"] or agent
                if "direction" not in p.fields:
                    row["direction"] = "outbound"
            else:
                extras["author"] = author
        if public is not None:
            extras["public"] = public
        row["extras"] = extras or None


# --- cases ----------------------------------------------------------------------------


class Articles(Kind):
    """Knowledge articles keyed by external id (by title on a schema without one)."""

    name = "articles"
    table = table_of(Article)
    key = "title"
    has_extras = False
    specs: tuple[FieldSpec, ...] = (
        FieldSpec("number", ("número", "numero", "article number", "kb")),
        FieldSpec("title", ("título", "titulo", "subject", "asunto", "name", "nombre"),
                  max_length=300, required=True),
        FieldSpec("keywords", ("palabras clave", "tags", "etiquetas", "keyword"),
                  max_length=1000),
        FieldSpec("body", ("cuerpo", "contenido", "content", "text", "texto", "article",
                           "artículo", "markdown"), max_length=1_000_000),
        FieldSpec("status", ("estado", "state"), v.choice(v.ARTICLE_STATUS, N_("status"))),
        FieldSpec("author", ("autor", "autora", "written by", "login")),
        FieldSpec("created_at", CREATED.synonyms, "datetime"),
    )
    refs = {"author": (AgentRef, "author_id")}
    columns = {"title": "title", "keywords": "keywords", "body": "body", "status": "status",
               "created_at": "created_at"}
    update_columns = ("title", "keywords", "body", "status", "author_id")

    def __init__(self) -> None:
        super().__init__()
        if "external_id" in self.table.c:
            self.key = "external_id"
            self.specs = (EXT, *self.specs)

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        base = {"number": 0, "title": None, "keywords": "", "body": "", "status": "draft",
                "author_id": ctx.actor.id if ctx.actor else None, "source_case_id": None,
                "created_at": ctx.now, "updated_at": ctx.now, "used_count": 0}
        if self.key == "external_id":
            base["external_id"] = None
        if "version" in self.table.c:
            base["version"] = 1
        return base

    def key_of(self, p: Pending) -> str:
        if self.key == "title":
            title: str = p.fields["title"]
            return title
        return super().key_of(p)

    def insert(self, session: Session, new: list[Pending], ctx: Ctx) -> None:
        numbers = claim_numbers(session, "article", len(new))
        for p, number in zip(new, numbers, strict=True):
            p.row["number"] = number
        fast_insert(session, self.table, [p.row for p in new])

    def update(self, session: Session, changed: list[tuple[Pending, dict[str, Any]]],
               cols: tuple[str, ...], ctx: Ctx) -> None:
        super().update(session, changed, cols, ctx)
        ids = [old["id"] for _, old in changed]
        values: dict[str, Any] = {"updated_at": ctx.now}
        if "version" in self.table.c:
            values["version"] = self.table.c.version + 1
        for part in chunks(ids):
            session.execute(update(self.table).where(self.table.c.id.in_(part)).values(values))
