"""Imports planned in a second process: the same records as a one-process import, and a
fall-back to one process (from the first batch not written) whenever anything goes wrong."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError

from casedesk.db import read_session, write_session
from casedesk.models import Contact, Interaction
from casedesk.services.imports import parallel as par
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
from tests.conftest import World

ROWS = 1_000
BAD = {17, 250, 251, 999}  # rows whose date is not a date
BATCH = 100


def calls_file(path: Path, rows: int = ROWS, *, subject: str = "llamada") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["ID Llamada", "Fecha", "Canal", "Cliente", "Agente", "Duración", "Asunto",
                      "Campaña"])
        for i in range(rows):
            when = "ayer" if i in BAD else f"2026-02-{1 + i % 28:02d} {8 + i % 10}:{i % 60:02d}"
            out.writerow([f"P{i:05d}", when, "teléfono" if i % 3 else "correo",
                          "juan.perez@example.com", "ana", 30 + i, f"{subject} {i}", f"C{i % 7}"])
    return path


def imported(world: World, path: Path, **options: Any):  # type: ignore[no-untyped-def]
    return run_import(world.desk, world.sup, "interactions", [path],
                      ImportOptions(batch_size=BATCH, **options))


def counts(world: World) -> tuple[int, int]:
    with read_session(world.desk.engine) as s:
        return s.execute(select(func.count(), func.count(distinct(Interaction.external_id)))
                         .where(Interaction.external_id.like("P%"))).one()


@pytest.fixture
def planners(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the planner processes started (one element per start)."""
    started: list[int] = []
    real = par._start_planner

    def counting(request: par.PlanRequest) -> Any:
        started.append(1)
        return real(request)

    monkeypatch.setattr(par, "_start_planner", counting)
    return started


def test_parallel_import_writes_what_one_process_would(world: World, tmp_path: Path,
                                                        planners: list[int]) -> None:
    path = calls_file(tmp_path / "calls.csv")
    first = imported(world, path, parallel=True)
    assert planners == [1]
    good = ROWS - len(BAD)
    assert (first.read, first.created, first.updated, first.unchanged, first.rejected) == (
        ROWS, good, 0, 0, len(BAD))
    assert counts(world) == (good, good)
    rejects = Path(first.rejects[0]).read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 1 + len(BAD) and all("Fecha" in r or "ayer" in r for r in rejects)
    assert first.errors[0].startswith("calls.csv:19: started_at:")  # row 17, after the header

    # the one-process import finds every record exactly as the parallel one wrote it
    again = imported(world, path, parallel=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, good)
    with read_session(world.desk.engine) as s:
        row = s.execute(select(Interaction).where(Interaction.external_id == "P00005")).scalar_one()
        contact = s.execute(select(Contact.id).where(Contact.email == "juan.perez@example.com")
                            ).scalar_one()
    assert (row.channel, row.duration_seconds, row.subject, row.contact_id) == (
        "phone", 35, "llamada 5", contact)
    assert row.extras == {"Campaña": "C5"}
    assert row.started_at.isoformat() == "2026-02-06T12:05:00+00:00"  # 13:05 in Madrid

    # and a changed file is an update, planned in the second process too
    changed = imported(world, calls_file(tmp_path / "calls.csv", subject="revisada"),
                       parallel=True)
    assert planners == [1, 1]
    assert (changed.created, changed.updated, changed.unchanged, changed.rejected) == (
        0, good, 0, len(BAD))
    assert counts(world) == (good, good)


def test_small_files_and_other_kinds_stay_in_one_process(world: World, tmp_path: Path,
                                                         planners: list[int]) -> None:
    summary = imported(world, calls_file(tmp_path / "calls.csv", rows=50))  # auto: too small
    assert summary.created == 50 - len([b for b in BAD if b < 50]) and planners == []
    dry = imported(world, calls_file(tmp_path / "more.csv", rows=50, subject="otra"),
                   parallel=True, dry_run=True)
    assert dry.updated == 49 and planners == []  # dry runs and aborts plan in one transaction
    cases = tmp_path / "cases.csv"
    cases.write_text("id,título,cliente\nX1,Sin línea,juan.perez@example.com\n",
                     encoding="utf-8")
    made = run_import(world.desk, world.sup, "cases", [cases], ImportOptions(parallel=True))
    assert made.created == 1 and planners == []  # cases get numbers, events and clocks


def test_a_planner_that_dies_leaves_the_work_to_one_process(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dead(request: par.PlanRequest) -> Any:
        read_fd, write_fd = os.pipe()
        os.close(write_fd)
        return subprocess.Popen([sys.executable, "-c", "pass"]), Connection(read_fd,
                                                                            writable=False)

    monkeypatch.setattr(par, "_start_planner", dead)
    summary = imported(world, calls_file(tmp_path / "calls.csv"), parallel=True)
    good = ROWS - len(BAD)
    assert (summary.read, summary.created, summary.rejected) == (ROWS, good, len(BAD))
    assert counts(world) == (good, good)


def test_records_that_appear_meanwhile_stop_the_second_process_at_that_batch(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another import writes two of batch 4's records after the planner looked: the unique
    key refuses the batch, and one process redoes it and the rest — nothing twice."""
    path = calls_file(tmp_path / "calls.csv")
    real = par._write
    written: list[int] = []

    def racing(tx: Any, spec: Any, message: par.Planned) -> None:
        if message.first == 3 * BATCH:
            with write_session(world.desk.engine) as s:
                for key in ("P00301", "P00302"):
                    s.add(Interaction(channel="chat", external_id=key, subject="otra",
                                      started_at=world.desk.now()))
        real(tx, spec, message)
        written.append(message.first)

    monkeypatch.setattr(par, "_write", racing)
    summary = imported(world, path, parallel=True)
    assert written == [0, BATCH, 2 * BATCH]  # batch 4 was refused, so were the later ones
    good = ROWS - len(BAD)
    assert summary.read == ROWS and summary.rejected == len(BAD)
    assert summary.created == good - 2 and summary.updated == 2  # the file's values won
    assert counts(world) == (good, good)
    rejects = Path(summary.rejects[0]).read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 1 + len(BAD)  # each bad row once, whichever process read it


def test_an_integrity_error_falls_back_without_losing_rows(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = par._write
    calls: list[int] = []

    def failing(tx: Any, spec: Any, message: par.Planned) -> None:
        calls.append(message.first)
        if len(calls) == 6:
            raise IntegrityError("INSERT", None, Exception("simulated"))
        real(tx, spec, message)

    monkeypatch.setattr(par, "_write", failing)
    summary = imported(world, calls_file(tmp_path / "calls.csv"), parallel=True)
    good = ROWS - len(BAD)
    assert (summary.read, summary.created, summary.rejected) == (ROWS, good, len(BAD))
    assert counts(world) == (good, good)


def test_json_lines_with_records_of_different_shapes(world: World, tmp_path: Path,
                                                     planners: list[int]) -> None:
    """JSON Lines map record by record: a batch holds several mappings, each its own write."""
    path = tmp_path / "calls.jsonl"
    lines = []
    for i in range(300):
        record: dict[str, Any] = {"id": f"J{i:04d}", "canal": "chat",
                                  "fecha": f"2026-02-03T10:{i % 60:02d}:00+01:00"}
        if i % 3 == 0:
            record["asunto"] = f"consulta {i}"
        if i % 5 == 0:
            record["campaña"] = "invierno"
        if i == 123:
            record["fecha"] = "no es fecha"
        lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = run_import(world.desk, world.sup, "interactions", [path],
                         ImportOptions(batch_size=50, parallel=True))
    assert planners == [1]
    assert (summary.read, summary.created, summary.rejected) == (300, 299, 1)
    with read_session(world.desk.engine) as s:
        got = {e: (subj, extras) for e, subj, extras in s.execute(
            select(Interaction.external_id, Interaction.subject, Interaction.extras)
            .where(Interaction.external_id.like("J%")))}
    assert len(got) == 299 and "J0123" not in got
    assert got["J0015"] == ("consulta 15", {"campaña": "invierno"})
    assert got["J0001"] == ("", None)
    again = run_import(world.desk, world.sup, "interactions", [path],
                       ImportOptions(batch_size=50, parallel=False))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 299)


def test_a_planner_that_fails_says_so_and_one_process_finishes(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = par._start_planner

    def confused(request: par.PlanRequest) -> Any:
        return real(dataclasses.replace(request, kind="nonsense"))

    monkeypatch.setattr(par, "_start_planner", confused)
    summary = imported(world, calls_file(tmp_path / "calls.csv"), parallel=True)
    good = ROWS - len(BAD)
    assert (summary.read, summary.created, summary.rejected) == (ROWS, good, len(BAD))
    assert counts(world) == (good, good)
    assert summary.warnings == ["calls.csv: the second process stopped at record 1 "
                                "(KeyError: 'nonsense'); the rest was imported in one process"]
