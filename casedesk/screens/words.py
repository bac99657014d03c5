"""The reader's words for codes the work screens show that ``casedesk.labels`` does not
cover yet: timeline event kinds, SLA clock states, resolution types, contract line states.

Each vocabulary is a gettext context (as in :mod:`casedesk.labels`); a code not listed is
shown as it is, underscores as spaces.
"""

from __future__ import annotations

from casedesk.i18n import pgettext
from casedesk.labels import NP_

_WORDS: dict[str, dict[str, tuple[str, str]]] = {
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
        "article": NP_("event", "article"),
    },
    "clock": {
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
    "line": {
        "ok": NP_("line state", "ok"),
        "exhausted": NP_("line state", "exhausted"),
        "expired": NP_("line state", "expired"),
    },
}


def word(vocabulary: str, code: object) -> str:
    """The reader's word for ``code`` of ``vocabulary`` (``word("event", "resolve")``)."""
    if code is None:
        return ""
    text = str(getattr(code, "value", code))
    entry = _WORDS[vocabulary].get(text)
    if entry is None:
        return text.replace("_", " ")
    return pgettext(*entry)
