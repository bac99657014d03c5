"""The customer at a glance: an account (or a contact without one) — the products and
services it holds, its contracts with what is left of each line, its open and past cases,
its interactions and its satisfaction where known. Reads only."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel import Session, col

from casedesk.db import read_session
from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import _
from casedesk.models import (
    ACTIVE_STATUSES,
    Account,
    AccountProduct,
    Case,
    Contact,
    Interaction,
    Product,
)
from casedesk.models.base import fixed_limit
from casedesk.services.context import Desk, storable_id
from casedesk.services.contracts.contracts import account_contracts, load_account
from casedesk.services.contracts.entitlements import day_of
from casedesk.services.directory.customers import find_contacts
from casedesk.services.queries.reads import (
    _row_select,
    _to_row,
    interaction_select,
    interaction_view,
)
from casedesk.services.queries.views import CustomerView, ProductHolding

#: How many cases (open, past) and interactions the view lists.
LIST_LIMIT = 50


def find_contact(desk: Desk, who: str) -> int:
    """A contact by id, or by e-mail, phone or name (the interaction log's lookup): one
    match, or an exact e-mail / name among several; else a one-line refusal naming some."""
    text = (who or "").strip()
    if not text:
        raise ValidationError(_("say which customer: a contact id, e-mail, phone or name"))
    if text.isdigit() and len(text) <= 18:
        with read_session(desk.engine) as session:
            if session.get(Contact, storable_id(int(text), "contact")) is not None:
                return int(text)
    found = find_contacts(desk, text, limit=20)
    if not found:
        raise NotFound(_("no customer matches {text}").format(text=repr(text)))
    if len(found) > 1:
        exact = [c for c in found if text.lower() in
                 (str(c["email"] or "").lower(), str(c["name"]).lower())]
        if len(exact) == 1:
            found = exact
        else:
            names = ", ".join(f"{c['name']} (id {c['id']})" for c in found[:5])
            raise ValidationError(
                _("{n} customers match {text}: {names}; give the contact id").format(
                    n=len(found), text=repr(text), names=names)
            )
    return int(str(found[0]["id"]))


def find_account(desk: Desk, which: str) -> int:
    """An account by id or by its name (exact, else the one whose name contains it)."""
    text = (which or "").strip()
    with read_session(desk.engine) as session:
        try:
            return int(load_account(session, text).id or 0)
        except NotFound:
            if text.isdigit():
                raise
        rows = session.execute(
            select(col(Account.id), col(Account.name))
            .where(func.lower(col(Account.name)).contains(text.lower(), autoescape=True))
            .order_by(col(Account.name)).limit(6)
        ).all()
    if not rows:
        raise NotFound(_("no account matches {text}").format(text=repr(text)))
    if len(rows) > 1:
        names = ", ".join(f"{name} (id {aid})" for aid, name in rows[:5])
        raise ValidationError(
            _("several accounts match {text}: {names}; give the account id").format(
                text=repr(text), names=names))
    return int(rows[0][0])


def customer_view(
    desk: Desk,
    *,
    contact_id: int | None = None,
    account_id: int | None = None,
    agent_id: int | None = None,
) -> CustomerView:
    """The view of a contact's account (the contact alone when it has none), or of an
    account; contracts judged on the agent's today."""
    if (contact_id is None) == (account_id is None):
        raise ValidationError(_("say which customer: a contact or an account"))
    with read_session(desk.engine) as session:
        contact = None
        if contact_id is not None:
            contact = session.get(Contact, storable_id(contact_id, "contact"))
            if contact is None:
                raise NotFound(_("no contact {id}").format(id=contact_id))
            account_id = contact.account_id
        account = None
        if account_id is not None:
            account = session.get(Account, storable_id(account_id, "account"))
            if account is None:
                raise NotFound(_("no account {id}").format(id=account_id))
        return _view(session, desk, contact, account, agent_id)


def _view(session: Session, desk: Desk, contact: Contact | None, account: Account | None,
          agent_id: int | None) -> CustomerView:
    contact_ids: list[int] = []
    if account is not None:
        people = session.execute(
            select(col(Contact.id), col(Contact.name))
            .where(col(Contact.account_id) == account.id).order_by(col(Contact.name))
        ).all()
        contact_ids = [int(cid) for cid, _ in people]
        names = [str(name) for _, name in people]
        mine: ColumnElement[bool] = col(Case.account_id) == account.id
        if contact_ids:
            mine = or_(mine, col(Case.contact_id).in_(contact_ids))
    else:
        assert contact is not None
        contact_ids = [int(contact.id or 0)]
        names = [contact.name]
        mine = col(Case.contact_id) == contact.id
    is_open = col(Case.status).in_([s.value for s in ACTIVE_STATUSES])
    newest = (col(Case.created_at).desc(), col(Case.id).desc())
    open_cases = [_to_row(*r) for r in session.execute(
        _row_select().where(mine, is_open).order_by(*newest).limit(LIST_LIMIT)).all()]
    past_cases = [_to_row(*r) for r in session.execute(
        _row_select().where(mine, ~is_open).order_by(*newest).limit(LIST_LIMIT)).all()]
    interactions = [interaction_view(*r) for r in session.execute(
        interaction_select().where(col(Interaction.contact_id).in_(contact_ids))
        .order_by(col(Interaction.started_at).desc(), col(Interaction.id).desc())
        .limit(LIST_LIMIT)).all()]
    rated = col(Case.satisfaction).is_not(None)
    average, count = session.execute(
        select(func.avg(col(Case.satisfaction)), func.count()).where(mine, rated)
    ).one()
    last = session.execute(
        select(col(Case.satisfaction)).where(mine, rated)
        .order_by(func.coalesce(col(Case.closed_at), col(Case.updated_at)).desc(),
                  col(Case.id).desc()).limit(fixed_limit(1))
    ).scalar_one_or_none()
    products: list[ProductHolding] = []
    contracts = []
    if account is not None:
        products = [
            ProductHolding(code, name, serial, since.isoformat() if since else None,
                           until.isoformat() if until else None)
            for code, name, serial, since, until in session.execute(
                select(col(Product.code), col(Product.name), col(AccountProduct.serial),
                       col(AccountProduct.since), col(AccountProduct.until))
                .join(AccountProduct, col(AccountProduct.product_id) == col(Product.id))
                .where(col(AccountProduct.account_id) == account.id)
                .order_by(col(Product.name))
            ).all()
        ]
        contracts = account_contracts(session, int(account.id or 0),
                                      day_of(session, agent_id, desk.now()))
    return CustomerView(
        account_id=account.id if account else None,
        account=account.name if account else None,
        tier=account.tier if account else None,
        contact_id=contact.id if contact else None,
        contact=contact.name if contact else None,
        contact_email=contact.email if contact else None,
        contact_phone=contact.phone if contact else None,
        contacts=names,
        products=products,
        contracts=contracts,
        open_cases=open_cases,
        past_cases=past_cases,
        interactions=interactions,
        satisfaction_average=round(float(average), 2) if average is not None else None,
        satisfaction_last=int(last) if last is not None else None,
        satisfaction_count=int(count),
    )
