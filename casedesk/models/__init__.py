"""SQLModel tables, one module per group of records. No behaviour beyond validation."""

from casedesk.models.base import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    AgentStatus,
    Area,
    ArticleStatus,
    Channel,
    Direction,
    Priority,
    Role,
    Severity,
    Status,
    Strategy,
    TaskStatus,
    Tier,
    TimeKind,
    Typification,
    UTCDateTime,
)
from casedesk.models.cases import Case, CaseEvent, Counter, Task, TimeEntry
from casedesk.models.config import (
    BusinessCalendarRow,
    CaseTemplate,
    CategorySkill,
    ClockLease,
    RoutingRule,
    SlaPolicy,
)
from casedesk.models.customers import (
    Account,
    AccountProduct,
    Contact,
    Contract,
    ContractLine,
    Product,
)
from casedesk.models.interactions import Interaction
from casedesk.models.knowledge import Article, ArticleLink
from casedesk.models.mail import OutboxMessage
from casedesk.models.people import Agent, Queue, QueueMember, Team
from casedesk.models.portal import PortalFile, PortalLink, PortalSession, Quote, SurveyAnswer  # noqa: F401,E501 - the portal's tables

__all__ = [
    "ACTIVE_STATUSES",
    "OPEN_STATUSES",
    "Account",
    "AccountProduct",
    "Agent",
    "AgentStatus",
    "Area",
    "Article",
    "ArticleLink",
    "ArticleStatus",
    "BusinessCalendarRow",
    "Case",
    "CaseEvent",
    "CaseTemplate",
    "CategorySkill",
    "ClockLease",
    "Channel",
    "Contact",
    "Contract",
    "ContractLine",
    "Counter",
    "Direction",
    "Interaction",
    "OutboxMessage",
    "Priority",
    "Product",
    "Queue",
    "QueueMember",
    "Role",
    "RoutingRule",
    "Severity",
    "SlaPolicy",
    "Status",
    "Strategy",
    "Task",
    "Team",
    "TaskStatus",
    "TimeKind",
    "Tier",
    "TimeEntry",
    "Typification",
    "UTCDateTime",
]
