"""A keyset-paged case list with live SLA countdowns, drawn line by line.

The table holds only the pages fetched so far (about a hundred rows each). When the
cursor comes within :attr:`CaseTable.prefetch` rows of the last one and the service
said there is more, it posts :class:`CaseTable.NeedMore`; the screen fetches the next
page in a worker and calls :meth:`CaseTable.append_page`. So a queue of a million cases
costs what its first pages cost.

It is a line-API ``ScrollView`` (the shape of Toolong's log view) rather than a
``DataTable``: each visible line is one strip built from the row's cells, which are made
once per row and kept; only the countdown cell is made again when a line is drawn, from
the clock. So a page-down draws about thirty short strips, and the once-a-second tick is
a repaint of the visible lines without the database.

The countdown counts business time on each case's SLA calendar, like the case screen, with
the due wall time beside it (:func:`casedesk.widgets.sla.due_cell`); the table asks for its
rows' policies itself (:func:`casedesk.services.queries.clock_policies.policy_names`, in a
worker) and takes the calendars from the workstation's loaded targets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.plain import cell
from casedesk.services.queries import clock_policies
from casedesk.services.queries.views import CaseRow, Page
from casedesk.services.sla.calendar import BusinessCalendar
from casedesk.services.sla.clocks import NO_POLICY, ClockState
from casedesk.widgets.selection import SELECTION_BINDINGS, CaseSelection
from casedesk.widgets.sla import countdown_cell, local, row_state

#: Column id → (header, width); headers are translated where they are drawn.
COLUMNS: dict[str, tuple[str, int]] = {
    # i18n: the countdown column: business time left, then the due wall time
    "due": (N_("Due (business)"), 15),
    "case": (N_("Case"), 9),
    # the countdown grew by its due time: the title gave those columns up (it is cut with
    # an ellipsis; the countdown, its sign and the case number never are)
    "title": (N_("Title"), 20),
    # i18n: column heading, short for status
    "status": (N_("Status"), 12),
    # i18n: column heading, short for priority (at most 6 letters)
    "priority": (N_("Pri"), 6),
    # i18n: column heading, short for severity (at most 8 letters)
    "severity": (N_("Sev"), 8),
    "contact": (N_("Customer"), 18),
    "queue": (N_("Queue"), 11),
    "owner": (N_("Owner"), 16),
    "created": (N_("Opened"), 11),
}
_STATUS_STYLE = {
    "new": "bold",
    "in_progress": "",
    "awaiting_customer": "cyan",
    "resolved": "green",
    "closed": "dim",
    "cancelled": "dim strike",
}
_PRIORITY_STYLE = {"high": "bold red", "medium": "", "low": "dim"}
_SEVERITY_STYLE = {"critical": "bold red", "major": "yellow", "minor": "dim"}
_GAP = 2
#: Columns given up, first to last, when the terminal is too narrow for all of them; the
#: countdown (with its sign), the case number and the customer are never given up.
_DROP_ORDER = ("created", "owner", "queue", "severity", "priority", "status")
#: The title takes what the other columns leave, between these widths.
_TITLE_MIN, _TITLE_MAX = 12, 48


def fit_columns(columns: Sequence[str], width: int) -> list[tuple[int, str, int]]:
    """The columns shown in ``width`` cells as (index, id, width): the optional ones dropped
    in :data:`_DROP_ORDER` until the line fits, the title widened into what is left."""
    shown = list(columns)

    def need(ids: list[str]) -> int:
        return 1 + sum((_TITLE_MIN if c == "title" else COLUMNS[c][1]) + _GAP for c in ids)

    for cid in _DROP_ORDER:
        if width <= 0 or need(shown) <= width:
            break
        if cid in shown:
            shown.remove(cid)
    spare = max(0, width - need(shown)) if width > 0 else COLUMNS["title"][1] - _TITLE_MIN
    title = min(_TITLE_MAX, _TITLE_MIN + spare)
    return [(i, c, title if c == "title" else COLUMNS[c][1])
            for i, c in enumerate(columns) if c in shown]


class CaseTable(CaseSelection, ScrollView, can_focus=True):
    """Cases, one line each, most urgent first; pages appended as the cursor nears the end."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", show=False, id="cases-open"),
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "jump(0)", "First", show=False),
        Binding("end,ctrl+end", "jump(-1)", "Last loaded", show=False),
        *SELECTION_BINDINGS,
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-table--header",
        "case-table--cursor",
        "case-table--odd",
        "case-table--marked",
    }
    DEFAULT_CSS = """
    CaseTable {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    CaseTable > .case-table--header { background: $panel; text-style: bold; }
    CaseTable > .case-table--odd { background: $surface-lighten-1; }
    CaseTable > .case-table--cursor { background: $panel-lighten-1; }
    CaseTable > .case-table--marked { text-style: bold; color: $accent; }
    CaseTable:focus > .case-table--cursor { background: $block-cursor-background; }
    """

    cursor_row: reactive[int] = reactive(0, init=False)

    class NeedMore(Message):
        """The cursor is near the last loaded row and more rows exist."""

        def __init__(self, table: CaseTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> CaseTable:
            return self.table

    class Highlighted(Message):
        """The cursor moved to another case."""

        def __init__(self, table: CaseTable, row: CaseRow | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> CaseTable:
            return self.table

    class Selected(Message):
        """Enter (or a second click) on a case."""

        def __init__(self, table: CaseTable, row: CaseRow) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> CaseTable:
            return self.table

    def __init__(
        self,
        *,
        columns: Sequence[str] = ("due", "case", "title", "status", "priority", "severity",
                                  "contact", "queue"),
        now: Callable[[], datetime],
        tz: Callable[[], ZoneInfo],
        prefetch: int = 60,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._column_ids = list(columns)
        self._now = now
        self._tz = tz
        self.prefetch = prefetch
        self.rows_held: list[CaseRow] = []
        self.warn_at: dict[int, datetime | None] = {}
        self.next_after: tuple[datetime, int] | None = None
        self.fetching = False
        self.loaded_once = False
        self._cells: list[list[Text]] = []
        #: Case id → its SLA policy's name (None: no policy), once asked for.
        self.policy_of: dict[int, str | None] = {}
        self._fit_width = -1
        self._shown: list[tuple[int, str, int]] = []
        self._refit(0)

    # --- content ------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.rows_held)

    def current(self) -> CaseRow | None:
        """The case under the cursor."""
        if 0 <= self.cursor_row < len(self.rows_held):
            return self.rows_held[self.cursor_row]
        return None

    def set_rows(
        self,
        rows: Sequence[CaseRow] | Page,
        *,
        warn_at: dict[int, datetime | None] | None = None,
    ) -> None:
        """Replace the content. The cursor stays on the same case when it is still there,
        else it moves to the first row (never onto whichever case now sits at the old
        position), and the highlighted row is scrolled into view."""
        keep = self.current()
        page_rows, after = (rows.rows, rows.next_after) if isinstance(rows, Page) else (rows, None)
        self.rows_held = list(page_rows)
        self._cells = [self._make_cells(r) for r in self.rows_held]
        self.next_after = after
        self.warn_at = dict(warn_at or {})
        self.fetching = False
        self.loaded_once = True
        index = 0
        if keep is not None:
            index = next((i for i, r in enumerate(self.rows_held) if r.id == keep.id), 0)
        self._resize()
        if index == 0:
            self.scroll_to(y=0, animate=False, immediate=True)
        self._move(index)
        if self.current() != keep:
            self.post_message(self.Highlighted(self, self.current()))
        self.refresh()
        self._want_policies(self.rows_held)
        self._maybe_need_more()
        self.keep_marks_shown()

    def clear_rows(self) -> None:
        """Forget the rows (the list is about to show something else: another queue, agent
        or filter): until the new rows arrive no key can act on a case of the old list."""
        self.rows_held = []
        self._cells = []
        self.next_after = None
        self.warn_at = {}
        self.fetching = False
        self._resize()
        self.scroll_to(y=0, animate=False, immediate=True)
        self._move(0)
        self.refresh()
        self.keep_marks_shown()

    def append_page(self, page: Page, *, warn_at: dict[int, datetime | None] | None = None) -> None:
        """Add the next keyset page at the end."""
        seen = {r.id for r in self.rows_held[-len(page.rows) - 10 :]}
        fresh = [r for r in page.rows if r.id not in seen]
        self.rows_held.extend(fresh)
        self._cells.extend(self._make_cells(r) for r in fresh)
        self.warn_at.update(warn_at or {})
        self.next_after = page.next_after
        self.fetching = False
        self._resize()
        self.refresh()
        self._want_policies(fresh)
        self._maybe_need_more()

    # --- one clock: each row's calendar ------------------------------------------------

    def _want_policies(self, rows: Sequence[CaseRow]) -> None:
        """Ask (in a worker) for the policies of the rows not known yet."""
        missing = [r.id for r in rows if r.id not in self.policy_of]
        desk = getattr(self.app, "desk", None)
        if not missing or desk is None:
            return

        def fetch() -> None:
            try:
                found = clock_policies.policy_names(desk, missing)
            except Exception:  # noqa: BLE001 - the countdowns keep saying "…"; next load retries
                return
            self.app.call_from_thread(self._policies_known, found)

        self.run_worker(fetch, thread=True, group="case-table-policies", exit_on_error=False)

    def _policies_known(self, found: dict[int, str | None]) -> None:
        self.policy_of.update(found)
        self.refresh()

    def calendar_of(self, row: CaseRow) -> BusinessCalendar | None:
        """The business calendar the row's deadlines count on (None: not known yet)."""
        if row.id not in self.policy_of:
            return None
        policy = self.policy_of[row.id]
        if policy is None:
            return NO_POLICY.calendar
        targets_for = getattr(self.app, "targets_for", None)
        targets = targets_for(policy) if targets_for is not None else None
        return targets.calendar if targets is not None else None

    def get_cell_at(self, coordinate: tuple[int, int]) -> Text:
        """The cell at (row, column) as drawn now."""
        row, column = coordinate
        if self._column_ids[column] == "due":
            return self.due_text(self.rows_held[row], self._now())
        return self._cells[row][column]

    @property
    def shown_columns(self) -> list[str]:
        """The ids of the columns drawn at the current width."""
        return [cid for _i, cid, _w in self._shown]

    def _refit(self, width: int) -> None:
        if width != self._fit_width:
            self._fit_width = width
            self._shown = fit_columns(self._column_ids, width)
            self._width = 1 + sum(w + _GAP for _i, _c, w in self._shown)

    def on_resize(self, event: events.Resize) -> None:
        self._refit(self.scrollable_content_region.width)
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        self.virtual_size = Size(self._width, len(self.rows_held) + 1)

    def _make_cells(self, row: CaseRow) -> list[Text]:
        """The row's cells, made once: outside text literal, one line, controls visible."""
        cells: list[Text] = []
        for cid in self._column_ids:
            if cid == "due":
                cells.append(Text(""))
            elif cid == "case":
                cells.append(Text(row.label))
            elif cid == "title":
                cells.append(cell(row.title))
            elif cid == "status":
                cells.append(Text(label("status", row.status),
                                  _STATUS_STYLE.get(row.status, "")))
            elif cid == "priority":
                cells.append(Text(label("priority", row.priority),
                                  _PRIORITY_STYLE.get(row.priority, "")))
            elif cid == "severity":
                cells.append(Text(label("severity", row.severity),
                                  _SEVERITY_STYLE.get(row.severity, "")))
            elif cid == "contact":
                cells.append(cell(row.contact or "—"))
            elif cid == "queue":
                cells.append(cell(row.queue or "—"))
            elif cid == "owner":
                cells.append(cell(row.owner_name or "—"))
            elif cid == "created":
                cells.append(Text(local(row.created_at, self._tz())))
        return cells

    def due_text(self, row: CaseRow, now: datetime) -> Text:
        """The countdown cell: business time left (as on the case screen) and the due wall
        time; the state from exact warning times when known, else the row's estimate."""
        st = row_state(row, now)
        warn = self.warn_at.get(row.id)
        if st in (ClockState.ok, ClockState.warning) and row.id in self.warn_at:
            st = ClockState.warning if warn is not None and now >= warn else ClockState.ok
        return countdown_cell(row, now, st, self.calendar_of(row), self._tz())

    # --- drawing ----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if width != self._fit_width:
            self._refit(width)
            self.call_later(self._resize)
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("case-table--header")
            cells = [Text(_(COLUMNS[c][0])) for c in self._column_ids]
            return self.count_header(self._strip(cells, style, scroll_x, width), style)
        index = scroll_y + y - 1
        if index >= len(self.rows_held):
            return Strip.blank(width, base)
        style = base
        if index % 2:
            style += self.get_component_rich_style("case-table--odd")
        if index == self.cursor_row:
            style += self.get_component_rich_style("case-table--cursor")
        style = self.marked_style(index, style)
        cells = list(self._cells[index])
        if "due" in self._column_ids:
            cells[self._column_ids.index("due")] = self.due_text(
                self.rows_held[index], self._now()
            )
        return self.mark_line(self._strip(cells, style, scroll_x, width), index, style)

    def _strip(self, cells: list[Text], style: Style, scroll_x: int, width: int) -> Strip:
        segments = [Segment(" ", style)]
        for index, _cid, size in self._shown:
            value = cells[index]
            text = value.plain
            if len(text) > size:
                text = text[: size - 1] + "…"
            cell_style = style + value.style if isinstance(value.style, Style) else (
                style + Style.parse(value.style) if value.style else style
            )
            segments.append(Segment(text.ljust(size), cell_style))
            segments.append(Segment(" " * _GAP, style))
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, style)

    def tick(self) -> None:
        """Repaint the visible countdowns (no database access)."""
        if "due" in self._column_ids and self.rows_held:
            self.refresh()

    # --- cursor -----------------------------------------------------------------------

    @property
    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _move(self, index: int, *, scroll: bool = True) -> None:
        if not self.rows_held:
            self.cursor_row = 0
            return
        index = max(0, min(index, len(self.rows_held) - 1))
        self.cursor_row = index
        if scroll:
            top = self.scroll_offset.y
            if index < top:
                self.scroll_to(y=index, animate=False, immediate=True)
            elif index >= top + self._page_rows:
                self.scroll_to(y=index - self._page_rows + 1, animate=False, immediate=True)

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        self._move(row, scroll=scroll)

    def watch_cursor_row(self, old: int, new: int) -> None:
        if old != new:
            self.refresh()
            self.post_message(self.Highlighted(self, self.current()))
        self._maybe_need_more()

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        page = self._page_rows
        self.scroll_to(y=self.scroll_offset.y + direction * page, animate=False, immediate=True)
        self._move(self.cursor_row + direction * page)

    def action_jump(self, where: int) -> None:
        self._move(len(self.rows_held) - 1 if where < 0 else 0)

    def action_select(self) -> None:
        row = self.current()
        if row is not None:
            self.post_message(self.Selected(self, row))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows_held):
            if index == self.cursor_row:
                self.action_select()
            self._move(index)

    def _maybe_need_more(self) -> None:
        if (
            self.next_after is not None
            and not self.fetching
            and self.cursor_row >= len(self.rows_held) - self.prefetch
        ):
            self.fetching = True
            self.post_message(self.NeedMore(self))
