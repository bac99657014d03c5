"""Routing rules: the ordered list a supervisor keeps (position, name, conditions in words,
queue, strategy, enabled). Supervisors and admins only; opened with ``r`` from the
supervisor view.

Keys: ``u``/``d`` move the selected rule up/down, ``e`` enables or disables it, Escape goes
back. Rules are loaded from files with ``casedesk rules load`` (docs/routing.md).
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from casedesk.i18n import N_, _, ngettext
from casedesk.labels import label
from casedesk.plain import cell, plain
from casedesk.screens import messages
from casedesk.screens.base import DeskScreen
from casedesk.services.routing import rule_files
from casedesk.services.routing.rule_files import RuleView
from casedesk.widgets.footer import DeskFooter

#: key, heading, width at 80 columns, width from 110 columns on.
_COLUMNS = (("position", "#", 2, 3), ("name", N_("Rule"), 14, 20),
            ("when", N_("When"), 22, 42), ("queue", N_("Queue"), 10, 12),
            ("strategy", N_("Strategy"), 14, 22),
            # i18n: column heading: is the rule enabled (at most 3 letters)
            ("active", N_("On"), 3, 3))


class RulesScreen(DeskScreen):
    """The routing rules in the order they are tried; reorder, enable, disable."""

    LABEL = N_("Routing rules")
    DEFAULT_CSS = """
    RulesScreen #rules-table { height: 1fr; }
    RulesScreen #rules-detail { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "move(-1)", "Move up", id="rules-up"),
        Binding("d", "move(1)", "Move down", id="rules-down"),
        Binding("e", "switch", "Enable/disable", id="rules-toggle"),
        Binding("escape", "back", "Back", id="rules-back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rules: list[RuleView] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="rules-title", classes="pane-title")
        yield DataTable(id="rules-table", cursor_type="row")
        yield Static("", id="rules-detail")
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        wide = self.app.size.width >= 110
        for key, name, narrow, broad in _COLUMNS:
            table.add_column(_(name), key=key, width=broad if wide else narrow)
        table.focus()

    def refresh_data(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        self.load("rules", partial(rule_files.list_rules, self.desk), then=self.show_rules,
                  busy=None if self.rules else table)

    def show_rules(self, rules: list[RuleView], select: str | None = None) -> None:
        """Draw ``rules`` (every text through ``cell``), keeping or moving the cursor."""
        table = self.query_one("#rules-table", DataTable)
        keep = select or self.selected_name()
        self.rules = rules
        table.clear()
        for r in rules:
            table.add_row(
                str(r.position), cell(r.name), cell(r.when), cell(r.queue),
                cell(self._strategy(r)),
                Text(_("yes"), style="green") if r.active else Text(_("no"), style="dim"),
                key=str(r.id),
            )
        names = [r.name for r in rules]
        if keep in names:
            table.move_cursor(row=names.index(keep))
        enabled = sum(r.active for r in rules)
        title = self.query_one("#rules-title", Static)
        title.update(cell(
            ngettext("{n} rule, {enabled} on", "{n} rules, {enabled} on", len(rules)).format(
                n=len(rules), enabled=enabled)
            + " · " + _("the first enabled match routes · u/d move · e on/off") if rules else
            _("No routing rules: load a file with `casedesk rules load FILE` "
              "(docs/routing.md).")
        ))

    @staticmethod
    def _strategy(rule: RuleView) -> str:
        """The strategy in words, with the skills it needs."""
        words = label("strategy", rule.strategy)
        if not rule.required_skills:
            return words
        return _("{strategy} · skills {skills}").format(
            strategy=words, skills=", ".join(rule.required_skills))

    @on(DataTable.RowHighlighted, "#rules-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted rule in full under the list (the columns cut long conditions)."""
        rule = next((r for r in self.rules if str(r.id) == str(event.row_key.value)), None)
        detail = self.query_one("#rules-detail", Static)
        if rule is None:
            detail.update("")
            return
        sets = []
        if rule.set_priority:
            sets.append(_("sets priority {priority}").format(
                priority=label("priority", rule.set_priority)))
        if rule.set_severity:
            sets.append(_("sets severity {severity}").format(
                severity=label("severity", rule.set_severity)))
        text = _("Rule {position} {name}: when {when} → queue {queue}, {strategy}").format(
            position=rule.position, name=rule.name, when=rule.when, queue=rule.queue,
            strategy=label("strategy", rule.strategy))
        if rule.required_skills:
            text += ", " + _("skills {skills}").format(skills=", ".join(rule.required_skills))
        for part in sets:
            text += ", " + part
        if not rule.active:
            text = _("{rule} (disabled)").format(rule=text)
        detail.update(plain(text))

    def selected_name(self) -> str | None:
        table = self.query_one("#rules-table", DataTable)
        if not self.rules or table.cursor_row is None \
                or not 0 <= table.cursor_row < len(self.rules):
            return None
        return self.rules[table.cursor_row].name

    def _selected(self) -> RuleView | None:
        name = self.selected_name()
        rule = next((r for r in self.rules if r.name == name), None)
        if rule is None:
            self.notify(_("no rule selected"), severity="warning")
        return rule

    def action_move(self, step: int) -> None:
        """Move the selected rule one place up (-1) or down (1)."""
        rule = self._selected()
        if rule is None:
            return
        index = self.rules.index(rule)
        target = index + step
        if not 0 <= target < len(self.rules):
            return
        self.operate(
            partial(rule_files.move_rule, self.desk, self.actor, rule.name, target + 1),
            then=lambda rules: self.show_rules(rules, select=rule.name),
            done=_("rule “{name}” is now rule {position}").format(name=rule.name,
                                                                   position=target + 1),
        )

    def action_switch(self) -> None:
        """Enable the selected rule, or disable it."""
        rule = self._selected()
        if rule is None:
            return
        self.operate(
            partial(rule_files.set_active, self.desk, self.actor, rule.name, not rule.active),
            then=lambda rules: self.show_rules(rules, select=rule.name),
            done=(_("rule “{name}” disabled") if rule.active
                  else _("rule “{name}” enabled")).format(name=rule.name),
        )

    def action_back(self) -> None:
        self.post_message(messages.GoBack())
