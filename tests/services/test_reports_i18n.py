"""Reports in the reader's language: titles, headings, codes and numbers translated for
people, while CSV and JSON keep their keys and codes in every language."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import set_language
from casedesk.services import reports
from casedesk.services.reports.export import shown, shown_rows, write_csv
from casedesk.services.reports.now import board_sentence
from casedesk.services.reports.views import NO_QUEUE, NowBoard, ReportFilter, ReportTable
from tests.conftest import World
from tests.services.test_reports import END, START, ZONE, build


@pytest.fixture
def floor(world: World) -> World:
    build(world)
    return world


def _table(name: str, *rows: tuple[object, ...]) -> ReportTable:
    kind = reports.kind(name)
    return ReportTable(name, kind.title, kind.columns, rows)  # type: ignore[arg-type]


def test_a_report_reads_spanish_under_es_and_keeps_its_keys_and_codes(floor: World) -> None:
    flt = ReportFilter(START, END, ZONE)
    english = reports.run(floor.desk, floor.sup, "sla", flt)
    assert english.title == "SLA compliance per policy and deadline"
    assert [c.heading for c in english.columns][:2] == ["Policy", "Deadline"]
    assert shown_rows(english)[0][1] == "first response"

    set_language("es")
    spanish = reports.run(floor.desk, floor.sup, "sla", flt)
    assert spanish.title == "Cumplimiento del SLA por política y plazo"
    assert [c.heading for c in spanish.columns] == [
        "Política", "Plazo", "Cumplidos", "Incumplidos", "Pendientes", "Cumplimiento %"]
    assert shown_rows(spanish)[0] == ["floor-sla", "primera respuesta", "3", "1", "0", "75,0%"]
    assert reports.REPORTS["backlog"].summary.startswith("Casos abiertos ahora en cada cola")
    # for machines nothing changed: the same keys, codes and numbers in both languages
    assert spanish.rows == english.rows
    assert spanish.to_json()["rows"] == english.to_json()["rows"]
    out = io.StringIO()
    write_csv(spanish, out)
    assert out.getvalue().splitlines()[:2] == [
        "policy,kind,met,breached,pending,compliance", "floor-sla,first_response,3,1,0,75.0"]


def test_the_refusals_of_a_report_read_spanish(floor: World) -> None:
    set_language("es")
    with pytest.raises(ValidationError, match="antes de empezar"):
        reports.read(floor.desk, floor.sup, "volume", ReportFilter(END, START, ZONE))
    with pytest.raises(NotFound, match="no hay ningún equipo 'nope'"):
        reports.read(floor.desk, floor.sup, "volume", ReportFilter(START, END, ZONE, team="nope"))
    with pytest.raises(NotFound, match="no hay ningún informe 'nope'"):
        reports.kind("nope")


def test_code_columns_are_words_for_people_and_names_stay_as_they_are() -> None:
    causes = _table("causes", ("category", "billing", 4, 2, 2, 100.0),
                    ("product", "billing", 1, 0, 1, None))
    calls = _table("calls", ("phone", "complaint", 1234, 95.4, None))
    sat = _table("satisfaction", (NO_QUEUE, 2, 4.5))
    assert shown_rows(causes) == [["category", "billing", "4", "2", "2", "100.0%"],
                                  ["product", "billing", "1", "0", "1", "—"]]
    assert shown_rows(calls) == [["phone", "complaint", "1,234", "1m 35s", "—"]]
    assert shown_rows(sat) == [["(no queue)", "2", "4.50"]]
    set_language("es")
    # a category is the desk's code (its word), a product is a name (kept)
    assert shown_rows(causes) == [["categoría", "facturación", "4", "2", "2", "100,0%"],
                                  ["producto", "billing", "1", "0", "1", "—"]]
    assert shown_rows(calls)[0][:3] == ["teléfono", "queja", "1.234"]
    assert shown_rows(sat) == [["(sin cola)", "2", "4,50"]]
    assert shown(date(2026, 3, 1), "date") == "01/03/2026"


def test_the_live_board_sentence_and_the_periods_in_both_languages() -> None:
    board = NowBoard(datetime(2026, 3, 1, 10, 0), (), (("available", 4), ("busy", 1),
                                                      ("away", 0), ("offline", 2)), 1, waiting=3)
    assert board_sentence(board) == ("3 cases waiting; 1 case breaches within the next hour. "
                                     "Agents: 4 available, 1 busy, 0 away, 2 offline.")
    assert [label for _k, label, _s, _e in reports.periods(date(2026, 3, 1))][:2] == [
        "Today", "Last 7 days"]
    set_language("es")
    assert board_sentence(board) == (
        "3 casos en espera; 1 caso incumple en la próxima hora. "
        "Agentes: 4 disponibles, 1 ocupado, 0 ausentes, 2 desconectados.")
    assert [label for _k, label, _s, _e in reports.periods(date(2026, 3, 1))][:2] == [
        "Hoy", "Últimos 7 días"]
    assert reports.NOW_COLUMNS[1].heading == "En espera"


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_counts_are_grouped_as_each_locale_writes_them(n: int) -> None:
    try:
        english = shown(n, "count")
        set_language("es")
        spanish = shown(n, "count")
    finally:
        set_language("en")
    assert english.replace(",", "") == str(n)
    assert spanish.replace(".", "") == str(n)


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_percentages_keep_one_decimal_in_both_locales(value: float) -> None:
    try:
        english = shown(value, "percent")
        set_language("es")
        spanish = shown(value, "percent")
    finally:
        set_language("en")
    assert english.endswith("%") and spanish.endswith("%")
    assert float(english[:-1].replace(",", "")) == pytest.approx(value, abs=0.05 + 1e-9)
    assert spanish[:-1].replace(".", "").replace(",", ".") == english[:-1].replace(",", "")

