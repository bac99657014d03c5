"""``casedesk agent status`` and ``casedesk queue strategy``: values checked, one-line errors."""

from __future__ import annotations

import json

from casedesk.services.queries import reads
from casedesk.services.workflow import cases
from tests.cli.test_cli import cli
from tests.conftest import World


def _url(world: World) -> str:
    return world.desk.engine.url.render_as_string(hide_password=False)


def _one_line_error(err: str) -> None:
    assert len(err.strip().splitlines()) == 1 and err.startswith("casedesk: ")
    assert "Traceback" not in err


def test_queue_strategy_and_list(world: World) -> None:
    url = _url(world)
    code, out, err = cli(url, "queue", "strategy", "billing", "round_robin", who="maria")
    assert code == 0, err
    assert out.strip() == "queue billing now assigns by round robin"
    code, out, _ = cli(url, "--json", "queue", "list", who="maria")
    assert {q["name"]: q["strategy"] for q in json.loads(out)}["billing"] == "round_robin"
    code, out, _ = cli(url, "queue", "list", who="maria")
    assert "strategy" in out and "round robin" in out
    # an unknown strategy is a usage error that lists the choices
    code, _, err = cli(url, "queue", "strategy", "billing", "lottery", who="maria")
    assert code == 2
    _one_line_error(err)
    assert "manual, round_robin, least_loaded, skills, affinity" in err
    # agents may not; an unknown queue is refused
    code, _, err = cli(url, "queue", "strategy", "billing", "manual", who="ana")
    assert code == 1
    _one_line_error(err)
    assert "only supervisors may change a queue's strategy" in err
    code, _, err = cli(url, "queue", "strategy", "nope", "manual", who="maria")
    assert code == 1
    _one_line_error(err)


def test_agent_status(world: World) -> None:
    url = _url(world)
    cli(url, "queue", "strategy", "commercial", "least_loaded", who="maria")
    held = cases.create_case(world.desk, world.sup, title="para carmen", queue="commercial")
    assert held.owner == "carmen"
    code, out, err = cli(url, "agent", "status", "away", who="carmen")
    assert code == 0, err
    assert out.strip() == "carmen is away"
    code, out, err = cli(url, "--json", "agent", "status", "OFFLINE", who="carmen")
    assert code == 0, err
    change = json.loads(out)
    assert change["status"] == "offline" and change["returned"] == [held.label]
    assert change["since"] is not None
    assert reads.get_case(world.desk, held.label).owner is None
    code, out, _ = cli(url, "agent", "status", "available", "--agent", "carmen", who="maria")
    assert code == 0 and out.strip() == "carmen is available"
    code, out, _ = cli(url, "--json", "agent", "list", who="maria")
    assert {a["login"]: a["status"] for a in json.loads(out)}["carmen"] == "available"


def test_agent_status_refusals(world: World) -> None:
    url = _url(world)
    code, _, err = cli(url, "agent", "status", "busy", who="ana")
    assert code == 2
    _one_line_error(err)
    assert "available, away, offline" in err
    code, _, err = cli(url, "agent", "status", "away", "--agent", "luis", who="ana")
    assert code == 1
    _one_line_error(err)
    assert "only supervisors may change another agent's status" in err
    code, _, err = cli(url, "agent", "status", "away", "--agent", "nadie", who="maria")
    assert code == 1
    _one_line_error(err)
    code, _, err = cli(url, "agent", "status", "away\x1b[31m", who="ana")
    assert code == 2
    _one_line_error(err)
    assert "\x1b" not in err
