"""A customer's e-mail on a case that is waiting, resolved or closed: what a helpdesk does.

Waiting for the customer → resumes; resolved → reopens; closed → stays closed and a new case
follows it. Only mails written after the case got there; older ones are history. Both DBs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from casedesk.db import read_session
from casedesk.models import Case, CaseEvent, Interaction
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
from casedesk.services.sla import clocks, policy_files
from casedesk.services.workflow import interactions, transitions
from tests.conftest import World
from tests.services.test_imports_mail import mbox, message

Flag = clocks.Flag


def _case(world: World, number: int) -> Case:
    with read_session(world.desk.engine) as s:
        return s.execute(select(Case).where(Case.number == number)).scalar_one()


def _events(world: World, number: int) -> list[CaseEvent]:
    case = _case(world, number)
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)
                              .order_by(CaseEvent.id)).scalars())


def _mail(world: World, path: Path, mid: str, subject: str, date: str, **kw: str):  # type: ignore[no-untyped-def]
    return run_import(world.desk, world.sup, "emails", [mbox(path, message(mid, subject,
                                                                             date=date, **kw))],
                      ImportOptions())


def _worked_case(world: World, tmp_path: Path) -> None:
    """Mon 09:00 Madrid a customer writes (CS-000001); Ana takes it and answers."""
    policy_files.load_defaults(world.desk)
    _mail(world, tmp_path / "first.mbox", "<m1@cliente>", "No tengo internet",
          "Mon, 02 Mar 2026 09:00:00 +0100")
    transitions.accept(world.desk, world.ana, 1)
    interactions.log_interaction(world.desk, world.ana, channel="email", direction="outbound",
                                 case=1, subject="Lo miramos")


def test_an_answer_resumes_a_case_waiting_for_the_customer(world: World, tmp_path: Path
                                                            ) -> None:
    _worked_case(world, tmp_path)
    world.desk.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    transitions.wait(world.desk, world.ana, 1, note="¿Qué luces tiene el router?")
    waiting = _case(world, 1)
    assert waiting.paused_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    world.desk.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]

    summary = _mail(world, tmp_path / "reply.mbox", "<m2@cliente>",
                    "Re: [CS-000001] No tengo internet", "Mon, 02 Mar 2026 11:30:00 +0100")

    assert summary.details["cases resumed"] == 1
    case = _case(world, 1)
    assert case.status == "in_progress" and case.owner_id == world.ana.id
    assert case.paused_at is None
    # paused 10:00–11:30 Madrid, all of it business time: the resolution moves 1 h 30 later
    assert case.paused_seconds == waiting.paused_seconds + 5400
    assert case.resolution_due == waiting.resolution_due + timedelta(seconds=5400)
    assert case.next_response_due is not None  # the customer wrote: the agent owes an answer
    assert case.due_at == min(case.next_response_due, case.resolution_due)
    last = _events(world, 1)[-1]
    assert (last.kind, last.from_status, last.to_status) == ("resume", "awaiting_customer",
                                                              "in_progress")
    # the customer's doing, not the supervisor's who ran the import (issue 10)
    assert last.note == ("resumed by the customer's e-mail from juan.perez@example.com: "
                         "Re: [CS-000001] No tengo internet")
    assert last.actor_id is None
    assert last.data["by"] == "customer"
    assert last.data["contact"] == "juan.perez@example.com"
    assert case.version == len(_events(world, 1))


def test_an_answer_reopens_a_resolved_case_but_an_older_mail_does_not(
    world: World, tmp_path: Path
) -> None:
    _worked_case(world, tmp_path)
    world.desk.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    transitions.resolve(world.desk, world.ana, 1, "solved", "Router reiniciado")
    resolved = _case(world, 1)
    assert resolved.sla_flags & Flag.RESOLUTION_MET and resolved.autoclose_due is not None
    world.desk.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]

    # written at 09:40, before the resolution, imported now: history, the case stays resolved
    old = _mail(world, tmp_path / "old.mbox", "<m0@cliente>", "Re: [CS-000001] Más datos",
                "Mon, 02 Mar 2026 09:40:00 +0100")
    assert "cases reopened" not in old.details
    case = _case(world, 1)
    assert case.status == "resolved" and case.next_response_due is None
    assert _events(world, 1)[-1].kind == "interaction"

    summary = _mail(world, tmp_path / "reply.mbox", "<m2@cliente>",
                    "Re: [CS-000001] Sigue sin funcionar", "Mon, 02 Mar 2026 11:30:00 +0100")
    assert summary.details["cases reopened"] == 1
    case = _case(world, 1)
    assert case.status == "in_progress"
    assert case.resolved_at is None and case.autoclose_due is None
    assert not case.sla_flags & Flag.RESOLUTION_MET
    assert case.next_response_due is not None
    last = _events(world, 1)[-1]
    assert (last.kind, last.from_status, last.to_status) == ("reopen", "resolved", "in_progress")
    assert last.actor_id is None and last.data["by"] == "customer"
    assert last.note.startswith("reopened by the customer's e-mail from juan.perez@example.com")
    assert case.version == len(_events(world, 1))


def test_an_answer_to_a_closed_case_opens_a_case_that_follows_it(world: World, tmp_path: Path
                                                                  ) -> None:
    _worked_case(world, tmp_path)
    transitions.resolve(world.desk, world.ana, 1, "solved", "Router reiniciado")
    transitions.close(world.desk, world.ana, 1)
    closed = _case(world, 1)
    world.desk.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]

    summary = _mail(world, tmp_path / "reply.mbox", "<m2@cliente>", "Otra vez sin internet",
                    "Mon, 02 Mar 2026 11:30:00 +0100", reply_to="<m1@cliente>")
    assert summary.details["cases opened"] == 1
    after = _case(world, 1)
    assert (after.status, after.version) == ("closed", closed.version)  # left alone
    follow = _case(world, 2)
    assert follow.status == "new" and follow.extras == {"message_id": "<m2@cliente>",
                                                         "follows": "CS-000001"}
    create = _events(world, 2)[0]
    assert create.note == "opened from e-mail <m2@cliente>; follows CS-000001 (closed)"
    with read_session(world.desk.engine) as s:
        case_of_mail = s.execute(select(Interaction.case_id)
                                 .where(Interaction.message_id == "<m2@cliente>")).scalar_one()
    assert case_of_mail == follow.id
