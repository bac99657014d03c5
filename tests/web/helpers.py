"""What the portal's tests share: a desk with a web login, a customer signed in."""

from __future__ import annotations

import re

from sqlalchemy import select

from casedesk.db import read_session
from casedesk.models import OutboxMessage
from casedesk.services.directory import staff
from casedesk.services.portal import PortalOptions, signin
from casedesk.services.portal.signin import Customer
from tests.conftest import World

OPTIONS = PortalOptions(base_url="http://portal.test")
_TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


def web_actor(world: World):  # type: ignore[no-untyped-def]
    """The web's own login (the creator of cases from the form)."""
    staff.add_agent(world.desk, world.admin, login="web", name="Web form", role="agent")
    return world.desk.actor("web")


def outbox(world: World, kind: str | None = None) -> list[OutboxMessage]:
    with read_session(world.desk.engine) as s:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            stmt = stmt.where(OutboxMessage.kind == kind)
        return list(s.execute(stmt).scalars())


def token_in(body: str) -> str:
    match = _TOKEN.search(body)
    assert match, body
    return match.group(1)


def sign_in(world: World, email: str, options: PortalOptions = OPTIONS) -> Customer:
    """Ask for a link, read it from the outbox, spend it: the signed-in customer."""
    assert signin.request_link(world.desk, email, options)
    token = token_in(outbox(world, "portal_link")[-1].body)
    new = signin.redeem_link(world.desk, token, options)
    customer = signin.session_of(world.desk, new.cookie)
    assert customer is not None
    return customer
