"""Imports on both databases: contacts found by e-mail whatever its case, and an e-mail
joining a case restarts the next-response cycle without losing other SLA bits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from casedesk.db import read_session, write_session
from casedesk.models import Case, Contact, Interaction
from casedesk.services.directory import customers
from casedesk.services.imports.mail import MailImport
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
from casedesk.services.sla import clocks, policy_files
from casedesk.services.workflow import interactions
from tests.conftest import World
from tests.services.test_imports_mail import mbox, message

Flag = clocks.Flag
NR_BITS = Flag.NEXT_RESPONSE_WARNED | Flag.NEXT_RESPONSE_BREACHED


def _case(world: World, number: int) -> Case:
    with read_session(world.desk.engine) as s:
        return s.execute(select(Case).where(Case.number == number)).scalar_one()


def _contacts(world: World) -> list[Contact]:
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(Contact).order_by(Contact.id)).scalars())


def _set_bits(session: Session, case_id: int, bits: int) -> None:
    """What a concurrent SLA scan does: set bits with SQL, without bumping the version."""
    session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(sla_flags=clocks.flags_expr(bits))
        .execution_options(synchronize_session=False)  # rows already read stay as read
    )


def _customer_writes(world: World, tmp_path: Path) -> None:
    """Monday 09:00 Madrid: the customer writes; CS-000001 gets the "standard" policy
    (madrid-office calendar, next response 8 h, warning at 80 %)."""
    policy_files.load_defaults(world.desk)
    run_import(world.desk, world.sup, "emails",
               [mbox(tmp_path / "a.mbox", message("<m1@cliente>", "No tengo internet"))],
               ImportOptions())


def test_mail_reply_restarts_next_response_and_keeps_other_bits(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = world.desk
    _customer_writes(world, tmp_path)
    case = _case(world, 1)
    interactions.log_interaction(
        desk, world.ana, channel="email", direction="outbound", case=1, subject="Lo miramos"
    )
    desk.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    interactions.log_interaction(
        desk, world.ana, channel="phone", direction="inbound", case=1, subject="¿Novedades?"
    )
    assert _case(world, 1).next_response_due == datetime(2026, 3, 2, 17, 10, tzinfo=UTC)
    # Tuesday 09:00 Madrid: answered late, so the next response is recorded as breached
    desk.clock.advance(timedelta(hours=23, minutes=50))  # type: ignore[attr-defined]
    interactions.log_interaction(
        desk, world.ana, channel="email", direction="outbound", case=1, subject="Perdone el retraso"
    )
    with write_session(desk.engine) as s:
        _set_bits(s, case.id, Flag.ESCALATED | Flag.RESOLUTION_WARNED)
    before = _case(world, 1)
    assert before.sla_flags == (
        Flag.FIRST_RESPONSE_MET | NR_BITS | Flag.ESCALATED | Flag.RESOLUTION_WARNED
    )
    assert before.next_response_due is None and before.next_response_warn is None

    # a scan records a bit after the import read the case, before it writes it
    original = MailImport._join

    def racing_join(self, session, case_row, mail, *rest):  # type: ignore[no-untyped-def]
        _set_bits(session, case_row.id, Flag.INACTIVE)
        return original(self, session, case_row, mail, *rest)

    monkeypatch.setattr(MailImport, "_join", racing_join)
    desk.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    # the reply is dated Tuesday 09:30 Madrid (08:30 UTC)
    summary = run_import(
        desk,
        world.sup,
        "emails",
        [
            mbox(
                tmp_path / "b.mbox",
                message(
                    "<m2@cliente>",
                    "Re: No tengo internet [CS-000001]",
                    date="Tue, 03 Mar 2026 09:30:00 +0100",
                ),
            )
        ],
        ImportOptions(),
    )
    assert summary.details == {"cases joined": 1}
    after = _case(world, 1)
    assert after.sla_flags == (
        Flag.FIRST_RESPONSE_MET | Flag.ESCALATED | Flag.RESOLUTION_WARNED | Flag.INACTIVE
    )
    # a new cycle from the mail's date: due 8 business hours later (Tue 18:30 Madrid),
    # its warning at 80 % (6 h 24 min: Tue 16:54 Madrid)
    assert after.next_response_due == datetime(2026, 3, 3, 17, 30, tzinfo=UTC)
    assert after.next_response_warn == datetime(2026, 3, 3, 15, 54, tzinfo=UTC)
    with read_session(desk.engine) as s:
        t = clocks.load_targets(s, after.sla_policy_id)
    mail_at = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    assert t.name == "standard"
    assert after.next_response_due == t.calendar.add(mail_at, t.next_response)
    assert after.due_at == clocks.urgency(after)
    assert after.version == before.version + 1


def test_mail_on_a_running_next_response_keeps_its_cycle_and_bits(
    world: World, tmp_path: Path
) -> None:
    """As ``log_interaction``: a customer writing again while an answer is still owed does
    not restart (or un-breach) the clock that is running."""
    desk = world.desk
    _customer_writes(world, tmp_path)
    interactions.log_interaction(
        desk, world.ana, channel="email", direction="outbound", case=1, subject="Lo miramos"
    )
    interactions.log_interaction(
        desk, world.ana, channel="phone", direction="inbound", case=1, subject="¿Novedades?"
    )
    running = _case(world, 1)
    with write_session(desk.engine) as s:
        _set_bits(s, running.id, NR_BITS)  # the scan breached it
    desk.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    run_import(
        desk,
        world.sup,
        "emails",
        [
            mbox(
                tmp_path / "b.mbox",
                message(
                    "<m2@cliente>",
                    "Re: No tengo internet",
                    reply_to="<m1@cliente>",
                    date="Tue, 03 Mar 2026 09:30:00 +0100",
                ),
            )
        ],
        ImportOptions(),
    )
    after = _case(world, 1)
    assert after.next_response_due == running.next_response_due
    assert after.sla_flags == Flag.FIRST_RESPONSE_MET | NR_BITS


def test_interactions_csv_finds_contacts_by_email_in_any_case(world: World, tmp_path: Path) -> None:
    mixed = customers.add_contact(world.desk, name="Marta Gil", email="Marta.Gil@Example.ES")
    path = tmp_path / "calls.csv"
    path.write_text(
        "id,canal,sentido,contacto,asunto,fecha\n"
        "L1,phone,inbound,JUAN.PEREZ@Example.COM,uno,2026-03-01 10:00\n"
        "L2,phone,inbound,marta.gil@example.es,dos,2026-03-01 11:00\n"
        "L3,phone,inbound,MARTA.GIL@EXAMPLE.ES,tres,2026-03-01 12:00\n"
        "L4,phone,inbound,Marta.Gil@Example.ES,cuatro,2026-03-01 13:00\n"
        "L5,phone,inbound,nadie@example.es,cinco,2026-03-01 14:00\n",
        encoding="utf-8",
    )
    summary = run_import(world.desk, world.sup, "interactions", [path], ImportOptions())
    assert (summary.created, summary.rejected) == (4, 1)
    assert summary.errors == [
        'calls.csv:6: contact: no contact with id or e-mail "nadie@example.es"'
    ]
    with read_session(world.desk.engine) as s:
        got = dict(s.execute(select(Interaction.external_id, Interaction.contact_id)).all())
    assert got == {"L1": world.contact_id, "L2": mixed, "L3": mixed, "L4": mixed}


def test_mail_sender_matches_contact_email_in_any_case(world: World, tmp_path: Path) -> None:
    mixed = customers.add_contact(world.desk, name="Marta Gil", email="Marta.Gil@Example.ES")
    summary = run_import(
        world.desk,
        world.sup,
        "emails",
        [
            mbox(
                tmp_path / "in.mbox",
                message("<a@x>", "Uno", sender="Marta <marta.gil@EXAMPLE.es>"),
                message("<b@x>", "Dos", sender="Juan <Juan.Perez@Example.com>"),
                message("<c@x>", "Tres", sender="MARTA.GIL@EXAMPLE.ES"),
            )
        ],
        ImportOptions(),
    )
    assert summary.created == 3 and "contacts created" not in summary.details
    assert [c.id for c in _contacts(world)] == [world.contact_id, mixed]
    with read_session(world.desk.engine) as s:
        got = dict(s.execute(select(Interaction.message_id, Interaction.contact_id)).all())
    assert got == {"<a@x>": mixed, "<b@x>": world.contact_id, "<c@x>": mixed}
