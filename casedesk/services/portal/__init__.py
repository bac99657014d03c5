"""The customer portal and the web form: UI-free services ``casedesk web`` calls.

A customer is not an agent: nothing here takes an :class:`~casedesk.services.context.Actor`
for the customer. The customer is a contact id proven by a portal session
(:mod:`.signin`), and every read and write names that contact, so a customer reaches only
their own cases (and their account's, when :class:`PortalOptions.account_cases` allows).
What the customer does on a case is recorded as the customer's doing: no agent
(``actor_id`` NULL) and ``data.by = "customer"``, as a customer's e-mail is.

- :mod:`.signin` — one-time sign-in links (random, stored hashed, expiring, single use)
  and portal sessions (the cookie's hash and the CSRF token of its forms);
- :mod:`.form` — the public web form: the customer matched or created, a case opened
  through the workflow (routing, SLA), an acknowledgement mail;
- :mod:`.cases` — the customer's cases, their public timeline, comments and files,
  accepting or rejecting a resolution, quotes, the satisfaction survey;
- :mod:`.quotes` — quotes attached by agents (``casedesk case quote``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortalOptions:
    """What the portal shows and how long its secrets live (``casedesk web`` flags)."""

    #: a customer also sees the cases of their account's other contacts
    account_cases: bool = False
    #: agents' names appear on the timeline (otherwise "the service desk")
    show_agent_names: bool = False
    #: minutes a sign-in link stays valid
    link_minutes: int = 30
    #: hours a portal session stays signed in
    session_hours: int = 12
    #: the site's address as customers reach it (links in mails)
    base_url: str = "http://127.0.0.1:8080"
