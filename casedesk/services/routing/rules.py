"""Routing rules as data: which queue a new case goes to, and why (DESIGN §Routing).

A rule (``routing_rule``) has a position, an ``active`` switch, conditions and an action.
Conditions (all given ones must hold; each one value or a list meaning "any of"):

- ``area`` (category), ``priority``, ``severity``, ``channel``: the new case's own values;
- ``tier``: the tier of the case's account (``standard``, ``gold``, ``vip``);
- ``product``: a product the account holds (by code or name);
- ``contract``: ``true``/``false`` (the case has a contract line, or not), or the number or
  name of the line's contract;
- ``keywords`` (in the title or the description), ``subject`` (title only),
  ``description`` (description only): a word or phrase found at the start of a word, case-
  and accent-insensitive (``factura`` finds "Facturación" and "FACTURAS").

The first active rule by position whose conditions hold decides: the case goes to the rule's
queue, may get a new priority/severity, and an agent may be picked by the queue's strategy
(or the rule's own, :func:`casedesk.services.routing.assign.pick_agent`). The reason reads
``rule 3 'facturas': keyword 'factura'; least loaded: 2 of 8``.

:class:`RuleSet` is the compiled rule set: read once (per case, or once per import batch)
and matched in Python; facts the rules need about the account (tier, products, contract)
are read only when some rule asks for them. May import models, ``casedesk.db``,
``services.context`` and pure helpers; never the workflow, the queries or the UI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, select
from sqlmodel import Session, col

from casedesk.i18n import N_, _
from casedesk.labels import label as code_label
from casedesk.models import (
    Account,
    AccountProduct,
    Contract,
    ContractLine,
    Product,
    Queue,
    RoutingRule,
    Strategy,
)
from casedesk.models.base import saved_id
from casedesk.services.knowledge.folding import tokens
from casedesk.services.routing.assign import NoPick, Pick, pick_agent

#: The condition keys a rule may have, in the order they are explained.
CONDITIONS = (
    "area", "priority", "severity", "channel", "tier", "product", "contract",
    "keywords", "subject", "description",
)
#: Conditions compared as plain vocabulary values.
_VALUE_KEYS = ("area", "priority", "severity", "channel", "tier")
#: Keyword conditions → the text(s) they look in, named for the reason.
_TEXT_KEYS = {"keywords": "subject or description", "subject": "subject",
              "description": "description"}
#: How a strategy is said in a reason.
STRATEGY_WORDS = {
    "queue": "the queue's strategy",
    Strategy.manual.value: "manual",
    Strategy.round_robin.value: "round robin",
    Strategy.least_loaded.value: "least loaded",
    Strategy.skills.value: "skills",
    Strategy.affinity.value: "affinity",
}


def words(text: str) -> str:
    """Folded words of ``text`` between spaces (``" no puedo pagar la factura "``): a
    keyword matches where ``" " + its words`` occurs, i.e. at the start of a word."""
    return " " + " ".join(tokens(text)) + " "


def as_list(value: Any) -> list[Any]:
    """A condition's values: one value, or a list meaning "any of"."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


# --- what a new case brings -------------------------------------------------------------


@dataclass(frozen=True)
class NewCase:
    """A case about to be created, as routing sees it.

    ``tier``, ``products`` and ``contracts`` may be given (importers that know them, the
    ``rules test`` command); left ``None`` they are read from the account and contract line
    when a rule needs them.
    """

    title: str
    description: str = ""
    area: str = "general"
    priority: str = "medium"
    severity: str = "minor"
    channel: str | None = None
    account_id: int | None = None
    contact_id: int | None = None
    contract_line_id: int | None = None
    tier: str | None = None
    #: Codes and names of the products the account holds.
    products: frozenset[str] | None = None
    #: Number and name of the contract of the case's line (empty: no contract line).
    contracts: frozenset[str] | None = None


class Facts:
    """A new case's values as rules compare them, reading account facts lazily."""

    def __init__(self, session: Session | None, new: NewCase) -> None:
        self.session = session
        self.new = new
        self._text: dict[str, str] = {}
        self._tier = new.tier
        self._products = (None if new.products is None
                          else {folded_key(p): p for p in new.products})
        self._contracts = (None if new.contracts is None
                           else {folded_key(c): c for c in new.contracts})

    def value(self, key: str) -> str | None:
        if key == "tier":
            return self.tier()
        value: str | None = getattr(self.new, key)
        return value

    def text(self, key: str) -> str:
        if key not in self._text:
            if key == "subject":
                self._text[key] = words(self.new.title)
            elif key == "description":
                self._text[key] = words(self.new.description)
            else:
                self._text[key] = words(self.new.title + "\n" + self.new.description)
        return self._text[key]

    def tier(self) -> str | None:
        if self._tier is None and self.new.account_id is not None and self.session is not None:
            self._tier = self.session.execute(
                select(col(Account.tier)).where(col(Account.id) == self.new.account_id)
            ).scalar_one_or_none()
        return self._tier or ("standard" if self.new.account_id is not None else None)

    def products(self) -> dict[str, str]:
        """Folded code or name → as written, of the products the account holds."""
        if self._products is None:
            self._products = {}
            if self.new.account_id is not None and self.session is not None:
                for code, name in self.session.execute(
                    select(col(Product.code), col(Product.name))
                    .join(AccountProduct, col(AccountProduct.product_id) == col(Product.id))
                    .where(col(AccountProduct.account_id) == self.new.account_id)
                ):
                    self._products[folded_key(code)] = code
                    self._products[folded_key(name)] = code
        return self._products

    def contracts(self) -> dict[str, str]:
        """Folded number or name → as written, of the contract of the case's line."""
        if self._contracts is None:
            self._contracts = {}
            if self.new.contract_line_id is not None and self.session is not None:
                row = self.session.execute(
                    select(col(Contract.number), col(Contract.name))
                    .join(ContractLine, col(ContractLine.contract_id) == col(Contract.id))
                    .where(col(ContractLine.id) == self.new.contract_line_id)
                ).first()
                if row is not None:
                    self._contracts = {folded_key(row[0]): row[0], folded_key(row[1]): row[1]}
                else:
                    self._contracts = {}
        return self._contracts

    def has_contract(self) -> bool:
        if self.new.contracts is not None:
            return bool(self.new.contracts)
        return self.new.contract_line_id is not None


def folded_key(text: str) -> str:
    """A code, name or number compared folded, word by word (``Fibra-300`` → ``fibra 300``)."""
    return " ".join(tokens(str(text)))


# --- compiled rules -----------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One rule against one case: whether it matched and why (or why not)."""

    rule: Rule
    matched: bool
    why: str
    #: (condition, the value it matched on) of each condition that held, for the timeline
    #: to say in the reader's language (``("keywords", "factura")``, ``("tier", "vip")``)
    pieces: tuple[tuple[str, Any], ...] = ()

    def line(self) -> str:
        """``rule 3 'facturas': keyword 'factura'``; ``rule 2 'vip': tier is standard, not vip``."""
        return f"{self.rule.label}: {self.why}"


@dataclass(frozen=True)
class Rule:
    """One routing rule, compiled for matching (folded keywords, lists of values)."""

    id: int
    name: str
    position: int
    active: bool
    conditions: dict[str, Any]
    queue_id: int
    queue_name: str
    queue_strategy: str
    strategy: str = "queue"
    required_skills: tuple[str, ...] = ()
    set_priority: str | None = None
    set_severity: str | None = None
    _keywords: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return f"rule {self.position} {self.name!r}"

    @property
    def effective_strategy(self) -> str:
        """The strategy that picks an agent: the rule's own, or its queue's."""
        return self.queue_strategy if self.strategy == "queue" else self.strategy

    @classmethod
    def of(cls, row: RoutingRule, queue: Queue) -> Rule:
        conditions = {k: row.conditions[k] for k in CONDITIONS
                      if row.conditions and row.conditions.get(k) not in (None, [], "")}
        keywords = {
            key: tuple((" " + folded_key(str(k)), str(k)) for k in as_list(conditions[key])
                       if folded_key(str(k)))
            for key in _TEXT_KEYS if key in conditions
        }
        return cls(
            id=saved_id(row.id), name=row.name, position=row.position, active=row.active,
            conditions=conditions, queue_id=saved_id(queue.id), queue_name=queue.name,
            queue_strategy=queue.strategy, strategy=row.strategy or "queue",
            required_skills=tuple(row.required_skills or ()),
            set_priority=row.set_priority, set_severity=row.set_severity, _keywords=keywords,
        )

    def check(self, facts: Facts) -> Verdict:
        """Whether every condition holds: the reasons it matched, or the first that failed."""
        if not self.active:
            return Verdict(self, False, "disabled")
        said: list[str] = []
        pieces: list[tuple[str, Any]] = []
        for key in CONDITIONS:
            if key not in self.conditions:
                continue
            ok, why, piece = self._one(key, self.conditions[key], facts)
            if not ok:
                return Verdict(self, False, why)
            said.append(why)
            pieces.append((key, piece))
        return Verdict(self, True, ", ".join(said) or "matches every case", tuple(pieces))

    def _one(self, key: str, wanted: Any, facts: Facts) -> tuple[bool, str, Any]:
        """Whether one condition holds, why, and the value it held on (None: it did not)."""
        if key in _VALUE_KEYS:
            values = [str(v) for v in as_list(wanted)]
            have = facts.value(key)
            if have in values:
                return True, f"{key} {have}", have
            return False, f"{key} is {have or 'not known'}, not {_any_of(values)}", None
        if key in _TEXT_KEYS:
            text = facts.text(key)
            for folded, shown in self._keywords.get(key, ()):
                if folded in text:
                    where = "" if key == "keywords" else f" in the {key}"
                    return True, f"keyword {shown!r}{where}", shown
            listed = [repr(s) for _, s in self._keywords.get(key, ())]
            which = (f"no keyword {listed[0]}" if len(listed) == 1
                     else f"none of the keywords {', '.join(listed)}")
            return False, f"{which} in the {_TEXT_KEYS[key]}", None
        if key == "product":
            products = facts.products()
            for value in as_list(wanted):
                if folded_key(str(value)) in products:
                    return True, f"holds product {value}", value
            held = sorted(set(products.values()))
            return False, (f"holds {', '.join(held)}, not {_any_of(as_list(wanted))}"
                           if held else f"holds no product {_any_of(as_list(wanted))}"), None
        # contract
        if isinstance(wanted, bool):
            has = facts.has_contract()
            if has == wanted:
                return True, "has a contract line" if has else "has no contract line", has
            return False, "has no contract line" if wanted else "has a contract line", None
        contracts = facts.contracts()
        for value in as_list(wanted):
            if folded_key(str(value)) in contracts:
                return True, f"contract {value}", value
        if not facts.has_contract():
            return False, f"has no contract line, not contract {_any_of(as_list(wanted))}", None
        held = sorted(set(contracts.values()))
        return (False, f"contract is {' / '.join(held) or 'unknown'}, "
                       f"not {_any_of(as_list(wanted))}", None)


def _any_of(values: Sequence[Any]) -> str:
    texts = [str(v) for v in values]
    if len(texts) == 1:
        return texts[0]
    return "any of " + ", ".join(texts)


@dataclass(frozen=True)
class RuleSet:
    """Every routing rule in order (position, then id), disabled ones included."""

    rules: tuple[Rule, ...]

    @classmethod
    def load(cls, session: Session) -> RuleSet:
        """Read the rules with their queues in one query of plain columns (JSON as text);
        a rule whose stored values were seen before is not compiled again."""
        rows = session.execute(
            select(*_RULE_COLUMNS)
            .join(Queue, col(Queue.id) == col(RoutingRule.queue_id))
            .order_by(col(RoutingRule.position), col(RoutingRule.id))
        ).all()
        return cls(tuple(_compiled(tuple(row)) for row in rows))

    @property
    def active(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.active)

    def first(self, facts: Facts) -> Verdict | None:
        """The first active rule whose conditions hold, with why."""
        for rule in self.rules:
            if rule.active:
                verdict = rule.check(facts)
                if verdict.matched:
                    return verdict
        return None

    def verdicts(self, facts: Facts) -> list[Verdict]:
        """Every rule against the case, in order (for ``rules test``)."""
        return [rule.check(facts) for rule in self.rules]


_RULE_COLUMNS = (
    col(RoutingRule.id), col(RoutingRule.name), col(RoutingRule.position),
    col(RoutingRule.active), cast(col(RoutingRule.conditions), String),
    col(RoutingRule.queue_id), col(RoutingRule.strategy),
    cast(col(RoutingRule.required_skills), String), col(RoutingRule.set_priority),
    col(RoutingRule.set_severity), col(Queue.name), col(Queue.strategy),
)
#: Stored rule values → the compiled rule (keywords folded once, not on every new case).
_COMPILED: dict[tuple[Any, ...], Rule] = {}


def _compiled(row: tuple[Any, ...]) -> Rule:
    rule = _COMPILED.get(row)
    if rule is None:
        (id_, name, position, active, conditions, queue_id, strategy, skills, set_priority,
         set_severity, queue_name, queue_strategy) = row
        stored = RoutingRule(
            id=id_, name=name, position=position, active=bool(active),
            conditions=json.loads(conditions) if conditions else None, queue_id=queue_id,
            strategy=strategy, required_skills=json.loads(skills) if skills else None,
            set_priority=set_priority, set_severity=set_severity)
        rule = Rule.of(stored, Queue(id=queue_id, name=queue_name, strategy=queue_strategy))
        if len(_COMPILED) > 10_000:
            _COMPILED.clear()
        _COMPILED[row] = rule
    return rule


# --- the decision ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """Where a new case goes and why: said on its create event."""

    queue_id: int
    queue_name: str
    reason: str
    rule_id: int | None = None
    rule_name: str | None = None
    rule_position: int | None = None
    priority: str | None = None
    severity: str | None = None
    agent_id: int | None = None
    agent_login: str | None = None
    strategy: str | None = None
    #: the rule's conditions that held and their values (:attr:`Verdict.pieces`)
    matched: tuple[tuple[str, Any], ...] | None = None
    #: the case's own priority and severity where the rule changed them
    from_priority: str | None = None
    from_severity: str | None = None

    def event_data(self) -> dict[str, Any]:
        """``data["routing"]`` of the create event: the pieces the timeline composes its
        sentence from in the reader's language (``reason`` is the English audit line)."""
        data: dict[str, Any] = {
            "rule": self.rule_id, "rule_name": self.rule_name, "position": self.rule_position,
            "queue": self.queue_name, "agent": self.agent_login, "strategy": self.strategy,
            "priority": self.priority, "severity": self.severity, "reason": self.reason,
        }
        if self.matched is not None:
            data["matched"] = [list(piece) for piece in self.matched]
        if self.from_priority is not None:
            data["from_priority"] = self.from_priority
        if self.from_severity is not None:
            data["from_severity"] = self.from_severity
        return data


#: What picks an agent (``assign.pick_agent``'s signature; None: that one).
Picker = Callable[..., Pick | NoPick]


def decide(
    session: Session,
    new: NewCase,
    now: datetime,
    *,
    rules: RuleSet | None = None,
    pick: bool = True,
    picker: Picker | None = None,
) -> Decision | None:
    """Route ``new`` by the first matching active rule, inside the caller's transaction.

    ``rules`` lets a batch compile the rule set once; ``pick=False`` routes to the queue
    without asking the strategy for an agent (history being imported). None: no rule
    matched (the caller keeps its own placement).
    """
    rules = rules if rules is not None else RuleSet.load(session)
    if not rules.rules:
        return None
    verdict = rules.first(Facts(session, new))
    if verdict is None:
        return None
    rule = verdict.rule
    priority = rule.set_priority if rule.set_priority not in (None, new.priority) else None
    severity = rule.set_severity if rule.set_severity not in (None, new.severity) else None
    changes = [f"priority {new.priority} → {priority}"] if priority else []
    changes += [f"severity {new.severity} → {severity}"] if severity else []
    reason = verdict.line() + (f" ({', '.join(changes)})" if changes else "")
    strategy = rule.effective_strategy
    agent: Pick | None = None
    if pick:
        outcome = (picker or pick_agent)(session, rule.queue_id, strategy, area=new.area,
                         contact_id=new.contact_id, required_skills=rule.required_skills,
                         now=now)
        reason += f"; {outcome.reason}"
        agent = outcome if isinstance(outcome, Pick) else None
    else:
        reason += f"; to queue {rule.queue_name}"
    return Decision(
        queue_id=rule.queue_id, queue_name=rule.queue_name, reason=reason[:1000],
        rule_id=rule.id, rule_name=rule.name, rule_position=rule.position,
        priority=priority, severity=severity,
        agent_id=agent.agent_id if agent else None,
        agent_login=agent.login if agent else None, strategy=strategy,
        matched=verdict.pieces,
        from_priority=new.priority if priority else None,
        from_severity=new.severity if severity else None,
    )


def assign_in_queue(
    session: Session,
    queue: Queue,
    new: NewCase,
    now: datetime,
    *,
    picker: Picker | None = None,
) -> Decision | None:
    """A case opened into ``queue`` explicitly: no rule moves it, but the queue's own
    strategy may pick an agent ("queue billing: round robin: …"). None for a manual queue
    (nothing was decided: the case waits to be pulled)."""
    if queue.strategy in (None, "", Strategy.manual):
        return None
    outcome = (picker or pick_agent)(session, saved_id(queue.id), queue.strategy, area=new.area,
                     contact_id=new.contact_id, required_skills=(), now=now)
    agent = outcome if isinstance(outcome, Pick) else None
    return Decision(
        queue_id=saved_id(queue.id), queue_name=queue.name,
        reason=f"queue {queue.name}: {outcome.reason}"[:1000],
        agent_id=agent.agent_id if agent else None,
        agent_login=agent.login if agent else None, strategy=queue.strategy,
    )


def explain(session: Session, new: NewCase, rules: RuleSet | None = None) -> list[Verdict]:
    """Every rule against ``new``, in order, creating nothing: the first matched active one
    is the one that would route it."""
    rules = rules if rules is not None else RuleSet.load(session)
    return rules.verdicts(Facts(session, new))


def words_of(rule: Rule) -> str:
    """A rule's conditions in words: ``area billing · keyword factura or cobro``."""
    return conditions_in_words(rule.conditions)


def conditions_in_words(conditions: dict[str, Any]) -> str:
    """Conditions in words, for lists and the supervisor screen."""
    parts = []
    for key in CONDITIONS:
        if key not in conditions:
            continue
        values = as_list(conditions[key])
        if key == "contract" and isinstance(conditions[key], bool):
            parts.append(_("has a contract line") if conditions[key] else _("no contract line"))
            continue
        shown = [code_label(key, v) if key in _VALUE_KEYS else str(v) for v in values]
        parts.append(_(_CONDITION_WORDS[key]).format(values=_(" or ").join(shown)))
    return " · ".join(parts) or _("every case")


#: A condition in words, its values joined by "or".
_CONDITION_WORDS = {
    "area": N_("area {values}"),
    "priority": N_("priority {values}"),
    "severity": N_("severity {values}"),
    "channel": N_("channel {values}"),
    "tier": N_("tier {values}"),
    "product": N_("product {values}"),
    "contract": N_("contract {values}"),
    "keywords": N_("keyword {values}"),
    "subject": N_("subject keyword {values}"),
    "description": N_("description keyword {values}"),
}
