"""The portal's one door to the outbox (:mod:`casedesk.services.mail.outbox`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from casedesk.services.mail import outbox


def send(session: Session, *, kind: str, to: str, subject: str, body: str,
         case_id: int | None = None, at: datetime | None = None) -> None:
    """Queue one mail in the caller's transaction: it goes out iff the action commits."""
    outbox.enqueue(session, kind=kind, to=to, subject=subject, body=body, case_id=case_id,
                   at=at)
