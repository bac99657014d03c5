"""E-mail imports: mbox, Maildir and .eml; threading into cases; idempotence."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from casedesk.db import read_session, write_session
from casedesk.errors import ConfigError
from casedesk.models import Case, CaseEvent, Contact, Interaction, Queue, RoutingRule
from casedesk.services.imports.mailread import html_to_text
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
from casedesk.services.sla import policy_files
from casedesk.services.workflow import interactions
from tests.conftest import World


def message(mid: str | None, subject: str, *, sender: str = "Juan Pérez <juan.perez@example.com>",
            date: str = "Mon, 02 Mar 2026 09:00:00 +0100", reply_to: str | None = None,
            html: str | None = None, attachment: bytes | None = None) -> EmailMessage:
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = "soporte@casedesk.example"
    msg["Subject"] = subject
    msg["Date"] = date
    if mid:
        msg["Message-ID"] = mid
    if reply_to:
        msg["In-Reply-To"] = reply_to
        msg["References"] = f"<root@elsewhere> {reply_to}"
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(f"Cuerpo de {subject}\n")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf",
                           filename="factura.pdf")
    return msg


def mbox(path: Path, *messages: EmailMessage) -> Path:
    box = mailbox.mbox(path)
    for m in messages:
        box.add(m)
    box.flush()
    box.close()
    return path


def imp(world: World, *paths: Path, **options: object):  # type: ignore[no-untyped-def]
    return run_import(world.desk, world.sup, "emails", list(paths), ImportOptions(**options))


def all_rows(world: World, model: type, *where: object) -> list:
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(model).where(*where).order_by(model.id)).scalars())


def test_mbox_threads_replies_and_tags_into_cases(world: World, tmp_path: Path) -> None:
    policy_files.load_defaults(world.desk)
    with read_session(world.desk.engine) as s:
        billing = s.execute(select(Queue.id).where(Queue.name == "billing")).scalar_one()
    with write_session(world.desk.engine) as s:
        s.execute(insert(RoutingRule).values(name="facturas", position=1, active=True,
                                             conditions={"keywords": ["factura"]},
                                             queue_id=billing, strategy="manual"))
    first = mbox(tmp_path / "inbox.mbox", message("<m1@cliente>", "No tengo internet"))
    summary = imp(world, first)
    assert (summary.read, summary.created) == (1, 1)
    (case,) = all_rows(world, Case)
    assert case.number == 1 and case.channel == "email" and case.contact_id == world.contact_id
    assert case.title == "No tengo internet" and case.queue_id is not None
    assert case.created_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert case.first_response_due is not None
    # the agent answers; then the customer's reply must start the next-response clock
    interactions.log_interaction(world.desk, world.ana, channel="email", direction="outbound",
                                 case=case.number, subject="Lo miramos")
    later = mbox(
        tmp_path / "later.mbox",
        message("<m2@cliente>", "Re: No tengo internet", reply_to="<m1@cliente>",
                date="Mon, 02 Mar 2026 10:00:00 +0100"),
        message("<m3@otro>", "Consulta [CS-000001]", sender="Nuevo <nuevo@cliente.es>",
                html="<html><head><style>p{}</style></head><body><p>Hola&nbsp;equipo</p>"
                     "<ul><li>uno</li><li>dos</li></ul></body></html>",
                attachment=b"%PDF-1.4 1234567890", date="Mon, 02 Mar 2026 10:30:00 +0100"),
        message("<m4@cliente>", "Factura incorrecta", date="Mon, 02 Mar 2026 11:00:00 +0100"),
        message("<m5@cliente>", "Sin remitente", sender=""),
        message("<m1@cliente>", "No tengo internet"),
    )
    summary = imp(world, later)
    assert summary.to_json() == {"read": 5, "created": 3, "updated": 0, "unchanged": 1,
                                 "rejected": 1, "rejects": str(tmp_path / "later.rejects.mbox")}
    # m3 names case 1 in the desk's own tag, but comes from a stranger: a new case that
    # mentions CS-000001 (issue 10), not a message on somebody else's case
    assert summary.details == {"cases joined": 1, "cases opened": 2, "contacts created": 1,
                               "mentions of cases the sender may not join": 1}
    assert summary.errors == ['later.mbox:4: From: no sender address in ""']
    mails = {i.message_id: i for i in all_rows(world, Interaction,
                                                Interaction.message_id.is_not(None))}
    assert mails["<m2@cliente>"].case_id == case.id
    assert mails["<m2@cliente>"].in_reply_to == "<m1@cliente>"
    tagged = mails["<m3@otro>"]
    (mentioning,) = all_rows(world, Case, Case.id == tagged.case_id)
    assert mentioning.id != case.id and mentioning.extras["mentions"] == "CS-000001"
    assert tagged.notes == "Hola equipo\n\n- uno\n\n- dos"
    assert tagged.attachments == [{"name": "factura.pdf", "size": 19,
                                   "type": "application/pdf"}]
    assert tagged.email_from == "Nuevo <nuevo@cliente.es>"
    (nuevo,) = all_rows(world, Contact, Contact.email == "nuevo@cliente.es")
    assert tagged.contact_id == nuevo.id and nuevo.name == "Nuevo"
    routed = all_rows(world, Case, Case.id == mails["<m4@cliente>"].case_id)[0]
    assert routed.queue_id == billing and routed.number == 3
    (fresh,) = all_rows(world, Case, Case.id == case.id)
    assert fresh.next_response_due is not None  # the reply started the clock
    kinds = [e.kind for e in all_rows(world, CaseEvent, CaseEvent.case_id == case.id)]
    assert kinds == ["create", "interaction", "interaction"]
    rejected = mailbox.mbox(tmp_path / "later.rejects.mbox")
    (bad,) = list(rejected)
    assert bad["X-Casedesk-Reason"] == 'From: no sender address in ""'
    assert bad["Subject"] == "Sin remitente"
    again = imp(world, later)
    assert (again.created, again.unchanged, again.rejected) == (0, 4, 1)


def test_maildir_and_eml(world: World, tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(message("<a@x>", "Uno", date="Mon, 02 Mar 2026 09:00:00 +0100"))
    box.add(message("<b@x>", "Re: Uno", reply_to="<a@x>", date="Mon, 02 Mar 2026 09:30:00 +0100"))
    box.close()
    eml = tmp_path / "single.eml"
    eml.write_bytes(message(None, "Suelto").as_bytes())
    summary = imp(world, tmp_path / "Maildir", eml, dry_run=True)
    assert (summary.read, summary.created) == (3, 3)
    assert all_rows(world, Interaction) == []
    summary = imp(world, tmp_path / "Maildir", eml)
    assert (summary.read, summary.created, summary.details["cases opened"]) == (3, 3, 2)
    again = imp(world, tmp_path / "Maildir", eml)
    assert again.unchanged == 3  # a message without Message-ID is keyed by its bytes
    with pytest.raises(ConfigError, match="not a Maildir"):
        (tmp_path / "empty").mkdir()
        imp(world, tmp_path / "empty")
    with pytest.raises(ConfigError, match="no such queue"):
        imp(world, eml, queue="nope")


def test_html_to_text() -> None:
    html = "<p>Hola <b>Juan</b>,</p><script>x()</script><p>Saludos&amp;gracias<br>Ana</p>"
    assert html_to_text(html) == "Hola Juan,\n\nSaludos&gracias\nAna"
