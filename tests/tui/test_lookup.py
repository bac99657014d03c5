"""Issue 15, point 2 in the workstation: the interaction log's customer lookup follows the
one search rule, so a known customer typed without accents (or in capitals, or surname
first) is offered first, before "+ new customer"."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from casedesk.screens.interactions import NEW_CONTACT, InteractionLogScreen
from casedesk.services.directory import customers
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle, type_text


@pytest.mark.parametrize("typed", ["laura gomez", "LAURA GÓMEZ", "gomez lau"])
async def test_the_call_log_finds_laura_gomez_however_she_is_typed(
    tui_world: World, typed: str
) -> None:
    laura = customers.add_contact(tui_world.desk, name="Laura Gómez",
                                  email="laura.gomez@example.com", phone="+34 611 222 333")
    customers.add_contact(tui_world.desk, name="Laura Martín", phone="+34 622 000 111")
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InteractionLogScreen)
        await type_text(pilot, typed)
        await pilot.pause(0.25)
        await settle(pilot)
        matches = screen.query_one("#log-contact-matches", OptionList)
        first = matches.get_option_at_index(0)
        assert first.id == str(laura) and "Laura Gómez" in str(first.prompt)
        assert matches.highlighted == 0
        last = matches.get_option_at_index(matches.option_count - 1)
        assert last.id == NEW_CONTACT  # offered, but after the customer found
        await press(pilot, "down", "enter")
        assert screen.contact is not None and screen.contact["id"] == laura
