"""The domain: UI-free functions over a :class:`Desk` (engine + clock) and an acting agent.

The TUI, the CLI and the tests all call these; they raise ``casedesk.errors`` and
return plain read models from :mod:`casedesk.services.views`.
"""

from casedesk.services.context import Actor, Desk, case_label, parse_case_number

__all__ = ["Actor", "Desk", "case_label", "parse_case_number"]
