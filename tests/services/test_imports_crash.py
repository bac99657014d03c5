"""Kill an import mid-way (SIGKILL), run it again: whole batches, no duplicates, all rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import distinct, func, select

from casedesk.db import read_session
from casedesk.models import Interaction
from casedesk.services.imports import ImportOptions, run_import
from tests.conftest import World

ROWS = 40_000
BATCH = 500
RUN = "import sys; from casedesk.cli import main; sys.argv[0] = 'casedesk'; main()"


def _counts(world: World) -> tuple[int, int]:
    with read_session(world.desk.engine) as s:
        total, unique = s.execute(
            select(func.count(), func.count(distinct(Interaction.external_id)))
        ).one()
    return total, unique


def test_killed_import_completes_on_rerun(world: World, db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    with path.open("w") as f:
        f.write("id,canal,fecha,asunto\n")
        f.writelines(f"K{i},teléfono,2026-02-{1 + i % 28:02d} 10:{i % 60:02d},llamada {i}\n"
                     for i in range(ROWS))
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, "--db", db_url, "--as", "maria", "import", "interactions",
         str(path), "--batch-size", str(BATCH)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    deadline = time.monotonic() + 60
    try:
        while _counts(world)[0] == 0:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the import never committed a batch"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    committed, distinct_ids = _counts(world)
    assert 0 < committed < ROWS and committed == distinct_ids
    assert committed % BATCH == 0  # only whole batches made it
    summary = run_import(world.desk, world.sup, "interactions", [path],
                         ImportOptions(batch_size=10_000))
    assert (summary.unchanged, summary.created, summary.rejected) == (committed,
                                                                       ROWS - committed, 0)
    assert _counts(world) == (ROWS, ROWS)
