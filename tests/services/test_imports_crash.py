"""Kill an import mid-way (SIGKILL), run it again: whole batches, no duplicates, all rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import distinct, func, select

from casedesk.db import read_session
from casedesk.models import Interaction
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
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


@pytest.mark.parametrize("mode", ["--one-process", "--parallel"])
def test_killed_import_completes_on_rerun(world: World, db_url: str, tmp_path: Path,
                                          mode: str) -> None:
    path = tmp_path / "calls.csv"
    with path.open("w") as f:
        f.write("id,canal,fecha,asunto\n")
        f.writelines(f"K{i},teléfono,2026-02-{1 + i % 28:02d} 10:{i % 60:02d},llamada {i}\n"
                     for i in range(ROWS))
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, "--db", db_url, "--as", "maria", "import", "interactions",
         str(path), "--batch-size", str(BATCH), mode],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    deadline = time.monotonic() + 60
    try:
        while _counts(world)[0] == 0:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the import never committed a batch"
            time.sleep(0.005)
        planners = _planners_of(proc.pid)
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
    if mode == "--parallel":  # the planner noticed its importer was gone and exited
        assert len(planners) == 1
        assert _gone(planners)


def _planners_of(parent: int) -> list[int]:
    """Planner processes started by the import process ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"\nPPid:\t{parent}\n" in status and b"casedesk.services.imports.planner" in cmd:
            found.append(int(entry.name))
    return found


def _gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.05)
    return False
