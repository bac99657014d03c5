"""Property tests for the parsers of what a person types (casedesk.cli.params), the
database URL parser, the terminal-safe JSON and the CSV cell guard."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from casedesk import jsonsafe
from casedesk.cli import params
from casedesk.db import normalise_url
from casedesk.errors import ConfigError, ValidationError
from casedesk.services.imports.export import _csv_cell
from casedesk.services.sla.policy_files import MAX_DURATION, parse_duration
from casedesk.textsafe import FORMULA_PREFIXES
from tests.hostile import CORPUS, has_raw_control

TYPED = st.one_of(
    st.text(max_size=40),
    st.sampled_from(CORPUS),
    st.integers().map(str),
    st.integers().map(lambda n: f"CS-{n}"),
    st.integers().map(lambda n: f"kb-{n:06d}"),
)


@given(st.integers(1, params.MAX_ID))
def test_every_storable_case_number_is_read(number: int) -> None:
    label = f"CS-{number:06d}"
    for typed in (str(number), label, label.lower(), f" cs{number} ", number):
        assert params.case_number(typed) == label


@given(TYPED)
def test_case_and_article_numbers_are_labels_or_bad_input(typed: str) -> None:
    for parse, prefix in ((params.case_number, "CS-"), (params.article_number, "KB-")):
        try:
            label = parse(typed)
        except ValidationError as exc:
            assert "\n" not in str(exc) and not has_raw_control(str(exc))
            continue
        assert label is not None and label.startswith(prefix)
        assert 0 < int(label[3:]) <= params.MAX_ID


@given(st.one_of(TYPED, st.integers()))
def test_integers_are_in_range_or_bad_input(typed: object) -> None:
    parse = params.integer("--n", -5, 1000)
    try:
        value = parse(typed)
    except ValidationError as exc:
        assert str(exc).startswith("--n ") and not has_raw_control(str(exc))
        return
    assert value is not None and -5 <= value <= 1000


@given(st.one_of(TYPED, st.datetimes().map(datetime.isoformat),
                 st.dates().map(lambda d: d.isoformat())))
def test_due_times_are_aware_and_representable_or_bad_input(typed: str) -> None:
    try:
        due = params.due_time(typed)
    except ValidationError as exc:
        assert str(exc).startswith("--due ")
        return
    assert due is not None and due.tzinfo is not None
    assert due.astimezone(UTC).year <= 9000
    params_now = datetime(2026, 3, 2, tzinfo=UTC)
    try:
        params.check_ahead("--due", due, params_now)
    except ValidationError:
        assert due - params_now > params.MAX_AHEAD


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "1969-12-31", "9001-01-01"])
def test_due_times_far_away_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        params.due_time(typed)


@given(st.one_of(TYPED, st.from_regex(r"\d{1,12}d\d{0,3}h?\d{0,4}m?", fullmatch=True)))
def test_durations_are_positive_bounded_or_bad_input(typed: str) -> None:
    try:
        value = params.duration("--in")(typed)
    except ValidationError:
        return
    assert value is not None
    span = parse_duration(value, "x")
    assert timedelta(0) < span <= MAX_DURATION


@given(TYPED)
def test_choices_are_members_or_usage_errors(typed: str) -> None:
    parse = params.choice("--status", ["new", "in_progress"])
    try:
        value = parse(typed)
    except typer.BadParameter as exc:
        assert "new, in_progress" in exc.format_message()
        return
    assert value in ("new", "in_progress")


@given(st.one_of(st.text(max_size=80), st.sampled_from(CORPUS),
                 st.from_regex(r"postgresql://[a-z:@\[\]0-9.]{0,20}/[a-z]{0,5}",
                               fullmatch=True)))
def test_database_urls_parse_or_are_config_errors(raw: str) -> None:
    try:
        url = normalise_url(raw)
    except ConfigError as exc:
        assert "\n" not in str(exc).strip()
        return
    assert url.get_backend_name() in ("sqlite", "postgresql")


@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(),
                              st.text(), st.sampled_from(CORPUS)),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8))
def test_safe_json_is_the_same_data_and_terminal_safe(value: object) -> None:
    text = jsonsafe.dumps(value)
    assert json.loads(text) == value
    assert not has_raw_control(text) and "\n" not in text
    text.encode("utf-8")  # lone surrogates are escaped too


@given(st.one_of(st.text(), st.sampled_from(CORPUS), st.lists(st.sampled_from(CORPUS))))
def test_csv_cells_never_start_a_formula(value: object) -> None:
    cell = _csv_cell(value, raw_formulas=False)
    assert not cell.startswith(FORMULA_PREFIXES)
    assert not has_raw_control(cell.replace("\r", ""))


def test_raw_csv_cells_are_as_stored() -> None:
    assert _csv_cell("=1+1", raw_formulas=True) == "=1+1"
    assert _csv_cell("=1+1", raw_formulas=False) == "'=1+1"
    assert _csv_cell(-5, raw_formulas=False) == "-5"  # numbers are never formulas
    assert _csv_cell("+34 600 111 222", False, "phone") == "+34 600 111 222"
    assert _csv_cell("+34 600 111 222", False, "title") == "'+34 600 111 222"
    assert _csv_cell("+1+cmd|' /C calc'!A0", False, "phone") == "'+1+cmd|' /C calc'!A0"


def test_argv_problems() -> None:
    assert params.argv_problem(["case", "list"]) is None
    assert "NUL" in (params.argv_problem(["a\x00"]) or "")
    assert "not valid text" in (params.argv_problem(["ok", "caf\udce9"]) or "")
