"""Outside text as Rich ``Text``: never parsed as markup, terminal controls made visible.

Use :func:`plain` for every string that did not come from the program itself (titles,
names, descriptions, notes, subjects, queue names, error messages that quote input) before
it reaches a Textual widget, a DataTable cell, a notification or a Rich table. Strings
given to Textual and Rich as ``str`` are parsed as markup: ``[/]`` raises ``MarkupError``
and ``[@click=app.quit]`` becomes a live action.
"""

from __future__ import annotations

from rich.text import Text

from casedesk.services.knowledge.folding import MARK_END, MARK_START
from casedesk.textsafe import one_line, visible


def plain(value: object, style: str = "", *, single_line: bool = False) -> Text:
    """``value`` (``None`` → empty) as literal text in ``style``."""
    text = "" if value is None else str(value)
    return Text(one_line(text) if single_line else visible(text), style=style)


def cell(value: object, style: str = "") -> Text:
    """``value`` for a table cell: one line, literal, controls visible."""
    return plain(value, style, single_line=True)


def marked(snippet: str, style: str = "bold") -> Text:
    """A search snippet, one line and literal, with the words the search service marked
    (between ``MARK_START`` and ``MARK_END``) in ``style``."""
    text = Text()
    rest = snippet
    while MARK_START in rest:
        before, _, after = rest.partition(MARK_START)
        word, _, rest = after.partition(MARK_END)
        text.append(one_line(before))
        text.append(one_line(word), style=style)
    text.append(one_line(rest))
    return text
