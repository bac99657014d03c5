"""Read models of contracts, their lines, templates and entitlements (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from casedesk.services.queries.views import JsonMixin


@dataclass(frozen=True)
class LineStatus(JsonMixin):
    """A contract line and what it still allows on a given day.

    ``state``: ``ok`` (in force, something left), ``exhausted`` (in force, nothing left)
    or ``expired`` (outside its period, or its contract is not active). ``words``: the
    sentence an agent reads.
    """

    id: int
    contract_id: int
    contract_number: str
    contract_name: str
    name: str
    allotment: str
    total: int
    used: int
    left: int
    over: int
    starts: date | None
    ends: date | None
    state: str
    words: str

    @property
    def label(self) -> str:
        """``Incidencias fibra (CT-000001)``: how a line is named in a list."""
        return f"{self.name} ({self.contract_number})"


@dataclass(frozen=True)
class ContractView(JsonMixin):
    """A contract of an account with its lines."""

    id: int
    number: str
    account_id: int
    account: str
    name: str
    starts: date | None
    ends: date | None
    status: str
    lines: list[LineStatus] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateLine(JsonMixin):
    """A line a contract template creates."""

    name: str
    allotment: str
    total: int


@dataclass(frozen=True)
class TemplateView(JsonMixin):
    """A contract template: what a contract made from it holds, and for how long."""

    id: int
    name: str
    description: str
    duration_days: int
    lines: list[TemplateLine] = field(default_factory=list)


@dataclass(frozen=True)
class Proposal(JsonMixin):
    """What a new case for a contact may count against: every line of the account's
    contracts (best first) and the one proposed (None: no contract, or none in force)."""

    contact_id: int | None
    account_id: int | None
    account: str | None
    day: date
    lines: list[LineStatus]
    proposed: LineStatus | None
    words: str


@dataclass(frozen=True)
class Consumption(JsonMixin):
    """What one case or some minutes did to a line: its state when they were counted
    (``ok``, ``exhausted``, ``expired``) and the line afterwards."""

    state: str
    line: LineStatus

    def event_data(self) -> dict[str, object]:
        """What the case's create / time event records for billing."""
        return {
            "entitlement": self.state,
            "contract_line_id": self.line.id,
            "used": self.line.used,
            "total": self.line.total,
            "allotment": self.line.allotment,
        }
