"""Mail in live (issue 18 point 2): one message at a time, as the file import threads it,
and the mails the desk promises going out exactly once (both databases)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from casedesk.clock import FrozenClock
from casedesk.db import read_session
from casedesk.errors import MailRefused
from casedesk.models import Case, Interaction, OutboxMessage
from casedesk.services.knowledge import library
from casedesk.services.mail import outbox, receive, replies
from casedesk.services.mail.smtp import SmtpSettings
from casedesk.services.queries import live, reads
from casedesk.services.sla import scanner
from casedesk.services.workflow import cases, transitions
from tests.conftest import World
from tests.mailcorpus import awkward, real_world
from tests.services.test_sla_lifecycle import sla_setup
from tests.smtpserver import SmtpServer, smtp_server

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
#: the real-world messages with no sender address: no From at all, msg_05's "From: foo",
#: msg_43's bounce from "MAILER DAEMON <>" (the null sender)
NO_SENDER = ("msg_05.txt", "msg_11.txt", "msg_18.txt", "msg_19.txt", "msg_37.txt",
             "msg_38.txt", "msg_39.txt", "msg_40.txt", "msg_43.txt")
DESK = "soporte@desk.example"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def _settings(server: SmtpServer) -> SmtpSettings:
    return SmtpSettings(host=server.host, port=server.port, from_address=DESK, timeout=5)


def _mail(subject: str, *, sender: str = "marta.gil@example.net", mid: str = "<m1@example.net>",
          extra: str = "", body: str = "Hola, no tengo línea.",
          date: str = "Mon, 02 Mar 2026 08:30:00 +0100") -> bytes:
    return (f"From: Marta Gil <{sender}>\r\nTo: {DESK}\r\nSubject: {subject}\r\n"
            f"Message-ID: {mid}\r\nDate: {date}\r\n{extra}\r\n"
            f"{body}\r\n").encode()


def _in(world: World, data: bytes, **kw: object) -> receive.Received:
    return receive.receive(world.desk, data, zone=MADRID, own_address=DESK,
                           **kw)  # type: ignore[arg-type]


def _outbox(world: World, **where: object) -> list[OutboxMessage]:
    with read_session(world.desk.engine) as s:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        for key, value in where.items():
            query = query.where(getattr(OutboxMessage, key) == value)
        return list(s.execute(query).scalars())


def _case(world: World, number: int) -> Case:
    with read_session(world.desk.engine) as s:
        return s.execute(select(Case).where(col(Case.number) == number)).scalar_one()


def test_a_new_mail_opens_a_case_and_is_acknowledged_once(world: World, smtp: SmtpServer) -> None:
    got = _in(world, _mail("No tengo internet"))
    assert got.status == "stored" and got.opened and got.acknowledged
    assert got.case_number is not None
    (ack,) = _outbox(world, kind="ack")
    assert ack.to_address == "marta.gil@example.net"
    assert ack.in_reply_to == "<m1@example.net>"
    assert ack.subject.startswith(f"[CS-{got.case_number:06d}] ")
    assert "Hemos recibido" in ack.subject  # the customer's language: Spanish by default
    # the MTA hands the same message again (it lost our answer): stored once, no second ack
    again = _in(world, _mail("No tengo internet"))
    assert again.status == "duplicate" and not again.opened and again.case_number == got.case_number
    assert len(_outbox(world, kind="ack")) == 1
    report = outbox.deliver_pending(world.desk, _settings(smtp))
    assert report.delivered == 1 and len(smtp.messages) == 1
    assert smtp.messages[0]["In-Reply-To"] == "<m1@example.net>"


def test_a_reply_to_the_desks_mail_threads_back_without_the_tag(world: World) -> None:
    first = _in(world, _mail("No tengo internet"))
    (ack,) = _outbox(world, kind="ack")
    # the customer answers the acknowledgement; their client dropped the tag from the subject
    answer = _in(world, _mail("Re: lo de ayer", mid="<m2@example.net>",
                              extra=f"In-Reply-To: {ack.message_id}\r\n"
                                    f"References: <m1@example.net> {ack.message_id}\r\n"))
    assert answer.case_number == first.case_number and not answer.opened
    assert not answer.acknowledged and len(_outbox(world, kind="ack")) == 1


def test_the_lifecycle_is_the_file_imports(world: World) -> None:
    clock = world.desk.clock
    assert isinstance(clock, FrozenClock)
    first = _in(world, _mail("Router"))
    number = first.case_number
    assert number is not None
    transitions.accept(world.desk, world.ana, number)
    case = _case(world, number)
    actor = world.sup
    transitions.resolve(world.desk, actor, number, "fixed", "Cambiamos el router.")
    (proposal,) = _outbox(world, kind="resolution")
    assert "Cambiamos el router." in proposal.body and proposal.case_id == case.id
    clock.advance(timedelta(hours=1))
    reply = _in(world, _mail(f"Re: [CS-{number:06d}] sigue igual", mid="<m3@example.net>",
                             date="Mon, 02 Mar 2026 09:30:00 +0100"))
    assert reply.case_number == number and _case(world, number).status == "in_progress"
    transitions.resolve(world.desk, actor, number, "fixed", "Ahora sí.")
    transitions.close(world.desk, actor, number)
    (survey,) = _outbox(world, kind="survey")
    assert survey.to_address == "marta.gil@example.net"
    clock.advance(timedelta(hours=1))
    later = _in(world, _mail(f"Re: [CS-{number:06d}] otra cosa", mid="<m4@example.net>",
                             date="Mon, 02 Mar 2026 10:30:00 +0100"))
    assert later.opened and later.case_number != number and later.acknowledged
    assert (_case(world, later.case_number or 0).extras or {}).get("follows") == \
        f"CS-{number:06d}"


def test_automatic_mail_is_stored_but_never_acknowledged(world: World) -> None:
    for n, extra in enumerate(("Auto-Submitted: auto-replied\r\n", "Precedence: bulk\r\n",
                               "List-Id: <news.example.net>\r\n")):
        got = _in(world, _mail(f"aviso {n}", mid=f"<auto{n}@example.net>", extra=extra))
        assert got.opened and not got.acknowledged
    got = _in(world, _mail("Undelivered", sender="mailer-daemon@example.net",
                           mid="<bounce@example.net>"))
    assert got.opened and not got.acknowledged
    assert _outbox(world, kind="ack") == []


def test_awkward_mail_is_stored_or_refused_with_a_reason(world: World) -> None:
    stored = refused = 0
    for name, data, expected in awkward():
        if expected is None:
            got = _in(world, data)
            assert got.status == "stored", name
            stored += 1
        else:
            with pytest.raises(MailRefused, match=expected):
                _in(world, data)
            refused += 1
    assert (stored, refused) == (11, 6)
    with read_session(world.desk.engine) as s:
        reused = s.execute(select(Interaction).where(
            col(Interaction.email_from).contains("otro@example.org"))).scalar_one()
        assert reused.message_id and reused.message_id.startswith("<dup-")
        assert (reused.extras or {}).get("message_id") == "<same@example.net>"
        html = s.execute(select(Interaction).where(
            col(Interaction.message_id) == "<html@example.net>")).scalar_one()
        assert "línea" in html.notes and "x()" not in html.notes
        att = s.execute(select(Interaction).where(
            col(Interaction.message_id) == "<att@example.net>")).scalar_one()
        assert [a["name"] for a in att.attachments or []] == ["foto.png"]
        latin = s.execute(select(Interaction).where(
            col(Interaction.message_id) == "<latin1@example.net>")).scalar_one()
        assert "año" in latin.subject


def test_the_real_world_corpus_stores_every_message_with_a_sender(world: World) -> None:
    results: dict[str, str] = {}
    for name, data in real_world():
        try:
            results[name] = _in(world, data).status
        except MailRefused as exc:
            results[name] = f"refused: {exc}"
    refused = {n: r for n, r in results.items() if r.startswith("refused")}
    # every refusal is one RT would make too: no sender address it could answer
    assert all("sender" in r or "From" in r for r in refused.values()), refused
    assert len(results) == 48 and sorted(refused) == sorted(NO_SENDER)
    assert sum(1 for r in results.values() if r in ("stored", "duplicate")) == 48 - len(refused)


def test_replies_and_articles_go_through_the_outbox_and_thread(
    world: World, smtp: SmtpServer
) -> None:
    detail = cases.create_case(world.desk, world.ana, title="Factura duplicada",
                               contact_id=world.contact_id, queue="billing")
    view = replies.reply(world.desk, world.ana, detail.number, "Lo revisamos hoy.")
    (mail,) = _outbox(world, kind="reply")
    assert mail.subject == f"[CS-{detail.number:06d}] Re: Factura duplicada"
    with read_session(world.desk.engine) as s:
        row = s.get(Interaction, view.id)
        assert row is not None and row.message_id == mail.message_id
    article = library.add_article(world.desk, world.ana, title="Cómo leer tu factura",
                                     body="Paso 1 …")
    library.publish(world.desk, world.sup, article.number)
    library.send_to_customer(world.desk, world.ana, article.number, detail.number)
    (sent,) = _outbox(world, kind="article")
    assert sent.body.endswith("Paso 1 …") and sent.to_address == "juan.perez@example.com"
    assert outbox.deliver_pending(world.desk, _settings(smtp)).delivered == 2
    # the customer answers the article: it threads by In-Reply-To alone
    answer = _in(world, _mail("gracias", sender="juan.perez@example.com", mid="<j1@example.com>",
                              extra=f"In-Reply-To: {sent.message_id}\r\n"))
    assert answer.case_number == detail.number and not answer.opened


def test_delivery_events_move_the_change_token_and_show_in_the_timeline(
    world: World, smtp: SmtpServer
) -> None:
    got = _in(world, _mail("No tengo internet"))
    before = live.change_token(world.desk)
    smtp.behaviour = ["refuse"]
    outbox.deliver_pending(world.desk, _settings(smtp))
    after = live.change_token(world.desk)
    assert after != before
    entries = reads.timeline(world.desk, got.case_number or 0)
    kinds = [e.kind for e in entries]
    assert "mail_failed" in kinds and "interaction" in kinds
    failed = next(e for e in entries if e.kind == "mail_failed")
    assert "554" in failed.text and "marta.gil@example.net" in failed.text


def test_auto_close_sends_the_survey(world: World, tmp_path: Path) -> None:
    clock = world.desk.clock
    assert isinstance(clock, FrozenClock)
    sla_setup(world, tmp_path)
    detail = cases.create_case(world.desk, world.ana, title="Sin tono",
                               contact_id=world.contact_id, queue="technical")
    transitions.accept(world.desk, world.ana, detail.number)
    transitions.resolve(world.desk, world.ana, detail.number, "fixed", "Reiniciado.")
    clock.advance(timedelta(days=30))
    scanner.scan(world.desk)
    assert _case(world, detail.number).status == "closed"
    (survey,) = _outbox(world, kind="survey")
    assert survey.to_address == "juan.perez@example.com"
