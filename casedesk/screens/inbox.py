"""Queue inbox: my queues with their counts, and the selected queue's waiting cases.

Cases come most urgent first, a keyset page (100 rows) at a time; the next page is fetched
as the cursor nears the end, so a queue of a million cases opens as fast as an empty one.
Keys: ``a`` accept, ``n`` next (take the most urgent of what is shown), ``t`` transfer,
``r`` reject, ``/`` filter by text (Esc or Enter back to the list), ``f`` the filter selects,
``x`` clear filters, Enter open the case.
"""

from __future__ import annotations

import time
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Input, Select, Static

from casedesk.errors import ConflictError
from casedesk.i18n import N_, _
from casedesk.labels import label as code_label
from casedesk.localformat import number
from casedesk.plain import cell
from casedesk.screens import messages
from casedesk.screens.base import error_message
from casedesk.screens.bulk import BULK_BINDINGS, BulkActions
from casedesk.screens.moves import CaseMoves
from casedesk.services.queries import board, reads
from casedesk.services.queries.views import CaseDetail, Page, QueueLoad
from casedesk.services.workflow import transitions
from casedesk.widgets.case_table import CaseTable
from casedesk.widgets.filters import FilterBar
from casedesk.widgets.footer import DeskFooter

PAGE = 100
#: ``n`` with a filter tries at most this many shown cases (others may be taking them too).
NEXT_TRIES = 20
#: A refresh re-reads at most this many rows (the pages the agent has scrolled through).
REFRESH_CAP = 2000


def _active(filters: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in filters.items() if v}


def filter_words(key: str, value: str) -> str:
    """``priority high`` / ``prioridad alta``; typed text in quotes."""
    if key == "text":
        return f"“{value}”"
    names = {"priority": _("priority"), "severity": _("severity"), "status": _("status")}
    return f"{names.get(key, key)} {code_label(key, value) if key in names else value}"


def count_text(value: int, capped: bool = False) -> str:
    return number(value) + ("+" if capped else "")


class InboxScreen(BulkActions, CaseMoves):
    """The agent's queues and the waiting cases of the selected one."""

    LABEL = N_("Queue inbox")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept", "Accept", id="inbox-accept"),
        Binding("n", "next", "Next", id="inbox-next"),
        Binding("t", "transfer", "Transfer", id="inbox-transfer"),
        Binding("r", "reject", "Reject", id="inbox-reject"),
        Binding("slash", "filter_text", "Filter", id="inbox-search", key_display="/"),
        Binding("f", "filters", "Filter selects", id="inbox-filters", show=False),
        Binding("x", "clear_filters", "Clear filters", id="inbox-clear", show=False),
        Binding("q", "queues", "Queues", id="inbox-queues", show=False),
        *BULK_BINDINGS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queue: str | None = None
        self.loads: list[QueueLoad] = []
        self.filters: dict[str, str | None] = {}
        self._epoch = 0
        #: How long the last (re)load and each next page took (ms), for benchmarks.
        self.last_fetch_ms = 0.0
        self.fetch_ms: list[float] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="inbox-top"):
            yield Static(_("My queues"), classes="pane-title")
            yield DataTable(id="inbox-queues", cursor_type="row")
            yield Static("", id="inbox-queue-help", classes="muted")
        yield FilterBar(id="inbox-filterbar")
        yield Static("", id="inbox-status", classes="status-line")
        yield CaseTable(
            id="inbox-cases",
            columns=("due", "case", "title", "status", "priority", "severity", "contact",
                     "created"),
            now=self.now,
            tz=self.tz,
        )
        yield DeskFooter()

    def on_mount(self) -> None:
        queues = self.query_one("#inbox-queues", DataTable)
        queues.add_column(_("Queue"), key="queue", width=14)
        queues.add_column(_("Waiting"), key="waiting", width=10)
        queues.add_column(_("New"), key="new", width=10)
        queues.add_column(_("Warning"), key="warning", width=10)
        queues.add_column(_("Breached"), key="breached", width=10)
        self.query_one("#inbox-cases", CaseTable).focus()

    # --- loading ------------------------------------------------------------------------

    @property
    def cases(self) -> CaseTable:
        return self.query_one("#inbox-cases", CaseTable)

    def bulk_table(self) -> CaseTable:
        return self.cases

    def refresh_data(self) -> None:
        if self.queue is None and not self.cases.loaded_once:
            # the first page first: the counts (a few hundred ms on a million waiting cases)
            # start once it is drawn instead of competing with it
            self.query_one("#inbox-queues", DataTable).loading = True
            self._epoch += 1
            self.load(
                "inbox-cases",
                partial(self._first, self._epoch),
                then=self._show_first,
                busy=self.cases,
                failed=self._first_failed,
            )
            return
        self.load_counts()
        if self.queue is not None:
            self.load_cases(keep=True)

    def _first(self, epoch: int) -> tuple[int, str | None, Page | None, dict]:
        """Runs in a worker: the queue to land on (the first with waiting cases) and its
        first page, without waiting for the counts of every queue."""
        queues = board.member_queues(self.desk, self.actor.id)
        busy = [name for name, waiting in queues if waiting]
        queue = busy[0] if busy else (queues[0][0] if queues else None)
        if queue is None:
            return epoch, None, None, {}
        page, warns = self._fetch(queue, None, PAGE, {})
        return epoch, queue, page, warns

    def _first_failed(self, exc: BaseException) -> None:
        """The first page could not be read: say why, and stop the queue list's spinner
        (the next change another workstation makes tries again)."""
        self.query_one("#inbox-queues", DataTable).loading = False
        self.app.notify(error_message(exc), title=_("Refused"), severity="error")

    def _show_first(self, result: tuple[int, str | None, Page | None, dict]) -> None:
        epoch, queue, page, warns = result
        self.load_counts()
        if epoch != self._epoch or self.queue is not None or queue is None or page is None:
            return
        self.queue = queue
        self.cases.set_rows(page, warn_at=warns)
        queues = self.query_one("#inbox-queues", DataTable)
        if self.focused in (None, queues):
            # the case list could not take the focus while it was loading (on_mount), and
            # Textual may have given it to the queue table meanwhile: the agent starts in
            # the case list, ready to accept
            self.cases.focus()
        if queues.row_count:
            names = [q.name for q in self.loads]
            if queue in names:
                queues.move_cursor(row=names.index(queue), scroll=False)
        self._update_status()

    def load_counts(self) -> None:
        table = self.query_one("#inbox-queues", DataTable)
        self.load(
            "inbox-counts",
            partial(board.queue_loads, self.desk, member=self.actor.id),
            then=self._show_counts,
            busy=table if not self.loads else None,
            coalesce=True,
        )

    def _show_counts(self, loads: list[QueueLoad]) -> None:
        same = [q.name for q in loads] == [q.name for q in self.loads]
        self.loads = loads
        table = self.query_one("#inbox-queues", DataTable)
        if not same or table.row_count != len(loads):
            table.clear()
        for q in loads:
            cells = {
                "queue": cell(q.name),
                "waiting": count_text(q.waiting),
                "new": count_text(q.new, q.new_capped),
                "warning": Text(
                    count_text(q.warning, q.warning_capped),
                    style="bold yellow" if q.warning else "dim",
                ),
                "breached": Text(count_text(q.breached), style="bold red" if q.breached else "dim"),
            }
            if table.row_count == len(loads):
                for column, value in cells.items():
                    table.update_cell(q.name, column, value)
            else:
                table.add_row(*cells.values(), key=q.name)
        help_line = self.query_one("#inbox-queue-help", Static)
        help_line.display = not loads
        if not loads:
            help_line.update(_("You are in no queue: ask a supervisor to add you to one."))
            return
        names = [q.name for q in loads]
        if self.queue is not None and self.queue not in names:
            self.queue = names[0]
            self.load_cases(keep=False)
        if self.queue is not None:
            table.move_cursor(row=names.index(self.queue), scroll=False)
        self._update_status()

    def load_cases(self, *, keep: bool, cover: bool = True) -> None:
        """(Re)load the selected queue from its first row; ``keep`` re-reads what is held
        (the cursor stays on its case), else the list is emptied at once (no key acts on a
        case of the old list) and the cursor lands on the first row. ``cover=False``: no
        loading indicator, so the list can take the focus meanwhile (a filter change)."""
        if self.queue is None:
            return
        self._epoch += 1
        table = self.cases
        if not keep:
            table.clear_rows()
        limit = min(max(PAGE, len(table.rows_held)), REFRESH_CAP) if keep else PAGE
        started = time.perf_counter()
        epoch = self._epoch

        def show(result: tuple[Page, dict]) -> None:
            if epoch != self._epoch:
                return
            page, warns = result
            table.set_rows(page, warn_at=warns)
            self.last_fetch_ms = (time.perf_counter() - started) * 1000
            self._update_status()

        self.load(
            "inbox-cases",
            partial(self._fetch, self.queue, None, limit, dict(self.filters)),
            then=show,
            busy=table if cover and (not keep or not table.loaded_once) else None,
        )

    def _fetch(
        self,
        queue: str,
        after: tuple | None,
        limit: int,
        filters: dict[str, str | None],
    ) -> tuple[Page, dict]:
        """Runs in a worker: one keyset page and its rows' warning times."""
        page = reads.inbox(self.desk, queue, after=after, limit=limit, **filters)
        warns = board.warn_times(self.desk, [r.id for r in page.rows])
        return page, {cid: w.nearest() for cid, w in warns.items()}

    @on(CaseTable.NeedMore, "#inbox-cases")
    def _more(self, event: CaseTable.NeedMore) -> None:
        table = event.table
        if self.queue is None or table.next_after is None:
            table.fetching = False
            return
        epoch = self._epoch
        started = time.perf_counter()

        def show(result: tuple[Page, dict]) -> None:
            if epoch != self._epoch:
                table.fetching = False
                return
            page, warns = result
            table.append_page(page, warn_at=warns)
            self.fetch_ms.append((time.perf_counter() - started) * 1000)
            self._update_status()

        self.load(
            "inbox-more",
            partial(self._fetch, self.queue, table.next_after, PAGE, dict(self.filters)),
            then=show,
        )

    def _update_status(self) -> None:
        load = next((q for q in self.loads if q.name == self.queue), None)
        table = self.cases
        parts: list[Text] = []
        if self.queue:
            parts.append(cell(self.queue, "bold"))
        if load is not None:
            parts.append(Text(_("{n} waiting").format(n=number(load.waiting))))
        shown = len(table.rows_held)
        parts.append(Text(
            _("showing {n} (more as you scroll)").format(n=number(shown))
            if table.next_after is not None else _("showing {n}").format(n=number(shown))
        ))
        active = [filter_words(k, v) for k, v in self.filters.items() if v]
        if active:  # typed by the agent
            parts.append(cell(_("filter {filters}").format(filters=", ".join(active))))
        self.query_one("#inbox-status", Static).update(Text(" · ").join(parts))

    def tick(self) -> None:
        self.cases.tick()

    # --- events -------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#inbox-queues")
    def _queue_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != event.data_table.cursor_row:
            return  # a stale highlight from rebuilding the table
        name = event.row_key.value if event.row_key is not None else None
        if self.queue is None:
            return  # still landing on the first busy queue (see _first)
        if name and name != self.queue:
            self.queue = name
            self.load_cases(keep=False)

    @on(DataTable.RowSelected, "#inbox-queues")
    def _queue_selected(self, event: DataTable.RowSelected) -> None:
        self.cases.focus()

    @on(CaseTable.Selected, "#inbox-cases")
    def _case_selected(self, event: CaseTable.Selected) -> None:
        self.post_message(messages.OpenCase(event.row.label))

    @on(FilterBar.Changed)
    def _filters_changed(self, event: FilterBar.Changed) -> None:
        if _active(event.filters) == _active(self.filters):
            return  # applied already (x clears at once)
        self.filters = event.filters
        self.load_cases(keep=False, cover=False)

    @on(FilterBar.Done)
    def _filters_done(self, event: FilterBar.Done) -> None:
        self.cases.focus()

    # --- actions ------------------------------------------------------------------------

    def action_accept(self) -> None:
        """Take the selected case into my WIP bin."""
        self.move_case(transitions.accept,
                       done=lambda c: _("{case} is in your bin (F4)").format(case=c.label))

    def action_next(self) -> None:
        """Take the most urgent case of what is shown and open it: with no filter, the
        queue's most urgent (the service picks it, skipping locked rows); with a filter,
        the first shown case that is still free (the list is most urgent first)."""
        if self.queue is None:
            return
        done = lambda c: _("{case} is in your bin").format(case=c.label)  # noqa: E731
        opened = lambda c: self.post_message(messages.OpenCase(c.label))  # noqa: E731
        if not any(self.filters.values()):
            self.operate(partial(transitions.next_case, self.desk, self.actor, self.queue),
                         done=done, then=opened)
            return
        if self.cases.loading or not self.cases.rows_held:
            self.app.notify(_("No case is shown with this filter: x clears it."),
                            severity="warning")
            return
        shown = [r.label for r in self.cases.rows_held[:NEXT_TRIES]]
        self.operate(partial(self._take_first, shown), done=done, then=opened)

    def _take_first(self, labels: list[str]) -> CaseDetail:
        """Runs in a worker: accept the first of ``labels`` nobody has taken meanwhile."""
        for label in labels[:-1]:
            try:
                return transitions.accept(self.desk, self.actor, label)
            except ConflictError:
                continue  # taken since it was shown: the next most urgent
        return transitions.accept(self.desk, self.actor, labels[-1])

    @work(group="ask", exit_on_error=False)
    async def action_transfer(self) -> None:
        """Move the selected case to another queue (the queues are read first)."""
        row = self.selected_case()
        if row is None:
            return
        names = await self.fetch(partial(board.queue_names, self.desk))
        if names is not None:
            self.transfer_case(row, names)

    def action_reject(self) -> None:
        """Send the selected case back to its creator, with a reason."""
        row = self.selected_case()
        if row is None:
            return
        from casedesk.screens.modals import TextPrompt  # loaded when first needed

        self.write_from(
            TextPrompt(_("Reject {case}: why?").format(case=row.label),
                       placeholder=_("reason the creator can act on")),
            lambda reason: transitions.reject(self.desk, self.actor, row.label, reason),
            done=lambda c: _("{case} returned to {agent}").format(case=c.label,
                                                                 agent=c.owner_name or c.owner),
        )

    def action_filter_text(self) -> None:
        self.query_one("#filter-text", Input).focus()

    def action_filters(self) -> None:
        self.query_one("#filter-priority", Select).focus()

    def action_clear_filters(self) -> None:
        """Empty the filters and show the whole queue at once (``n`` right after takes the
        queue's most urgent)."""
        self.query_one(FilterBar).clear()
        if any(self.filters.values()):
            self.filters = {}
            self.load_cases(keep=False, cover=False)
        self.cases.focus()

    def action_queues(self) -> None:
        self.query_one("#inbox-queues", DataTable).focus()
