"""Accounts, contacts, the products they hold and their contracts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from casedesk.models.base import BIG_ID, json_column, utc_column


class Account(SQLModel, table=True):
    """A customer organisation or household."""

    __tablename__ = "account"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    tier: str = Field(default="standard", max_length=16)
    external_id: str | None = Field(default=None, max_length=128, unique=True)
    extras: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    #: the name folded (``services.directory.customers.name_key``): imports match by it
    name_key: str | None = Field(default=None, max_length=200, index=True)


class Contact(SQLModel, table=True):
    """A person who calls, writes or visits."""

    __tablename__ = "contact"
    __table_args__ = (
        # two contacts never share an e-mail (migration 0008 merged those that did)
        Index("ux_contact_email_key", "email_key", unique=True,
              sqlite_where=text("email_key IS NOT NULL"),
              postgresql_where=text("email_key IS NOT NULL")),
    )

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    account_id: int | None = Field(
        sa_type=BIG_ID, default=None, foreign_key="account.id", index=True
    )
    name: str = Field(max_length=200, index=True)
    email: str | None = Field(default=None, max_length=254, index=True)
    phone: str | None = Field(default=None, max_length=40, index=True)
    marketing_consent: bool = Field(default=False)
    external_id: str | None = Field(default=None, max_length=128, unique=True)
    extras: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    # matching keys, kept by every writer (``services.directory.customers.contact_keys``):
    # e-mail trimmed and lower case, the phone's digits, the name folded
    email_key: str | None = Field(default=None, max_length=254)
    phone_key: str | None = Field(default=None, max_length=40, index=True)
    name_key: str | None = Field(default=None, max_length=200, index=True)


class Product(SQLModel, table=True):
    """A product or service the company sells."""

    __tablename__ = "product"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)


class AccountProduct(SQLModel, table=True):
    """A product or service an account has contracted."""

    __tablename__ = "account_product"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    account_id: int = Field(
        sa_type=BIG_ID, foreign_key="account.id", index=True, ondelete="CASCADE"
    )
    product_id: int = Field(sa_type=BIG_ID, foreign_key="product.id")
    serial: str | None = Field(default=None, max_length=80)
    since: date | None = None
    until: date | None = None


class Contract(SQLModel, table=True):
    """A support contract of an account."""

    __tablename__ = "contract"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True)
    account_id: int = Field(sa_type=BIG_ID, foreign_key="account.id", index=True)
    name: str = Field(max_length=200)
    starts: date | None = None
    ends: date | None = None
    status: str = Field(default="active", max_length=16)


class ContractLine(SQLModel, table=True):
    """A line of a contract granting an entitlement: a number of cases or of minutes."""

    __tablename__ = "contract_line"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    contract_id: int = Field(
        sa_type=BIG_ID, foreign_key="contract.id", index=True, ondelete="CASCADE"
    )
    product_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="product.id")
    name: str = Field(max_length=200)
    allotment: str = Field(default="cases", max_length=16)  # "cases" or "minutes"
    total: int = Field(default=0)
    used: int = Field(default=0)
    #: The line's own period (NULL: the contract's ``starts`` / ``ends``).
    starts: date | None = None
    ends: date | None = None
