"""The supervisor's view of the SLA clock: when it last ran, by whom, in how long, whether
it is late, and the open cases it escalated to the supervisor or found inactive.

Drawn from read models only (:class:`~casedesk.services.queries.views.ClockStatus`,
:class:`~casedesk.services.queries.views.FlaggedCases`); every title and name is outside
text and goes in through :func:`casedesk.plain.plain`, never as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from casedesk.i18n import _
from casedesk.labels import label
from casedesk.plain import plain
from casedesk.services.queries.views import ClockStatus, FlaggedCase, FlaggedCases


def flagged_line(title: str, rows: list[FlaggedCase], more: bool) -> Text:
    """``Escalated (2): CS-000012 Caída total (high, technical) · CS-000009 …``."""
    count = f"{len(rows)}+" if more else str(len(rows))
    line = Text.assemble((f"{title} ({count}): ", "bold"))
    if not rows:
        line.append(_("none"), style="dim")
        return line
    for i, row in enumerate(rows):
        if i:
            line.append(" · ", style="dim")
        line.append(row.label, style="bold")
        line.append(" ")
        line.append_text(plain(row.title, single_line=True))
        where = row.owner or row.queue or "—"
        line.append_text(plain(f" ({label('priority', row.priority)}, {where})", "dim",
                               single_line=True))
    return line


class ClockPanel(Vertical):
    """Three lines: the clock's sentence (red when it is late; cut with an ellipsis on a
    narrow screen, whole in its tooltip), then the escalated and the inactive cases."""

    DEFAULT_CSS = """
    ClockPanel {
        height: 3;
        padding: 0 1;
    }
    ClockPanel > Static {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.status: ClockStatus | None = None
        self.flagged: FlaggedCases | None = None

    def compose(self) -> ComposeResult:
        yield Static(_("The SLA clock: reading…"), id="clock-line")
        yield Static("", id="clock-escalated")
        yield Static("", id="clock-inactive")

    def show_status(self, status: ClockStatus) -> None:
        """Draw the clock's sentence."""
        self.status = status
        style = "bold red" if status.late else ""
        line = self.query_one("#clock-line", Static)
        line.update(plain(status.sentence, style, single_line=True))
        line.tooltip = plain(status.sentence)

    def show_flagged(self, flagged: FlaggedCases) -> None:
        """Draw the escalated and inactive lists."""
        self.flagged = flagged
        self.query_one("#clock-escalated", Static).update(
            flagged_line(_("Escalated"), flagged.escalated, flagged.escalated_more)
        )
        self.query_one("#clock-inactive", Static).update(
            flagged_line(_("Inactive"), flagged.inactive, flagged.inactive_more)
        )

    @property
    def text(self) -> str:
        """What the panel says, as plain text (for tests and screen readers)."""
        return "\n".join(
            str(w.content) for w in self.query(Static)
        )
