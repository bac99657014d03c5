"""Text that did not come from the program itself, made safe to show and to export.

One rule for the whole desk: text from customers, files and users is *data*. Stored data
keeps exactly what arrived; only what is shown or exported is changed:

- :func:`visible` replaces characters that would act on a terminal instead of being read —
  C0/C1 controls (escape sequences, OSC 52 clipboard writes, window titles, screen clears),
  DEL, bidirectional overrides and lone surrogates — by visible stand-ins (``␛``, ``<U+202E>``).
- :func:`spreadsheet_safe` applies the OWASP rule for CSV injection: a cell that a
  spreadsheet would read as a formula gets a leading ``'``.

Markup is the renderer's business: the TUI and the CLI wrap every outside string in
``rich.text.Text`` (``casedesk.plain.plain``), which never parses ``[...]``.
This module imports nothing from the UI libraries, so services and exports may use it.
"""

from __future__ import annotations

import re

#: Bidirectional embedding/override/isolate controls ("Trojan Source"), and the Arabic mark.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "\ud800-\udfff]"
)
_UNSAFE_WITH_NEWLINES = re.compile(
    "[\x00-\x09\x0a-\x1f\x7f-\x9f" + _BIDI + "\ud800-\udfff]"
)


def _stand_in(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (Unicode control pictures)
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def visible(text: str | None, *, single_line: bool = False) -> str:
    """``text`` with every terminal-active character shown as a visible stand-in.

    Tabs and newlines are kept (a tab as one space) unless ``single_line``, which also
    shows them (``␊``), for table cells and one-line labels.
    """
    if not text:
        return ""
    if single_line:
        return _UNSAFE_WITH_NEWLINES.sub(_stand_in, text)
    return _UNSAFE.sub(_stand_in, text.replace("\t", " "))


def one_line(text: str | None) -> str:
    """``text`` for a one-line cell: newlines and tabs become spaces, controls visible."""
    if not text:
        return ""
    return visible(" ".join(text.split()) if ("\n" in text or "\r" in text or "\t" in text)
                   else text, single_line=True)


#: What makes a spreadsheet read a cell as a formula (OWASP "CSV Injection"), including the
#: full-width forms some spreadsheets also accept.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would run it as a formula."""
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def spreadsheet_unguarded(value: str) -> str:
    """The inverse of :func:`spreadsheet_safe`: a CSV cell the desk exported reads back as
    it was stored (``'=1+1`` → ``=1+1``); any other cell is returned unchanged."""
    if value[:1] == "'" and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value
