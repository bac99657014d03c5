"""Case templates and playbooks on both databases; the template file parser (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from casedesk.clock import FrozenClock
from casedesk.db import read_session
from casedesk.errors import NotFound, PermissionDenied, ValidationError
from casedesk.models import Case, CaseEvent, CaseTemplate
from casedesk.services.sla import policy_files
from casedesk.services.workflow import tasks
from casedesk.services.workflow import templates as tpl
from tests.conftest import World

# Friday 6 March 2026, 15:00 in Madrid (CET, UTC+1); Monday 9 March is a holiday.
FRIDAY_AFTERNOON = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)

CALENDAR = """
[[calendar]]
name = "oficina-prueba"
timezone = "Europe/Madrid"
holidays = ["2026-03-09"]
[calendar.hours]
mon = [["09:00", "17:00"]]
tue = [["09:00", "17:00"]]
wed = [["09:00", "17:00"]]
thu = [["09:00", "17:00"]]
fri = [["09:00", "17:00"]]

[[policy]]
name = "alta-oficina"
position = 1
match = { priority = "high" }
calendar = "oficina-prueba"
resolution = "40h"
"""

TEMPLATES = """
[[template]]
name = "Avería de fibra"
title = "Avería de fibra"
area = "technical"
priority = "high"
severity = "major"
queue = "technical"
description = "Equipo:\\nLuces del router:\\n"

[[template.task]]
title = "Diagnóstico remoto"
due = "1h"
assignee = "owner"

[[template.task]]
title = "Revisar la línea"
due = "4h"
assignee = "luis"

[[template.task]]
title = "Cita con el técnico"
due = "8h"

[[template.task]]
title = "Confirmar con el cliente"
due = "11h"

[[template.task]]
title = "Notas para el cierre"

[[template]]
name = "Reclamación de factura"
title = "Reclamación de factura"
area = "billing"
queue = "billing"
"""


def _setup(world: World, tmp_path: Path, clock: FrozenClock) -> None:
    (tmp_path / "sla.toml").write_text(CALENDAR)
    policy_files.load_file(world.desk, world.sup, tmp_path / "sla.toml")
    (tmp_path / "templates.toml").write_text(TEMPLATES)
    assert tpl.load_file(world.desk, world.sup, tmp_path / "templates.toml") == [
        "Avería de fibra",
        "Reclamación de factura",
    ]
    clock.set(FRIDAY_AFTERNOON)


_MADRID = ZoneInfo("Europe/Madrid")


def _local(at: datetime | None) -> str:
    assert at is not None
    return at.astimezone(_MADRID).strftime("%a %d %H:%M")


def test_playbook_due_times_skip_the_weekend_and_the_holiday(
    world: World, tmp_path: Path, clock: FrozenClock
) -> None:
    _setup(world, tmp_path, clock)
    case = tpl.create_from_template(world.desk, world.ana, "Avería de fibra",
                                    contact_id=world.contact_id)
    assert (case.title, case.area, case.priority, case.severity, case.queue) == (
        "Avería de fibra", "technical", "high", "major", "technical")
    assert case.sla_policy == "alta-oficina"
    assert case.description.startswith("Equipo:")
    got = tasks.list_tasks(world.desk, case=case.label)
    # 1h: Friday 15:00 → 16:00. 4h: 2h on Friday, Monday is a holiday, 2h on Tuesday.
    # 8h: 2h Friday + 6h Tuesday. 11h: 2h Friday + 8h Tuesday + 1h Wednesday.
    assert [(t.title, _local(t.due_at) if t.due_at else None, t.assignee) for t in got] == [
        ("Diagnóstico remoto", "Fri 06 16:00", None),  # in a queue: nobody owns it yet
        ("Revisar la línea", "Tue 10 11:00", "luis"),
        ("Cita con el técnico", "Tue 10 15:00", None),
        ("Confirmar con el cliente", "Wed 11 10:00", None),
        ("Notas para el cierre", None, None),
    ]


def test_events_match_the_version_and_the_owner_gets_owner_tasks(
    world: World, tmp_path: Path, clock: FrozenClock
) -> None:
    _setup(world, tmp_path, clock)
    case = tpl.create_from_template(world.desk, world.ana, "Avería de fibra", queue="",
                                    title="  ", priority="low")
    assert case.queue is None and case.owner == "ana"  # "" → the creator's bin
    assert case.title == "Avería de fibra"  # a blank title falls back to the template's
    assert case.priority == "low" and case.sla_policy != "alta-oficina"  # re-chosen
    assert case.version == 1 + 5
    with read_session(world.desk.engine) as s:
        for version, events in s.execute(
            select(Case.version, func.count(CaseEvent.id))
            .join(CaseEvent, CaseEvent.case_id == Case.id)
            .group_by(Case.id, Case.version)
        ).all():
            assert events == version
        kinds = list(s.execute(select(CaseEvent.kind, CaseEvent.data).where(
            CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all())
    assert [k for k, _ in kinds] == ["create"] + ["task"] * 5
    assert all(d["template"] == "Avería de fibra" for k, d in kinds if k == "task")
    got = tasks.list_tasks(world.desk, case=case.label)
    assert got[0].assignee == "ana"  # "owner": the case is in her bin


def test_a_bad_file_loads_nothing_and_names_template_and_field(
    world: World, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(TEMPLATES.replace('due = "8h"', 'due = "ocho horas"'))
    with pytest.raises(ValidationError) as err:
        tpl.load_file(world.desk, world.sup, bad)
    assert "template 'Avería de fibra' task 3 due" in str(err.value)
    assert "\n" not in str(err.value)
    missing_queue = tmp_path / "queue.toml"
    missing_queue.write_text(TEMPLATES.replace('queue = "billing"', 'queue = "nadie"'))
    with pytest.raises(ValidationError, match="template 'Reclamación de factura' queue"):
        tpl.load_file(world.desk, world.sup, missing_queue)
    with read_session(world.desk.engine) as s:  # the first, good, template was not kept
        assert s.execute(select(func.count()).select_from(CaseTemplate)).scalar_one() == 0


def test_yaml_upserts_by_name_and_only_supervisors_load(world: World, tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"templates": [
        {"name": "Baja de servicio", "title": "Baja", "area": "commercial",
         "tasks": [{"title": "Ofrecer retención", "due": "2h", "assignee": "Owner"}]},
    ]}, allow_unicode=True))
    with pytest.raises(PermissionDenied):
        tpl.load_file(world.desk, world.ana, path)
    tpl.load_file(world.desk, world.sup, path)
    path.write_text(yaml.safe_dump({"templates": [
        {"name": "Baja de servicio", "title": "Baja del servicio", "priority": "high",
         "tasks": ["Ofrecer retención", {"title": "Confirmar la baja", "due": 90}]},
    ]}, allow_unicode=True))
    tpl.load_file(world.desk, world.sup, path)
    [only] = tpl.list_templates(world.desk)
    assert (only.title, only.priority, only.area) == ("Baja del servicio", "high", "general")
    assert [(t.title, t.due) for t in only.tasks] == [
        ("Ofrecer retención", None), ("Confirmar la baja", "1h30m")]
    assert tpl.get_template(world.desk, "Baja de servicio") == only
    with pytest.raises(NotFound, match="no template 'Nada'"):
        tpl.create_from_template(world.desk, world.ana, "Nada")


def test_a_deactivated_assignee_refuses_the_case(world: World, tmp_path: Path) -> None:
    from casedesk.services.directory import staff

    path = tmp_path / "t.toml"
    path.write_text('[[template]]\nname = "x"\ntitle = "x"\n'
                    '[[template.task]]\ntitle = "y"\nassignee = "carmen"\n')
    tpl.load_file(world.desk, world.sup, path)
    staff.set_agent_active(world.desk, world.admin, "carmen", False)
    with pytest.raises(ValidationError, match="template 'x' task 1: agent 'carmen' is deact"):
        tpl.create_from_template(world.desk, world.ana, "x")
    with read_session(world.desk.engine) as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 0


# --- the parser: never anything but a ValidationError -----------------------------------

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.dates(),
)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
_keys = st.sampled_from(sorted(tpl._TEMPLATE_KEYS | tpl._TASK_KEYS | {"due", "x"}))
_task = st.dictionaries(st.sampled_from(sorted(tpl._TASK_KEYS | {"x"})), _values, max_size=4)
_entry = st.dictionaries(_keys, _values | st.lists(_task, max_size=3), max_size=6)
_document = st.dictionaries(st.sampled_from(["template", "templates", "other"]),
                            st.lists(_entry, max_size=3) | _values, max_size=2)


def _parses_or_refuses(text: str, *, yaml_text: bool) -> None:
    try:
        specs = tpl.parse_templates(text, "f", yaml_text=yaml_text)
    except ValidationError as exc:
        assert "\n" not in str(exc)
        return
    assert specs and all(isinstance(s, tpl.TemplateSpec) and s.name for s in specs)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.booleans())
def test_any_text_parses_or_is_refused(text: str, yaml_text: bool) -> None:
    _parses_or_refuses(text, yaml_text=yaml_text)


@settings(max_examples=300, deadline=None)
@given(_document)
def test_any_structure_parses_or_is_refused(document: dict[str, object]) -> None:
    _parses_or_refuses(yaml.safe_dump(document, allow_unicode=True), yaml_text=True)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["30m", "4h", "2d", "1h30m", 45, "0m", "-1h", "400d", "4 h"]))
def test_due_is_written_back_in_one_spelling(due: str | int) -> None:
    text = yaml.safe_dump({"template": [{"name": "n", "task": [{"title": "t", "due": due}]}]})
    try:
        [spec] = tpl.parse_templates(text, yaml_text=True)
    except ValidationError:
        assert due in ("0m", "-1h", "400d")
        return
    again = spec.tasks[0].due
    assert again is not None and policy_files.parse_duration(again, "x") == (
        policy_files.parse_duration(due, "x")
    )
