"""The report screen's words: report titles, column headings and period names as the
reader's language writes them, and cells written for the locale.

The reports service names its reports and columns in English (the CLI and the CSV keep
those); the screen shows them through :func:`_`, and the English words are listed here so
that the catalogue holds them. A cell of a code column (channel, typification, resolution
type) is shown through the labels; numbers, percentages and days through
:mod:`casedesk.localformat`.
"""

from __future__ import annotations

from datetime import date, timedelta

from casedesk.durations import countdown
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.localformat import day, number, percent
from casedesk.screens.words import word
from casedesk.services.reports.views import Cell
from casedesk.textsafe import visible

#: The reports' titles (as ``services.reports`` names them).
TITLES = (
    N_("Cases opened, resolved and closed per day"), N_("Backlog by queue and age"),
    N_("SLA compliance per policy and deadline"), N_("First response and resolution time"),
    N_("Agent productivity"), N_("Call volume and duration by channel and type"),
    N_("Resolution types"), N_("Top categories and products"),
    N_("Entitlement consumption per contract"), N_("Customer satisfaction"),
    N_("The floor now"),
)
#: Column headings.
HEADINGS = (
    N_("Day"), N_("Opened"), N_("Resolved"), N_("Closed"), N_("Queue"), N_("Under 1 day"),
    N_("1–3 days"), N_("3–7 days"), N_("7–30 days"), N_("Over 30 days"), N_("Total"),
    N_("Policy"),
    N_("Deadline"), N_("Met"), N_("Breached"), N_("Pending"), N_("Compliance %"),
    N_("Measure"), N_("Cases"), N_("Median"), N_("90th percentile"),
    N_("Agent"), N_("Name"), N_("Handled"), N_("Minutes logged"), N_("Calls"),
    N_("Average handle time"), N_("Channel"), N_("Type"), N_("Interactions"),
    N_("Average time"), N_("Average after-call work"), N_("Resolution type"),
    N_("Share %"), N_("By"), N_("Category or product"), N_("Previous period"),
    N_("Change"), N_("Change %"), N_("Contract"), N_("Account"), N_("Line"), N_("Counts"),
    N_("Used"), N_("Left"), N_("Rated cases"), N_("Average rating"), N_("Waiting"),
    N_("Breaching within the hour"), N_("Agents available"),
)
#: Period names by key (``services.reports.periods``).
PERIODS = {
    "today": N_("Today"), "7d": N_("Last 7 days"), "30d": N_("Last 30 days"),
    "month": N_("This month"), "last-month": N_("Last month"), "year": N_("Last 365 days"),
}
#: Charts by report: their titles.
CHARTS = {"volume": N_("Volume over time"), "sla": N_("SLA compliance %"),
          "backlog": N_("Backlog by age"), "now": N_("Waiting now")}
#: Columns holding codes, and how each code is worded.
_CODES = {
    "channel": lambda v: label("channel", v),
    "typification": lambda v: label("typification", v),
    "resolution_type": lambda v: word("resolution", v),
}


def shown_cell(value: Cell, kind: str, key: str = "") -> str:
    """A report cell for the reader: ``—`` unknown, ``1.234``, ``3h 20m``, ``92,5 %``."""
    if value is None:
        return "—"
    if isinstance(value, date):
        return day(value)
    if isinstance(value, str):
        words = _CODES.get(key)
        return words(value) if words else visible(value, single_line=True)
    if kind == "seconds":
        return countdown(timedelta(seconds=round(value)))
    if kind == "percent":
        return percent(value / 100, 1)
    if kind == "average":
        return number(value, 2)
    if isinstance(value, float):
        return number(value, 1)
    return number(value)


def heading(text: str) -> str:
    """A column heading or report title in the reader's language."""
    return _(text)
