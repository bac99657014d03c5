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
        yield Static("No customer selected", classes="history-title", id="history-title")
        with TabbedContent(id="history-tabs"):
            with TabPane("Interactions", id="history-tab-interactions"):
                yield DataTable(id="history-interactions", cursor_type="row")
            with TabPane("Cases", id="history-tab-cases"):
                yield DataTable(id="history-cases", cursor_type="row")
            with TabPane("Products & contracts", id="history-tab-holdings"):
                yield Static("", id="history-holdings")

    def on_mount(self) -> None:
        interactions = self.query_one("#history-interactions", DataTable)
        for name, width in (("When", 11), ("Channel", 9), ("Type", 9), ("Subject", 18),
                            ("Case", 9)):
            interactions.add_column(name, width=width)
        cases = self.query_one("#history-cases", DataTable)
        for name, width in (("Case", 9), ("Title", 22), ("Status", 12), ("Owner", 13)):
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
            title.update("No customer selected")
            holdings.update("")
            return
        account = f" · {history.account}" if history.account else ""
        title.update(
            cell(f"{history.contact}{account} — {len(history.interactions)} interactions, "
                 f"{len(history.cases)} cases")
        )
        for i in history.interactions:
            arrow = "→" if i.direction == "outbound" else "←"
            interactions.add_row(
                local(i.started_at, tz),
                f"{arrow} {i.channel}",
                i.typification,
                cell(i.subject or "—"),
                cell(i.case or ""),
            )
        for c in history.cases:
            cases.add_row(
                c.label,
                cell(c.title),
                c.status.replace("_", " "),
                cell(c.owner_name or (f"queue {c.queue}" if c.queue else "—")),
                key=c.label,
            )
        text = Text()
        text.append("Products and services\n", style="bold")
        for p in history.products or ["none on record"]:
            text.append(f"  • {one_line(p)}\n")
        text.append("Contracts\n", style="bold")
        for contract in history.contracts or ["none on record"]:
            text.append(f"  • {one_line(contract)}\n")
        holdings.update(text)

    @on(DataTable.RowSelected, "#history-cases")
    def _case(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value:
            self.post_message(self.CaseChosen(event.row_key.value))
