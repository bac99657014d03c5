"""Logging interactions: calls, e-mails, visits, letters, chats, web forms."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col

from casedesk.db import write_session
from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import N_, _
from casedesk.models import Case, Channel, Contact, Direction, Interaction, Typification
from casedesk.models.base import saved_id
from casedesk.services.context import (
    Actor,
    Desk,
    in_id_range,
    load_case,
    storable,
    storable_id,
)
from casedesk.services.numbers import shown_number
from casedesk.services.queries.reads import interaction_select, interaction_view
from casedesk.services.queries.views import InteractionView
from casedesk.services.sla import clocks
from casedesk.services.workflow import fastwrites
from casedesk.services.workflow.changes import apply_change, record_event


def _choice(value: str, allowed: type[StrEnum], field: str) -> str:
    value = (value or "").strip().lower()
    choices = [m.value for m in allowed]
    if value not in choices:
        raise ValidationError(_("{field} {value} is not one of {choices}").format(
            field=_(field), value=repr(value), choices=", ".join(choices)))
    return value


def _response_values(
    session: Session, case: Case, direction: str, now: datetime
) -> tuple[dict[str, Any], list[tuple[str, datetime]]]:
    """The SLA columns an interaction on ``case`` changes, and the clocks it finds late.

    Outbound: meets the first response (met, or breached when late and not yet recorded)
    and any running next response, which stops. Inbound: starts a next-response cycle
    when the case is open, the first response was made and none is running; the new cycle
    clears the previous cycle's next-response bits. (A resolved, closed or cancelled case
    runs no clocks: reopening it is the agent's decision.)
    """
    values: dict[str, Any] = {}
    breaches: list[tuple[str, datetime]] = []
    flags = int(case.sla_flags)
    set_bits = clear_bits = 0
    if direction == Direction.outbound:
        if case.first_response_at is None:
            values["first_response_at"] = now
            values["first_response_warn"] = None
            due = case.first_response_due
            if flags & clocks.Flag.FIRST_RESPONSE_BREACHED:
                pass
            elif due is None or now <= due:
                set_bits |= clocks.Flag.FIRST_RESPONSE_MET
            else:
                set_bits |= clocks.Flag.FIRST_RESPONSE_BREACHED | clocks.Flag.FIRST_RESPONSE_WARNED
                breaches.append(("first_response", due))
        nr_due = case.next_response_due
        if nr_due is not None and now > nr_due and not flags & clocks.Flag.NEXT_RESPONSE_BREACHED:
            set_bits |= clocks.Flag.NEXT_RESPONSE_BREACHED | clocks.Flag.NEXT_RESPONSE_WARNED
            breaches.append(("next_response", nr_due))
        values["next_response_due"] = None
        values["next_response_warn"] = None
    elif (case.status in clocks.OPEN and case.next_response_due is None
          and case.first_response_at is not None):
        started = clocks.next_response(clocks.load_targets(session, case.sla_policy_id), now)
        if started:
            values.update(started)
            clear_bits |= clocks.Flag.NEXT_RESPONSE_WARNED | clocks.Flag.NEXT_RESPONSE_BREACHED
    if set_bits or clear_bits:
        values["sla_flags"] = clocks.flags_expr(set_bits, clear_bits)
    probe = {k: v for k, v in values.items() if k != "sla_flags"}
    values["due_at"] = clocks.urgency(clocks.ClockFacts.of(case, **probe), probe)
    return values, breaches


#: The longest contact moment the desk records: a week (a visit on site, a long chat).
MAX_DURATION = 7 * 24 * 3600


def log_interaction(
    desk: Desk,
    actor: Actor,
    *,
    channel: str,
    direction: str = "inbound",
    typification: str = "query",
    contact_id: int | None = None,
    subject: str = "",
    notes: str = "",
    started_at: datetime | None = None,
    duration_seconds: int = 0,
    case: int | str | None = None,
    session: Session | None = None,
) -> InteractionView:
    """Record one contact moment, on a case or not.

    On a case: an outbound contact is the agent's response (meets the first response
    and any running next-response clock); an inbound one is the customer writing
    again (starts the next-response clock). Both are case activity, with one event.
    With ``session`` it joins that write transaction instead of opening its own.
    """
    channel = _choice(channel, Channel, N_("channel"))
    direction = _choice(direction, Direction, N_("direction"))
    typification = _choice(typification, Typification, N_("typification"))
    if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int):
        raise ValidationError(_("duration must be whole seconds, not {value}").format(
            value=repr(duration_seconds)))
    storable(subject.strip(), N_("the subject"), 500)
    storable(notes, N_("the notes"))
    if duration_seconds < 0:
        raise ValidationError(_("duration cannot be negative"))
    if duration_seconds > MAX_DURATION:
        raise ValidationError(
            _("duration {seconds} s is longer than a week ({max} s)").format(
                seconds=shown_number(duration_seconds), max=MAX_DURATION)
        )
    now = desk.now()
    started = started_at or now
    if started.tzinfo is None:
        raise ValidationError(_("started_at needs a time zone"))
    if case is None and session is None and (
        contact_id is None or (type(contact_id) is int and in_id_range(contact_id))
    ):
        done = fastwrites.log_interaction(desk, actor, {
            "channel": channel, "direction": direction, "typification": typification,
            "contact_id": contact_id, "agent_id": actor.id, "case_id": None,
            "started_at": started, "duration_seconds": duration_seconds,
            "subject": subject.strip(), "notes": notes.strip()})
        if done is not None:
            return done
    with nullcontext(session) if session is not None else write_session(desk.engine) as session:
        if contact_id is not None and session.get(
            Contact, storable_id(contact_id, "contact")
        ) is None:
            raise NotFound(_("no contact {id}").format(id=contact_id))
        case_row: Case | None = (
            load_case(session, case, lock=True) if case is not None else None
        )
        if case_row is not None and contact_id is None:
            contact_id = case_row.contact_id
        interaction_id = session.execute(
            insert(Interaction)
            .values(
                channel=channel,
                direction=direction,
                typification=typification,
                contact_id=contact_id,
                agent_id=actor.id,
                case_id=case_row.id if case_row else None,
                started_at=started,
                duration_seconds=duration_seconds,
                subject=subject.strip(),
                notes=notes.strip(),
            )
            .returning(col(Interaction.id))
        ).scalar_one()
        if case_row is not None:
            values, breaches = _response_values(session, case_row, direction, now)
            apply_change(
                session,
                case_row,
                actor,
                now,
                kind="interaction",
                values=values,
                note=f"{direction} {channel}: {subject.strip()}".rstrip(": "),
                data={"interaction_id": interaction_id},
                append=True,
            )
            for clock, due in breaches:
                record_event(
                    session,
                    case_id=saved_id(case_row.id),
                    at=now,
                    actor_id=None,
                    kind="sla_breach",
                    note=f"{clock.replace('_', ' ')} breached (answered late)",
                    data=clocks.clock_data(clock, due),
                )
        row = session.execute(
            interaction_select().where(col(Interaction.id) == interaction_id)
        ).one()
        return interaction_view(*row)


def attach_interaction(
    desk: Desk, actor: Actor, interaction_id: int, case: int | str
) -> InteractionView:
    """Attach an already logged interaction to an existing case."""
    now = desk.now()
    with write_session(desk.engine) as session:
        interaction = session.get(Interaction, storable_id(interaction_id, "interaction"))
        if interaction is None:
            raise NotFound(_("no interaction {id}").format(id=interaction_id))
        case_row = load_case(session, case, lock=True)
        session.execute(
            update(Interaction)
            .where(col(Interaction.id) == interaction_id)
            .values(case_id=case_row.id)
        )
        apply_change(
            session,
            case_row,
            actor,
            now,
            kind="interaction",
            values={},
            note=f"attached {interaction.direction} {interaction.channel}: {interaction.subject}",
            data={"interaction_id": interaction_id},
            append=True,
        )
        row = session.execute(
            interaction_select().where(col(Interaction.id) == interaction_id)
        ).one()
        return interaction_view(*row)
