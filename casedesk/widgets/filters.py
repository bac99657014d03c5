"""The inbox's filter bar: priority, severity, status and text (debounced as you type).

Esc (in any of its fields, the select's menu closed) and Enter in the text field post
:class:`FilterBar.Done`: the screen moves the focus back to its list, so the next action
key acts on a case instead of being typed into the filter.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Select

from casedesk.i18n import N_, _
from casedesk.labels import label

_CHOICES = {
    "priority": ("high", "medium", "low"),
    "severity": ("critical", "major", "minor"),
    "status": ("new", "in_progress", "awaiting_customer", "resolved"),
}


_PROMPTS = {
    "priority": N_("any priority"),
    "severity": N_("any severity"),
    "status": N_("any status"),
}


class FilterBar(Horizontal):
    """Posts :class:`FilterBar.Changed` with the current filters (None = any)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "done", "Back to the list", id="filter-done"),
    ]
    DEFAULT_CSS = """
    FilterBar { height: 1; margin-bottom: 1; }
    FilterBar Select { width: 22; margin-right: 1; }
    FilterBar Input { width: 1fr; }
    """

    class Changed(Message):
        def __init__(self, bar: FilterBar, filters: dict[str, str | None]) -> None:
            super().__init__()
            self.bar = bar
            self.filters = filters

        @property
        def control(self) -> FilterBar:
            return self.bar

    class Done(Message):
        """The person is done filtering (Esc, or Enter in the text field)."""

        def __init__(self, bar: FilterBar) -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> FilterBar:
            return self.bar

    def __init__(self, *, debounce: float = 0.2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.debounce = debounce
        self._timer: Timer | None = None
        self._posted: dict[str, str | None] | None = None

    def compose(self) -> ComposeResult:
        for name, values in _CHOICES.items():
            yield Select(
                [(label(name, v), v) for v in values],
                prompt=_(_PROMPTS[name]),
                id=f"filter-{name}",
                compact=True,
            )
        yield Input(placeholder=_("/ title, customer, number or phone…"), id="filter-text",
                    compact=True)

    @property
    def filters(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for name in _CHOICES:
            value = self.query_one(f"#filter-{name}", Select).value
            out[name] = None if value is Select.NULL else str(value)
        out["text"] = self.query_one("#filter-text", Input).value.strip() or None
        return out

    def clear(self) -> None:
        """Empty every filter, applied at once (no wait for the text field's debounce)."""
        for name in _CHOICES:
            self.query_one(f"#filter-{name}", Select).clear()
        self.query_one("#filter-text", Input).value = ""
        if self._timer is not None:
            self._timer.stop()
        self._emit()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._emit()

    @on(Input.Changed, "#filter-text")
    def _text_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.debounce, self._emit)

    @on(Input.Submitted, "#filter-text")
    def _text_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._emit()
        self.post_message(self.Done(self))

    def action_done(self) -> None:
        """Esc: apply what is typed now (no wait for the debounce) and leave the bar."""
        if self._timer is not None:  # typed, not yet applied
            self._timer.stop()
            self._emit()
        self.post_message(self.Done(self))

    def _emit(self) -> None:
        """Post the filters, unless they are the ones posted last (no second reload)."""
        self._timer = None  # nothing typed waits to be applied
        filters = self.filters
        if filters != self._posted:
            self._posted = filters
            self.post_message(self.Changed(self, filters))
