"""casedesk — a terminal agent workstation for call-centre case management."""

__version__ = "0.1.0"
