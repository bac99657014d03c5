"""Value maps, mapping profiles and shipped profiles, on both databases (issue 16)."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casedesk.db import read_session
from casedesk.errors import ConfigError
from casedesk.models import Case, Contact, Interaction, Queue
from casedesk.services.imports.profiles import (
    KEYS,
    Profile,
    apply_profile,
    load_profile,
    read_profile,
    shipped_profiles,
    toml_string,
    unmapped_snippet,
)
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from tests.conftest import World

DATA = Path(__file__).resolve().parents[1] / "data"
TICKETS = DATA / "customer_support_tickets.csv"
VALUE = "--value"


def flag(option: str) -> tuple[str, str, str, str]:
    from casedesk.services.imports.mapping import parse_value_option

    return parse_value_option(option)


def run(world: World, kind: str, path: Path, **options: Any) -> ImportSummary:
    return run_import(world.desk, world.sup, kind, [path], ImportOptions(**options))


def with_profile(name: str, kind: str = "cases", **options: Any) -> ImportOptions:
    base = ImportOptions(**options)
    return apply_profile(read_profile(name, kind), base, maps=base.mappings,
                         values=base.values, timezone=None, dayfirst=None)


def queue_id(world: World, name: str) -> int:
    with read_session(world.desk.engine) as session:
        found: int = session.execute(select(Queue.id).where(Queue.name == name)).scalar_one()
    return found


def cases(world: World) -> list[Case]:
    with read_session(world.desk.engine) as session:
        return list(session.execute(select(Case).order_by(Case.id)).scalars())


# --- value maps --------------------------------------------------------------------------------


def test_unmapped_values_are_rejected_listed_with_counts_and_a_snippet(
        world: World, tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_bytes(TICKETS.read_bytes())
    summary = run(world, "cases", path, queue="technical",
                  mappings=("Customer Email=extras",))
    # "Critical" priority (5 rows), "Social media" channel (7 rows) and "Pending Customer
    # Response" status (4 rows) are no casedesk values: every one is counted, not only the
    # first that rejected its row
    assert summary.rejected == 9 and summary.created == 3
    assert summary.unmapped == {
        "priority": {"critical": ["Critical", 5]},
        "channel": {"socialmedia": ["Social media", 7]},
        "status": {"pendingcustomerresponse": ["Pending Customer Response", 4]}}
    snippet = unmapped_snippet("cases", summary.unmapped)
    assert '[values.channel]  # chat, email, letter, phone, visit, web' in snippet
    assert '"Social media" = "?"  # 7 rows' in snippet
    assert '"Critical" = "?"  # 5 rows' in snippet
    assert summary.to_json()["unmapped"] == {"channel": {"Social media": 7},
                                             "priority": {"Critical": 5},
                                             "status": {"Pending Customer Response": 4}}
    with (tmp_path / "tickets.rejects.csv").open(encoding="utf-8", newline="") as f:
        rejected = list(csv.DictReader(f))
    assert [r["Ticket ID"] for r in rejected] == ["1", "2", "3", "4", "6", "7", "8", "9", "10"]
    assert rejected[0]["_reason"].startswith(
        'status: "Pending Customer Response" is not a status (awaiting_customer, ')
    assert rejected[0]["Ticket Description"].count("\n") == 2  # the multi-line cell, whole


def test_value_flags_fold_case_accents_and_spaces(world: World, tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_bytes(TICKETS.read_bytes())
    summary = run(world, "cases", path, queue="technical",
                  mappings=("Customer Email=extras",),
                  values=(flag("priority:  CRÍTICAL =alta"), flag("canal:social-media=chat"),
                          flag("status:pending customer response=awaiting_customer")))
    assert (summary.rejected, summary.created, summary.unmapped) == (0, 12, {})
    stored = {c.external_id: c for c in cases(world) if c.external_id}
    assert stored["1"].priority == "high" and stored["1"].channel == "chat"
    assert stored["1"].status == "awaiting_customer"
    assert stored["12"].priority == "medium" and stored["12"].channel == "email"
    again = run(world, "cases", path, queue="technical", mappings=("Customer Email=extras",),
                values=(flag("priority:critical=high"), flag("channel:Social media=chat"),
                        flag("status:pending customer response=awaiting_customer")))
    assert (again.created, again.unchanged) == (0, 12)


def test_a_value_map_wins_over_the_built_in_words(world: World, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("id,fecha,canal,notas\nI1,2025-01-02 10:00,Web,x\nI2,2025-01-02 11:00,"
                    "tienda,y\nI3,2025-01-02 12:00,Fax,z\n", encoding="utf-8")
    summary = run(world, "interactions", path,
                  values=(flag("channel:web=chat"), flag("channel:fax=email")))
    assert summary.created == 3
    with read_session(world.desk.engine) as session:
        got = dict(session.execute(select(Interaction.external_id, Interaction.channel)).all())
    assert got == {"I1": "chat", "I2": "visit", "I3": "email"}


@pytest.mark.parametrize(("option", "message"), [
    ("priority=high", 'bad --value \'priority=high\': write it as "FIELD:VALUE IN THE FILE='),
    ("priority:Critical=", "write it as"),
    ("nonsense:Critical=high", "cases have no coded field 'nonsense' (value maps are for: "),
    ("priority:Critical=urgentísimo", '"urgentísimo" is not a priority (high, low, medium)'),
    ("title:x=y", "cases have no coded field 'title'"),
])
def test_bad_value_maps_are_one_line_config_errors(world: World, tmp_path: Path, option: str,
                                                   message: str) -> None:
    path = tmp_path / "tickets.csv"
    path.write_bytes(TICKETS.read_bytes())
    with pytest.raises(ConfigError) as raised:
        run(world, "cases", path, queue="technical", values=(flag(option),))
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert cases(world) == [] or all(c.external_id is None for c in cases(world))


def test_unmapped_values_are_counted_in_the_planner_process(world: World, tmp_path: Path
                                                             ) -> None:
    url = world.desk.engine.url
    assert url.get_backend_name() != "sqlite" or url.database, "the planner reads a database file"
    path = tmp_path / "calls.csv"
    lines = ["id,fecha,canal,sentido,notas"]
    lines += [f"I{i},2025-01-02 10:{i % 60:02d},{'Smoke signal' if i % 3 == 0 else 'phone'},"
              f"{'sideways' if i % 4 == 0 else 'in'},n" for i in range(120)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = run(world, "interactions", path, parallel=True, batch_size=25)
    bad = {i for i in range(120) if i % 3 == 0 or i % 4 == 0}
    assert summary.rejected == len(bad) and summary.created == 120 - len(bad)
    assert summary.unmapped == {"channel": {"smokesignal": ["Smoke signal", 40]},
                                "direction": {"sideways": ["sideways", 30]}}


# --- profiles ----------------------------------------------------------------------------------


def test_the_shipped_profile_brings_the_dataset_in(world: World, tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_bytes(TICKETS.read_bytes())
    summary = run_import(world.desk, world.sup, "cases", [path],
                         with_profile("customer-support-tickets", queue="billing"))
    assert (summary.read, summary.created, summary.rejected) == (12, 12, 0)
    stored = {c.external_id: c for c in cases(world)}
    first = stored["1"]
    assert (first.priority, first.status, first.channel) == ("high", "awaiting_customer", "chat")
    with read_session(world.desk.engine) as session:
        customer = session.get(Contact, first.contact_id)
        assert customer is not None and customer.email == "carrollallison@example.com"
    # clarkeashley@example.com is on rows 2 and 11 (two names): one contact, the first name
    assert summary.customer_lines() == ["contacts: 11 created, 1 matched"]
    assert stored["2"].contact_id == stored["11"].contact_id
    assert stored["3"].resolution_notes == "Case maybe 8." and stored["3"].status == "closed"
    assert "[bold]screen[/]" in (stored["3"].description or "")


SAMPLES = {
    "zendesk-tickets": ("zendesk_tickets.csv", 5),
    "freshdesk-tickets": ("freshdesk_tickets.csv", 4),
    "crm-course-cases": ("crm_course_cases.csv", 4),
    "customer-support-tickets": ("customer_support_tickets.csv", 12),
}


def test_every_shipped_profile_has_a_sample() -> None:
    assert sorted(SAMPLES) == shipped_profiles()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_shipped_profile_loads_and_maps_its_sample(world: World, tmp_path: Path,
                                                        name: str) -> None:
    sample, rows = SAMPLES[name]
    path = tmp_path / sample
    path.write_bytes((DATA / sample).read_bytes())
    profile = read_profile(name, "cases")
    assert profile.kind == "cases" and profile.description
    summary = run_import(world.desk, world.sup, "cases", [path],
                         with_profile(name, queue="technical"))
    assert (summary.created, summary.rejected, summary.unmapped) == (rows, 0, {})
    assert summary.warnings == []


def test_zendesk_times_and_statuses(world: World, tmp_path: Path) -> None:
    path = tmp_path / "zendesk.csv"
    path.write_bytes((DATA / "zendesk_tickets.csv").read_bytes())
    run_import(world.desk, world.sup, "cases", [path],
               with_profile("zendesk-tickets", queue="technical"))
    stored = {c.external_id: c for c in cases(world)}
    assert stored["101"].status == "resolved" and stored["102"].status == "in_progress"
    assert stored["103"].priority == "high" and stored["103"].channel == "phone"
    assert stored["102"].title == 'Invoice "March" wrong'
    assert stored["101"].created_at.replace(tzinfo=None).isoformat() == "2024-03-02T09:14:00"


def test_the_course_profile_reads_spanish_day_first_dates(world: World, tmp_path: Path) -> None:
    path = tmp_path / "curso.csv"
    path.write_bytes((DATA / "crm_course_cases.csv").read_bytes())
    run_import(world.desk, world.sup, "cases", [path],
               with_profile("crm-course-cases", queue="technical"))
    by_title = {c.title[:21]: c for c in cases(world)}
    first = by_title["No puedo completar el"]
    assert (first.priority, first.severity, first.status) == ("high", "critical", "resolved")
    # 01/10/2023 is 1 October, midnight in Madrid: 22:00 UTC the day before
    assert first.created_at.replace(tzinfo=None).isoformat() == "2023-09-30T22:00:00"
    assert by_title["La factura de octubre"].status == "in_progress"
    assert by_title["El router se reinicia"].title.count("\n") == 1


def test_profile_defaults_fill_empty_cells_and_flags_win(world: World, tmp_path: Path) -> None:
    profile = tmp_path / "mine.toml"
    profile.write_text('kind = "cases"\ndate_order = "monthfirst"\ntimezone = "UTC"\n'
                       '[columns]\n"Tema" = "title"\n"Missing column" = "description"\n'
                       '[defaults]\nchannel = "Teléfono"\nqueue = "billing"\n'
                       'priority = "alta"\n', encoding="utf-8")
    path = tmp_path / "c.csv"
    path.write_text("id,Tema,canal,prioridad,fecha\nA1,One,,,03/04/2025 10:00\n"
                    "A2,Two,web,low,03/04/2025 10:00\n", encoding="utf-8")
    options = apply_profile(read_profile(str(profile), "cases"), ImportOptions(), maps=(),
                            values=(), timezone=None, dayfirst=None)
    summary = run_import(world.desk, world.sup, "cases", [path], options)
    assert summary.created == 2, summary.errors
    stored = {c.external_id: c for c in cases(world)}
    assert (stored["A1"].channel, stored["A1"].priority) == ("phone", "high")
    assert (stored["A2"].channel, stored["A2"].priority) == ("web", "low")
    assert stored["A1"].created_at.month == 3  # monthfirst, from the profile
    assert {c.queue_id for c in stored.values()} == {queue_id(world, "billing")}
    # a flag wins over the profile: --dayfirst and --queue
    path.write_text("id,Tema,fecha\nB1,Three,03/04/2025 10:00\n", encoding="utf-8")
    flags = apply_profile(read_profile(str(profile), "cases"),
                          ImportOptions(queue="commercial"), maps=("Tema=description",),
                          values=(), timezone="Europe/Madrid", dayfirst=True)
    assert flags.timezone == "Europe/Madrid" and flags.dayfirst and not flags.iso_dates
    with pytest.raises(ConfigError, match="no column for title"):
        run_import(world.desk, world.sup, "cases", [path], flags)
    flags = replace(flags, mappings=("Tema=title",))
    run_import(world.desk, world.sup, "cases", [path], flags)
    b1 = {c.external_id: c for c in cases(world)}["B1"]
    assert b1.created_at.month == 4 and b1.queue_id == queue_id(world, "commercial")


def test_iso_date_order_refuses_day_month_dates(world: World, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,title,created\nA1,One,2025-04-03 10:00\nA2,Two,03/04/2025\n",
                    encoding="utf-8")
    options = replace(ImportOptions(queue="technical"), iso_dates=True)
    summary = run_import(world.desk, world.sup, "cases", [path], options)
    assert summary.created == 1 and "is not an ISO date" in summary.errors[0]


@pytest.mark.parametrize(("text", "message"), [
    ("kind = 'cases'\nfoo = 1\n", "unknown key foo (keys: kind,"),
    ("kind = 'tickets'\n", "kind 'tickets' is not one of contacts"),
    ("kind = 'contacts'\n", "the profile is for contacts, not cases"),
    ("timezone = 'Mars/Olympus'\n", "timezone 'Mars/Olympus' is not a time zone"),
    ("date_order = 'yearfirst'\n", "date_order 'yearfirst' is not one of dayfirst"),
    ("[columns]\n'Ticket Subject' = 'headline'\n", 'columns."Ticket Subject": cases have no'),
    ("[columns]\nSubject = 3\n", "columns.Subject must be a string"),
    ("[values.priority]\nCritical = '?'\n", 'values.priority.Critical: "?" is not a priority'),
    ("[values.mood]\nhappy = 'high'\n", "values.mood.happy: cases have no coded field 'mood'"),
    ("[values]\npriority = 'high'\n", "values.priority must be a table"),
    ("[defaults]\nflavour = 'x'\n", "defaults.flavour: cases have no field 'flavour'"),
    ("columns = 'x'\n", "columns must be a table"),
    ("kind = \n", "not valid TOML"),
])
def test_profile_errors_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_profile(text, "profile p.toml", "cases")
    assert str(raised.value).startswith("profile p.toml: ")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_bad_default_value_names_the_key(world: World, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,title\nA1,One\n", encoding="utf-8")
    profile = load_profile("[defaults]\npriority = 'whenever'\n", "profile p.toml", "cases")
    options = apply_profile(profile, ImportOptions(queue="technical"), maps=(), values=(),
                            timezone=None, dayfirst=None)
    with pytest.raises(ConfigError, match=r'^profile p.toml: defaults.priority: priority: '
                                          r'"whenever" is not a priority'):
        run_import(world.desk, world.sup, "cases", [path], options)


def test_toml_strings_round_trip_any_text() -> None:
    import tomllib

    for text in ('a"b\\c', "line\nbreak\ttab", "\x1b[31mred\x07", "\u202eevil", "\ud800x",
                 "ñandú €"):
        loaded = tomllib.loads(f"k = {toml_string(text)}\n")["k"]
        assert loaded == text.replace("\ud800", "\ufffd")


# --- the property test: any TOML gives a profile or one error line -----------------------------

_SCALAR = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.floats(
    allow_nan=False, allow_infinity=False))
_NAMES = st.one_of(st.sampled_from([*KEYS, "priority", "status", "channel", "title", "queue",
                                    "Ticket Subject", "Critical", "?"]), st.text(max_size=8))
_VALUE = st.recursive(_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_NAMES, inner, max_size=4)), max_leaves=12)


def _toml(data: dict[str, Any]) -> str:
    """A small TOML writer (inline tables and arrays) for the generated documents."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return toml_string(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(i) for i in v) + "]"
        return "{" + ", ".join(f"{toml_string(k)} = {value(i)}" for k, i in v.items()) + "}"

    return "".join(f"{toml_string(k)} = {value(v)}\n" for k, v in data.items())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_NAMES, _VALUE, max_size=6), st.sampled_from([None, "cases",
                                                                     "contacts"]))
def test_any_toml_document_gives_a_profile_or_one_error_line(data: dict[str, Any],
                                                             kind: str | None) -> None:
    try:
        profile = load_profile(_toml(data), "profile x.toml", kind)
    except ConfigError as exc:
        assert str(exc).startswith("profile x.toml: ") and "\n" not in str(exc)
    else:
        assert isinstance(profile, Profile)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_profile_or_one_error_line(text: str) -> None:
    try:
        load_profile(text, "profile x.toml", "cases")
    except ConfigError as exc:
        assert "\n" not in str(exc)


def test_resolution_types_are_relabelled_and_others_kept(world: World, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,title,status,resolution code\nR1,One,closed,FIXED\nR2,Two,closed,"
                    "by phone\n", encoding="utf-8")
    summary = run(world, "cases", path, queue="technical",
                  values=(flag("resolution type:fixed=solved"),))
    assert summary.created == 2 and summary.unmapped == {}
    stored = {c.external_id: c.resolution_type for c in cases(world)}
    assert stored == {"R1": "solved", "R2": "by phone"}
