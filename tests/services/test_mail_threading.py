"""Who may write on a case by e-mail (issue 10, point 2). Both databases.

A mail joins a case only through the tag the desk itself writes (``[CS-000123]``) or a
Message-ID already stored on the case, and only from the case's customer or a contact of
its account; anything else opens a new case that mentions the other. Mail reopens and
resumes are the customer's doing, not the importing supervisor's.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from casedesk.db import read_session
from casedesk.models import Case, CaseEvent, Contact, Interaction
from casedesk.services.directory import customers
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from casedesk.services.queries import reads
from casedesk.services.sla import policy_files
from casedesk.services.workflow import transitions
from tests.conftest import World
from tests.services.test_imports_mail import mbox, message

_n = iter(range(1_000_000))


def _send(world: World, tmp_path: Path, subject: str, sender: str,
          reply_to: str | None = None) -> ImportSummary:
    k = next(_n)
    path = mbox(tmp_path / f"in{k}.mbox",
                message(f"<t{k}@mail>", subject, sender=sender, reply_to=reply_to,
                        date="Mon, 02 Mar 2026 12:00:00 +0100"))
    return run_import(world.desk, world.sup, "emails", [path], ImportOptions())


def _case(world: World, number: int) -> Case:
    with read_session(world.desk.engine) as s:
        return s.execute(select(Case).where(Case.number == number)).scalar_one()


def _cases(world: World) -> list[Case]:
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(Case).order_by(Case.number)).scalars())


def _first_case(world: World, tmp_path: Path) -> Case:
    """CS-000001, opened by Juan Pérez's mail <root@juan>."""
    policy_files.load_defaults(world.desk)
    path = mbox(tmp_path / "first.mbox",
                message("<root@juan>", "No tengo internet",
                        date="Mon, 02 Mar 2026 09:00:00 +0100"))
    run_import(world.desk, world.sup, "emails", [path], ImportOptions())
    return _case(world, 1)


def _last_mail_case(world: World) -> Case:
    with read_session(world.desk.engine) as s:
        case_id = s.execute(select(Interaction.case_id).where(Interaction.message_id
                                                              .is_not(None))
                            .order_by(Interaction.id.desc()).limit(1)).scalar_one()
        return s.execute(select(Case).where(Case.id == case_id)).scalar_one()


def _create_note(world: World, case: Case) -> str:
    with read_session(world.desk.engine) as s:
        return s.execute(select(CaseEvent.note).where(CaseEvent.case_id == case.id,
                                                      CaseEvent.kind == "create")).scalar_one()


def test_a_stranger_naming_a_case_opens_a_new_case_that_mentions_it(world: World,
                                                                      tmp_path: Path) -> None:
    first = _first_case(world, tmp_path)
    summary = _send(world, tmp_path, "Re: [CS-000001] No tengo internet",
                    "Intruso <intruso@evil.example>")
    assert summary.details["cases opened"] == 1 and "cases joined" not in summary.details
    assert summary.details["mentions of cases the sender may not join"] == 1
    new = _last_mail_case(world)
    assert new.number == 2 and new.extras["mentions"] == "CS-000001"
    assert "mentions CS-000001" in _create_note(world, new)
    untouched = _case(world, 1)
    assert untouched.version == first.version and untouched.last_activity_at == \
        first.last_activity_at


def test_the_customer_joins_with_the_desks_tag_whatever_the_case_of_the_address(
    world: World, tmp_path: Path
) -> None:
    _first_case(world, tmp_path)
    summary = _send(world, tmp_path, "Re: [CS-000001] más datos",
                    "JUAN <Juan.PEREZ@Example.COM>")
    assert summary.details["cases joined"] == 1
    assert _last_mail_case(world).number == 1


def test_a_contact_of_the_cases_account_may_join(world: World, tmp_path: Path) -> None:
    _first_case(world, tmp_path)
    with read_session(world.desk.engine) as s:
        account = s.execute(select(Contact.account_id)
                            .where(Contact.id == world.contact_id)).scalar_one()
    customers.add_contact(world.desk, name="Marta Pérez", email="marta@perez.example",
                          account_id=account)
    summary = _send(world, tmp_path, "[CS-000001] soy su mujer", "marta@perez.example")
    assert summary.details["cases joined"] == 1
    # another account's contact may not
    other = customers.add_account(world.desk, name="Otra SL")
    customers.add_contact(world.desk, name="Pedro", email="pedro@otra.example", account_id=other)
    summary = _send(world, tmp_path, "[CS-000001] hola", "pedro@otra.example")
    assert "cases joined" not in summary.details
    assert _last_mail_case(world).extras["mentions"] == "CS-000001"


@pytest.mark.parametrize("subject", [
    "Consulta CS-000001",           # no brackets: just text
    "Consulta (CS-000001)",
    "Consulta [cs-000001]",          # not the desk's spelling
    "Consulta [CS-1]",               # not the desk's padding
    "Consulta [CS-0000001]",
])
def test_only_the_desks_own_tag_threads(world: World, tmp_path: Path, subject: str) -> None:
    _first_case(world, tmp_path)
    summary = _send(world, tmp_path, subject, "Juan Pérez <juan.perez@example.com>")
    assert summary.details.get("cases opened") == 1 and "cases joined" not in summary.details
    new = _last_mail_case(world)
    assert new.number == 2 and "mentions" not in (new.extras or {})


def test_a_reply_by_message_id_follows_the_same_sender_rule(world: World,
                                                            tmp_path: Path) -> None:
    _first_case(world, tmp_path)
    stranger = _send(world, tmp_path, "Re: No tengo internet", "x@evil.example",
                     reply_to="<root@juan>")
    assert "cases joined" not in stranger.details
    assert _last_mail_case(world).extras["mentions"] == "CS-000001"
    customer = _send(world, tmp_path, "Re: No tengo internet", "juan.perez@example.com",
                     reply_to="<root@juan>")
    assert customer.details["cases joined"] == 1 and _last_mail_case(world).number == 1


def test_a_stranger_cannot_reopen_but_the_customer_does_and_is_named(world: World,
                                                                     tmp_path: Path) -> None:
    _first_case(world, tmp_path)
    transitions.accept(world.desk, world.ana, 1)
    world.desk.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    transitions.resolve(world.desk, world.ana, 1, "solved", "Router reiniciado")
    world.desk.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]

    stranger = _send(world, tmp_path, "Re: [CS-000001] reabrid", "troll@evil.example")
    assert "cases reopened" not in stranger.details
    assert _case(world, 1).status == "resolved"

    customer = _send(world, tmp_path, "Re: [CS-000001] sigue sin ir",
                     "Juan Pérez <juan.perez@example.com>")
    assert customer.details["cases reopened"] == 1
    assert _case(world, 1).status == "in_progress"
    with read_session(world.desk.engine) as s:
        event = s.execute(select(CaseEvent).where(CaseEvent.kind == "reopen")).scalar_one()
    assert event.actor_id is None  # not María, who ran the import
    assert event.data["by"] == "customer"
    assert event.data["contact"] == "juan.perez@example.com"
    assert event.data["contact_id"] == world.contact_id
    line = next(e for e in reads.timeline(world.desk, 1) if e.kind == "reopen")
    assert line.actor == "customer"  # not the supervisor who ran the import, nor "system"
    assert "reopened by the customer's e-mail from juan.perez@example.com" in line.text
    assert "María" not in line.text
    assert [c.number for c in _cases(world)] == [1, 2]  # the troll's mail: a case of its own
