"""Signing a customer in: a one-time link by mail, then a portal session.

- :func:`request_link` — a customer gives their e-mail; when it is a contact's, a link
  with a fresh random token (256 bits) is queued in the outbox (``kind="portal_link"``)
  in the same transaction that stores the token's SHA-256 and its expiry. The caller
  says the same thing whether or not the address is known (no way to probe who is a
  customer).
- :func:`redeem_link` — the token is spent by one guarded UPDATE (``used_at IS NULL AND
  expires_at > now``): a used, expired or unknown token signs nobody in, and two
  browsers racing with one link get one session. It opens a portal session: a new
  random cookie value (stored hashed) and the CSRF token of its forms.
- :func:`session_of` — the signed-in customer behind a cookie (None when unknown or
  expired); :func:`sign_out` ends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlmodel import col

from casedesk.db import read_session, write_session
from casedesk.errors import PermissionDenied
from casedesk.models import Contact
from casedesk.models.portal import PortalLink, PortalSession
from casedesk.services.context import Desk
from casedesk.services.directory.customers import email_key
from casedesk.services.portal import PortalOptions
from casedesk.services.portal.language import translator
from casedesk.services.portal.mailing import send
from casedesk.services.portal.tokens import new_token, same, token_hash

#: the longest token a link may carry (ours are 43 characters)
MAX_TOKEN = 128


@dataclass(frozen=True)
class Customer:
    """A signed-in customer, as the portal's pages need them."""

    contact_id: int
    name: str
    email: str
    account_id: int | None
    csrf: str


@dataclass(frozen=True)
class NewSession:
    """The cookie value to set (shown once, never stored) and the session's CSRF token."""

    cookie: str
    csrf: str


def link_url(options: PortalOptions, token: str) -> str:
    """The address a sign-in mail carries (the token is its one secret)."""
    return f"{options.base_url.rstrip('/')}/portal/signin?token={token}"


def request_link(desk: Desk, email: str, options: PortalOptions, *, lang: str = "en"
                 ) -> bool:
    """Queue a sign-in link for the contact with ``email``; True when one was queued
    (the web says the same either way)."""
    key = email_key((email or "")[:320])
    if key is None:
        return False
    now = desk.now()
    with write_session(desk.engine) as session:
        row = session.execute(
            select(col(Contact.id), col(Contact.name), col(Contact.email))
            .where(col(Contact.email_key) == key)
        ).first()
        if row is None or not row.email:
            return False
        token = new_token()
        session.execute(insert(PortalLink).values(
            token_hash=token_hash(token), contact_id=row.id, created_at=now,
            expires_at=now + timedelta(minutes=options.link_minutes)))
        tr = translator(lang)
        body = tr.gettext(
            "Hello {name},\n\nfollow this link to see your cases with us:\n\n{url}\n\n"
            "The link works once, within {minutes} minutes. If you did not ask for it, "
            "ignore this message.\n"
        ).format(name=row.name, url=link_url(options, token), minutes=options.link_minutes)
        send(session, kind="portal_link", to=row.email,
             subject=tr.gettext("Your sign-in link"), body=body, at=now)
        return True


def redeem_link(desk: Desk, token: str, options: PortalOptions) -> NewSession:
    """Spend a sign-in link's token and open a portal session; a used, expired or unknown
    token is refused (PermissionDenied)."""
    if not token or len(token) > MAX_TOKEN:
        raise PermissionDenied("this sign-in link is not valid")
    now = desk.now()
    with write_session(desk.engine) as session:
        contact_id = session.execute(
            select(col(PortalLink.contact_id)).where(
                col(PortalLink.token_hash) == token_hash(token))
        ).scalar_one_or_none()
        spent = cast(CursorResult[Any], session.execute(
            update(PortalLink)
            .where(col(PortalLink.token_hash) == token_hash(token),
                   col(PortalLink.used_at).is_(None), col(PortalLink.expires_at) > now)
            .values(used_at=now)
            .execution_options(synchronize_session=False)))
        if contact_id is None or spent.rowcount != 1:
            raise PermissionDenied("this sign-in link is used, expired or not valid: "
                                   "ask for a new one")
        cookie, csrf = new_token(), new_token()
        session.execute(insert(PortalSession).values(
            token_hash=token_hash(cookie), csrf=csrf, contact_id=contact_id,
            created_at=now, expires_at=now + timedelta(hours=options.session_hours)))
        # sessions that ran out go when a new one starts (nothing else reads them)
        session.execute(delete(PortalSession).where(col(PortalSession.expires_at) <= now))
        return NewSession(cookie, csrf)


def session_of(desk: Desk, cookie: str | None) -> Customer | None:
    """The customer signed in with ``cookie``; None when it is unknown or expired."""
    if not cookie or len(cookie) > MAX_TOKEN:
        return None
    with read_session(desk.engine) as session:
        row = session.execute(
            select(col(PortalSession.contact_id), col(PortalSession.csrf),
                   col(PortalSession.expires_at), col(Contact.name), col(Contact.email),
                   col(Contact.account_id))
            .join(Contact, col(Contact.id) == col(PortalSession.contact_id))
            .where(col(PortalSession.token_hash) == token_hash(cookie))
        ).first()
    if row is None or row.expires_at <= desk.now():
        return None
    return Customer(row.contact_id, row.name, row.email or "", row.account_id, row.csrf)


def csrf_ok(customer: Customer, sent: str | None) -> bool:
    """Whether a form carried the session's CSRF token."""
    return bool(sent) and same(customer.csrf, sent or "")


def sign_out(desk: Desk, cookie: str | None) -> None:
    """End the session behind ``cookie`` (nothing when there is none)."""
    if not cookie or len(cookie) > MAX_TOKEN:
        return
    with write_session(desk.engine) as session:
        session.execute(delete(PortalSession).where(
            col(PortalSession.token_hash) == token_hash(cookie)))
