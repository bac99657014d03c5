"""The domain: UI-free functions over a :class:`~casedesk.services.context.Desk` (engine +
clock) and an acting agent. The TUI, the CLI and the tests all call these; they raise
``casedesk.errors`` and return plain read models (``services/queries/views.py``).

One package per domain area: ``sla/``, ``knowledge/``, ``workflow/``, ``queries/``,
``directory/``, ``imports/``, ``routing/``; at the top only what they all share:
``context`` (Desk, Actor, id-range and text helpers), ``numbers`` (CS-/KB- numbers) and
``demo``. Services never import the UI (textual, rich, typer) nor the CLI.
"""
