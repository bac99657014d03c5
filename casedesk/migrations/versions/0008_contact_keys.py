"""one customer is one contact: matching keys on contacts (and account names), e-mail unique

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:00:00

- ``contact.email_key`` (e-mail trimmed, lower case), ``contact.phone_key`` (the phone's
  digits) and ``contact.name_key`` (the name folded: accents, case, separators off), and
  ``account.name_key``: computed by ``services.directory.customers.contact_keys`` /
  ``name_key``, the one function every writer of contacts uses; filled here for the rows
  already stored. ``phone_key`` and both ``name_key`` get plain indexes.
- Contacts already sharing an e-mail key are merged into the oldest (the lowest id): every
  case, interaction and article link of the others moves to it, the keeper takes the
  others' non-empty fields where its own are empty (phone, account, external id, extras
  keys), and the others are deleted. Then a UNIQUE partial index on ``email_key`` (NOT
  NULL) makes a second contact with the same e-mail impossible.

No new table: the grants and row policies of 0006 cover the new columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import op

from casedesk.services.directory.customers import contact_keys, name_key

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CHUNK = 5_000
#: (table, column) of every reference to a contact
REFERENCES = (("case", "contact_id"), ("interaction", "contact_id"),
              ("article_link", "contact_id"))


def _chunks(rows: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(rows), CHUNK):
        yield rows[i:i + CHUNK]


def upgrade() -> None:
    op.add_column("contact", sa.Column("email_key", sa.String(length=254), nullable=True))
    op.add_column("contact", sa.Column("phone_key", sa.String(length=40), nullable=True))
    op.add_column("contact", sa.Column("name_key", sa.String(length=200), nullable=True))
    op.add_column("account", sa.Column("name_key", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    _fill(bind)
    _merge_shared_emails(bind)
    op.create_index("ix_contact_phone_key", "contact", ["phone_key"], unique=False)
    op.create_index("ix_contact_name_key", "contact", ["name_key"], unique=False)
    op.create_index("ix_account_name_key", "account", ["name_key"], unique=False)
    op.create_index("ux_contact_email_key", "contact", ["email_key"], unique=True,
                    sqlite_where=sa.text("email_key IS NOT NULL"),
                    postgresql_where=sa.text("email_key IS NOT NULL"))


def _fill(bind: Any) -> None:
    rows = bind.execute(sa.text("SELECT id, name, email, phone FROM contact")).all()
    params = [{"b_id": rid, **contact_keys(name, email, phone)} for rid, name, email, phone in rows]
    for part in _chunks(params):
        bind.execute(sa.text("UPDATE contact SET email_key = :email_key, phone_key = :phone_key, "
                             "name_key = :name_key WHERE id = :b_id"), part)
    accounts = bind.execute(sa.text("SELECT id, name FROM account")).all()
    for part in _chunks([{"b_id": rid, "k": name_key(name)} for rid, name in accounts]):
        bind.execute(sa.text("UPDATE account SET name_key = :k WHERE id = :b_id"), part)


def _merge_shared_emails(bind: Any) -> None:
    shared = bind.execute(sa.text(
        "SELECT email_key FROM contact WHERE email_key IS NOT NULL "
        "GROUP BY email_key HAVING count(*) > 1"
    )).scalars().all()
    contact = sa.table("contact", sa.column("id"), sa.column("phone"), sa.column("phone_key"),
                       sa.column("account_id"), sa.column("external_id"),
                       sa.column("extras", sa.JSON), sa.column("email_key"))
    for key in shared:
        rows = bind.execute(
            sa.select(contact.c.id, contact.c.phone, contact.c.phone_key, contact.c.account_id,
                      contact.c.external_id, contact.c.extras)
            .where(contact.c.email_key == key).order_by(contact.c.id)
        ).all()
        keeper, others = rows[0], rows[1:]
        values: dict[str, Any] = {}
        extras = dict(keeper.extras or {})
        for other in others:
            for name in ("phone", "account_id", "external_id"):
                if getattr(keeper, name) is None and values.get(name) is None \
                        and getattr(other, name) is not None:
                    values[name] = getattr(other, name)
                    if name == "phone":
                        values["phone_key"] = other.phone_key
            for k, v in (other.extras or {}).items():
                extras.setdefault(k, v)
        if extras != (keeper.extras or {}):
            values["extras"] = extras
        ids = [o.id for o in others]
        for table, column in REFERENCES:
            bind.execute(sa.text(f'UPDATE "{table}" SET {column} = :keeper '  # noqa: S608
                                 f"WHERE {column} IN :ids")
                         .bindparams(sa.bindparam("ids", expanding=True)),
                         {"keeper": keeper.id, "ids": ids})
        # an external id moves with the record: free it before the keeper takes it
        bind.execute(sa.update(contact).where(contact.c.id.in_(ids)).values(external_id=None))
        if values:
            bind.execute(sa.update(contact).where(contact.c.id == keeper.id).values(values))
        bind.execute(sa.delete(contact).where(contact.c.id.in_(ids)))


def downgrade() -> None:
    op.drop_index("ux_contact_email_key", table_name="contact")
    op.drop_index("ix_account_name_key", table_name="account")
    op.drop_index("ix_contact_name_key", table_name="contact")
    op.drop_index("ix_contact_phone_key", table_name="contact")
    op.drop_column("account", "name_key")
    op.drop_column("contact", "name_key")
    op.drop_column("contact", "phone_key")
    op.drop_column("contact", "email_key")
