"""The words a person reads for the codes the database stores.

Statuses, priorities, severities, channels, typifications, timeline event kinds, clock
states … are stored as short English codes (``in_progress``) and shown through
:func:`label` in the reader's language ("in progress", "en curso"): the one vocabulary of
every code a person reads. Each vocabulary is a gettext context, so one English word can
have two Spanish ones (a *cancelled* case is "cancelado", a task "cancelada").
"""

from __future__ import annotations

from casedesk.i18n import pgettext


def NP_(context: str, message: str) -> tuple[str, str]:  # noqa: N802 - gettext convention
    """Mark ``message`` (in ``context``) for the catalogue; translated by :func:`label`."""
    return context, message


_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "new": NP_("status", "new"),
        "in_progress": NP_("status", "in progress"),
        "awaiting_customer": NP_("status", "awaiting customer"),
        "resolved": NP_("status", "resolved"),
        "closed": NP_("status", "closed"),
        "cancelled": NP_("status", "cancelled"),
    },
    "priority": {
        "high": NP_("priority", "high"),
        "medium": NP_("priority", "medium"),
        "low": NP_("priority", "low"),
    },
    "severity": {
        "critical": NP_("severity", "critical"),
        "major": NP_("severity", "major"),
        "minor": NP_("severity", "minor"),
    },
    "channel": {
        "phone": NP_("channel", "phone"),
        "email": NP_("channel", "e-mail"),
        "visit": NP_("channel", "visit"),
        "letter": NP_("channel", "letter"),
        "chat": NP_("channel", "chat"),
        "web": NP_("channel", "web"),
    },
    "direction": {
        "inbound": NP_("direction", "inbound"),
        "outbound": NP_("direction", "outbound"),
    },
    "typification": {
        "query": NP_("typification", "query"),
        "complaint": NP_("typification", "complaint"),
        "request": NP_("typification", "request"),
        "incident": NP_("typification", "incident"),
        "claim": NP_("typification", "claim"),
        "other": NP_("typification", "other"),
    },
    "area": {
        "technical": NP_("area", "technical"),
        "billing": NP_("area", "billing"),
        "commercial": NP_("area", "commercial"),
        "general": NP_("area", "general"),
    },
    "tier": {
        "standard": NP_("tier", "standard"),
        "gold": NP_("tier", "gold"),
        "vip": NP_("tier", "VIP"),
    },
    "role": {
        "agent": NP_("role", "agent"),
        "supervisor": NP_("role", "supervisor"),
        "admin": NP_("role", "admin"),
    },
    "strategy": {
        "manual": NP_("strategy", "manual"),
        "round_robin": NP_("strategy", "round robin"),
        "least_loaded": NP_("strategy", "least loaded"),
        "skills": NP_("strategy", "skills"),
        "affinity": NP_("strategy", "affinity"),
    },
    "agent_status": {
        "available": NP_("agent status", "available"),
        "busy": NP_("agent status", "busy"),
        "away": NP_("agent status", "away"),
        "offline": NP_("agent status", "offline"),
    },
    "article_status": {
        "draft": NP_("article status", "draft"),
        "published": NP_("article status", "published"),
        "retired": NP_("article status", "retired"),
    },
    "task_status": {
        "open": NP_("task status", "open"),
        "done": NP_("task status", "done"),
        "cancelled": NP_("task status", "cancelled"),
    },
    "time_kind": {
        "work": NP_("time kind", "work"),
        "handle": NP_("time kind", "on the line"),
        "after_call": NP_("time kind", "after-call work"),
    },
    # what happened to a case: the timeline's "What" column and the start of its details
    "event": {
        "create": NP_("event", "created"),
        "update": NP_("event", "edited"),
        "accept": NP_("event", "accepted"),
        "next": NP_("event", "taken"),
        "dispatch": NP_("event", "dispatched"),
        "reject": NP_("event", "rejected"),
        "transfer": NP_("event", "transferred"),
        "assign": NP_("event", "assigned"),
        "yank": NP_("event", "yanked"),
        "start": NP_("event", "started"),
        "wait": NP_("event", "waiting"),
        "resume": NP_("event", "resumed"),
        "resolve": NP_("event", "resolved"),
        "close": NP_("event", "closed"),
        "reopen": NP_("event", "reopened"),
        "cancel": NP_("event", "cancelled"),
        "note": NP_("event", "note"),
        "link": NP_("event", "linked"),
        "interaction": NP_("event", "interaction"),
        "time": NP_("event", "time"),
        "task": NP_("event", "task"),
        "sla_breach": NP_("event", "SLA breached"),
        "sla_warning": NP_("event", "SLA warning"),
        "inactive": NP_("event", "inactive"),
        "escalated": NP_("event", "escalated"),
        "autoclose": NP_("event", "auto-closed"),
        "article": NP_("event", "article"),
        "mail_delivered": NP_("event", "mail delivered"),
        "mail_failed": NP_("event", "mail failed"),
    },
    "clock_state": {
        "ok": NP_("clock state", "ok"),
        "warning": NP_("clock state", "warning"),
        "breached": NP_("clock state", "breached"),
        "paused": NP_("clock state", "paused"),
        "met": NP_("clock state", "met"),
    },
    "resolution": {
        "solved": NP_("resolution", "solved"),
        "workaround": NP_("resolution", "workaround"),
        "information": NP_("resolution", "information given"),
        "not_reproducible": NP_("resolution", "not reproducible"),
        "duplicate": NP_("resolution", "duplicate"),
        "no_fault": NP_("resolution", "no fault found"),
        "other": NP_("resolution", "other"),
    },
    "mail": {
        "ack": NP_("mail", "acknowledgement"),
        "article": NP_("mail", "article"),
        "reply": NP_("mail", "reply"),
        "resolution": NP_("mail", "resolution notice"),
        "survey": NP_("mail", "survey"),
        "portal_link": NP_("mail", "portal link"),
    },
    "line_state": {
        "ok": NP_("line state", "ok"),
        "exhausted": NP_("line state", "exhausted"),
        "expired": NP_("line state", "expired"),
    },
}

VOCABULARIES = tuple(_WORDS)


def label(vocabulary: str, code: object) -> str:
    """The reader's word for ``code`` of ``vocabulary`` (``label("status", "in_progress")``
    → "in progress" / "en curso"); a code the vocabulary does not know is shown as it is,
    with underscores as spaces; None is an empty string."""
    if code is None:
        return ""
    text = str(getattr(code, "value", code))
    entry = _WORDS[vocabulary].get(text)
    if entry is None:
        return text.replace("_", " ")
    return pgettext(*entry)


def codes(vocabulary: str) -> tuple[str, ...]:
    """The codes of ``vocabulary`` in their usual order."""
    return tuple(_WORDS[vocabulary])
