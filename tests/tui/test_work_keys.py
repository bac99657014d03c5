"""Keys that never surprise on the work screens: footers offer only what applies to the
selected case and role, the call timer runs until the call is ended, and the case
screen's suggestions follow the knowledge base."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.widgets import OptionList

from casedesk.screens.applies import case_key_applies
from casedesk.screens.call_case import CallCaseForm
from casedesk.screens.case import GUIDANCE_RECHECK, CaseScreen
from casedesk.screens.interactions import InteractionLogScreen
from casedesk.screens.supervisor import SupervisorScreen
from casedesk.screens.wip import WipScreen
from casedesk.services.knowledge import library
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, transitions
from casedesk.widgets.call_timer import CallTimer
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle, type_text


def footer(app: Any) -> set[str]:
    """The actions the footer offers now."""
    return {b.binding.action for b in app.screen.active_bindings.values()
            if b.binding.show and b.enabled}


def test_which_case_keys_apply() -> None:
    def row(status: str, owner: str | None, queue: str | None = "technical") -> Any:
        return type("Row", (), {"status": status, "owner": owner, "queue": queue})()

    new_mine = row("new", "ana")
    assert case_key_applies("start", new_mine, "ana", False)
    assert not case_key_applies("start", row("in_progress", "ana"), "ana", False)
    assert not case_key_applies("start", row("new", "luis"), "ana", False)
    assert case_key_applies("start", row("new", "luis"), "maria", True)  # a supervisor may
    assert case_key_applies("accept", row("new", None), "ana", False)
    assert not case_key_applies("accept", new_mine, "ana", False)
    assert not case_key_applies("accept", row("new", None, None), "ana", False)
    assert not case_key_applies("reopen", row("closed", "ana"), "ana", False)
    assert case_key_applies("reopen", row("closed", "ana"), "maria", True)
    assert case_key_applies("close_case", row("resolved", "ana"), "ana", False)
    assert case_key_applies("resolve", None, "ana", False) is None  # nothing selected: dim
    assert case_key_applies("go", new_mine, "ana", False)  # not a case key: left alone


async def test_the_bin_footer_follows_the_highlighted_case(tui_world: World) -> None:
    desk = tui_world.desk
    fresh = cases.create_case(desk, tui_world.ana, title="Nuevo", priority="high")
    going = cases.create_case(desk, tui_world.ana, title="En curso", priority="low")
    transitions.start(desk, tui_world.ana, going.label)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WipScreen)
        rows = [r.label for r in screen.cases.rows_held]
        assert rows[0] == fresh.label
        shown = footer(app)
        assert {"start", "resolve", "dispatch"} <= shown and "close_case" not in shown
        await press(pilot, "down")
        assert screen.cases.current().label == going.label  # type: ignore[union-attr]
        shown = footer(app)
        assert "start" not in shown, "no Start on a case already in progress"
        assert {"wait", "resolve"} <= shown
        await press(pilot, "s")  # hidden keys do nothing
        assert reads.get_case(desk, going.label).status == "in_progress"


async def test_the_case_footer_offers_accept_on_a_queue_case_only(tui_world: World) -> None:
    desk = tui_world.desk
    queued = cases.create_case(desk, tui_world.sup, title="En cola", queue="technical")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(queued.label)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        shown = footer(app)
        assert "accept" in shown
        assert not shown & {"start", "wait", "resolve", "close_case", "reopen"}
        await press(pilot, "a")
        assert reads.get_case(desk, queued.label).owner == "ana"
        shown = footer(app)
        assert "accept" not in shown and {"start", "wait", "resolve"} <= shown


async def test_the_supervisor_footer_follows_the_case(tui_world: World) -> None:
    desk = tui_world.desk
    cases.create_case(desk, tui_world.sup, title="Esperando", queue="technical")
    held = cases.create_case(desk, tui_world.sup, title="De Luis", queue="billing")
    transitions.assign(desk, tui_world.sup, held.label, "luis")
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        names = [q.name for q in screen.queues]
        await press(pilot, "q", *["down"] * names.index("technical"), "c")
        assert screen.cases.current() is not None  # the technical queue's waiting case
        shown = footer(app)
        assert "transfer" in shown and "yank" not in shown
        await press(pilot, "g")
        agents = [a.login for a in screen.agents]
        await press(pilot, *["down"] * agents.index("luis"), "c")
        assert screen.cases.current().label == held.label  # type: ignore[union-attr]
        shown = footer(app)
        assert "yank" in shown and "transfer" not in shown


async def test_reopening_a_closed_case_is_offered_to_supervisors_only(
    tui_world: World,
) -> None:
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.ana, title="Cerrado")
    transitions.resolve(desk, tui_world.ana, case.label, "solved", "hecho")
    transitions.close(desk, tui_world.ana, case.label)
    for login, offered in (("ana", False), ("maria", True)):
        app = make_app(tui_world, login)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.open_case(case.label)
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen)
            assert ("reopen" in footer(app)) is offered, login


async def test_cancelling_the_case_form_keeps_the_call_running(tui_world: World) -> None:
    desk = tui_world.desk
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        log = app.screen
        assert isinstance(log, InteractionLogScreen)
        await type_text(pilot, "juan.perez@")
        await pilot.pause(0.25)
        await press(pilot, "enter")
        assert log.contact is not None
        await type_text(pilot, "No funciona el router")
        timer = log.query_one("#log-timer", CallTimer)
        assert timer.running
        desk.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
        await press(pilot, "ctrl+o")
        assert isinstance(app.screen, CallCaseForm)
        await press(pilot, "escape")  # not now: the customer is still on the line
        assert app.screen is log and timer.running
        desk.clock.advance(timedelta(minutes=3))  # type: ignore[attr-defined]
        await press(pilot, "ctrl+o", "ctrl+s")
        opened = app.screen
        assert isinstance(opened, CaseScreen) and opened.bundle is not None
        calls = reads.customer_history(desk, tui_world.contact_id).interactions
        assert [c.duration_seconds for c in calls] == [300]  # the whole call, 5 minutes
        assert calls[0].case == opened.bundle.case.label


async def test_suggestions_follow_new_articles(tui_world: World) -> None:
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.ana, title="Router sin wifi",
                             description="el router se reinicia solo")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.guidance is not None
        assert screen.guidance.articles == []
        article = library.add_article(desk, tui_world.sup, title="Reiniciar el router",
                                        keywords="router, wifi", body="Desenchúfalo 30 s.")
        library.publish(desk, tui_world.sup, article.label)
        for _ in range(GUIDANCE_RECHECK):  # the seconds pass
            screen.tick()
        await settle(pilot)
        listed = screen.query_one("#case-articles", OptionList)
        assert listed.get_option_at_index(0).id == article.label


def test_a_private_customer_is_named_once() -> None:
    from casedesk.screens.case import customer_line
    from casedesk.screens.interactions import contact_line

    person = {"name": "Juan Pérez", "phone": "+34 600", "email": None,
              "account": "Juan Pérez", "tier": "gold"}
    assert contact_line(person) == "Juan Pérez · +34 600 · gold"
    company = {**person, "account": "Pérez Hogar"}
    assert contact_line(company) == "Juan Pérez · +34 600 · Pérez Hogar (gold)"
    detail = type("Detail", (), {"contact": "Juan Pérez", "contact_phone": None,
                                 "contact_email": "juan@example.com", "account": "Juan Pérez",
                                 "account_tier": "vip"})()
    assert customer_line(detail) == "Juan Pérez · juan@example.com · VIP"  # type: ignore[arg-type]
