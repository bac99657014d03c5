"""The outbox and its sender, against a real SMTP server the test starts (both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from casedesk.clock import FrozenClock
from casedesk.db import read_session, write_session
from casedesk.errors import ValidationError
from casedesk.models import CaseEvent, OutboxMessage
from casedesk.services.mail import outbox
from casedesk.services.mail.smtp import SmtpSettings
from casedesk.services.queries import reads
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.smtpserver import SmtpServer, free_port, smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def settings_for(server: SmtpServer, **kw: object) -> SmtpSettings:
    return SmtpSettings(host=server.host, port=server.port, from_address="desk@example.com",
                        timeout=5, **kw)  # type: ignore[arg-type]


def _case(world: World) -> tuple[int, int]:
    detail = cases.create_case(world.desk, world.ana, title="Router keeps rebooting",
                               contact_id=world.contact_id, queue="technical")
    with read_session(world.desk.engine) as s:
        from casedesk.models import Case
        row = s.execute(select(Case).where(col(Case.number) == detail.number)).scalar_one()
        assert row.id is not None
        return row.id, row.number


def _queue(world: World, case_id: int | None, **kw: object) -> OutboxMessage:
    with write_session(world.desk.engine) as s:
        return outbox.enqueue(s, kind=str(kw.pop("kind", "reply")),
                              to=str(kw.pop("to", "juan.perez@example.com")),
                              subject=str(kw.pop("subject", "Your router")),
                              body=str(kw.pop("body", "Hola Juan,\nprueba esto.")),
                              case_id=case_id, at=world.desk.now(), **kw)  # type: ignore[arg-type]


def _row(world: World, outbox_id: int | None) -> OutboxMessage:
    with read_session(world.desk.engine) as s:
        return s.execute(
            select(OutboxMessage).where(col(OutboxMessage.id) == outbox_id)
        ).scalar_one()


def _events(world: World, case_id: int, kind: str) -> list[CaseEvent]:
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(CaseEvent).where(
            col(CaseEvent.case_id) == case_id, col(CaseEvent.kind) == kind)).scalars())


def test_enqueue_tags_the_subject_and_threads(world: World) -> None:
    case_id, number = _case(world)
    msg = _queue(world, case_id, subject="Your router", in_reply_to="<abc@customer.example>")
    assert msg.subject == f"[CS-{number:06d}] Your router"
    assert msg.message_id.startswith("<") and msg.message_id.endswith("@casedesk.local>")
    assert f"CS-{number:06d}" in msg.message_id
    assert msg.in_reply_to == "<abc@customer.example>"
    assert msg.references == "<abc@customer.example>"
    follow = _queue(world, case_id, subject=f"Re: [CS-{number:06d}] again",
                    in_reply_to=msg.message_id)
    assert follow.subject == f"Re: [CS-{number:06d}] again"  # one tag, not two
    assert follow.references == f"<abc@customer.example> {msg.message_id}"
    assert msg.status == "pending" and msg.attempts == 0


def test_enqueue_refuses_bad_input(world: World) -> None:
    with pytest.raises(ValidationError, match="kind"):
        _queue(world, None, kind="spam")
    with pytest.raises(ValidationError, match="not an e-mail"):
        _queue(world, None, to="juan at example")
    with pytest.raises(ValidationError, match="NUL"):
        _queue(world, None, body="a\x00b")
    # a header injection attempt is flattened to one line
    msg = _queue(world, None, kind="ack", subject="Hi\r\nBcc: victim@example.com")
    assert "\n" not in msg.subject and "\r" not in msg.subject


def test_enqueue_belongs_to_the_callers_transaction(world: World) -> None:
    with pytest.raises(RuntimeError), write_session(world.desk.engine) as s:
        outbox.enqueue(s, kind="ack", to="x@example.com", subject="s", body="b")
        raise RuntimeError("the action failed")
    assert outbox.outbox_counts(world.desk) == {}


def test_delivered_once_with_headers_and_an_event(world: World, smtp: SmtpServer) -> None:
    case_id, number = _case(world)
    msg = _queue(world, case_id, kind="ack", subject="We got your message",
                 body="Hola Juan, ñandú ✓")
    report = outbox.deliver_pending(world.desk, settings_for(smtp))
    assert (report.delivered, report.retried, report.failed) == (1, 0, 0)
    assert len(smtp.messages) == 1
    got = smtp.messages[0]
    assert got["Subject"] == f"[CS-{number:06d}] We got your message"
    assert got["Message-ID"] == msg.message_id
    assert got["Auto-Submitted"] == "auto-generated"
    assert got.get_content().strip() == "Hola Juan, ñandú ✓"
    assert smtp.envelopes[0] == ("desk@example.com", ["juan.perez@example.com"])
    row = _row(world, msg.id)
    assert row.status == "delivered" and row.sent_at is not None and row.attempts == 1
    (event,) = _events(world, case_id, "mail_delivered")
    assert event.data and event.data["message_id"] == msg.message_id
    # a second pass sends nothing
    assert outbox.deliver_pending(world.desk, settings_for(smtp)).attempted == 0
    assert len(smtp.messages) == 1
    lines = [e.text for e in reads.timeline(world.desk, number) if e.kind == "mail_delivered"]
    assert lines and "juan.perez@example.com" in lines[0]


def test_refused_5xx_fails_without_retry(world: World, smtp: SmtpServer) -> None:
    case_id, _number = _case(world)
    msg = _queue(world, case_id)
    smtp.behaviour = ["refuse"]
    report = outbox.deliver_pending(world.desk, settings_for(smtp))
    assert (report.delivered, report.retried, report.failed) == (0, 0, 1)
    row = _row(world, msg.id)
    assert row.status == "failed" and row.last_error and row.last_error.startswith("554")
    (event,) = _events(world, case_id, "mail_failed")
    assert event.data and "554" in event.data["error"]
    world.desk.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    assert outbox.deliver_pending(world.desk, settings_for(smtp)).attempted == 0
    assert smtp.messages == []


def test_deferred_4xx_is_retried_with_backoff(world: World, smtp: SmtpServer) -> None:
    clock = world.desk.clock
    assert isinstance(clock, FrozenClock)
    case_id, _number = _case(world)
    msg = _queue(world, case_id)
    smtp.behaviour = ["defer", "defer"]
    s = settings_for(smtp, retry_seconds=60)
    assert outbox.deliver_pending(world.desk, s).retried == 1
    row = _row(world, msg.id)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert outbox.deliver_pending(world.desk, s).attempted == 0  # not due yet
    clock.advance(timedelta(seconds=61))
    assert outbox.deliver_pending(world.desk, s).retried == 1
    assert _row(world, msg.id).next_attempt_at == clock.now() + timedelta(seconds=120)
    clock.advance(timedelta(seconds=121))
    assert outbox.deliver_pending(world.desk, s).delivered == 1
    assert len(smtp.messages) == 1 and _row(world, msg.id).attempts == 3
    assert len(_events(world, case_id, "mail_delivered")) == 1
    assert _events(world, case_id, "mail_failed") == []


def test_temporary_failures_end_in_failed_after_max_attempts(
    world: World, smtp: SmtpServer
) -> None:
    clock = world.desk.clock
    assert isinstance(clock, FrozenClock)
    case_id, _number = _case(world)
    msg = _queue(world, case_id)
    smtp.behaviour = ["defer"] * 3
    s = settings_for(smtp, max_attempts=3, retry_seconds=10)
    for _ in range(3):
        outbox.deliver_pending(world.desk, s)
        clock.advance(timedelta(hours=1))
    row = _row(world, msg.id)
    assert row.status == "failed" and row.attempts == 3
    assert len(_events(world, case_id, "mail_failed")) == 1


def test_dropped_connection_is_retried_and_delivered_once(
    world: World, smtp: SmtpServer
) -> None:
    clock = world.desk.clock
    assert isinstance(clock, FrozenClock)
    case_id, _number = _case(world)
    first = _queue(world, case_id, subject="one")
    second = _queue(world, case_id, subject="two")
    smtp.behaviour = ["drop"]
    s = settings_for(smtp, retry_seconds=30)
    report = outbox.deliver_pending(world.desk, s)
    # the first is dropped; the second goes out on a new connection in the same pass
    assert (report.delivered, report.retried) == (1, 1)
    assert _row(world, first.id).status == "pending"
    clock.advance(timedelta(seconds=31))
    assert outbox.deliver_pending(world.desk, s).delivered == 1
    subjects = sorted(str(m["Subject"]) for m in smtp.messages)
    assert len(subjects) == 2 and subjects[0].endswith("one") and subjects[1].endswith("two")
    assert _row(world, second.id).status == "delivered"
    assert len(_events(world, case_id, "mail_delivered")) == 2


def test_unreachable_server_stops_the_pass_and_keeps_the_mail(world: World) -> None:
    _queue(world, None, kind="ack")
    _queue(world, None, kind="ack")
    s = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    report = outbox.deliver_pending(world.desk, s)
    assert report.stopped and "cannot reach" in report.stopped
    assert report.retried == 1  # only the first one was tried
    assert outbox.outbox_counts(world.desk) == {"pending": 2}


def test_a_crash_after_the_claim_sends_later_once(world: World, smtp: SmtpServer) -> None:
    clock = world.desk.clock
    assert isinstance(clock, FrozenClock)
    msg = _queue(world, None, kind="portal_link")
    # a sender claimed it and died before sending: the row stays "sending" with a lease
    with write_session(world.desk.engine) as s:
        s.execute(update(OutboxMessage).where(col(OutboxMessage.id) == msg.id).values(
            status="sending", attempts=1, claimed_by="dead:1",
            next_attempt_at=clock.now() + timedelta(minutes=2)))
    assert outbox.deliver_pending(world.desk, settings_for(smtp)).attempted == 0
    clock.advance(timedelta(minutes=3))
    assert outbox.deliver_pending(world.desk, settings_for(smtp)).delivered == 1
    assert len(smtp.messages) == 1
    row = _row(world, msg.id)
    assert row.status == "delivered" and row.attempts == 2 and row.claimed_by is None


def test_backoff_doubles_up_to_the_maximum() -> None:
    s = SmtpSettings(retry_seconds=60, max_retry_seconds=3600)
    waits = [outbox.backoff(n, s).total_seconds() for n in range(1, 10)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_two_senders_at_once_deliver_each_mail_exactly_once(
    world: World, smtp: SmtpServer
) -> None:
    import threading

    case_id, _number = _case(world)
    queued = {_queue(world, case_id, subject=f"mail {n}").message_id for n in range(12)}
    reports: list[outbox.DeliveryReport] = []

    def send() -> None:
        reports.append(outbox.deliver_pending(world.desk, settings_for(smtp)))

    senders = [threading.Thread(target=send) for _ in range(3)]
    for t in senders:
        t.start()
    for t in senders:
        t.join(timeout=120)
    assert sum(r.delivered for r in reports) == 12
    assert sorted(str(m["Message-ID"]) for m in smtp.messages) == sorted(queued)
    assert len(_events(world, case_id, "mail_delivered")) == 12
