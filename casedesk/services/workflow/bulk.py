"""Bulk work: one operation on several cases, each its own guarded transaction and event.

:func:`apply_to_many` calls the existing workflow function once per case (``assign``,
``transfer``, ``resolve``, ``close``, or ``update_case`` for ``priority``); a case the
actor may not change, or that changed under them, is refused with the service's own reason
and the others go on. Nothing here decides who may do what — the workflow functions do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from casedesk.errors import CaseDeskError, ValidationError
from casedesk.i18n import _, ngettext
from casedesk.models import Priority
from casedesk.services.context import Actor, Desk
from casedesk.services.numbers import case_label, parse_case_number
from casedesk.services.queries.reads import get_case
from casedesk.services.workflow import cases, transitions

#: The operations and the arguments each one needs.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "assign": ("agent",),
    "transfer": ("queue",),
    "priority": ("priority",),
    "resolve": ("resolution_type", "notes"),
    "close": (),
}
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "assign": ("note", "override_capacity"),
    "transfer": ("note",),
    "priority": (),
    "resolve": (),
    "close": ("note",),
}


@dataclass
class BulkReport:
    """What one bulk operation did: the cases done and the ones refused, with why."""

    operation: str
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line: how many were done and how many refused."""
        done = ngettext("{n} case done", "{n} cases done", len(self.done)).format(
            n=len(self.done))
        if not self.refused:
            return done
        refused = ngettext("{n} refused", "{n} refused", len(self.refused)).format(
            n=len(self.refused))
        return _("{done}, {refused}").format(done=done, refused=refused)

    def lines(self) -> list[str]:
        """The summary, then one line per refused case saying why."""
        out = [self.summary()]
        out.extend(_("{case}: {reason}").format(case=case, reason=reason)
                   for case, reason in self.refused)
        return out


def _shown(number: int | str) -> str:
    """``CS-000123`` for anything that parses as a case number, else the text as given."""
    try:
        return case_label(parse_case_number(number))
    except CaseDeskError:
        return str(number)


def _unique(labels: Iterable[int | str]) -> list[int | str]:
    seen: set[str] = set()
    out: list[int | str] = []
    for item in labels:
        key = _shown(item).strip().upper()
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _check(operation: str, args: dict[str, Any]) -> None:
    if operation not in OPERATIONS:
        raise ValidationError(_("unknown bulk operation {name}: one of {names}").format(
            name=repr(operation), names=", ".join(OPERATIONS)))
    allowed = set(OPERATIONS[operation]) | set(_OPTIONAL[operation])
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise ValidationError(_("{operation} does not take {fields}").format(
            operation=operation, fields=", ".join(unknown)))
    for name in OPERATIONS[operation]:
        value = args.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationError(_("{operation} needs {field}").format(
                operation=operation, field=name))
    if operation == "priority" and args["priority"] not in {p.value for p in Priority}:
        raise ValidationError(_("priority must be one of {values}").format(
            values=", ".join(p.value for p in Priority)))


def _set_priority(desk: Desk, actor: Actor, number: int | str, *, priority: str) -> Any:
    case = get_case(desk, number)
    if case.priority == priority:
        raise ValidationError(_("{case} already has that priority").format(case=case.label))
    return cases.update_case(desk, actor, number, version=case.version, priority=priority)


_CALLS: dict[str, Callable[..., Any]] = {
    "assign": transitions.assign,
    "transfer": transitions.transfer,
    "priority": _set_priority,
    "resolve": transitions.resolve,
    "close": transitions.close,
}


def apply_to_many(
    desk: Desk, actor: Actor, labels: Sequence[int | str], operation: str, **args: Any
) -> BulkReport:
    """Apply ``operation`` to every case in ``labels`` (in order, duplicates once).

    Each case is one call of the workflow function, so one transaction and one event;
    a :class:`~casedesk.errors.CaseDeskError` refuses that case only. A bad operation or a
    missing argument is refused before any case is touched.
    """
    _check(operation, args)
    wanted = _unique(labels)
    if not wanted:
        raise ValidationError(_("select at least one case"))
    report = BulkReport(operation)
    call = _CALLS[operation]
    for number in wanted:
        try:
            detail = call(desk, actor, number, **args)
        except CaseDeskError as err:
            report.refused.append((_shown(number), str(err)))
        else:
            report.done.append(detail.label)
    return report
