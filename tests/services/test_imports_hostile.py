"""Hostile CSV never crashes the importer: every row is imported or rejected with a reason."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casedesk.errors import CaseDeskError
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
from tests.conftest import World

_counter = itertools.count()
CELL = st.text(
    alphabet=st.sampled_from(list('ab ,;|\t"\'\n\r\x00@.+-0123456789ñÑé€漢😀\u2028\ufeff')) |
    st.characters(codec="utf-8"),
    max_size=30,
)
ROW = st.lists(CELL, min_size=0, max_size=7)
HEADERS = st.sampled_from([["id", "name", "email", "phone"], ["Nombre", "Correo", "Teléfono"],
                           ["name"]])


@st.composite
def hostile_csv(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    lines = [delimiter.join(draw(HEADERS))]
    for cells in draw(st.lists(ROW, max_size=12)):
        quoted = [f'"{c}"' if draw(st.booleans()) else c for c in cells]
        lines.append(delimiter.join(quoted))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=hostile_csv(), batch=st.sampled_from([1, 3, 5000]))
def test_hostile_csv_rows_are_imported_or_rejected(world: World, tmp_path: Path, data: bytes,
                                                   batch: int) -> None:
    path = tmp_path / f"hostile{next(_counter)}.csv"
    path.write_bytes(data)
    try:
        summary = run_import(world.desk, world.sup, "contacts", [path],
                             ImportOptions(batch_size=batch))
    except CaseDeskError as exc:  # an unusable file: one clear line, exit 2
        assert exc.exit_code == 2 and "\n" not in str(exc)
        return
    total = summary.created + summary.updated + summary.unchanged + summary.rejected
    assert summary.read == total
    assert len(summary.errors) == min(summary.rejected, 20)
    assert all(e.startswith(f"{path.name}:") for e in summary.errors)
    if summary.rejected:
        rejects = Path(summary.rejects[0])
        assert rejects.exists() and "_reason" in rejects.read_bytes().decode("latin-1")


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=hostile_csv(), batch=st.sampled_from([1, 4]))
def test_hostile_csv_through_the_planner_process(world: World, tmp_path: Path, data: bytes,
                                                 batch: int) -> None:
    """The same, planned in a second process: the counts add up just the same, and a second
    import in one process finds every record the first one wrote."""
    path = tmp_path / f"hostile{next(_counter)}.csv"
    path.write_bytes(data)
    try:
        summary = run_import(world.desk, world.sup, "contacts", [path],
                             ImportOptions(batch_size=batch, parallel=True))
    except CaseDeskError as exc:
        assert exc.exit_code == 2 and "\n" not in str(exc)
        return
    assert summary.read == (summary.created + summary.updated + summary.unchanged
                            + summary.rejected)
    again = run_import(world.desk, world.sup, "contacts", [path],
                       ImportOptions(batch_size=batch, parallel=False))
    assert (again.read, again.rejected, again.created) == (summary.read, summary.rejected, 0)
