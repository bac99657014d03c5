"""``python -m casedesk``."""

from casedesk.cli import main

if __name__ == "__main__":
    main()
