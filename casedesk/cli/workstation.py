"""Opening the Textual workstation from the command line."""

from __future__ import annotations

from casedesk.cli.state import CliState


def launch(state: CliState) -> None:
    """Open the agent workstation on the configured database as the configured agent."""
    from casedesk.app import run_workstation

    run_workstation(state)
