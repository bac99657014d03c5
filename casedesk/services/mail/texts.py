"""The words of the mails the desk writes by itself, in the customer's language.

The customer's language is the contact's ``extras["language"]`` when it is one the desk
speaks (``es``, ``en``), else :data:`CUSTOMER_LANGUAGE` (Spanish: this desk's customers
write Spanish). The texts are marked with ``N_`` and translated with the catalogue of that
language (:func:`casedesk.i18n.translator`), not the agent's.
"""

from __future__ import annotations

from typing import Any

from casedesk.i18n import LANGUAGES, N_, translator

#: the language of customers whose own is not known
CUSTOMER_LANGUAGE = "es"

_ACK_SUBJECT = N_("We have received your message: {title}")
_ACK_BODY = N_(
    "Hello {name},\n\n"
    "Thank you for writing to us. We have opened case {case} for your request and an "
    "agent will answer you as soon as possible.\n\n"
    "To add anything, reply to this message and keep {case} in the subject.\n\n"
    "The customer service team"
)
_RESOLUTION_SUBJECT = N_("Your request has been resolved: {title}")
_RESOLUTION_BODY = N_(
    "Hello {name},\n\n"
    "We believe case {case} is resolved:\n\n{notes}\n\n"
    "If the problem persists, reply to this message and we will reopen the case. If we do "
    "not hear from you, the case will be closed.\n\n"
    "The customer service team"
)
_SURVEY_SUBJECT = N_("How did we do? {title}")
_SURVEY_BODY = N_(
    "Hello {name},\n\n"
    "Case {case} is closed. How satisfied are you with how we handled it? Reply to this "
    "message with a number from 1 (not at all) to 5 (very satisfied).\n\n"
    "Thank you,\nThe customer service team"
)


def customer_language(extras: Any) -> str:
    """The language to write to a contact in (see the module docstring)."""
    code = extras.get("language") if isinstance(extras, dict) else None
    if isinstance(code, str) and code.strip().lower()[:2] in LANGUAGES:
        return code.strip().lower()[:2]
    return CUSTOMER_LANGUAGE


def _text(language: str, subject: str, body: str, **values: str) -> tuple[str, str]:
    t = translator(language)
    return t.gettext(subject).format(**values), t.gettext(body).format(**values)


def acknowledgement(language: str, *, case: str, title: str, name: str) -> tuple[str, str]:
    """Subject and body of the mail that acknowledges a new case."""
    return _text(language, _ACK_SUBJECT, _ACK_BODY, case=case, title=title, name=name)


def resolution(language: str, *, case: str, title: str, name: str,
               notes: str) -> tuple[str, str]:
    """Subject and body of the mail that proposes a resolution."""
    return _text(language, _RESOLUTION_SUBJECT, _RESOLUTION_BODY, case=case, title=title,
                 name=name, notes=notes)


def survey(language: str, *, case: str, title: str, name: str) -> tuple[str, str]:
    """Subject and body of the satisfaction survey sent after closing."""
    return _text(language, _SURVEY_SUBJECT, _SURVEY_BODY, case=case, title=title, name=name)
