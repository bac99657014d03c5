"""Marking several cases in a :class:`~casedesk.widgets.case_table.CaseTable` for bulk work.

Space marks (or unmarks) the highlighted case, shift+up/down marks while moving (from the
highlighted case to the next), ctrl+a marks every case shown (a second ctrl+a unmarks
them). A marked row starts with ``✓`` and the header's right end says how many are
marked. Marks are case ids: they stay on the same cases when the list reloads, and a case
that leaves the list leaves the marks.

The table keeps ``rows_held``, ``cursor_row`` and ``_move``; this mixin adds only the marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip

from casedesk.i18n import ngettext

if TYPE_CHECKING:
    from textual.scroll_view import ScrollView

    from casedesk.services.queries.views import CaseRow

    _Table = ScrollView
else:
    _Table = object

#: The mark at the start of a marked row.
MARK = "✓"

#: The keys, added to the table's own (their descriptions are translated by localize).
SELECTION_BINDINGS: list[BindingType] = [
    Binding("space", "toggle_mark", "Mark", show=False, id="cases-mark"),
    Binding("shift+up", "extend_mark(-1)", "Mark up", show=False, id="cases-mark-up"),
    Binding("shift+down", "extend_mark(1)", "Mark down", show=False, id="cases-mark-down"),
    Binding("ctrl+a", "mark_all", "Mark all shown", show=False, id="cases-mark-all"),
]


class CaseSelection(_Table):
    """Mixin for the case table: the marked cases, their keys, their mark and count."""

    if TYPE_CHECKING:
        rows_held: list[CaseRow]
        cursor_row: int

        def _move(self, index: int, *, scroll: bool = True) -> None: ...

    class MarksChanged(Message):
        """The set of marked cases changed (``count`` of them now)."""

        def __init__(self, table: object, count: int) -> None:
            super().__init__()
            self.table = table
            self.count = count

    _marks: set[int] | None = None

    @property
    def marks(self) -> set[int]:
        """The ids of the marked cases."""
        if self._marks is None:
            self._marks = set()
        return self._marks

    def marked_rows(self) -> list[CaseRow]:
        """The marked cases, in the order shown."""
        return [r for r in self.rows_held if r.id in self.marks]

    def chosen_rows(self) -> list[CaseRow]:
        """What a bulk key acts on: the marked cases, else the highlighted one (if any)."""
        marked = self.marked_rows()
        if marked:
            return marked
        if 0 <= self.cursor_row < len(self.rows_held):
            return [self.rows_held[self.cursor_row]]
        return []

    def is_marked(self, index: int) -> bool:
        return 0 <= index < len(self.rows_held) and self.rows_held[index].id in self.marks

    def _marks_changed(self) -> None:
        self.refresh()
        self.post_message(self.MarksChanged(self, len(self.marks)))

    def set_marks(self, ids: Sequence[int]) -> None:
        """Mark exactly these cases (those shown)."""
        shown = {r.id for r in self.rows_held}
        self.marks.clear()
        self.marks.update(i for i in ids if i in shown)
        self._marks_changed()

    def clear_marks(self) -> None:
        if self.marks:
            self.marks.clear()
            self._marks_changed()

    def keep_marks_shown(self) -> None:
        """Hook for the table after its rows changed: forget marks of cases not shown."""
        if not self.marks:
            return
        shown = {r.id for r in self.rows_held}
        if not self.marks <= shown:
            self.marks.intersection_update(shown)
            self._marks_changed()

    # --- keys ---------------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        if not 0 <= self.cursor_row < len(self.rows_held):
            return
        case_id = self.rows_held[self.cursor_row].id
        if case_id in self.marks:
            self.marks.discard(case_id)
        else:
            self.marks.add(case_id)
        self._marks_changed()

    def action_extend_mark(self, delta: int) -> None:
        """Mark the highlighted case and the one ``delta`` away, and move there."""
        if not self.rows_held:
            return
        here = self.cursor_row
        there = max(0, min(here + delta, len(self.rows_held) - 1))
        self.marks.add(self.rows_held[here].id)
        self.marks.add(self.rows_held[there].id)
        self._move(there)
        self._marks_changed()

    def action_mark_all(self) -> None:
        """Mark every case shown; when all are marked already, unmark them."""
        shown = {r.id for r in self.rows_held}
        if shown and shown <= self.marks:
            self.marks.clear()
        else:
            self.marks.update(shown)
        self._marks_changed()

    # --- drawing hooks ------------------------------------------------------------------

    def marked_style(self, index: int, style: Style) -> Style:
        """The row's style, with the marked style added when it is marked."""
        if self.is_marked(index):
            return style + self.get_component_rich_style("case-table--marked")
        return style

    def mark_line(self, strip: Strip, index: int, style: Style) -> Strip:
        """A marked row starts with the mark (in place of the first cell of the line)."""
        if not self.is_marked(index) or strip.cell_length == 0:
            return strip
        return Strip.join([Strip([Segment(MARK, style)]), strip.crop(1, strip.cell_length)])

    def count_header(self, strip: Strip, style: Style) -> Strip:
        """The header with how many cases are marked at its right end (when any are)."""
        if not self.marks:
            return strip
        n = len(self.marks)
        # i18n: the case list's header when cases are marked; b is the bulk key
        words = ngettext("{n} marked · b acts on it", "{n} marked · b acts on them", n)
        text = f" {MARK} {words.format(n=n)} "
        width = strip.cell_length
        if len(text) >= width:
            return strip
        return Strip.join([strip.crop(0, width - len(text)), Strip([Segment(text, style)])])
