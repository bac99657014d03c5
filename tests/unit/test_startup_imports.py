"""What opening the workstation loads before its first screen: nothing it does not need.

Each of these cost tens of milliseconds of the launch (docs/benchmarks.md, Workstation):
the typer command tree and what its sub-commands pull in, Alembic (the schema check reads
``alembic_version`` itself), ``holidays``, the screens not shown yet and Markdown.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NOT_AT_START = ["typer", "alembic", "holidays", "psycopg", "markdown_it", "openpyxl",
                "casedesk.cli.root", "casedesk.services.imports", "casedesk.screens.case",
                "casedesk.screens.knowledge", "casedesk.screens.supervisor",
                "casedesk.screens.interactions", "casedesk.screens.modals",
                "casedesk.screens.signin"]


def test_the_workstation_path_loads_only_what_the_first_screen_needs(sqlite_template: Path
                                                                      ) -> None:
    code = (
        "import sys\n"
        "from casedesk.cli import workstation_flags\n"
        "assert workstation_flags(['--db', 'x']) == {'db': 'x'}\n"
        "from casedesk.failures import failure_line\n"
        "from casedesk.cli.state import CliState\n"
        f"state = CliState(db_flag='sqlite:///{sqlite_template}')\n"
        "desk = state.desk()\n"
        "import casedesk.app, casedesk.screens.inbox\n"
        "app = casedesk.app.CaseDeskApp(desk, None)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "textual" in loaded and "casedesk.screens.inbox" in loaded  # the test is awake
    early = [name for name in NOT_AT_START
             if name in loaded or any(m.startswith(name + ".") for m in loaded)]
    assert early == []
