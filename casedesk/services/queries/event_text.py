"""The sentence a timeline shows for what the desk itself wrote on a case event.

The desk's own events (an SLA breach, an escalation, an article used, where routing sent a
new case, a task added or done …) keep an English ``note`` as their audit record, and
their pieces in ``data`` (the clock, the article's number and title, the rule, the queue,
the agent …). What a person reads is composed here from the event's kind and those
pieces, at read time and in the reader's language. An event whose data lacks a piece the
sentence needs (a row older than its pieces) shows its stored note as it is; a note a
person wrote (a transfer's reason, a resolution's notes) is data and is never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from casedesk.i18n import _
from casedesk.labels import label
from casedesk.services.sla.explanations import clock_name

#: What the desk appends to a breach's note when the late answer itself recorded it.
_LATE_SUFFIXES = (" (answered late)", " (done late)")

_CASE_CLOCKS = ("first_response", "next_response", "resolution")


def _clock_sentence(kind: str, data: Mapping[str, Any], note: str | None) -> str | None:
    clock = data.get("clock")
    late = bool(note) and str(note).endswith(_LATE_SUFFIXES)
    if clock == "task":
        title = data.get("title")
        if not isinstance(title, str):
            return None
        if kind == "sla_breach":
            return (_("task “{title}” breached: done late") if late
                    else _("task “{title}” breached")).format(title=title)
        if kind == "sla_warning":
            return _("task “{title}” is close to its deadline").format(title=title)
        return _("task “{title}” inactive").format(title=title)
    if clock == "inactivity" and kind == "inactive":
        return _("no activity within the policy's limit")
    if clock not in _CASE_CLOCKS:
        return None
    name = clock_name(str(clock))
    if kind == "sla_breach":
        return (_("{clock} deadline breached: answered late") if late
                else _("{clock} deadline breached")).format(clock=name)
    if kind == "sla_warning":
        return _("{clock} deadline close").format(clock=name)
    return None


def _escalation(data: Mapping[str, Any]) -> str | None:
    clock = data.get("clock")
    if clock not in _CASE_CLOCKS:
        return None
    what: list[str] = []
    priority = data.get("priority")
    if isinstance(priority, list | tuple) and len(priority) == 2 and priority[0] != priority[1]:
        what.append(_("priority {before} → {after}").format(
            before=label("priority", priority[0]), after=label("priority", priority[1])))
    if data.get("kept_with_owner"):
        what.append(_("left in the owner's bin"))
    if data.get("flag_supervisor"):
        what.append(_("flagged for the supervisor"))
    head = _("escalated: {clock} deadline breached").format(clock=clock_name(str(clock)))
    return " · ".join([head, *what])


def _condition(key: str, value: Any) -> str:
    """One condition a routing rule matched on: ``keyword “factura”``, ``tier VIP``."""
    if key in ("area", "priority", "severity", "channel", "tier"):
        shown = label(key, value)
        return {
            "area": _("area {value}"),
            "priority": _("priority {value}"),
            "severity": _("severity {value}"),
            "channel": _("channel {value}"),
            "tier": _("tier {value}"),
        }[key].format(value=shown)
    if key == "keywords":
        return _("keyword “{keyword}”").format(keyword=value)
    if key == "subject":
        return _("keyword “{keyword}” in the subject").format(keyword=value)
    if key == "description":
        return _("keyword “{keyword}” in the description").format(keyword=value)
    if key == "product":
        return _("holds product {product}").format(product=value)
    if value is True:
        return _("has a contract line")
    if value is False:
        return _("has no contract line")
    return _("contract {contract}").format(contract=value)


def routing_sentence(routing: Mapping[str, Any]) -> str | None:
    """Where routing sent a new case and why, from its create event's ``data["routing"]``
    (None: the pieces are not there)."""
    queue = routing.get("queue")
    if not isinstance(queue, str):
        return None
    parts: list[str] = []
    position, name = routing.get("position"), routing.get("rule_name")
    if position is not None and name is not None:
        matched = routing.get("matched")
        if isinstance(matched, list):
            conditions = ", ".join(_condition(str(k), v) for k, v in matched) or _(
                "matches every case")
            parts.append(_("rule {position} “{name}”: {conditions}").format(
                position=position, name=name, conditions=conditions))
        else:
            parts.append(_("rule {position} “{name}”").format(position=position, name=name))
    for what in ("priority", "severity"):
        if not routing.get(what):
            continue
        after = label(what, routing[what])
        before = routing.get(f"from_{what}")
        if before:
            parts.append((_("priority {before} → {after}") if what == "priority"
                          else _("severity {before} → {after}")).format(
                before=label(what, before), after=after))
        else:
            parts.append((_("priority set to {value}") if what == "priority"
                          else _("severity set to {value}")).format(value=after))
    agent, strategy = routing.get("agent"), routing.get("strategy")
    if agent:
        parts.append(_("queue {queue}: assigned to {agent} ({strategy})").format(
            queue=queue, agent=agent, strategy=label("strategy", strategy)))
    else:
        parts.append(_("waits in queue {queue}").format(queue=queue))
    return "; ".join(parts)


def _task_sentence(
    data: Mapping[str, Any], at: datetime, tasks: Mapping[int, tuple[str, datetime | None]]
) -> str | None:
    task_id = data.get("task")
    task = tasks.get(task_id) if isinstance(task_id, int) else None
    if task is None:
        return None
    title, due = task
    if data.get("done"):
        if due is not None and at > due:
            return _("task done late: {title}").format(title=title)
        return _("task done: {title}").format(title=title)
    return _("task added: {title}").format(title=title)


def _article(data: Mapping[str, Any]) -> str | None:
    article, title = data.get("article"), data.get("title")
    if not isinstance(article, str) or not isinstance(title, str):
        return None
    if data.get("drafted"):
        return _("drafted {article} from this case: {title}").format(
            article=article, title=title)
    return _("used {article}: {title}").format(article=article, title=title)


def _mail(data: Mapping[str, Any]) -> str:
    what = label("mail", data.get("mail"))
    text = _("{mail} to {address}: {subject}").format(
        mail=what, address=data.get("to") or "?", subject=data.get("subject") or "")
    return text.rstrip(": ")


def event_sentence(
    kind: str,
    note: str | None,
    data: Mapping[str, Any] | None,
    at: datetime,
    *,
    tasks: Mapping[int, tuple[str, datetime | None]] | None = None,
    owner_before: str | None = None,
) -> str | None:
    """The sentence shown for an event's note: composed from ``kind`` and ``data`` for what
    the desk wrote, else ``note`` as it is (a person's words, or an older row). ``tasks``:
    id → (title, due) of the case's tasks, for task events; ``owner_before``: the name of
    the owner the event took the case from."""
    pieces = data or {}
    composed: str | None = None
    if kind in ("sla_breach", "sla_warning", "inactive"):
        composed = _clock_sentence(kind, pieces, note)
    elif kind == "escalated":
        composed = _escalation(pieces)
    elif kind == "autoclose" and "resolved_at" in pieces:
        composed = _("closed automatically: the customer did not answer within the "
                     "confirmation period")
    elif kind == "article":
        composed = _article(pieces)
    elif kind in ("create", "assign") and isinstance(pieces.get("routing"), Mapping):
        routing = pieces["routing"]
        # only a note that says no more than the routing (an e-mail import's says more)
        if note is None or note == routing.get("reason"):
            composed = routing_sentence(routing)
    elif kind == "yank" and pieces.get("presence") == "offline" and owner_before:
        composed = _("returned to the queue: {agent} went offline").format(agent=owner_before)
    elif kind == "task":
        composed = _task_sentence(pieces, at, tasks or {})
    elif kind == "link" and "parent" in pieces:
        parent = pieces["parent"]
        composed = (_("parent {case}").format(case=parent) if parent
                    else _("no longer a child case"))
    elif kind == "resolve" and isinstance(pieces.get("parent"), str):
        composed = _("resolved with parent {case}").format(case=pieces["parent"])
    elif kind in ("mail_delivered", "mail_failed") and "mail" in pieces:
        composed = _mail(pieces)
    return composed if composed is not None else note
