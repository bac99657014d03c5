"""The issue's "done when", in a real browser: headless Chromium (Debian's, installed by
``make browser``) driven by Playwright against ``casedesk web`` served by uvicorn, the
mail delivered by the outbox's sender to a real SMTP server (aiosmtpd).

A customer fills the web form, gets the acknowledgement, asks for a sign-in link, follows
it from the mail, sees the case move as the agent works it through the services (what the
terminal calls), comments, rejects a resolution, accepts the next one and rates it — and
every mail the desk queued reached the SMTP server exactly once. Both databases.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect
from sqlalchemy import select

from casedesk.db import read_session
from casedesk.models import Case, OutboxMessage
from casedesk.services.mail.outbox import deliver_pending
from casedesk.services.mail.smtp import SmtpSettings
from casedesk.services.portal import PortalOptions
from casedesk.services.queries import reads
from casedesk.services.sla import policy_files
from casedesk.services.workflow import interactions, transitions
from casedesk.web.app import WebConfig, create_app
from tests.conftest import World
from tests.smtpserver import SmtpServer, free_port, smtp_server
from tests.web.helpers import web_actor

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
_LINK = re.compile(r"https?://\S+/portal/signin\?token=[A-Za-z0-9_-]+")


def _need_browser() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":  # CI installs it (make browser): never skip there
        pytest.fail(f"{CHROMIUM} is missing: `make browser` should have installed it")
    pytest.skip(f"{CHROMIUM} is missing: run `make browser`")


class Server:
    """uvicorn serving the app in a thread, on a free local port."""

    def __init__(self, app: Any, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started, "uvicorn did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _deliver(world: World, smtp: SmtpServer, expect: int) -> list[EmailMessage]:
    """Run the sender (as ``casedesk worker`` does) and wait for ``expect`` mails in all."""
    settings = SmtpSettings(host=smtp.host, port=smtp.port, from_address="desk@example.com",
                            timeout=5)
    deliver_pending(world.desk, settings)
    return smtp.wait_for(expect)


def _status(world: World, number: int) -> str:
    with read_session(world.desk.engine) as s:
        return str(s.execute(select(Case.status).where(Case.number == number)).scalar_one())


def test_a_customer_from_the_form_to_the_rating(world: World, smtp: SmtpServer,
                                                browser: Any) -> None:
    policy_files.load_defaults(world.desk)
    web = web_actor(world)
    port = free_port()
    options = PortalOptions(base_url=f"http://127.0.0.1:{port}")
    served = Server(create_app(WebConfig(world.desk, web, options)), port)
    with served:
        page = browser.new_page(locale="en-GB")
        # 1. the web form
        page.goto(served.url + "/")
        page.fill("input[name=name]", "Rosa Martín")
        page.fill("input[name=email]", "rosa@example.com")
        page.select_option("select[name=area]", "technical")
        page.fill("input[name=subject]", "No internet since this morning")
        page.fill("textarea[name=description]", "The router's light is red.")
        page.click("#request button[type=submit]")
        assert "CS-000001" in page.inner_text("#receipt")
        [ack] = _deliver(world, smtp, 1)
        assert "[CS-000001]" in str(ack["Subject"]) and ack["To"] == "rosa@example.com"
        # 2. sign in by the link in the mail
        page.goto(served.url + "/portal")
        page.fill("#ask-link input[name=email]", "rosa@example.com")
        page.click("#ask-link button[type=submit]")
        expect(page.locator("#link-sent")).to_be_visible()
        mails = _deliver(world, smtp, 2)
        link = _LINK.search(mails[1].get_content())
        assert link, mails[1].get_content()
        page.goto(link.group(0))
        page.click("#signin button[type=submit]")
        assert "CS-000001" in page.inner_text("#cases")
        assert "token" not in page.url
        # 3. the agent works the case in the terminal; the customer sees it move
        transitions.accept(world.desk, world.luis, 1)
        interactions.log_interaction(world.desk, world.luis, channel="email",
                                     direction="outbound", case=1,
                                     subject="Which lights are on?", notes="Tell us, please.")
        transitions.wait(world.desk, world.luis, 1)
        page.click("text=CS-000001")
        expect(page.locator("#status")).to_have_text("awaiting customer")
        assert "Tell us, please." in page.inner_text("#timeline")
        assert "Luis" not in page.content()  # agents' names are not configured
        page.fill("#comment textarea[name=text]", "Only the red one.")
        page.click("#comment button[type=submit]")
        expect(page.locator("#status")).to_have_text("in progress")
        assert _status(world, 1) == "in_progress"
        agent_view = reads.timeline(world.desk, 1)  # the workstation's history reads this
        assert any("Only the red one." in (getattr(e, "text", "") or repr(e))
                   for e in agent_view), agent_view
        # 4. a resolution rejected, the next one accepted and rated
        transitions.resolve(world.desk, world.luis, 1, "solved", "Router restarted remotely.")
        page.reload()
        expect(page.locator("#resolution")).to_contain_text("Router restarted remotely.")
        page.fill("#reject textarea[name=reason]", "Still red.")
        page.click("#reject button[type=submit]")
        expect(page.locator("#status")).to_have_text("in progress")
        transitions.resolve(world.desk, world.luis, 1, "solved", "Router replaced.")
        page.reload()
        page.click("#accept button[type=submit]")
        expect(page.locator("#status")).to_have_text("closed")
        page.check("#survey input[name=score][value='5']")
        page.fill("#survey textarea[name=remark]", "Quick and kind.")
        page.click("#survey button[type=submit]")
        expect(page.locator("#rated")).to_contain_text("5 of 5")
        with read_session(world.desk.engine) as s:
            case = s.execute(select(Case).where(Case.number == 1)).scalar_one()
            queued = list(s.execute(select(OutboxMessage)).scalars())
        assert (case.status, case.satisfaction) == ("closed", 5)
        # 5. every mail queued reached the server exactly once
        _deliver(world, smtp, len(queued))
        deliver_pending(world.desk, SmtpSettings(host=smtp.host, port=smtp.port, timeout=5))
        ids = [str(m["Message-ID"]) for m in smtp.messages]
        assert sorted(ids) == sorted(q.message_id for q in queued)
        assert len(set(ids)) == len(ids)
        # the same page in Spanish
        page.goto(served.url + "/portal/cases/CS-000001?lang=es")
        expect(page.locator("#status")).to_have_text("cerrado")
