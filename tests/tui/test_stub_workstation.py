"""A screen runs in any App that provides the :class:`Workstation` protocol: here the WIP
bin is mounted in a stub workstation (no modes, no polling, no CaseDeskApp), driven with
the Pilot, and what it asks for is read back as the messages it posts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from textual import on
from textual.app import App
from textual.message import Message

from casedesk.screens import messages
from casedesk.screens.wip import WipScreen
from casedesk.screens.workstation import Workstation
from casedesk.services.context import Actor, Desk
from casedesk.services.queries import reads
from casedesk.services.sla.clocks import PolicyTargets
from casedesk.services.workflow import cases, transitions
from tests.conftest import World
from tests.tui.conftest import settle


class StubWorkstation(App[None]):
    """Only what the protocol asks for, and a list of the messages screens post."""

    def __init__(self, desk: Desk, actor: Actor) -> None:
        super().__init__()
        self.desk = desk
        self.actor: Actor | None = actor
        self.tz = ZoneInfo("Europe/Madrid")
        self.generation = 0
        self.current_case: str | None = None
        self.db_status = ""
        self.presence: str | None = None
        self.posted: list[Message] = []

    def now(self) -> datetime:
        return self.desk.clock.now()

    def targets_for(self, policy: str | None) -> PolicyTargets | None:
        return None

    def on_mount(self) -> None:
        self.push_screen(WipScreen())

    @on(messages.OpenCase)
    @on(messages.DataChanged)
    @on(messages.FirstDataShown)
    def _heard(self, event: Message) -> None:
        self.posted.append(event)


def _is_workstation(app: StubWorkstation) -> Workstation:
    return app  # mypy checks that the stub satisfies the protocol


async def test_the_wip_bin_runs_on_a_stub_workstation_and_asks_by_message(
    tui_world: World,
) -> None:
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.luis, title="Router lento", queue="technical",
                             contact_id=tui_world.contact_id)
    transitions.accept(desk, tui_world.ana, case.label)
    app = StubWorkstation(desk, tui_world.ana)
    _is_workstation(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WipScreen)
        assert [r.label for r in screen.cases.rows_held] == [case.label]
        assert any(isinstance(m, messages.FirstDataShown) for m in app.posted)

        await pilot.press("enter")
        await settle(pilot)
        opened = [m for m in app.posted if isinstance(m, messages.OpenCase)]
        assert [m.number for m in opened] == [case.label]

        await pilot.press("s")  # start: a change through the services, then a refresh asked
        await settle(pilot)
        assert any(isinstance(m, messages.DataChanged) for m in app.posted)
        assert reads.get_case(desk, case.label).status == "in_progress"
