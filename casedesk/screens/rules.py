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
from textual.widgets import DataTable, Footer, Header, Static

from casedesk.plain import cell, plain
from casedesk.screens import messages
from casedesk.screens.base import DeskScreen
from casedesk.services.routing import rule_files
from casedesk.services.routing.rule_files import RuleView

#: key, heading, width at 80 columns, width from 110 columns on.
_COLUMNS = (("position", "#", 2, 3), ("name", "Rule", 14, 20), ("when", "When", 22, 42),
            ("queue", "Queue", 10, 12), ("strategy", "Strategy", 14, 22),
            ("active", "On", 3, 3))


class RulesScreen(DeskScreen):
    """The routing rules in the order they are tried; reorder, enable, disable."""

    LABEL = "Routing rules"
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
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        wide = self.app.size.width >= 110
        for key, name, narrow, broad in _COLUMNS:
            table.add_column(name, key=key, width=broad if wide else narrow)
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
                cell(r.strategy + (f" · skills {', '.join(r.required_skills)}"
                                   if r.required_skills else "")),
                Text("yes", style="green") if r.active else Text("no", style="dim"),
                key=str(r.id),
            )
        names = [r.name for r in rules]
        if keep in names:
            table.move_cursor(row=names.index(keep))
        enabled = sum(r.active for r in rules)
        title = self.query_one("#rules-title", Static)
        title.update(cell(
            f"{len(rules)} rules, {enabled} on · the first enabled match routes · "
            "u/d move · e on/off" if rules else
            "No routing rules: load a file with `casedesk rules load FILE` (docs/routing.md)."
        ))

    @on(DataTable.RowHighlighted, "#rules-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted rule in full under the list (the columns cut long conditions)."""
        rule = next((r for r in self.rules if str(r.id) == str(event.row_key.value)), None)
        detail = self.query_one("#rules-detail", Static)
        if rule is None:
            detail.update("")
            return
        sets = ", ".join(f"sets {k} {v}" for k, v in (("priority", rule.set_priority),
                                                      ("severity", rule.set_severity)) if v)
        detail.update(plain(
            f"Rule {rule.position} {rule.name}: when {rule.when} → queue {rule.queue}, "
            f"{rule.strategy}" + (f", skills {', '.join(rule.required_skills)}"
                                  if rule.required_skills else "")
            + (f", {sets}" if sets else "") + ("" if rule.active else " (disabled)")
        ))

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
            self.notify("no rule selected", severity="warning")
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
            done=f"rule {rule.name!r} is now rule {target + 1}",
        )

    def action_switch(self) -> None:
        """Enable the selected rule, or disable it."""
        rule = self._selected()
        if rule is None:
            return
        self.operate(
            partial(rule_files.set_active, self.desk, self.actor, rule.name, not rule.active),
            then=lambda rules: self.show_rules(rules, select=rule.name),
            done=f"rule {rule.name!r} {'disabled' if rule.active else 'enabled'}",
        )

    def action_back(self) -> None:
        self.post_message(messages.GoBack())
