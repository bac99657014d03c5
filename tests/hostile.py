"""The hostile strings every screen, CLI listing, export and reader is fed (issue 10).

Each is something a customer, a file or a user can put into a title, a name, a subject,
a body or a note. None may crash the desk, run an action, reach the terminal raw, or
reach a spreadsheet as a formula.
"""

from __future__ import annotations

#: Rich/Textual markup: unbalanced closers, styles, links, and action links.
MARKUP = [
    "[/]",
    "[/bold]",
    "[bold]never closed",
    "close [/] in the middle",
    "[@click=app.quit]click me[/]",
    "[@click=screen.dismiss]dismiss[/]",
    "[link=https://evil.example]phish[/link]",
    "[red on red]invisible[/]",
    "\\[escaped] and [b]bold[/b]",
    "[",
    "]",
    "[[/]]",
]

#: Terminal escapes: OSC window title, OSC 52 clipboard, clear screen, bell, CSI, C1.
ESCAPES = [
    "\x1b]0;pwned\x07title",
    "\x1b]52;c;cm0gLXJmIH4=\x07clipboard",
    "\x1b[2J\x1b[Hcleared",
    "bell\x07\x07",
    "\x1b[31mred\x1b[0m",
    "\x9b31mC1 CSI",
    "carriage\rreturn",
    "back\bspace",
    "nul\x00byte",
    "del\x7fete",
]

#: Bidirectional overrides (Trojan Source) and zero-width characters.
BIDI = [
    "\u202eevil\u202c reversed",
    "\u2066isolate\u2069",
    "zero\u200bwidth\u200djoiner",
]

#: Spreadsheet formulas (OWASP CSV injection), with and without leading tab/CR.
FORMULAS = [
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]

#: Encoding troubles: a lone surrogate, odd Unicode, a very long word, empty-ish strings.
ODD = [
    "lone \ud800 surrogate",
    "\ufeffBOM first",
    "𝕱𝖗𝖆𝖐𝖙𝖚𝖗 and emoji 🧨",
    "x" * 100_000,
    " ",
    "%",
    "_",
    "a%b_c\\",
]

#: Everything above, in one list.
CORPUS: list[str] = [*MARKUP, *ESCAPES, *BIDI, *FORMULAS, *ODD]

#: The subset that is storable everywhere (PostgreSQL refuses NUL and lone surrogates in
#: text; an entry point must refuse or clean them with a clear message instead).
STORABLE: list[str] = [s for s in CORPUS if "\x00" not in s and "\ud800" not in s]


def has_raw_control(text: str) -> bool:
    """True when ``text`` holds a character that acts on a terminal (newline/tab aside)."""
    return any(
        (ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F
        or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        for ch in text
    )
