"""What accounts hold: products (``account-products``), contracts and their lines.

* ``account-products``: account (external id, name or folded name), product (code or
  name; a new one is created, code from the cell), serial, since, until. A holding is
  one (account, product, serial): a re-import updates its dates.
* ``contracts``: keyed by number; account, name, starts, ends, status.
* ``contract-lines``: contract (number), name, allotment (``cases`` or ``minutes``),
  total, used, product (created if new). A line is one (contract, name).

None of these tables has an external id or extras: unmapped columns are ignored (and
said so), as for agents and queues.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from casedesk.i18n import N_, _
from casedesk.localformat import number
from casedesk.models import AccountProduct, Contract, ContractLine, Product
from casedesk.models.base import table_of
from casedesk.services.directory.customers import name_key
from casedesk.services.imports import values as v
from casedesk.services.imports.kinds.base import Ctx, Kind, Pending, RowError
from casedesk.services.imports.mapping import FieldSpec
from casedesk.services.imports.refs import AccountRef, Ref, chunks
from casedesk.services.knowledge.folding import tokens

CONTRACT_STATUS = v._vocab({
    "active": ("activo", "activa", "vigente", "current", "in force"),
    "expired": ("expirado", "vencido", "caducado", "ended", "finished"),
    "cancelled": ("cancelado", "cancelada", "canceled", "anulado", "terminated"),
    "draft": ("borrador", "pending", "pendiente"),
})
ALLOTMENT = v._vocab({
    "cases": ("casos", "case", "caso", "tickets", "incidents", "incidencias"),
    "minutes": ("minutos", "minute", "min", "time", "tiempo"),
})


def product_code(text: str) -> str:
    """The code of a product a file names only by name: its folded words in capitals,
    joined by ``-`` (``Dell XPS 13`` → ``DELL-XPS-13``), at most 40 characters."""
    return "-".join(tokens(text)).upper()[:40].strip("-") or "PRODUCT"


def write_products(session: Session, live: list[Pending], field: str) -> None:
    """Resolve each row's product (by code, else by folded name) into ``p.refs[field]``,
    creating the products no row's text names yet."""
    wanted = {p.fields[field] for p in live if p.reason is None and field in p.fields}
    if not wanted:
        return
    table = table_of(Product)
    found: dict[str, int] = {}
    codes = {w.upper(): w for w in wanted}
    for part in chunks(codes):
        for code, pid in session.execute(select(table.c.code, table.c.id)
                                         .where(table.c.code.in_(part))):
            found[codes.get(code.upper(), code)] = pid
    rest = wanted - set(found)
    if rest:
        by_name: dict[str, int] = {}
        for code, name, pid in session.execute(select(table.c.code, table.c.name, table.c.id)):
            by_name.setdefault(name_key(name) or "", pid)
            by_name.setdefault(code.upper(), pid)
        for text in sorted(rest):
            hit = by_name.get(name_key(text) or "") or by_name.get(product_code(text))
            if hit is None:
                hit = session.execute(insert(table).values(code=product_code(text), name=text)
                                      .returning(table.c.id)).scalar_one()
                by_name[name_key(text) or ""] = by_name[product_code(text)] = hit
            found[text] = hit
    for p in live:
        if p.reason is None and field in p.fields:
            p.refs[field] = found[p.fields[field]]


class _Composite(Kind):
    """A kind keyed by a combination of its columns (the key is set in :meth:`finish`)."""

    key = "holding"
    has_extras = False
    key_columns: tuple[str, ...] = ()

    def key_of(self, p: Pending) -> str:
        return "pending"

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        row.pop(self.key, None)
        p.key = "\x1f".join(str(row[c]) for c in self.key_columns)

    def existing(self, session: Session, keys: list[str], cols: tuple[str, ...]
                 ) -> dict[str, dict[str, Any]]:
        t = self.table
        names = ["id", *self.key_columns, *cols]
        out: dict[str, dict[str, Any]] = {}
        firsts = {k.split("\x1f", 1)[0] for k in keys}
        first = t.c[self.key_columns[0]]
        for part in chunks(firsts):
            for values in session.execute(
                select(*(t.c[n] for n in names)).where(first.in_([int(x) for x in part]))
            ):
                item = dict(zip(names, values, strict=True))
                key = "\x1f".join(str(item[c]) for c in self.key_columns)
                out.setdefault(key, item)
        return out


class AccountProducts(_Composite):
    """Products held by accounts."""

    name = "account-products"
    table = table_of(AccountProduct)
    key_columns = ("account_id", "product_id", "serial")
    specs = (
        FieldSpec("account", ("cuenta", "account id", "customer", "cliente", "company",
                              "empresa", "account name"), required=True),
        FieldSpec("product", ("producto", "product code", "código producto", "product name",
                              "product purchased", "servicio", "service"), max_length=200,
                  required=True),
        FieldSpec("serial", ("serie", "número de serie", "serial number", "nº serie", "imei"),
                  max_length=80),
        FieldSpec("since", ("desde", "start", "from", "alta", "fecha alta", "date of purchase",
                            "purchased", "fecha de compra"), "date"),
        FieldSpec("until", ("hasta", "end", "to", "baja", "fecha baja", "expires"), "date"),
    )
    refs = {"account": (AccountRef, "account_id")}
    columns = {"serial": "serial", "since": "since", "until": "until"}
    update_columns = ("since", "until")

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        return {"account_id": None, "product_id": None, "serial": None, "since": None,
                "until": None}

    def prepare(self, session: Session, live: list[Pending], provided: frozenset[str],
                ctx: Ctx) -> None:
        write_products(session, live, "product")

    def plans_writes(self, provided: frozenset[str] | None) -> bool:
        return True

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        row["product_id"] = p.refs["product"]
        row.pop("product", None)
        super().finish(p, row, ctx)


class ContractRef(Ref):
    """→ contract id, by number."""

    column, not_found = "contract_id", N_("no contract with number {value}")

    def lookup(self, session: Session, values: set[str]) -> dict[str, Any]:
        t = table_of(Contract)
        found: dict[str, Any] = {}
        for part in chunks(values):
            found.update(dict(session.execute(select(t.c.number, t.c.id)
                                              .where(t.c.number.in_(part))).all()))
        return found


class Contracts(Kind):
    """Support contracts keyed by number."""

    name = "contracts"
    table = table_of(Contract)
    key = "number"
    has_extras = False
    specs = (
        FieldSpec("number", ("número", "numero", "contract number", "nº contrato",
                             "número de contrato", "contrato", "contract", "id", "code",
                             "código"), v.identifier, max_length=40, required=True),
        FieldSpec("account", ("cuenta", "account id", "customer", "cliente", "company",
                              "empresa"), required=True),
        FieldSpec("name", ("nombre", "title", "título", "contract name", "descripción",
                           "description"), max_length=200),
        FieldSpec("starts", ("inicio", "start", "start date", "desde", "fecha inicio",
                             "from", "valid from"), "date"),
        FieldSpec("ends", ("fin", "end", "end date", "hasta", "fecha fin", "to",
                           "valid until", "expires"), "date"),
        FieldSpec("status", ("estado", "state"), v.choice(CONTRACT_STATUS, N_("status"))),
    )
    refs = {"account": (AccountRef, "account_id")}
    columns = {"number": "number", "name": "name", "starts": "starts", "ends": "ends",
               "status": "status"}
    update_columns = ("account_id", "name", "starts", "ends", "status")

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        return {"number": None, "account_id": None, "name": None, "starts": None,
                "ends": None, "status": "active"}

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        row["name"] = row["name"] or row["number"]
        if row["starts"] and row["ends"] and row["ends"] < row["starts"]:
            raise RowError(_("ends: {ends} is before starts {starts}").format(
                ends=row["ends"], starts=row["starts"]))


class ContractLines(_Composite):
    """The lines of contracts: an allotment of cases or minutes."""

    name = "contract-lines"
    table = table_of(ContractLine)
    key_columns = ("contract_id", "name")
    specs = (
        FieldSpec("contract", ("contrato", "contract number", "número de contrato",
                               "nº contrato"), v.identifier, required=True),
        FieldSpec("name", ("nombre", "line", "línea", "concepto", "description",
                           "descripción"), max_length=200, required=True),
        FieldSpec("allotment", ("bolsa", "tipo", "type", "unit", "unidad"),
                  v.choice(ALLOTMENT, N_("allotment"))),
        FieldSpec("total", ("cantidad", "quantity", "allowance", "contratado", "amount"),
                  v.integer),
        FieldSpec("used", ("consumido", "consumed", "usado", "spent"), v.integer),
        FieldSpec("product", ("producto", "product code", "código producto", "servicio",
                              "service"), max_length=200),
    )
    refs = {"contract": (ContractRef, "contract_id")}
    columns = {"name": "name", "allotment": "allotment", "total": "total", "used": "used"}
    update_columns = ("allotment", "total", "used", "product_id")

    def defaults(self, ctx: Ctx) -> dict[str, Any]:
        return {"contract_id": None, "product_id": None, "name": None, "allotment": "cases",
                "total": 0, "used": 0}

    def prepare(self, session: Session, live: list[Pending], provided: frozenset[str],
                ctx: Ctx) -> None:
        write_products(session, live, "product")

    def plans_writes(self, provided: frozenset[str] | None) -> bool:
        return True

    def compared(self, provided: frozenset[str]) -> tuple[str, ...]:
        cols = super().compared(provided)
        return (*cols, "product_id") if "product" in provided and "product_id" not in cols \
            else cols

    def finish(self, p: Pending, row: dict[str, Any], ctx: Ctx) -> None:
        row["product_id"] = p.refs.get("product")
        row.pop("product", None)
        if row["used"] > row["total"] and row["total"]:
            raise RowError(_("used: {used} is more than the total {total}").format(
                used=number(row["used"]), total=number(row["total"])))
        super().finish(p, row, ctx)

