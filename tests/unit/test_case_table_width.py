"""Case tables fit the terminal: the number, the status and the due time are never cut;
the title gives way first, then severity, owner, priority and queue, in that order."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from casedesk.cli.format import cases_table, when
from casedesk.services.queries.views import CaseRow


def _row(number: int, title: str) -> CaseRow:
    fields = {name: None for name in CaseRow.__dataclass_fields__}
    fields.update(id=number, number=number, label=f"CS-{number:06d}", title=title,
                  status="awaiting_customer", priority="medium", severity="critical",
                  queue="commercial", owner="maria",
                  due_at=datetime(2026, 12, 1, 13, 5, tzinfo=UTC))
    return CaseRow(**fields)


def _render(rows: list[CaseRow], width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(cases_table(rows, width=width))
    return console.export_text().splitlines()


@settings(max_examples=40, deadline=None)
@given(width=st.integers(min_value=70, max_value=200),
       title=st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), max_size=80))
def test_number_status_and_due_are_whole_at_any_width(width: int, title: str) -> None:
    row = _row(123456, title or "x")
    lines = _render([row], width)
    body = [line for line in lines if "CS-" in line]
    assert len(body) == 1
    line = body[0]
    assert "CS-123456" in line and "awaiting customer" in line and when(row.due_at) in line
    assert all(len(text) <= width for text in lines)


@settings(max_examples=40, deadline=None)
@given(width=st.integers(min_value=70, max_value=200),
       title=st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), max_size=80))
def test_in_spanish_the_longer_status_and_day_first_due_stay_whole(width: int,
                                                                   title: str) -> None:
    from casedesk.i18n import set_language

    set_language("es")  # switched back after the test (tests/conftest.py)
    row = _row(123456, title or "x")
    lines = _render([row], width)
    body = [line for line in lines if "CS-" in line]
    assert len(body) == 1
    assert "esperando al cliente" in body[0] and "01/12/2026 13:05 UTC" in body[0]
    assert all(len(text) <= width for text in lines)


def test_narrow_terminals_drop_severity_owner_priority_queue_in_that_order() -> None:
    rows = [_row(1, "No puedo completar el pago en la web")]
    marks = {"sev": "critical", "owner": "maria", "prio": "medium", "queue": "commercial"}
    gone: list[str] = []
    for width in range(200, 69, -1):
        text = "\n".join(_render(rows, width))
        assert "CS-000001" in text and "2026-12-01 13:05" in text
        missing = [name for name, mark in marks.items() if mark not in text]
        assert missing == list(marks)[:len(missing)], (width, missing)  # in order
        assert len(missing) >= len(gone), (width, missing, gone)  # and never back
        gone = missing
    assert gone == ["sev", "owner", "prio", "queue"]
