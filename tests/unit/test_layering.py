"""The core never imports textual (Harlequin's rule): models, services, db, config, clock."""

from __future__ import annotations

import subprocess
import sys

CORE = ["casedesk.models", "casedesk.services", "casedesk.services.workflow.transitions",
        "casedesk.services.queries.reads", "casedesk.services.workflow.cases",
        "casedesk.services.demo", "casedesk.services.sla.clocks", "casedesk.db", "casedesk.config",
        "casedesk.clock", "casedesk.durations", "casedesk.services.sla.calendar",
        "casedesk.cli.case"]


def test_core_modules_import_without_textual() -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'textual' or name.startswith('textual.'):\n"
        "            raise ImportError('textual is blocked in the core')\n"
        "sys.meta_path.insert(0, Block())\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "import pkgutil, importlib, casedesk.services as s\n"
        "for m in pkgutil.walk_packages(s.__path__, 'casedesk.services.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
