"""``export KIND``: every record of a kind as CSV or JSON Lines, in the import's own shape.

Columns are the import's field names, so an export imports back unchanged (every row
reported "unchanged"). References are written as what the import reads: contacts and
accounts by external id, cases by number (``CS-000123``), agents by login, queues by
name. Records created in casedesk have no external id; they are written as
``casedesk:TABLE:ID``, which the import resolves back to the same record. ``emails``
exports the e-mail interactions (import such a file back as ``interactions``). Rows are
read by keyset pages of 5,000 (``WHERE id > :last ORDER BY id``), never all at once.

CSV is for people and spreadsheets: a text cell a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``, a leading tab or CR) gets a leading ``'`` (the OWASP rule,
:func:`casedesk.textsafe.spreadsheet_safe`; phone numbers like ``+34 600 111 222`` excepted,
they can run nothing), and terminal controls (ESC, C1, bidi
overrides, a lone CR; tabs and line breaks kept) are shown as visible stand-ins (``␛``), unless
``raw_formulas``: then every cell is exactly as stored, for programs. JSON Lines is for
programs and always holds the stored data; controls beyond ASCII are written as
JSON escapes (:mod:`casedesk.jsonsafe`), which decode to the same text.
:func:`export_to_file` checks the permission first, writes a temporary file beside the
target and moves it into place only when everything was written, so a refused or failed
export leaves the old file untouched.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Result, Row, Select, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from casedesk import jsonsafe
from casedesk.db import read_session
from casedesk.errors import ConfigError
from casedesk.i18n import N_, _
from casedesk.models import (
    Account,
    AccountProduct,
    Agent,
    Article,
    Case,
    Contact,
    Contract,
    ContractLine,
    Interaction,
    Product,
    Queue,
    QueueMember,
)
from casedesk.models.base import table_of
from casedesk.services.context import Actor, Desk, require_supervisor
from casedesk.services.numbers import case_label
from casedesk.textsafe import spreadsheet_safe

PAGE = 5000
# a SELECT of any columns (SQLAlchemy 2.1 types a Select by its column tuple)
AnySelect = Select[*tuple[Any, ...]]
FORMATS = ("csv", "jsonl")


def _ref(external_id: str | None, table: str, rid: int | None) -> str | None:
    if rid is None:
        return None
    return external_id or f"casedesk:{table}:{rid}"


@dataclass(frozen=True)
class Shape:
    columns: tuple[str, ...]
    query: Callable[[], AnySelect]
    id_column: Any
    row: Callable[[Any], dict[str, Any]]


def _contacts() -> Shape:
    def stmt() -> AnySelect:
        return (
            select(Contact, col(Account.external_id).label("acc_ext"))
            .outerjoin(Account, col(Account.id) == Contact.account_id)
        )

    cols = ("id", "name", "email", "phone", "account", "marketing_consent", "created_at",
            "extras")

    def row(r: Any) -> dict[str, Any]:
        c = r[0]
        return {"id": _ref(c.external_id, "contact", c.id), "name": c.name, "email": c.email,
                "phone": c.phone, "account": _ref(r.acc_ext, "account", c.account_id),
                "marketing_consent": c.marketing_consent, "created_at": c.created_at,
                "extras": c.extras}

    return Shape(cols, stmt, Contact.id, row)


def _accounts() -> Shape:
    cols = ("id", "name", "tier", "created_at", "extras")

    def row(r: Any) -> dict[str, Any]:
        a = r[0]
        return {"id": _ref(a.external_id, "account", a.id), "name": a.name, "tier": a.tier,
                "created_at": a.created_at, "extras": a.extras}

    return Shape(cols, lambda: select(Account), Account.id, row)


def _agents() -> Shape:
    cols = ("login", "name", "email", "role", "skills", "capacity", "timezone", "active",
            "queues")

    def row(r: Any) -> dict[str, Any]:
        a = r[0]
        return {"login": a.login, "name": a.name, "email": a.email, "role": a.role,
                "skills": list(a.skills or []), "capacity": a.capacity,
                "timezone": a.timezone, "active": a.active, "queues": r.queue_names}

    return Shape(cols, lambda: select(Agent), Agent.id, row)


def _queues() -> Shape:
    cols = ("name", "area", "description", "members")

    def row(r: Any) -> dict[str, Any]:
        q = r[0]
        return {"name": q.name, "area": q.area, "description": q.description,
                "members": r.member_names}

    return Shape(cols, lambda: select(Queue), Queue.id, row)


def _cases() -> Shape:
    owner = aliased(Agent)
    cols = ("id", "number", "title", "description", "area", "priority", "severity", "status",
            "channel", "contact", "account", "queue", "owner", "created_at",
            "first_response_at", "resolved_at", "closed_at", "resolution_type",
            "resolution_notes", "satisfaction", "extras")
    def stmt() -> AnySelect:
        return (
            select(Case, col(Contact.external_id).label("con_ext"),
                   col(Account.external_id).label("acc_ext"),
                   col(Queue.name).label("queue_name"), col(owner.login).label("owner_login"))
            .outerjoin(Contact, col(Contact.id) == Case.contact_id)
            .outerjoin(Account, col(Account.id) == Case.account_id)
            .outerjoin(Queue, col(Queue.id) == Case.queue_id)
            .outerjoin(owner, col(owner.id) == Case.owner_id)
        )

    def row(r: Any) -> dict[str, Any]:
        c = r[0]
        return {"id": _ref(c.external_id, "case", c.id), "number": case_label(c.number),
                "title": c.title, "description": c.description, "area": c.area,
                "priority": c.priority, "severity": c.severity, "status": c.status,
                "channel": c.channel, "contact": _ref(r.con_ext, "contact", c.contact_id),
                "account": _ref(r.acc_ext, "account", c.account_id), "queue": r.queue_name,
                "owner": r.owner_login, "created_at": c.created_at,
                "first_response_at": c.first_response_at,
                "resolved_at": c.resolved_at, "closed_at": c.closed_at,
                "resolution_type": c.resolution_type, "resolution_notes": c.resolution_notes,
                "satisfaction": c.satisfaction, "extras": c.extras}

    return Shape(cols, stmt, Case.id, row)


def _interactions(email_only: bool = False) -> Shape:
    cols = ("id", "channel", "direction", "typification", "contact", "agent", "case",
            "started_at", "duration_seconds", "subject", "notes", "message_id", "in_reply_to",
            "email_from", "email_to", "attachments", "extras")

    def stmt() -> AnySelect:
        s: AnySelect = (
            select(Interaction, col(Contact.external_id).label("con_ext"),
                   col(Agent.login).label("agent_login"), col(Case.number).label("case_number"))
            .outerjoin(Contact, col(Contact.id) == Interaction.contact_id)
            .outerjoin(Agent, col(Agent.id) == Interaction.agent_id)
            .outerjoin(Case, col(Case.id) == Interaction.case_id)
        )
        return s.where(col(Interaction.channel) == "email") if email_only else s

    def row(r: Any) -> dict[str, Any]:
        i = r[0]
        return {"id": _ref(i.external_id, "interaction", i.id), "channel": i.channel,
                "direction": i.direction, "typification": i.typification,
                "contact": _ref(r.con_ext, "contact", i.contact_id), "agent": r.agent_login,
                "case": case_label(r.case_number) if r.case_number else None,
                "started_at": i.started_at, "duration_seconds": i.duration_seconds,
                "subject": i.subject, "notes": i.notes, "message_id": i.message_id,
                "in_reply_to": i.in_reply_to, "email_from": i.email_from,
                "email_to": i.email_to, "attachments": i.attachments, "extras": i.extras}

    return Shape(cols, stmt, Interaction.id, row)


def _articles() -> Shape:
    keyed = "external_id" in table_of(Article).c
    cols = (("id",) if keyed else ()) + ("number", "title", "keywords", "body", "status",
                                         "author", "created_at")

    def row(r: Any) -> dict[str, Any]:
        a = r[0]
        out = {"number": f"KB-{a.number:06d}", "title": a.title, "keywords": a.keywords,
               "body": a.body, "status": a.status, "author": r.author_login,
               "created_at": a.created_at}
        if keyed:
            out = {"id": _ref(getattr(a, "external_id", None), "article", a.id), **out}
        return out

    def stmt() -> AnySelect:
        return (
            select(Article, col(Agent.login).label("author_login"))
            .outerjoin(Agent, col(Agent.id) == Article.author_id)
        )

    return Shape(cols, stmt, Article.id, row)


def _account_products() -> Shape:
    cols = ("account", "product", "serial", "since", "until")

    def stmt() -> AnySelect:
        return (
            select(AccountProduct, col(Account.external_id).label("acc_ext"),
                   col(Product.code).label("product_code"))
            .join(Account, col(Account.id) == AccountProduct.account_id)
            .join(Product, col(Product.id) == AccountProduct.product_id)
        )

    def row(r: Any) -> dict[str, Any]:
        h = r[0]
        return {"account": _ref(r.acc_ext, "account", h.account_id), "product": r.product_code,
                "serial": h.serial, "since": h.since, "until": h.until}

    return Shape(cols, stmt, AccountProduct.id, row)


def _contracts() -> Shape:
    cols = ("number", "account", "name", "starts", "ends", "status")

    def stmt() -> AnySelect:
        return (select(Contract, col(Account.external_id).label("acc_ext"))
                .join(Account, col(Account.id) == Contract.account_id))

    def row(r: Any) -> dict[str, Any]:
        c = r[0]
        return {"number": c.number, "account": _ref(r.acc_ext, "account", c.account_id),
                "name": c.name, "starts": c.starts, "ends": c.ends, "status": c.status}

    return Shape(cols, stmt, Contract.id, row)


def _contract_lines() -> Shape:
    cols = ("contract", "name", "allotment", "total", "used", "product")

    def stmt() -> AnySelect:
        return (
            select(ContractLine, col(Contract.number).label("contract_number"),
                   col(Product.code).label("product_code"))
            .join(Contract, col(Contract.id) == ContractLine.contract_id)
            .outerjoin(Product, col(Product.id) == ContractLine.product_id)
        )

    def row(r: Any) -> dict[str, Any]:
        line = r[0]
        return {"contract": r.contract_number, "name": line.name, "allotment": line.allotment,
                "total": line.total, "used": line.used, "product": r.product_code}

    return Shape(cols, stmt, ContractLine.id, row)


SHAPES: dict[str, Callable[[], Shape]] = {
    "contacts": _contacts, "accounts": _accounts, "agents": _agents, "queues": _queues,
    "cases": _cases, "interactions": _interactions, "articles": _articles,
    "emails": lambda: _interactions(email_only=True),
    "account-products": _account_products, "contracts": _contracts,
    "contract-lines": _contract_lines,
}


def _pages(desk: Desk, kind: str, shape: Shape) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        with read_session(desk.engine) as session:
            rows = session.execute(
                shape.query().where(shape.id_column > last).order_by(shape.id_column).limit(PAGE)
            ).all()
            if not rows:
                return
            ids = [r[0].id for r in rows]
            links = _links(session, kind, ids)
        for r in rows:
            item: Row[*tuple[Any, ...]] | _With = r
            if kind == "agents":
                item = _With(r, queue_names=links.get(r[0].id, []))
            elif kind == "queues":
                item = _With(r, member_names=links.get(r[0].id, []))
            yield shape.row(item)
        last = ids[-1]


class _With:
    """A result row with extra named attributes."""

    def __init__(self, row: Any, **extra: Any) -> None:
        self._row = row
        self.__dict__.update(extra)

    def __getitem__(self, index: int) -> Any:
        return self._row[index]


def _links(session: Session, kind: str, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    rows: Result[int, str]
    if kind == "agents":
        rows = session.execute(
            select(col(QueueMember.agent_id), col(Queue.name))
            .join(Queue, col(Queue.id) == QueueMember.queue_id)
            .where(col(QueueMember.agent_id).in_(ids)).order_by(col(Queue.name))
        )
    elif kind == "queues":
        rows = session.execute(
            select(col(QueueMember.queue_id), col(Agent.login))
            .join(Agent, col(Agent.id) == QueueMember.agent_id)
            .where(col(QueueMember.queue_id).in_(ids)).order_by(col(Agent.login))
        )
    else:
        return out
    for owner, name in rows:
        out.setdefault(owner, []).append(name)
    return out


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else ""
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return "; ".join(value)
        return json.dumps(value, ensure_ascii=False)
    return str(value)


#: Characters that act on a terminal (a carriage return too, unless it ends a line).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                       "\u202a-\u202e\u2066-\u2069]")


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else f"<U+{code:04X}>"


#: An international phone number: a spreadsheet may read it as arithmetic, but it can call
#: no function, link or program; guarding it would break the export's re-import.
_PHONE = re.compile(r"^\+[0-9][0-9 ()./-]*$")


def _csv_cell(value: Any, raw_formulas: bool, column: str = "") -> str:
    """A CSV cell: controls visible and, for text (and lists of text) a spreadsheet would
    run, a leading ``'``. Numbers, booleans, times and JSON objects are never formulas;
    nor is a ``phone`` made only of digits and phone punctuation after its ``+``."""
    text = _csv_value(value)
    if raw_formulas:
        return text
    text = _CONTROLS.sub(_stand_in, text.replace("\r\n", "\n"))
    if not isinstance(value, str | list) or (column == "phone" and _PHONE.match(text)):
        return text
    return spreadsheet_safe(text)


def check_export(actor: Actor, kind: str, fmt: str) -> None:
    """Refuse an export before anything is opened or written."""
    if kind not in SHAPES:
        raise ConfigError(_("unknown kind {kind}: choose one of {kinds}").format(
            kind=repr(kind), kinds=", ".join(SHAPES)))
    if fmt not in FORMATS:
        raise ConfigError(_("--format {format}: use csv or jsonl").format(format=repr(fmt)))
    require_supervisor(actor, N_("export records"))


def export_records(
    desk: Desk, actor: Actor, kind: str, out: TextIO, fmt: str = "csv", *,
    raw_formulas: bool = False,
) -> int:
    """Write every record of ``kind`` to ``out``; returns how many.

    CSV cells that a spreadsheet would read as a formula get a leading ``'`` and controls
    are shown visibly, unless ``raw_formulas`` (cells exactly as stored, for programs);
    JSON Lines always holds the stored data.
    """
    check_export(actor, kind, fmt)
    shape = SHAPES[kind]()
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        # csv quotes a field holding the line terminator ("\n") but not a lone "\r",
        # which readers take as a line break: such rows are written fully quoted.
        quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(shape.columns)
        for record in _pages(desk, kind, shape):
            row = [_csv_cell(record[c], raw_formulas, c) for c in shape.columns]
            (quoted if any("\r" in c for c in row) else writer).writerow(row)
            count += 1
    else:
        for record in _pages(desk, kind, shape):
            out.write(jsonsafe.dumps(record, default=_json_default) + "\n")
            count += 1
    return count


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def export_to_file(
    desk: Desk, actor: Actor, kind: str, path: Path, fmt: str = "csv", *,
    raw_formulas: bool = False,
) -> int:
    """Export to ``path`` atomically: permission and flags checked first, then a temporary
    file beside ``path`` (same folder, so the final rename never crosses file systems) is
    written, flushed to disk and renamed over ``path``. On any failure the temporary file
    is removed and ``path`` is left as it was. Returns how many records were written."""
    check_export(actor, kind, fmt)
    target = Path(path)
    try:
        if target.is_dir():
            raise ConfigError(_("cannot write {path}: it is a folder").format(path=target))
        mode = target.stat().st_mode & 0o777 if target.exists() else _default_mode()
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path(".")
        )
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(_("cannot write {path}: {problem}").format(
            path=target, problem=reason)) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            count = export_records(desk, actor, kind, handle, fmt, raw_formulas=raw_formulas)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ConfigError(_("cannot write {path}: {problem}").format(
            path=target, problem=exc.strerror or exc)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return count


def _default_mode() -> int:
    """The mode a new file gets here (0666 less the umask), read without changing it."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
