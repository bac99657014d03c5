"""The customer's history in a modal, opened from the case screen (``h``)."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen

from casedesk.screens.base import ServiceCalls
from casedesk.services.queries import reads
from casedesk.widgets.footer import DeskFooter
from casedesk.widgets.history import CustomerHistoryView


class HistoryModal(ServiceCalls, ModalScreen[str | None]):
    """Interactions, cases, products and contracts of one contact; Enter on a case opens it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close", id="history-close"),
    ]
    DEFAULT_CSS = """
    HistoryModal { align: center middle; }
    HistoryModal > Vertical {
        width: 100; height: 30; border: thick $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, contact_id: int) -> None:
        super().__init__()
        self.contact_id = contact_id

    def compose(self) -> ComposeResult:
        with Vertical():
            yield CustomerHistoryView(self.tz, id="history-modal-view")
        yield DeskFooter()

    def on_mount(self) -> None:
        view = self.query_one(CustomerHistoryView)
        self.load(
            "history-modal",
            partial(reads.customer_history, self.desk, self.contact_id),
            then=view.show,
            busy=view,
        )

    @on(CustomerHistoryView.CaseChosen)
    def _case(self, event: CustomerHistoryView.CaseChosen) -> None:
        self.dismiss(event.label)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
