"""Routing rules as files and as a list a supervisor changes: load, list, enable, move, test.

A rules file (TOML or YAML) holds ``[[rule]]`` entries and optionally category skills::

    [[rule]]
    name = "facturas"
    queue = "billing"
    strategy = "queue"            # the queue's own strategy (default), or manual,
                                  # round_robin, least_loaded, skills, affinity
    set_priority = "high"         # optional; set_severity too
    required_skills = ["facturación"]
    when = { keywords = ["factura", "cobro"], channel = ["email", "phone"] }

    [categories.billing]
    skills = ["facturación"]

Loading checks everything first (:func:`parse_rules` is pure: any value gives a
:class:`RulesFile` or one :class:`ValidationError` naming the rule and the field), then, in
one transaction, *replaces the whole rule set* with the file's (rules not in the file are
deleted; ``upsert=True`` instead keeps them and updates the named ones). Rules are tried in
file order unless they give ``position``; positions are stored renumbered 1, 2, 3 … so
"rule 3" in a reason is the third rule tried. Supervisors and admins only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session, col

from casedesk.datafiles import read_document
from casedesk.db import read_session, write_session
from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.models import (
    Area,
    CategorySkill,
    Channel,
    Priority,
    Product,
    Queue,
    RoutingRule,
    Severity,
    Strategy,
    Tier,
)
from casedesk.models.base import saved_id
from casedesk.services.context import Actor, Desk, require_supervisor, unstorable
from casedesk.services.queries.views import JsonMixin
from casedesk.services.routing.rules import (
    CONDITIONS,
    NewCase,
    Rule,
    RuleSet,
    Verdict,
    as_list,
    conditions_in_words,
    explain,
    folded_key,
)

_RULE_KEYS = {"name", "position", "active", "queue", "strategy", "required_skills",
              "set_priority", "set_severity", "when"}
_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "area": tuple(a.value for a in Area),
    "priority": tuple(p.value for p in Priority),
    "severity": tuple(s.value for s in Severity),
    "channel": tuple(c.value for c in Channel),
    "tier": tuple(t.value for t in Tier),
}
_STRATEGIES = ("queue", *(s.value for s in Strategy))
#: Longest text a condition value, a skill or a keyword may be (they are compared, not stored
#: as prose).
_MAX_TEXT = 200
_MAX_VALUES = 200
_MAX_RULES = 10_000


@dataclass(frozen=True)
class RuleSpec:
    """One rule of a file, checked: what is stored (the queue still by name)."""

    name: str
    position: int | None
    active: bool
    queue: str
    strategy: str
    required_skills: list[str] | None
    set_priority: str | None
    set_severity: str | None
    conditions: dict[str, Any]


@dataclass(frozen=True)
class RulesFile:
    """A checked rules file: its rules in order, and its category skills."""

    rules: list[RuleSpec]
    categories: dict[str, list[str]]


@dataclass(frozen=True)
class RuleView(JsonMixin):
    """A routing rule as lists and the supervisor screen show it."""

    id: int
    position: int
    name: str
    active: bool
    conditions: dict[str, Any]
    when: str
    queue: str
    strategy: str
    required_skills: list[str]
    set_priority: str | None
    set_severity: str | None


@dataclass(frozen=True)
class LoadReport(JsonMixin):
    """What a load did."""

    rules: int
    removed: int
    categories: int
    mode: str


@dataclass(frozen=True)
class TestLine(JsonMixin):
    """One rule in ``rules test``: matched (the first one routes), not matched, and why."""

    position: int
    name: str
    active: bool
    matched: bool
    routes: bool
    queue: str
    why: str
    line: str


# --- parsing (pure) ------------------------------------------------------------------------


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _text(value: Any, where: str, *, limit: int = _MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise ValidationError(_("{where}: expected text, not {value}").format(
            where=where, value=_shown(value)))
    text = value.strip()
    if not text:
        raise ValidationError(_("{where}: cannot be empty").format(where=where))
    why = unstorable(text)
    if why:
        raise ValidationError(_("{field} {why}: remove it and try again").format(
            field=where, why=why))
    if len(text) > limit:
        raise ValidationError(_("{where}: {length} characters long; {limit} at most").format(
            where=where, length=f"{len(text):,}", limit=limit))
    return text


def _texts(value: Any, where: str) -> list[str]:
    """One text or a list of texts (any of), each checked."""
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValidationError(
            _("{where}: an empty list matches nothing; leave the key out").format(where=where))
    if len(values) > _MAX_VALUES:
        raise ValidationError(_("{where}: {n} values; {max} at most").format(
            where=where, n=f"{len(values):,}", max=_MAX_VALUES))
    return [_text(v, where) for v in values]


def _choice(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    text = _text(value, where).lower()
    if text not in allowed:
        raise ValidationError(_("{where}: {value} is not one of {choices}").format(
            where=where, value=_shown(value), choices=", ".join(allowed)))
    return text


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def _conditions(when: Any, where: str) -> dict[str, Any]:
    if when is None:
        return {}
    if not isinstance(when, dict):
        raise ValidationError(_("{where}: when must be a table of conditions, not {value}")
                              .format(where=where, value=_shown(when)))
    out: dict[str, Any] = {}
    for key, value in when.items():
        if key not in CONDITIONS:
            raise ValidationError(
                _("{where}: unknown condition {key}; use {keys}").format(
                    where=where, key=_shown(key), keys=", ".join(CONDITIONS)))
        here = f"{where}: when.{key}"
        if key in _VOCABULARIES:
            values = [_choice(v, here, _VOCABULARIES[key]) for v in _texts(value, here)]
            out[key] = _one_or_list(values)
        elif key == "contract" and isinstance(value, bool):
            out[key] = value
        else:
            values = _texts(value, here)
            if key in ("keywords", "subject", "description"):
                for v in values:
                    if not folded_key(v):
                        raise ValidationError(_("{where}: {value} has no letters or digits")
                                              .format(where=here, value=_shown(v)))
            out[key] = _one_or_list(values)
    return out


def _rule(entry: Any, where: str) -> RuleSpec:
    if not isinstance(entry, dict):
        raise ValidationError(_("{where}: a rule is a table (name, queue, when …), "
                                "not {value}").format(where=where, value=_shown(entry)))
    name = _text(entry.get("name"), f"{where}: name", limit=100) if "name" in entry else ""
    if not name:
        raise ValidationError(_("{where}: a rule needs a name").format(where=where))
    where = _("rule {name}").format(name=repr(name))
    unknown = sorted(str(k) for k in set(entry) - _RULE_KEYS)
    if unknown:
        raise ValidationError(
            _("{where}: unknown field {field}; use {fields}").format(
                where=where, field=repr(unknown[0]), fields=", ".join(sorted(_RULE_KEYS))))
    if "queue" not in entry:
        raise ValidationError(_("{where}: queue: every rule sends cases to a queue").format(
            where=where))
    queue = _text(entry["queue"], f"{where}: queue", limit=100)
    position = entry.get("position")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)
                                 or not 0 <= position <= 1_000_000):
        raise ValidationError(_("{where}: position: {value} is not a whole number "
                                "from 0 to 1000000").format(where=where, value=_shown(position)))
    active = entry.get("active", True)
    if not isinstance(active, bool):
        raise ValidationError(_("{where}: active: {value} is not true or false").format(
            where=where, value=_shown(active)))
    strategy = _choice(entry.get("strategy", "queue"), f"{where}: strategy", _STRATEGIES)
    skills = entry.get("required_skills")
    required = _texts(skills, f"{where}: required_skills") if skills not in (None, []) else None
    set_priority = (None if entry.get("set_priority") is None else
                    _choice(entry["set_priority"], f"{where}: set_priority",
                            _VOCABULARIES["priority"]))
    set_severity = (None if entry.get("set_severity") is None else
                    _choice(entry["set_severity"], f"{where}: set_severity",
                            _VOCABULARIES["severity"]))
    return RuleSpec(name, position, active, queue, strategy, required, set_priority,
                    set_severity, _conditions(entry.get("when"), where))


def parse_rules(data: Any, where: str = "the rules file") -> RulesFile:
    """Check a parsed rules file (a dict from TOML or YAML): every rule and category."""
    if not isinstance(data, dict):
        raise ValidationError(_("{where}: expected [[rule]] entries, not {value}").format(
            where=where, value=_shown(data)))
    unknown = sorted(str(k) for k in set(data) - {"rule", "rules", "categories"})
    if unknown:
        raise ValidationError(_("{where}: unknown section {section}; use rule, categories")
                              .format(where=where, section=repr(unknown[0])))
    entries = data.get("rule", data.get("rules", []))
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise ValidationError(_("{where}: rule must be a list of [[rule]] entries").format(
            where=where))
    if len(entries) > _MAX_RULES:
        raise ValidationError(_("{where}: {n} rules; {max} at most").format(
            where=where, n=f"{len(entries):,}", max=f"{_MAX_RULES:,}"))
    rules = [_rule(entry, _("{where}: rule #{n}").format(where=where, n=i))
             for i, entry in enumerate(entries, 1)]
    seen: set[str] = set()
    for spec in rules:
        if spec.name in seen:
            raise ValidationError(_("rule {name}: name: two rules have this name").format(
                name=repr(spec.name)))
        seen.add(spec.name)
    categories: dict[str, list[str]] = {}
    raw = data.get("categories") or {}
    if not isinstance(raw, dict):
        raise ValidationError(
            _("{where}: categories must be a table ([categories.billing])").format(where=where))
    for area, entry in raw.items():
        here = _("category {name}").format(name=repr(str(area)[:40]))
        area_name = _choice(area, here, _VOCABULARIES["area"])
        if not isinstance(entry, dict) or set(entry) - {"skills"}:
            raise ValidationError(_("{where}: expected skills = [\"…\"]").format(where=here))
        skills = entry.get("skills")
        categories[area_name] = [] if skills in (None, []) else _texts(skills, f"{here}: skills")
    if not rules and not categories:
        raise ValidationError(
            _("{where}: no [[rule]] entries and no [categories.…] found").format(where=where))
    return RulesFile(rules, categories)


def read_rules_file(path: Path) -> RulesFile:
    """Read and check a TOML or YAML rules file (one clear error line when it is bad)."""
    return parse_rules(read_document(path), path.name)


# --- storing ------------------------------------------------------------------------------


def load_rules(desk: Desk, actor: Actor, path: Path, *, upsert: bool = False) -> LoadReport:
    """Replace the rule set with the file's (or, with ``upsert``, update and add by name);
    all or nothing. Category skills in the file are set area by area."""
    require_supervisor(actor, N_("change routing rules"))
    parsed = read_rules_file(path)
    return store_rules(desk, parsed, upsert=upsert)


def store_rules(desk: Desk, parsed: RulesFile, *, upsert: bool = False) -> LoadReport:
    """Store a checked rules file in one transaction (no permission check: seeds call it)."""
    with write_session(desk.engine) as session:
        queues = {name: qid for qid, name in
                  session.execute(select(col(Queue.id), col(Queue.name)))}
        for spec in parsed.rules:
            if spec.queue not in queues:
                raise ValidationError(
                    _("rule {name}: queue: no queue {queue} (see `casedesk queue "
                      "list`)").format(name=repr(spec.name), queue=repr(spec.queue)))
        _check_products(session, parsed.rules)
        existing = {row.name: row for row in session.execute(select(RoutingRule)).scalars()}
        order: list[tuple[int, int, str]] = []  # (position, tie, name)
        names = {spec.name for spec in parsed.rules}
        removed = 0
        if upsert:
            for row in existing.values():
                if row.name not in names:
                    order.append((row.position, _MAX_RULES + 1, row.name))  # file first
        else:
            gone = [saved_id(r.id) for r in existing.values() if r.name not in names]
            if gone:
                session.execute(delete(RoutingRule).where(col(RoutingRule.id).in_(gone)))
            removed = len(gone)
        for i, spec in enumerate(parsed.rules):
            position = spec.position if spec.position is not None else (
                existing[spec.name].position if upsert and spec.name in existing else
                1_000_000)
            order.append((position, i, spec.name))
        ranks = {name: rank for rank, (_, _, name) in enumerate(sorted(order), 1)}
        for spec in parsed.rules:
            values = {
                "name": spec.name, "position": ranks[spec.name], "active": spec.active,
                "conditions": spec.conditions or None, "queue_id": queues[spec.queue],
                "strategy": spec.strategy, "required_skills": spec.required_skills,
                "set_priority": spec.set_priority, "set_severity": spec.set_severity,
            }
            if spec.name in existing:
                session.execute(update(RoutingRule)
                                .where(col(RoutingRule.id) == existing[spec.name].id)
                                .values(**values))
            else:
                session.execute(insert(RoutingRule).values(**values))
        if upsert:
            for name, rank in ranks.items():
                if name not in names:
                    session.execute(update(RoutingRule).where(col(RoutingRule.name) == name)
                                    .values(position=rank))
        for area, skills in parsed.categories.items():
            session.execute(delete(CategorySkill).where(col(CategorySkill.area) == area))
            session.execute(insert(CategorySkill).values(area=area, skills=skills or None))
    return LoadReport(len(parsed.rules), removed, len(parsed.categories),
                      "upsert" if upsert else "replace")


def _check_products(session: Session, specs: list[RuleSpec]) -> None:
    """Every product a rule names exists (by code or name)."""
    wanted = [(spec, str(p)) for spec in specs
              for p in as_list(spec.conditions.get("product"))]
    if not wanted:
        return
    known: set[str] = set()
    for code, name in session.execute(select(col(Product.code), col(Product.name))):
        known.update((folded_key(code), folded_key(name)))
    for spec, product in wanted:
        if folded_key(product) not in known:
            raise ValidationError(_("rule {name}: when.product: no product {product} "
                                    "(give its code or name)").format(
                name=repr(spec.name), product=repr(product)))


# --- the list ----------------------------------------------------------------------------


def _view(rule: Rule) -> RuleView:
    return RuleView(
        id=rule.id, position=rule.position, name=rule.name, active=rule.active,
        conditions=dict(rule.conditions), when=conditions_in_words(rule.conditions),
        queue=rule.queue_name,
        strategy=(_("queue ({strategy})").format(strategy=label("strategy", rule.queue_strategy))
                  if rule.strategy == "queue" else label("strategy", rule.strategy)),
        required_skills=list(rule.required_skills), set_priority=rule.set_priority,
        set_severity=rule.set_severity,
    )


def list_rules(desk: Desk) -> list[RuleView]:
    """Every routing rule in the order they are tried."""
    with read_session(desk.engine) as session:
        return [_view(r) for r in RuleSet.load(session).rules]


def _find(session: Session, name: str) -> RoutingRule:
    row: RoutingRule | None = session.execute(
        select(RoutingRule).where(col(RoutingRule.name) == name)).scalar_one_or_none()
    if row is None:
        raise NotFound(_("no routing rule {name}: see `casedesk rules list`").format(
            name=repr(name)))
    return row


def set_active(desk: Desk, actor: Actor, name: str, active: bool) -> list[RuleView]:
    """Enable or disable a rule (supervisors); the list afterwards."""
    require_supervisor(actor, N_("change routing rules"))
    with write_session(desk.engine) as session:
        row = _find(session, name)
        session.execute(update(RoutingRule).where(col(RoutingRule.id) == row.id)
                        .values(active=active))
    return list_rules(desk)


def move_rule(desk: Desk, actor: Actor, name: str, position: int) -> list[RuleView]:
    """Make ``name`` the ``position``-th rule tried (1 = first; beyond the end = last);
    every rule is renumbered 1, 2, 3 … Supervisors only; the list afterwards."""
    require_supervisor(actor, N_("change routing rules"))
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        raise ValidationError(_("position {value}: give a whole number from 1").format(
            value=_shown(position)))
    with write_session(desk.engine) as session:
        row = _find(session, name)
        ordered = [r for r in session.execute(
            select(RoutingRule).order_by(col(RoutingRule.position), col(RoutingRule.id))
            .with_for_update()
        ).scalars() if r.id != row.id]
        ordered.insert(min(position, len(ordered) + 1) - 1, row)
        for rank, rule in enumerate(ordered, 1):
            if rule.position != rank:
                session.execute(update(RoutingRule).where(col(RoutingRule.id) == rule.id)
                                .values(position=rank))
    return list_rules(desk)


def try_rules(desk: Desk, new: NewCase) -> list[TestLine]:
    """Which rule would route ``new`` and why, and why each other would not; creates
    nothing (``rules test``)."""
    with read_session(desk.engine) as session:
        return explain_lines(session, new)


def explain_lines(session: Session, new: NewCase) -> list[TestLine]:
    """Every rule against ``new`` in ``session``: which one routes it (the first matched
    active one), which match too late, and why the others do not."""
    verdicts: list[Verdict] = explain(session, new)
    out = []
    routed = False
    for v in verdicts:
        routes = v.matched and not routed
        routed = routed or routes
        out.append(TestLine(
            position=v.rule.position, name=v.rule.name, active=v.rule.active,
            matched=v.matched, routes=routes, queue=v.rule.queue_name, why=v.why,
            line=v.line(),
        ))
    return out


def category_skills(desk: Desk) -> dict[str, list[str]]:
    """The skills each category needs (``CategorySkill``), for lists."""
    with read_session(desk.engine) as session:
        return {area: list(skills or []) for area, skills in session.execute(
            select(col(CategorySkill.area), col(CategorySkill.skills))
            .order_by(col(CategorySkill.area)))}
