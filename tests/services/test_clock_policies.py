"""The policies of listed cases (what a list needs to count business time), on both
databases; and that a list row's business-time countdown is the case screen's."""

from __future__ import annotations

from datetime import timedelta

from casedesk.services.queries import clock_policies, reads
from casedesk.services.sla import explanations, policy_files
from casedesk.services.workflow import cases
from casedesk.widgets.sla import business_left
from tests.conftest import World


def test_policy_names_of_listed_cases(world: World) -> None:
    desk = world.desk
    bare = cases.create_case(desk, world.ana, title="sin política")  # no policies loaded yet
    policy_files.load_defaults(desk)
    high = cases.create_case(desk, world.ana, title="urgente", priority="high")
    low = cases.create_case(desk, world.ana, title="consulta", priority="low")
    found = clock_policies.policy_names(desk, [bare.id, high.id, low.id, high.id, 10**9])
    assert found == {bare.id: None, high.id: "high", low.id: "standard"}
    assert clock_policies.policy_names(desk, []) == {}


def test_a_rows_business_countdown_is_the_case_screens(world: World) -> None:
    desk = world.desk
    policy_files.load_defaults(desk)
    desk.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]  # Mon 12:00 Madrid
    case = cases.create_case(desk, world.ana, title="consulta", priority="low")
    targets = explanations.targets_by_name(desk)
    row = next(r for r in reads.wip_bin(desk, world.ana.id) if r.id == case.id)
    policy = clock_policies.policy_names(desk, [row.id])[row.id]
    assert policy is not None
    now = desk.now()
    in_list = business_left(targets[policy].calendar, now, row.due_at)
    detail = reads.get_case(desk, case.label)
    first = next(i for i in explanations.clock_infos(detail, now, targets[policy])
                 if i.kind == "first_response")
    assert in_list == first.left == timedelta(hours=4)
    assert row.due_at - now == timedelta(hours=5)  # the wall clock says 5 h: lunch is 14–15
