"""The typer command line: thin — parse, call services, print with rich."""

from __future__ import annotations

from casedesk.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
