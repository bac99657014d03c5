"""The portal's services on both databases: the form, sign-in links, the customer's reach,
comments that move a case on, accept/reject, quotes and the survey."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casedesk.db import read_session
from casedesk.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from casedesk.models import Case, CaseEvent, Interaction
from casedesk.services.directory import customers
from casedesk.services.portal import PortalOptions, cases, form, quotes, signin
from casedesk.services.sla import policy_files
from casedesk.services.workflow import interactions, transitions
from tests.conftest import World
from tests.web.helpers import OPTIONS, outbox, sign_in, token_in, web_actor


def _case(world: World, number: int) -> Case:
    with read_session(world.desk.engine) as s:
        return s.execute(select(Case).where(Case.number == number)).scalar_one()


def _kinds(world: World, number: int) -> list[str]:
    case = _case(world, number)
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)
                              .order_by(CaseEvent.id)).scalars())


def _request(**kw: str) -> form.WebRequest:
    values = {"name": "Rosa Martín", "email": "Rosa@Example.com", "subject": "Sin internet",
              "description": "El router parpadea", "area": "technical"}
    values.update(kw)
    return form.WebRequest(**values)


def test_the_form_opens_a_routed_case_with_its_sla_and_queues_an_acknowledgement(
        world: World) -> None:
    policy_files.load_defaults(world.desk)
    web = web_actor(world)
    receipt = form.submit(world.desk, web, _request())
    case = _case(world, receipt.number)
    assert case.channel == "web" and case.status == "new"
    assert case.queue_id is not None and case.owner_id is None  # a queue, not web's bin
    assert case.sla_policy_id is not None and case.resolution_due is not None
    with read_session(world.desk.engine) as s:
        iv = s.execute(select(Interaction).where(Interaction.case_id == case.id)).scalar_one()
    assert (iv.channel, iv.direction, iv.agent_id) == ("web", "inbound", None)
    ack = outbox(world, "ack")
    assert len(ack) == 1 and ack[0].to_address == "Rosa@Example.com"
    assert ack[0].subject.startswith(f"[{receipt.label}]") and receipt.label in ack[0].body
    # the same address again: the same customer, a second case
    again = form.submit(world.desk, web, _request(email="rosa@example.com", subject="Otra"))
    assert _case(world, again.number).contact_id == case.contact_id


def test_the_form_matches_an_existing_customer_and_speaks_spanish(world: World) -> None:
    web = web_actor(world)
    receipt = form.submit(world.desk, web, _request(email="juan.perez@example.com"),
                          lang="es")
    assert _case(world, receipt.number).contact_id == world.contact_id
    assert "Hola" in outbox(world, "ack")[0].body


@pytest.mark.parametrize("field,value", [("name", " "), ("email", "no-address"),
                                         ("email", ""), ("subject", "")])
def test_the_form_refuses_what_it_cannot_answer(world: World, field: str, value: str
                                                ) -> None:
    web = web_actor(world)
    with pytest.raises(ValidationError):
        form.submit(world.desk, web, _request(**{field: value}))
    assert outbox(world) == []


def test_a_link_signs_in_once_and_expires(world: World) -> None:
    assert not signin.request_link(world.desk, "nobody@example.com", OPTIONS)
    assert signin.request_link(world.desk, " JUAN.perez@example.com", OPTIONS)
    mail = outbox(world, "portal_link")[0]
    token = token_in(mail.body)
    assert mail.to_address == "juan.perez@example.com"
    new = signin.redeem_link(world.desk, token, OPTIONS)
    customer = signin.session_of(world.desk, new.cookie)
    assert customer is not None and customer.contact_id == world.contact_id
    with pytest.raises(PermissionDenied):
        signin.redeem_link(world.desk, token, OPTIONS)  # used
    signin.request_link(world.desk, "juan.perez@example.com", OPTIONS)
    late = token_in(outbox(world, "portal_link")[-1].body)
    world.desk.clock.advance(timedelta(minutes=OPTIONS.link_minutes + 1))  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied):
        signin.redeem_link(world.desk, late, OPTIONS)  # expired
    with pytest.raises(PermissionDenied):
        signin.redeem_link(world.desk, "x" * 43, OPTIONS)  # never issued
    world.desk.clock.advance(timedelta(hours=OPTIONS.session_hours))  # type: ignore[attr-defined]
    assert signin.session_of(world.desk, new.cookie) is None  # the session ran out
    with read_session(world.desk.engine) as s:  # nothing stored is a secret
        from casedesk.models.portal import PortalLink, PortalSession
        stored = [r.token_hash for r in s.execute(select(PortalLink)).scalars()]
        stored += [r.token_hash for r in s.execute(select(PortalSession)).scalars()]
    assert token not in stored and new.cookie not in stored


def test_a_customer_sees_only_their_own_cases_and_nothing_internal(world: World) -> None:
    mine = transitions_case(world, world.contact_id, "Mine")
    other_contact = customers.add_contact(world.desk, name="Eva Otra", email="eva@example.com")
    theirs = transitions_case(world, other_contact, "Theirs")
    from casedesk.services.workflow.cases import add_note
    add_note(world.desk, world.ana, mine, "INTERNAL: customer is grumpy")
    interactions.log_interaction(world.desk, world.ana, channel="phone", direction="outbound",
                                 case=mine, subject="called", notes="INTERNAL call notes")
    interactions.log_interaction(world.desk, world.ana, channel="email", direction="outbound",
                                 case=mine, subject="Lo miramos", notes="Hola Juan")
    customer = sign_in(world, "juan.perez@example.com")
    assert [r.number for r in cases.my_cases(world.desk, customer, OPTIONS)] == [mine]
    with pytest.raises(NotFound):
        cases.case_view(world.desk, customer, OPTIONS, theirs)
    with pytest.raises(NotFound):
        cases.comment(world.desk, world.ana, customer, OPTIONS, theirs, "hola")
    view = cases.case_view(world.desk, customer, OPTIONS, mine)
    text = repr(view)
    assert "INTERNAL" not in text and "Ana" not in text and "technical" not in text
    assert [e.who for e in view.entries] == ["desk", "desk"]
    named = cases.case_view(world.desk, customer, PortalOptions(show_agent_names=True), mine)
    assert "Ana García" in {e.name for e in named.entries}


def transitions_case(world: World, contact_id: int, title: str) -> int:
    from casedesk.services.workflow.cases import create_case
    number = create_case(world.desk, world.ana, title=title, contact_id=contact_id,
                         queue="technical").number
    transitions.accept(world.desk, world.ana, number)
    return int(number)


def test_the_account_s_cases_only_when_allowed(world: World) -> None:
    with read_session(world.desk.engine) as s:
        from casedesk.models import Contact
        account = s.get(Contact, world.contact_id).account_id  # type: ignore[union-attr]
    colleague = customers.add_contact(world.desk, name="Marta Pérez", email="marta@example.com",
                                      account_id=account)
    theirs = transitions_case(world, colleague, "Marta's")
    customer = sign_in(world, "juan.perez@example.com")
    assert cases.my_cases(world.desk, customer, OPTIONS) == []
    wide = PortalOptions(account_cases=True)
    rows = cases.my_cases(world.desk, customer, wide)
    assert [(r.number, r.own) for r in rows] == [(theirs, False)]


def test_comments_move_the_case_on_like_a_customer_s_mail(world: World) -> None:
    policy_files.load_defaults(world.desk)
    number = transitions_case(world, world.contact_id, "No va")
    interactions.log_interaction(world.desk, world.ana, channel="email", direction="outbound",
                                 case=number, subject="¿Qué luces ves?")
    transitions.wait(world.desk, world.ana, number)
    customer = sign_in(world, "juan.perez@example.com")
    cases.comment(world.desk, world.ana, customer, OPTIONS, number, "La roja")
    assert _case(world, number).status == "in_progress"
    assert _kinds(world, number)[-1] == "resume"
    transitions.resolve(world.desk, world.ana, number, "solved", "Router cambiado")
    assert cases.case_view(world.desk, customer, OPTIONS, number).resolution == \
        "Router cambiado"
    cases.reject(world.desk, world.ana, customer, OPTIONS, number, "Sigue sin ir")
    assert _case(world, number).status == "in_progress"
    assert _kinds(world, number)[-1] == "reopen"
    with pytest.raises(InvalidTransition):
        cases.accept(world.desk, customer, OPTIONS, number)  # nothing proposed now
    transitions.resolve(world.desk, world.ana, number, "solved", "Ahora sí")
    cases.accept(world.desk, customer, OPTIONS, number)
    closed = _case(world, number)
    assert closed.status == "closed" and closed.closed_at is not None
    view = cases.case_view(world.desk, customer, OPTIONS, number)
    assert view.survey_open
    with pytest.raises(ValidationError):
        cases.answer_survey(world.desk, customer, OPTIONS, number, 6)
    cases.answer_survey(world.desk, customer, OPTIONS, number, 4, "Bien")
    assert _case(world, number).satisfaction == 4
    assert _case(world, number).status == "closed"
    with pytest.raises(InvalidTransition):
        cases.answer_survey(world.desk, customer, OPTIONS, number, 5)
    # a comment on the closed case opens a new one that follows it
    written = cases.comment(world.desk, world.ana, customer, OPTIONS, number, "Otra cosa")
    assert written.follows is not None and written.number != number
    follow = _case(world, written.number)
    assert follow.extras == {"follows": written.follows} and follow.contact_id == world.contact_id
    with read_session(world.desk.engine) as s:  # every event count still equals the version
        for case in s.execute(select(Case)).scalars():
            events = s.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
            assert len(events) == case.version


def test_a_file_joins_the_case_and_only_its_customer_reads_it(world: World) -> None:
    number = transitions_case(world, world.contact_id, "Factura")
    customer = sign_in(world, "juan.perez@example.com")
    cases.comment(world.desk, world.ana, customer, OPTIONS, number, "",
                  file=("../../etc/factura.pdf", "application/pdf", b"%PDF-1.4 hello"))
    view = cases.case_view(world.desk, customer, OPTIONS, number)
    (file_id, name), = view.entries[-1].files
    assert name == "factura.pdf"
    assert cases.file_of(world.desk, customer, OPTIONS, number, file_id)[2] == b"%PDF-1.4 hello"
    with pytest.raises(ValidationError):
        cases.comment(world.desk, world.ana, customer, OPTIONS, number, "",
                      file=("big.bin", "", b"x" * (cases.MAX_FILE + 1)))


def test_quotes_are_attached_by_agents_and_decided_once_by_the_customer(world: World) -> None:
    number = transitions_case(world, world.contact_id, "Presupuesto")
    with pytest.raises(PermissionDenied):
        quotes.add_quote(world.desk, world.carmen, number, "100")  # not her case
    quote = quotes.add_quote(world.desk, world.ana, number, "120,5", description="Router")
    assert quote.amount_cents == 12050
    customer = sign_in(world, "juan.perez@example.com")
    [shown] = cases.case_view(world.desk, customer, OPTIONS, number).quotes
    assert (shown.amount_cents, shown.status) == (12050, "pending")
    cases.decide_quote(world.desk, customer, OPTIONS, number, quote.id, approve=True)
    with pytest.raises(InvalidTransition):
        cases.decide_quote(world.desk, customer, OPTIONS, number, quote.id, approve=False)
    assert [q.status for q in quotes.quotes_of(world.desk, number)] == ["approved"]
    assert _kinds(world, number)[-1] == "interaction"


@pytest.mark.parametrize("text", ["-1", "1.234", "1,000.00", "abc", ""])
def test_amounts_that_are_not_amounts(text: str) -> None:
    with pytest.raises(ValidationError):
        quotes.parse_amount(text)
