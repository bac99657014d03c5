"""SLA time arithmetic."""

from casedesk.sla.calendar import BusinessCalendar

__all__ = ["BusinessCalendar"]
