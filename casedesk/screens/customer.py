"""The customer at a glance: who they are, the products and services the account holds,
its contracts with what is left of each line, open and past cases, interactions and
satisfaction. Reached with ctrl+g from the interaction log (the selected customer) and ``r``
from the case screen; as the "customer" mode (command palette) it asks who first.

Keys: Enter on a case opens it, ``/`` looks up another customer, Escape goes back.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, Input, Static

from casedesk.i18n import N_, _, ngettext
from casedesk.labels import label
from casedesk.localformat import day, number
from casedesk.plain import cell
from casedesk.screens import messages
from casedesk.screens.base import DeskScreen
from casedesk.services.queries import customer_view
from casedesk.services.queries.views import CaseRow, CustomerView
from casedesk.widgets.footer import DeskFooter
from casedesk.widgets.sla import local

_STATE_STYLE = {"ok": "green", "exhausted": "bold yellow", "expired": "bold red"}


def satisfaction_text(view: CustomerView) -> Text:
    """``Satisfaction 4.5 / 5 over 2 rated cases (last 5)``, or that none is known."""
    text = Text(_("Satisfaction") + " ", style="dim")
    if view.satisfaction_average is None:
        text.append(_("no case rated yet"), style="dim")
        return text
    text.append(f"{number(view.satisfaction_average, 1)} / 5", style="bold")
    text.append(" " + ngettext("over {n} rated case (last {last})",
                               "over {n} rated cases (last {last})",
                               view.satisfaction_count).format(n=view.satisfaction_count,
                                                               last=view.satisfaction_last))
    return text


class CustomerScreen(DeskScreen):
    """One customer, everything the desk knows about them, read in one worker."""

    LABEL = N_("Customer")
    AUTO_FOCUS = "#customer-cases"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="customer-back"),
        Binding("slash", "find", "Find customer", id="customer-find-key"),
    ]
    DEFAULT_CSS = """
    CustomerScreen #customer-head { height: auto; padding: 0 1; border-bottom: hkey $panel; }
    CustomerScreen #customer-find { margin: 0 1; }
    CustomerScreen #customer-left { width: 1fr; padding: 0 1; }
    CustomerScreen #customer-right { width: 1fr; padding: 0 1; }
    CustomerScreen .pane-title { text-style: bold; height: 1; }
    CustomerScreen #customer-products { height: auto; max-height: 6; }
    CustomerScreen DataTable { height: 1fr; }
    """

    def __init__(self, *, contact_id: int | None = None, account_id: int | None = None) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.account_id = account_id
        self.view: CustomerView | None = None
        self._cases: list[CaseRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="customer-head")
        yield Input(placeholder=_("Customer: contact id, name, phone or e-mail — Enter shows it"),
                    id="customer-find")
        with Horizontal(id="customer-body"):
            with Vertical(id="customer-left"):
                yield Static(_("Products and services"), classes="pane-title")
                yield Static("", id="customer-products")
                yield Static(_("Contracts: what is left"), classes="pane-title")
                yield DataTable(id="customer-lines", cursor_type="row")
            with Vertical(id="customer-right"):
                yield Static(_("Cases (open first)"), classes="pane-title")
                yield DataTable(id="customer-cases", cursor_type="row")
                yield Static(_("Interactions"), classes="pane-title")
                yield DataTable(id="customer-interactions", cursor_type="row")
        yield DeskFooter()

    def on_mount(self) -> None:
        lines = self.query_one("#customer-lines", DataTable)
        for name, width in ((_("Line"), 18), (_("Left"), 12), (_("Until"), 10),
                            (_("State"), 9)):
            lines.add_column(name, width=width)
        table = self.query_one("#customer-cases", DataTable)
        for name, width in ((_("Case"), 9), (_("Title"), 22), (_("Status"), 11),
                            (_("Opened"), 11)):
            table.add_column(name, width=width)
        calls = self.query_one("#customer-interactions", DataTable)
        for name, width in ((_("When"), 11), (_("Channel"), 14), (_("Subject"), 20),
                            (_("Case"), 9)):
            calls.add_column(name, width=width)
        if self.contact_id is None and self.account_id is None:
            self.action_find()
        else:
            self.query_one("#customer-find", Input).display = False

    # --- loading ------------------------------------------------------------------------

    def refresh_data(self) -> None:
        if self.contact_id is None and self.account_id is None:
            return
        self.load(
            "customer",
            partial(customer_view.customer_view, self.desk, contact_id=self.contact_id,
                    account_id=None if self.contact_id is not None else self.account_id,
                    agent_id=self.actor.id),
            then=self._show,
            busy=self.query_one("#customer-body") if self.view is None else None,
        )

    def _show(self, view: CustomerView) -> None:
        self.view = view
        self._render_head(view)
        products = Text()
        for p in view.products:
            products.append("• ")
            products.append_text(cell(p.name))
            if p.serial:
                products.append_text(cell(f" ({p.serial})", "dim"))
            products.append("\n")
        self.query_one("#customer-products", Static).update(
            products if view.products else Text(_("none on record"), style="dim"))
        lines = self.query_one("#customer-lines", DataTable)
        lines.clear()
        for contract in view.contracts:
            for li in contract.lines:
                lines.add_row(
                    cell(li.label),
                    (ngettext("{left} of {total} case", "{left} of {total} cases", li.total)
                     if li.allotment == "cases" else _("{left} of {total} min"))
                    .format(left=number(li.left), total=number(li.total)),
                    day(li.ends) if li.ends else "—",
                    Text(label("line_state", li.state), style=_STATE_STYLE.get(li.state, "")),
                )
        if not view.contracts:
            lines.add_row(Text(_("no contract"), style="dim"), "", "", "")
        table = self.query_one("#customer-cases", DataTable)
        table.clear()
        self._cases = [*view.open_cases, *view.past_cases]
        tz = self.tz()
        for row in self._cases:
            table.add_row(cell(row.label), cell(row.title), label("status", row.status),
                          local(row.created_at, tz), key=row.label)
        calls = self.query_one("#customer-interactions", DataTable)
        calls.clear()
        for i in view.interactions:
            arrow = "→" if i.direction == "outbound" else "←"
            calls.add_row(local(i.started_at, tz), f"{arrow} {label('channel', i.channel)}",
                          cell(i.subject or "—"), cell(i.case or ""))

    def _render_head(self, view: CustomerView) -> None:
        text = Text()
        if view.account:
            text.append_text(cell(view.account, "bold"))
            if view.tier:
                text.append(f" ({label('tier', view.tier)})")
        if view.contact:
            text.append("  ·  " if view.account else "")
            name = view.contact if view.contact != view.account else None  # not twice
            bits = [b for b in (name, view.contact_phone, view.contact_email) if b]
            text.append_text(cell(" · ".join(bits)))
        text.append("\n")
        text.append(", ".join((
            ngettext("{n} open case", "{n} open cases", len(view.open_cases))
            .format(n=len(view.open_cases)),
            ngettext("{n} past", "{n} past", len(view.past_cases)).format(n=len(view.past_cases)),
            ngettext("{n} interaction", "{n} interactions", len(view.interactions))
            .format(n=len(view.interactions)),
        )) + "  ")
        text.append_text(satisfaction_text(view))
        for contract in view.contracts:
            for li in contract.lines:
                if li.state != "ok":
                    text.append("\n")
                    text.append_text(cell(li.words, _STATE_STYLE.get(li.state, "")))
        self.query_one("#customer-head", Static).update(text)

    # --- keys ---------------------------------------------------------------------------

    def action_find(self) -> None:
        """Look up another customer."""
        find = self.query_one("#customer-find", Input)
        find.display = True
        find.value = ""
        find.focus()
        if self.view is None:
            self.query_one("#customer-head", Static).update(
                Text(_("No customer shown: type a contact id, name, phone or e-mail."),
                     style="dim"))

    @on(Input.Submitted, "#customer-find")
    def _find(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self.load("customer-find", partial(customer_view.find_contact, self.desk, text),
                      then=self._found)

    def _found(self, contact_id: int) -> None:
        self.contact_id, self.account_id, self.view = contact_id, None, None
        self.query_one("#customer-find", Input).display = False
        self.query_one("#customer-cases", DataTable).focus()
        self.refresh_data()

    @on(DataTable.RowSelected, "#customer-cases")
    def _open_case(self, event: DataTable.RowSelected) -> None:
        label = event.row_key.value
        if not label:
            return
        if self._pushed():
            self.dismiss()
            self.app.post_message(messages.OpenCase(label))
        else:
            self.post_message(messages.OpenCase(label))

    def _pushed(self) -> bool:
        """Shown over another screen (from the log or a case), not as its own mode."""
        return len(self.app.screen_stack) > 1 and self.app.screen_stack[0] is not self

    def action_back(self) -> None:
        """Back to where you came from."""
        find = self.query_one("#customer-find", Input)
        if find.display and self.view is not None:
            find.display = False
            return
        if self._pushed():
            self.dismiss()
        else:
            self.post_message(messages.GoBack())
