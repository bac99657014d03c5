"""The report screen's own words: the period choices and the charts' titles (marked for
the catalogue, translated where shown). Report titles, column headings and cells come
translated from the reports service (``ReportTable.title``, ``Column.heading``,
``reports.export.shown_rows``), as the CLI shows them."""

from __future__ import annotations

from casedesk.i18n import N_

#: Period names by key (``services.reports.periods``).
PERIODS = {
    "today": N_("Today"), "7d": N_("Last 7 days"), "30d": N_("Last 30 days"),
    "month": N_("This month"), "last-month": N_("Last month"), "year": N_("Last 365 days"),
}
#: Charts by report: their titles.
CHARTS = {"volume": N_("Volume over time"), "sla": N_("SLA compliance %"),
          "backlog": N_("Backlog by age"), "now": N_("Waiting now")}
