"""The case form opened from a call (ctrl+o in the interaction log).

Title, description and area come prefilled from the interaction, so the agent's one
decision left is where the case goes: the form opens on "Where it goes" (Enter opens the
list of queues, Enter picks one, ctrl+s saves); every other field is still a Tab away.
"""

from __future__ import annotations

from textual.widgets import Select

from casedesk.screens.modals import CaseForm


class CallCaseForm(CaseForm):
    """:class:`CaseForm` with the focus on the queue choice."""

    def on_mount(self) -> None:
        self.query_one("#case-queue", Select).focus()
