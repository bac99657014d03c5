"""Routing rules, pure: the matching table (each condition kind, lists, accents and case in
keywords, AND, order, disabled rules), the reasons, and the rules-file parser (a property
test: any TOML/YAML value gives a rule set or one ValidationError, never a traceback)."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk.datafiles import parse_document
from casedesk.errors import ValidationError
from casedesk.services.routing.rule_files import parse_rules
from casedesk.services.routing.rules import Facts, NewCase, Rule, RuleSet

QUEUES = {"billing": 2, "technical": 1, "commercial": 3}


def rule(name: str, when: dict[str, Any], *, position: int = 1, active: bool = True,
         queue: str = "billing", **action: Any) -> Rule:
    """A compiled rule as :meth:`Rule.of` builds it from a row (no database)."""
    from casedesk.models import Queue, RoutingRule

    row = RoutingRule(id=position, name=name, position=position, active=active,
                      conditions=when, queue_id=QUEUES[queue], **action)
    return Rule.of(row, Queue(id=QUEUES[queue], name=queue, strategy="manual"))


def case(**values: Any) -> Facts:
    values.setdefault("title", "")
    values.setdefault("products", frozenset())
    values.setdefault("contracts", frozenset())
    return Facts(None, NewCase(**values))


@pytest.mark.parametrize(("when", "new", "matched", "why"), [
    # each condition kind, one value
    ({"area": "billing"}, {"area": "billing"}, True, "area billing"),
    ({"area": "billing"}, {"area": "technical"}, False, "area is technical, not billing"),
    ({"priority": "high"}, {"priority": "high"}, True, "priority high"),
    ({"severity": "critical"}, {"severity": "minor"}, False,
     "severity is minor, not critical"),
    ({"channel": "email"}, {"channel": "email"}, True, "channel email"),
    ({"channel": "email"}, {}, False, "channel is not known, not email"),
    ({"tier": "vip"}, {"tier": "vip"}, True, "tier vip"),
    ({"tier": "vip"}, {"tier": "standard"}, False, "tier is standard, not vip"),
    ({"product": "FIBRA-600"}, {"products": frozenset({"fibra-600", "tv"})}, True,
     "holds product FIBRA-600"),
    ({"product": "movil"}, {"products": frozenset({"TV"})}, False, "holds TV, not movil"),
    ({"product": "movil"}, {}, False, "holds no product movil"),
    ({"contract": True}, {"contracts": frozenset({"C-1", "Soporte Oro"})}, True,
     "has a contract line"),
    ({"contract": True}, {}, False, "has no contract line"),
    ({"contract": False}, {}, True, "has no contract line"),
    ({"contract": "soporte oro"}, {"contracts": frozenset({"C-1", "Soporte Oro"})}, True,
     "contract soporte oro"),
    ({"contract": "C-2"}, {"contracts": frozenset({"C-1"})}, False,
     "contract is C-1, not C-2"),
    # lists mean "any of"
    ({"area": ["billing", "commercial"]}, {"area": "commercial"}, True, "area commercial"),
    ({"priority": ["high", "medium"]}, {"priority": "low"}, False,
     "priority is low, not any of high, medium"),
    # keywords: case- and accent-insensitive, at the start of a word, title or description
    ({"keywords": "factura"}, {"title": "FACTURACIÓN duplicada"}, True, "keyword 'factura'"),
    ({"keywords": "facturación"}, {"title": "la facturacion"}, True,
     "keyword 'facturación'"),
    ({"keywords": "avería"}, {"description": "Tengo una AVERIA en casa"}, True,
     "keyword 'avería'"),
    ({"keywords": "sin servicio"}, {"title": "Llevo dos días sin  Servicio!"}, True,
     "keyword 'sin servicio'"),
    ({"keywords": "red"}, {"title": "Problema con el crédito"}, False,
     "no keyword 'red' in the subject or description"),
    ({"keywords": ["cobro", "recibo"]}, {"title": "Recibo de marzo"}, True,
     "keyword 'recibo'"),
    ({"subject": "factura"}, {"description": "factura"}, False,
     "no keyword 'factura' in the subject"),
    ({"description": "factura"}, {"description": "mi factura"}, True,
     "keyword 'factura' in the description"),
    # AND: every condition must hold; the first failing one is said
    ({"area": "billing", "tier": "vip"}, {"area": "billing", "tier": "vip"}, True,
     "area billing, tier vip"),
    ({"area": "billing", "tier": "vip"}, {"area": "billing", "tier": "gold"}, False,
     "tier is gold, not vip"),
    ({}, {}, True, "matches every case"),
])
def test_matching_table(when: dict[str, Any], new: dict[str, Any], matched: bool,
                        why: str) -> None:
    verdict = rule("r", when).check(case(**new))
    assert (verdict.matched, verdict.why) == (matched, why)


def test_first_active_rule_by_position_wins_and_disabled_rules_never_match() -> None:
    rules = RuleSet((
        rule("off", {"keywords": "factura"}, position=1, active=False, queue="technical"),
        rule("facturas", {"keywords": "factura"}, position=2),
        rule("todo", {}, position=3, queue="commercial"),
    ))
    facts = case(title="Factura")
    first = rules.first(facts)
    assert first is not None and first.rule.name == "facturas"
    assert first.line() == "rule 2 'facturas': keyword 'factura'"
    verdicts = rules.verdicts(facts)
    assert [(v.rule.name, v.matched, v.why) for v in verdicts] == [
        ("off", False, "disabled"), ("facturas", True, "keyword 'factura'"),
        ("todo", True, "matches every case")]
    other = rules.first(case(title="Nada que ver"))
    assert other is not None and other.rule.name == "todo"
    assert RuleSet(()).first(facts) is None


def test_rule_strategy_overrides_the_queue_s() -> None:
    assert rule("a", {}).effective_strategy == "manual"
    assert rule("b", {}, strategy="least_loaded").effective_strategy == "least_loaded"


# --- the rules file ------------------------------------------------------------------------

GOOD = """
[[rule]]
name = "facturas"
queue = "billing"
set_priority = "high"
required_skills = ["facturación"]
when = { keywords = ["factura", "cobro"], channel = "EMAIL" }

[[rule]]
name = "vip"
queue = "commercial"
strategy = "least_loaded"
position = 1
active = false
when = { tier = ["vip", "gold"], contract = true }

[categories.billing]
skills = ["facturación", "cobros"]
"""


def test_a_good_file_parses() -> None:
    parsed = parse_rules(tomllib.loads(GOOD))
    facturas, vip = parsed.rules
    assert facturas.conditions == {"keywords": ["factura", "cobro"], "channel": "email"}
    assert (facturas.queue, facturas.strategy, facturas.set_priority) == (
        "billing", "queue", "high")
    assert facturas.required_skills == ["facturación"] and facturas.position is None
    assert (vip.position, vip.active, vip.strategy) == (1, False, "least_loaded")
    assert vip.conditions == {"tier": ["vip", "gold"], "contract": True}
    assert parsed.categories == {"billing": ["facturación", "cobros"]}
    assert parse_rules(yaml.safe_load(
        "rules:\n  - name: x\n    queue: billing\n    when: {area: billing}\n")).rules[0].name \
        == "x"


@pytest.mark.parametrize(("data", "message"), [
    ({"rule": [{"queue": "billing"}]}, "the rules file: rule #1: a rule needs a name"),
    ({"rule": [{"name": "a"}]}, "rule 'a': queue: every rule sends cases to a queue"),
    ({"rule": [{"name": "a", "queue": "b", "colour": 1}]}, "rule 'a': unknown field 'colour'"),
    ({"rule": [{"name": "a", "queue": "b", "when": {"tier": "platinum"}}]},
     "rule 'a': when.tier: 'platinum' is not one of standard, gold, vip"),
    ({"rule": [{"name": "a", "queue": "b", "when": {"weather": "rain"}}]},
     "rule 'a': unknown condition 'weather'"),
    ({"rule": [{"name": "a", "queue": "b", "when": {"keywords": []}}]},
     "rule 'a': when.keywords: an empty list matches nothing"),
    ({"rule": [{"name": "a", "queue": "b", "when": {"keywords": "¡!"}}]},
     "rule 'a': when.keywords: '¡!' has no letters or digits"),
    ({"rule": [{"name": "a", "queue": "b", "strategy": "random"}]},
     "rule 'a': strategy: 'random' is not one of queue, manual"),
    ({"rule": [{"name": "a", "queue": "b", "position": True}]},
     "rule 'a': position: True is not a whole number"),
    ({"rule": [{"name": "a", "queue": "b", "active": "yes"}]},
     "rule 'a': active: 'yes' is not true or false"),
    ({"rule": [{"name": "a", "queue": "b", "set_severity": "huge"}]},
     "rule 'a': set_severity: 'huge' is not one of critical"),
    ({"rule": [{"name": "a", "queue": "b"}, {"name": "a", "queue": "c"}]},
     "rule 'a': name: two rules have this name"),
    ({"categories": {"legal": {"skills": ["x"]}}}, "category 'legal': 'legal' is not one of"),
    ({"rule": [{"name": "a\x00", "queue": "b"}]}, "the rules file: rule #1: name"),
    ({}, "no [[rule]] entries"),
    ([], "expected [[rule]] entries"),
])
def test_bad_files_say_the_rule_and_field(data: Any, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_rules(data)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_syntax_errors_are_one_line() -> None:
    for text, is_yaml in (("[[rule]\nname=", False), ("rules: [a, {", True)):
        with pytest.raises(ValidationError) as err:
            parse_document(text, yaml=is_yaml, where="f")
        assert "\n" not in str(err.value)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                     st.text(max_size=20),
                     st.sampled_from(["billing", "vip", "email", "high", "factura", "queue",
                                      "manual", "critical", "general"]))
_keys = st.sampled_from(["name", "queue", "when", "strategy", "position", "active",
                         "required_skills", "set_priority", "set_severity", "area", "tier",
                         "keywords", "product", "contract", "channel", "subject", "rule",
                         "categories", "skills", "billing", "x"])
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)), max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_values, st.fixed_dictionaries({"rule": st.lists(
    st.dictionaries(_keys, _values, max_size=8), max_size=3)},
    optional={"categories": st.dictionaries(_keys, _values, max_size=3)})))
def test_any_value_is_a_rule_set_or_one_validation_error(data: Any) -> None:
    try:
        parsed = parse_rules(data)
    except ValidationError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for spec in parsed.rules:
        assert spec.name and spec.queue


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.booleans())
def test_any_text_parses_or_is_one_validation_error(text: str, is_yaml: bool) -> None:
    try:
        parse_rules(parse_document(text, yaml=is_yaml, where="f"))
    except ValidationError as exc:
        assert "\n" not in str(exc)
