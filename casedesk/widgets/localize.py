"""Key hints in the reader's language.

A Textual ``Binding``'s description is written in English in ``BINDINGS`` (extracted for
the catalogue: Babel reads a ``Binding``'s third argument) and copied into every node's
binding map when the node is made. :func:`localize_classes` gives every node class —
the desk's and Textual's own (Input, DataTable …) — translated copies, so nodes made
afterwards show them; :func:`localize_node` does the same for a node made already (a
screen made before it was pushed, or every node on a language switch).
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from casedesk.i18n import _, language

#: The language each class's bindings are in now.
_done: dict[type[DOMNode], str] = {}


def _translated(bindings: BindingsMap) -> BindingsMap:
    keys: dict[str, list[Binding]] = {}
    for key, entries in bindings.key_to_bindings.items():
        keys[key] = [
            replace(b, description=_(b.description) if b.description else b.description,
                    tooltip=_(b.tooltip) if b.tooltip else b.tooltip)
            for b in entries
        ]
    return BindingsMap.from_keys(keys)


def _classes(root: type[DOMNode]) -> list[type[DOMNode]]:
    found: list[type[DOMNode]] = []
    stack = [root]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def localize_classes() -> None:
    """Translate the bindings of every node class not yet in the current language."""
    now = language()
    for cls in _classes(DOMNode):
        if _done.get(cls) != now:
            cls._merged_bindings = _translated(cls._merge_bindings())
            _done[cls] = now


def localize_node(node: DOMNode) -> None:
    """Give ``node`` its class's bindings in the current language."""
    localize_classes()
    merged = type(node)._merged_bindings
    if merged is not None:
        node._bindings = merged.copy()
