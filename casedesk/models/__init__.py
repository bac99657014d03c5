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
    TaskStatus,
    Tier,
    Typification,
    UTCDateTime,
)
from casedesk.models.cases import Case, CaseEvent, Counter, Task, TimeEntry
from casedesk.models.config import BusinessCalendarRow, CaseTemplate, RoutingRule, SlaPolicy
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
from casedesk.models.people import Agent, Queue, QueueMember

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
    "Channel",
    "Contact",
    "Contract",
    "ContractLine",
    "Counter",
    "Direction",
    "Interaction",
    "Priority",
    "Product",
    "Queue",
    "QueueMember",
    "Role",
    "RoutingRule",
    "Severity",
    "SlaPolicy",
    "Status",
    "Task",
    "TaskStatus",
    "Tier",
    "TimeEntry",
    "Typification",
    "UTCDateTime",
]
