"""A customer's history: interactions, cases, and the account's products and contracts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from casedesk.i18n import _, ngettext
from casedesk.labels import label
from casedesk.plain import cell
from casedesk.services.queries.views import CustomerHistory
from casedesk.textsafe import one_line
from casedesk.widgets.sla import local


class CustomerHistoryView(Vertical):
    """Tabs with a contact's interactions, cases, products and contracts."""

    DEFAULT_CSS = """
    CustomerHistoryView { height: 1fr; }
    CustomerHistoryView .history-title { text-style: bold; height: 1; }
    CustomerHistoryView DataTable { height: 1fr; }
    """

    class CaseChosen(Message):
        """Enter on a case of the history."""

        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def __init__(self, tz: Callable[[], ZoneInfo], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._tz = tz
        self.history: CustomerHistory | None = None

    def compose(self) -> ComposeResult:
        yield Static(_("No customer selected"), classes="history-title", id="history-title")
        with TabbedContent(id="history-tabs"):
            with TabPane(_("Interactions"), id="history-tab-interactions"):
                yield DataTable(id="history-interactions", cursor_type="row")
            with TabPane(_("Cases"), id="history-tab-cases"):
                yield DataTable(id="history-cases", cursor_type="row")
            with TabPane(_("Products & contracts"), id="history-tab-holdings"):
                yield Static("", id="history-holdings")

    def on_mount(self) -> None:
        interactions = self.query_one("#history-interactions", DataTable)
        for name, width in ((_("When"), 11), (_("Channel"), 9), (_("Type"), 9),
                            (_("Subject"), 18), (_("Case"), 9)):
            interactions.add_column(name, width=width)
        cases = self.query_one("#history-cases", DataTable)
        for name, width in ((_("Case"), 9), (_("Title"), 22), (_("Status"), 12),
                            (_("Owner"), 13)):
            cases.add_column(name, width=width)

    def show(self, history: CustomerHistory | None) -> None:
        """Fill the tabs from a history read model (None clears them)."""
        self.history = history
        tz = self._tz()
        interactions = self.query_one("#history-interactions", DataTable)
        cases = self.query_one("#history-cases", DataTable)
        interactions.clear()
        cases.clear()
        holdings = self.query_one("#history-holdings", Static)
        title = self.query_one("#history-title", Static)
        if history is None:
            title.update(_("No customer selected"))
            holdings.update("")
            return
        account = f" · {history.account}" if history.account else ""
        counts = _("{interactions}, {cases}").format(
            interactions=ngettext("{n} interaction", "{n} interactions",
                                  len(history.interactions)).format(n=len(history.interactions)),
            cases=ngettext("{n} case", "{n} cases", len(history.cases)).format(
                n=len(history.cases)))
        title.update(cell(f"{history.contact}{account} — {counts}"))
        for i in history.interactions:
            arrow = "→" if i.direction == "outbound" else "←"
            interactions.add_row(
                local(i.started_at, tz),
                f"{arrow} {label('channel', i.channel)}",
                label("typification", i.typification),
                cell(i.subject or "—"),
                cell(i.case or ""),
            )
        for c in history.cases:
            cases.add_row(
                c.label,
                cell(c.title),
                label("status", c.status),
                cell(c.owner_name or (_("queue {queue}").format(queue=c.queue)
                                      if c.queue else "—")),
                key=c.label,
            )
        text = Text()
        text.append(_("Products and services") + "\n", style="bold")
        for p in history.products or [_("none on record")]:
            text.append(f"  • {one_line(p)}\n")
        text.append(_("Contracts") + "\n", style="bold")
        for contract in history.contracts or [_("none on record")]:
            text.append(f"  • {one_line(contract)}\n")
        holdings.update(text)

    @on(DataTable.RowSelected, "#history-cases")
    def _case(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value:
            self.post_message(self.CaseChosen(event.row_key.value))
