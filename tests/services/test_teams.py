"""Teams on both databases: admins add them, give them agents and queues; the supervisor's
board shows a team supervisor only their team."""

from __future__ import annotations

import pytest

from casedesk.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from casedesk.services.directory import queue_setup, staff, teams
from casedesk.services.queries import board
from tests.conftest import World


def test_teams_own_agents_and_queues(world: World) -> None:
    team = teams.add_team(world.desk, world.admin, "Partner North", "outsourced")
    assert (team.name, team.members, team.queues) == ("Partner North", [], [])
    teams.set_member(world.desk, world.admin, "Partner North", "carmen", True)
    team = teams.set_queue(world.desk, world.admin, "Partner North", "commercial", True)
    assert (team.members, team.queues) == (["carmen"], ["commercial"])
    assert staff.get_agent(world.desk, "carmen").team == "Partner North"
    assert queue_setup.get_queue(world.desk, "commercial").team == "Partner North"
    assert [t.name for t in teams.list_teams(world.desk)] == ["Partner North"]
    team = teams.set_member(world.desk, world.admin, "Partner North", "carmen", False)
    assert team.members == [] and staff.get_agent(world.desk, "carmen").team is None
    with pytest.raises(ValidationError, match="not in team"):
        teams.set_member(world.desk, world.admin, "Partner North", "ana", False)


def test_only_admins_change_teams_and_names_are_unique(world: World) -> None:
    with pytest.raises(PermissionDenied, match="only admins may add teams"):
        teams.add_team(world.desk, world.sup, "Mine")
    teams.add_team(world.desk, world.admin, "T")
    with pytest.raises(PermissionDenied, match="only admins may change teams"):
        teams.set_member(world.desk, world.sup, "T", "ana", True)
    with pytest.raises(ConflictError, match="already exists"):
        teams.add_team(world.desk, world.admin, "T")


def test_a_team_supervisor_sees_only_their_team_on_the_board(world: World) -> None:
    teams.add_team(world.desk, world.admin, "North")
    staff.add_agent(world.desk, world.admin, login="tsup", name="Team Sup", role="supervisor")
    for login in ("tsup", "carmen"):
        teams.set_member(world.desk, world.admin, "North", login, True)
    teams.set_queue(world.desk, world.admin, "North", "commercial", True)
    tsup = world.desk.actor("tsup")
    assert [q.name for q in board.queue_loads(world.desk, viewer=tsup)] == ["commercial"]
    assert {a.login for a in board.agent_loads(world.desk, viewer=tsup)} == {"carmen", "tsup"}
    # the desk's own supervisor sees the desk's queues, not the team's; admins see all
    desk_queues = [q.name for q in board.queue_loads(world.desk, viewer=world.sup)]
    assert desk_queues == ["billing", "technical"]
    assert "carmen" not in {a.login for a in board.agent_loads(world.desk, viewer=world.sup)}
    everything = [q.name for q in board.queue_loads(world.desk, viewer=world.admin)]
    assert everything == ["billing", "commercial", "technical"]
    assert board.flagged_cases(world.desk, viewer=tsup).escalated == []


def test_team_members_change_in_one_transaction(world: World) -> None:
    teams.add_team(world.desk, world.admin, "Floor B")
    with pytest.raises(NotFound):
        teams.change_members(world.desk, world.admin, "Floor B", add=["ana", "nobody-here"])
    assert teams.get_team(world.desk, "Floor B").members == []
    team = teams.change_members(world.desk, world.admin, "Floor B", add=["ana", "luis"])
    assert sorted(team.members) == ["ana", "luis"]
    with pytest.raises(ValidationError, match="not in team"):
        teams.change_members(world.desk, world.admin, "Floor B", remove=["ana", "maria"])
    assert sorted(teams.get_team(world.desk, "Floor B").members) == ["ana", "luis"]


def test_queue_members_change_in_one_transaction(world: World) -> None:
    with pytest.raises(NotFound):
        queue_setup.change_members(world.desk, world.sup, "billing",
                                   add=["luis", "nobody-here"])
    assert sorted(queue_setup.get_queue(world.desk, "billing").members) == ["ana", "maria"]
    after = queue_setup.change_members(world.desk, world.sup, "billing",
                                       add=["luis", "carmen", "luis"], remove=["ana"])
    assert sorted(after.members) == ["carmen", "luis", "maria"]
