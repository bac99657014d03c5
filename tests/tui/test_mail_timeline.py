"""Issue 18 point 4 (mail): mail received live and the outbox's delivered/failed events
reach an open case screen within the live-update delay, through the change token."""

from __future__ import annotations

import asyncio
import time
import zoneinfo

from textual.widgets import DataTable

from casedesk.screens.case import CaseScreen
from casedesk.services.mail import outbox, receive, replies
from casedesk.services.mail.smtp import SmtpSettings
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.smtpserver import smtp_server
from tests.tui.conftest import make_app, settle


def _rows(screen: CaseScreen) -> list[str]:
    table = screen.query_one("#case-timeline", DataTable)
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def _until(screen: CaseScreen, pilot: object, words: str) -> None:
    started = time.monotonic()
    while not any(words in row for row in _rows(screen)):
        assert time.monotonic() - started < 2.0, f"{words!r} not shown within 2 s"
        await pilot.pause(0.05)  # type: ignore[attr-defined]


async def test_mail_in_and_out_shows_on_the_open_case_within_two_seconds(
    tui_world: World,
) -> None:
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Router",
                             contact_id=tui_world.contact_id, queue="technical")
    app = make_app(tui_world, "ana", poll_interval=0.25)
    with smtp_server() as smtp:
        settings = SmtpSettings(host=smtp.host, port=smtp.port, from_address="d@desk.example")
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            app.open_case(case.label)
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, CaseScreen)
            await asyncio.to_thread(replies.reply, tui_world.desk, tui_world.ana, case.number,
                                    "Reinicia el router, por favor.")
            await asyncio.to_thread(outbox.deliver_pending, tui_world.desk, settings)
            await _until(screen, pilot, "mail delivered")
            message = (f"From: Juan <juan.perez@example.com>\r\nSubject: Re: [{case.label}] "
                       "sigue igual\r\nMessage-ID: <tui1@example.com>\r\n\r\nNada.\r\n")
            await asyncio.to_thread(receive.receive, tui_world.desk, message.encode(),
                                    zone=zoneinfo.ZoneInfo("Europe/Madrid"))
            await _until(screen, pilot, "sigue igual")
            smtp.behaviour = ["refuse"]
            await asyncio.to_thread(replies.reply, tui_world.desk, tui_world.ana, case.number,
                                    "¿Y ahora?")
            await asyncio.to_thread(outbox.deliver_pending, tui_world.desk, settings)
            await _until(screen, pilot, "554")
