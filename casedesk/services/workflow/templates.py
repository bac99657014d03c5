"""Case templates and their playbooks: a case type prefilled, with its ordered tasks.

A template gives a new case its title, area (category), priority, severity, queue and a
description skeleton, and a *playbook*: ordered tasks, each due a length of **business
time** after the case is created, on the calendar of the SLA policy the case gets (24×7
UTC when it gets none), and assigned to the case's ``owner``, a named agent, or nobody.

* :func:`create_from_template` opens the case (``cases.open_case``) and adds the tasks in
  the same transaction: one ``create`` event, then one ``task`` event per task, so
  ``count(case_event) == version`` as for every case. Anything given overrides the
  template; ``queue=""`` sends the case to the creator's bin even if the template names a
  queue.
* :func:`load_file` reads ``[[template]]`` entries from TOML or YAML (see
  ``docs/templates.md``) and upserts them by name in one transaction: a bad entry changes
  nothing and is one line naming the template and the field. Supervisors only.
* :func:`parse_templates` is the pure half of that (no database): text in, checked
  :class:`TemplateSpec` entries out, or one :class:`ValidationError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from casedesk.datafiles import YAML_SUFFIXES, parse_document, read_text_file
from casedesk.db import read_session, write_session
from casedesk.durations import policy_target
from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import N_, _
from casedesk.models import Agent, Area, CaseTemplate, Priority, Queue, Severity
from casedesk.models.base import saved_id
from casedesk.services.context import Actor, Desk, require_supervisor, unstorable
from casedesk.services.queries.reads import case_detail
from casedesk.services.queries.views import CaseDetail, JsonMixin
from casedesk.services.sla import clocks
from casedesk.services.sla.policy_files import parse_duration
from casedesk.services.workflow import tasks
from casedesk.services.workflow.cases import open_case
from casedesk.textsafe import one_line

#: The playbook assignee that means "whoever owns the case once it is created".
OWNER = "owner"
#: At most this many tasks in one playbook (a checklist, not a project plan).
MAX_TASKS = 50

_TEMPLATE_KEYS = {
    "name", "title", "description", "area", "category", "priority", "severity", "queue",
    "task", "tasks",
}
_TASK_KEYS = {"title", "due", "assignee", "description"}


@dataclass(frozen=True)
class PlaybookTask(JsonMixin):
    """One step of a playbook: due ``due`` of business time after creation (``4h``)."""

    title: str
    due: str | None = None
    assignee: str | None = None
    description: str = ""

    @property
    def due_minutes(self) -> int | None:
        if self.due is None:
            return None
        return int(parse_duration(self.due, "due") // timedelta(minutes=1))


@dataclass(frozen=True)
class TemplateSpec(JsonMixin):
    """A checked template as read from a file or the database (the read model too)."""

    name: str
    title: str = ""
    description: str = ""
    area: str = "general"
    priority: str = "medium"
    severity: str = "minor"
    queue: str | None = None
    tasks: list[PlaybookTask] = field(default_factory=list)


# --- reading files ---------------------------------------------------------------------


def _text(value: object, where: str, *, limit: int | None = None, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("{where}: give text, not {type}").format(
            where=where, type=type(value).__name__))
    text = value.strip()
    why = unstorable(text)
    if why:
        raise ValidationError(_("{field} {why}: remove it and try again").format(
            field=where, why=why))
    if required and not text:
        raise ValidationError(_("{where}: cannot be empty").format(where=where))
    if limit is not None and len(text) > limit:
        raise ValidationError(_("{where}: {length} characters long; {limit} at most").format(
            where=where, length=f"{len(text):,}", limit=limit))
    return text


def _choice(value: object, allowed: type[Any], where: str, default: str) -> str:
    if value is None:
        return default
    text = _text(value, where).lower()
    choices = [m.value for m in allowed]
    if text not in choices:
        raise ValidationError(_("{where}: {value} is not one of {choices}").format(
            where=where, value=repr(text[:40]), choices=", ".join(choices)))
    return text


def _due(value: object, where: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError(_("{where}: give a duration like 30m, 4h or 2d").format(
            where=where))
    span = parse_duration(value, where)
    if span <= timedelta(0):
        raise ValidationError(
            _("{where}: a task's due time must be after the case is created").format(where=where))
    if span > tasks.MAX_DUE_IN:
        raise ValidationError(
            _("{where}: more than {days} days of business time").format(
                where=where, days=tasks.MAX_DUE_IN.days)
        )
    return policy_target(span)


def _task(entry: object, where: str) -> PlaybookTask:
    if isinstance(entry, str):
        entry = {"title": entry}
    if not isinstance(entry, dict):
        raise ValidationError(
            _("{where}: a task is a table with a title (and due, assignee)").format(where=where))
    unknown = sorted(str(k) for k in entry if k not in _TASK_KEYS)
    if unknown:
        raise ValidationError(
            _("{where}: unknown field {field}; use {fields}").format(
                where=where, field=repr(unknown[0][:40]), fields=", ".join(sorted(_TASK_KEYS)))
        )
    assignee = _text(entry.get("assignee"), f"{where} assignee", limit=100) or None
    return PlaybookTask(
        title=_text(entry.get("title"), f"{where} title", limit=300, required=True),
        due=_due(entry.get("due"), f"{where} due"),
        assignee=OWNER if assignee and assignee.lower() == OWNER else assignee,
        description=_text(entry.get("description"), f"{where} description"),
    )


def _template(entry: object, source: str, position: int) -> TemplateSpec:
    where = _("{source}: template #{position}").format(source=source, position=position)
    if not isinstance(entry, dict):
        raise ValidationError(_("{where}: a template is a table with a name").format(where=where))
    name = _text(entry.get("name"), f"{where} name", limit=100, required=True)
    where = _("{source}: template {name}").format(source=source, name=repr(name))
    unknown = sorted(str(k) for k in entry if k not in _TEMPLATE_KEYS)
    if unknown:
        raise ValidationError(
            _("{where}: unknown field {field}; use {fields}").format(
                where=where, field=repr(unknown[0][:40]),
                fields=", ".join(sorted(_TEMPLATE_KEYS - {"category", "tasks"})))
        )
    raw_tasks = entry.get("task", entry.get("tasks")) or []
    if not isinstance(raw_tasks, list):
        raise ValidationError(_("{where} tasks: give a list of tasks").format(where=where))
    if len(raw_tasks) > MAX_TASKS:
        raise ValidationError(_("{where}: {n} tasks; {max} at most").format(
            where=where, n=len(raw_tasks), max=MAX_TASKS))
    area = entry.get("area", entry.get("category"))
    return TemplateSpec(
        name=name,
        title=_text(entry.get("title"), f"{where} title", limit=300),
        description=_text(entry.get("description"), f"{where} description"),
        area=_choice(area, Area, f"{where} area", "general"),
        priority=_choice(entry.get("priority"), Priority, f"{where} priority", "medium"),
        severity=_choice(entry.get("severity"), Severity, f"{where} severity", "minor"),
        queue=_text(entry.get("queue"), f"{where} queue", limit=100) or None,
        tasks=[_task(t, _("{where} task {n}").format(where=where, n=i))
               for i, t in enumerate(raw_tasks, 1)],
    )


def parse_templates(text: str, where: str = "templates", *, yaml_text: bool = False) -> list[
    TemplateSpec
]:
    """The templates of a TOML (or YAML) document, checked; one :class:`ValidationError`
    naming the template and the field for anything wrong. Touches no database."""
    try:
        data = parse_document(text, yaml=yaml_text, where=where)
    except ValidationError as exc:
        raise ValidationError(one_line(str(exc))) from None
    if not isinstance(data, dict):
        raise ValidationError(_("{where}: expected [[template]] entries").format(where=where))
    entries = data.get("template", data.get("templates"))
    if not entries:
        raise ValidationError(_("{where}: no [[template]] entries found").format(where=where))
    if not isinstance(entries, list):
        raise ValidationError(
            _("{where}: template: give a list of [[template]] tables").format(where=where))
    specs = [_template(e, where, i) for i, e in enumerate(entries, 1)]
    seen: set[str] = set()
    for spec in specs:
        if spec.name.casefold() in seen:
            raise ValidationError(_("{where}: template {name} is given twice").format(
                where=where, name=repr(spec.name)))
        seen.add(spec.name.casefold())
    return specs


# --- storing ---------------------------------------------------------------------------


def _row_values(session: Session, spec: TemplateSpec) -> dict[str, Any]:
    """The ``case_template`` row of ``spec``; its queue and assignees must exist."""
    where = _("template {name}").format(name=repr(spec.name))
    queue_id = None
    if spec.queue:
        queue_id = session.execute(
            select(col(Queue.id)).where(col(Queue.name) == spec.queue)
        ).scalar_one_or_none()
        if queue_id is None:
            raise ValidationError(_("{where} queue: no queue {queue}").format(
                where=where, queue=repr(spec.queue)))
    for i, step in enumerate(spec.tasks, 1):
        if step.assignee and step.assignee != OWNER:
            found = session.execute(
                select(col(Agent.id)).where(col(Agent.login) == step.assignee)
            ).scalar_one_or_none()
            if found is None:
                raise ValidationError(
                    _("{where} task {n} assignee: no agent {login} (give a login "
                      "or {owner})").format(where=where, n=i, login=repr(step.assignee),
                                            owner=repr(OWNER))
                )
    return {
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "area": spec.area,
        "priority": spec.priority,
        "severity": spec.severity,
        "queue_id": queue_id,
        "tasks": [
            {
                "title": t.title,
                "due_minutes": t.due_minutes,
                "assignee": t.assignee,
                "description": t.description,
            }
            for t in spec.tasks
        ],
    }


def save_templates(session: Session, specs: list[TemplateSpec]) -> None:
    """Upsert ``specs`` by name in the caller's transaction (for loading and the demo)."""
    for spec in specs:
        values = _row_values(session, spec)
        existing = session.execute(
            select(col(CaseTemplate.id)).where(col(CaseTemplate.name) == spec.name)
        ).scalar_one_or_none()
        if existing is None:
            session.execute(insert(CaseTemplate).values(**values))
        else:
            session.execute(
                update(CaseTemplate).where(col(CaseTemplate.id) == existing).values(**values)
            )


def load_file(desk: Desk, actor: Actor, path: Path) -> list[str]:
    """Load (upsert by name) the templates of a TOML or YAML file, all or nothing;
    supervisors only. Returns the names loaded, in file order."""
    require_supervisor(actor, N_("change case templates"))
    text = read_text_file(path)
    specs = parse_templates(
        text, path.name, yaml_text=path.suffix.lower() in YAML_SUFFIXES
    )
    with write_session(desk.engine) as session:
        save_templates(session, specs)
    return [s.name for s in specs]


# --- reading templates -----------------------------------------------------------------


def _spec_of(row: CaseTemplate, queues: dict[int, str]) -> TemplateSpec:
    steps = []
    for t in row.tasks or []:
        minutes = t.get("due_minutes")
        steps.append(
            PlaybookTask(
                title=str(t.get("title") or ""),
                due=policy_target(timedelta(minutes=int(minutes))) if minutes else None,
                assignee=t.get("assignee"),
                description=str(t.get("description") or ""),
            )
        )
    return TemplateSpec(
        name=row.name,
        title=row.title,
        description=row.description,
        area=row.area,
        priority=row.priority,
        severity=row.severity,
        queue=queues.get(row.queue_id) if row.queue_id is not None else None,
        tasks=steps,
    )


def _queues(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(col(Queue.id), col(Queue.name))).all()}


def list_templates(desk: Desk) -> list[TemplateSpec]:
    """Every template, by name."""
    with read_session(desk.engine) as session:
        queues = _queues(session)
        rows = session.scalars(select(CaseTemplate).order_by(col(CaseTemplate.name)))
        return [_spec_of(r, queues) for r in rows]


def _load_row(session: Session, name: str) -> CaseTemplate:
    row = session.scalars(
        select(CaseTemplate).where(col(CaseTemplate.name) == name)
    ).one_or_none()
    if row is None:
        raise NotFound(_("no template {name}: see `casedesk template list`").format(
            name=repr(name)))
    return row


def get_template(desk: Desk, name: str) -> TemplateSpec:
    """One template by its name."""
    with read_session(desk.engine) as session:
        return _spec_of(_load_row(session, name), _queues(session))


# --- creating a case -------------------------------------------------------------------


def create_from_template(
    desk: Desk,
    actor: Actor,
    template_name: str,
    *,
    title: str | None = None,
    description: str | None = None,
    contact_id: int | None = None,
    queue: str | None = None,
    area: str | None = None,
    priority: str | None = None,
    severity: str | None = None,
    contract_line_id: int | None = None,
    parent: str | int | None = None,
    from_interaction: int | None = None,
    channel: str | None = None,
) -> CaseDetail:
    """Open a case from a template and add its playbook's tasks, in one transaction.

    What is given overrides the template (``queue=""``: the creator's bin). Task due
    times are business time from creation on the calendar of the case's SLA policy.
    """
    with write_session(desk.engine) as session:
        row = _load_row(session, template_name)
        spec = _spec_of(row, _queues(session))
        queue_name = spec.queue if queue is None else queue
        case = open_case(
            session,
            desk,
            actor,
            title=title if title is not None and title.strip() else spec.title,
            description=spec.description if description is None else description,
            area=area or spec.area,
            priority=priority or spec.priority,
            severity=severity or spec.severity,
            contact_id=contact_id,
            queue=queue_name or None,
            contract_line_id=contract_line_id,
            parent=parent,
            from_interaction=from_interaction,
            channel=channel,
        )
        targets = clocks.load_targets(session, case.sla_policy_id)
        created = case.created_at
        for position, step in enumerate(row.tasks or [], 1):
            assignee_id = _assignee(session, spec.name, position, step, case.owner_id)
            minutes = step.get("due_minutes")
            due_at = (
                targets.calendar.add(created, timedelta(minutes=int(minutes))) if minutes else None
            )
            tasks.insert_task(
                session,
                actor,
                created,
                case_row=case,
                targets=targets,
                title=str(step.get("title") or f"task {position}"),
                description=str(step.get("description") or ""),
                assignee_id=assignee_id,
                due_at=due_at,
                position=position,
                data={"template": spec.name},
            )
        return case_detail(session, saved_id(case.id))


def _assignee(
    session: Session, template: str, position: int, step: dict[str, Any], owner_id: int | None
) -> int | None:
    """The agent a playbook task goes to: the case's owner, a login, or nobody."""
    login = step.get("assignee")
    if not login:
        return None
    if login == OWNER:
        return owner_id
    agent = session.execute(select(Agent).where(col(Agent.login) == login)).scalar_one_or_none()
    if agent is None or not agent.active:
        message = (
            _("template {name} task {n}: agent {login} no longer exists; a supervisor "
              "must fix the template (casedesk template load)") if agent is None else
            _("template {name} task {n}: agent {login} is deactivated; a supervisor "
              "must fix the template (casedesk template load)"))
        raise ValidationError(message.format(name=repr(template), n=position, login=repr(login)))
    return saved_id(agent.id)
