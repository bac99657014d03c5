"""``python -m casedesk``."""

from casedesk.cli import main

main()
