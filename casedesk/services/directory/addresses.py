"""E-mail addresses as people type them: an RFC 5322 ``addr-spec`` check, no DNS.

Accepted: a dot-atom local part (``ana.garcia+billing``) or a quoted one
(``"Big Bug"@example.com``, with ``\\"`` and ``\\\\`` escapes), ``@``, and a domain of
dot-separated labels with at least one dot (``example.com``) or an address literal
(``[192.0.2.1]``, ``[IPv6:2001:db8::1]``). Letters beyond ASCII are allowed in both parts
(RFC 6531, internationalised mail). Refused: whitespace or control characters outside
quotes, empty or dotted-out atoms (``a..b``, ``.a``), labels that start or end with ``-``,
a local part over 64 characters, an address over 254 (what SMTP can carry).
"""

from __future__ import annotations

import ipaddress
import re

from casedesk.errors import ValidationError
from casedesk.i18n import _

#: A non-ASCII character that is not a space, a C1 control, nor an invisible format
#: character (zero widths, bidi overrides and isolates, BOM), nor a lone surrogate.
_U = r"[^\x00-\x7f\s\u0080-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff]"
#: RFC 5322 ``atext``, plus those letters (RFC 6531).
_ATOM = rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]|{_U}"
_DOT_ATOM = re.compile(rf"(?:{_ATOM})+(?:\.(?:{_ATOM})+)*")
#: ``qtext`` (printable ASCII except ``"`` and ``\``, and space) or a quoted pair. Tabs,
#: legal in RFC 5322, are refused with the other control characters.
_QUOTED = re.compile(rf'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e]|{_U})*"')
_LABEL = re.compile(rf"(?:[A-Za-z0-9]|{_U})(?:[A-Za-z0-9-]|{_U})*")

MAX_LOCAL = 64
MAX_ADDRESS = 254


def _local_ok(local: str) -> bool:
    if len(local) > MAX_LOCAL or not local:
        return False
    return bool(_DOT_ATOM.fullmatch(local) or _QUOTED.fullmatch(local))


def _domain_ok(domain: str) -> bool:
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        if literal[:5].lower() == "ipv6:":
            literal = literal[5:]
            kind: type = ipaddress.IPv6Address
        else:
            kind = ipaddress.IPv4Address
        try:
            kind(literal)
        except ValueError:
            return False
        return True
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253:
        return False
    return all(
        0 < len(label) <= 63 and _LABEL.fullmatch(label) and not label.endswith("-")
        for label in labels
    )


def split_address(text: str) -> tuple[str, str] | None:
    """``(local, domain)`` of an address, or None when it is not one."""
    if not isinstance(text, str) or len(text) > MAX_ADDRESS:
        return None
    at = text.rfind("@")
    if at <= 0:
        return None
    local, domain = text[:at], text[at + 1 :]
    if not _local_ok(local) or not _domain_ok(domain):
        return None
    return local, domain


def is_email(text: str) -> bool:
    """True when ``text`` (exactly, no spaces around) is an e-mail address."""
    return split_address(text) is not None


def check_email(text: str | None, field: str = "email") -> str | None:
    """The address without surrounding spaces (otherwise as typed); None if empty.

    Raises :class:`ValidationError` naming ``field`` when it is not an address.
    """
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    if split_address(value) is None:
        raise ValidationError(_("{field}: {value} is not an e-mail address").format(
            field=field, value=repr(value)))
    return value
