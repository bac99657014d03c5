"""A footer that fits the terminal: fewer keys shown when it is narrow, every key still works.

Textual's ``Footer`` draws every shown binding on one line and cuts what does not fit ("f5
Cas…" at 80 columns). :class:`DeskFooter` drops hints until the line fits: first the keys
that go to another screen (F2–F8: the same everywhere, listed by F1), then this screen's
own keys from the last; F1 Help and the command palette always stay. Only the hint goes:
the binding is untouched, so the key does what it did.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rich.cells import cell_len
from textual import events
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Actions of the keys that go elsewhere: the first hints given up on a narrow terminal.
_NAVIGATION_PREFIXES = ("go(", "app.go(", "presence", "app.presence")
_ALWAYS = ("help", "app.help")
_GUTTER = 1


def hint_width(key: FooterKey) -> int:
    """Cells one compact hint takes, with the gap after it."""
    width = cell_len(key.key_display)
    if key.description:
        width += 1 + cell_len(key.description)
    return width + _GUTTER


def fit_hints(keys: list[FooterKey], room: int) -> list[FooterKey]:
    """The hints kept in ``room`` cells: navigation given up first, then the screen's own
    keys from the last; the help key is never given up."""
    kept = list(keys)

    def total() -> int:
        return sum(hint_width(k) for k in kept)

    def drop(candidates: Iterable[FooterKey]) -> None:
        for key in reversed(list(candidates)):
            if total() <= room:
                return
            kept.remove(key)

    drop(k for k in keys if k.action.startswith(_NAVIGATION_PREFIXES))
    drop(k for k in kept if k.action not in _ALWAYS)
    return kept


class DeskFooter(Footer):
    """``Footer`` that gives up hints (not keys) until its line fits the width."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, compact=True)
        self._laid_for = -1

    def compose(self) -> Iterator[Widget]:
        made = list(super().compose())
        hints = [w for w in made if isinstance(w, FooterKey)]
        palette = [w for w in hints if w.has_class("-command-palette")]
        keys = [w for w in hints if w not in palette]
        if len(hints) != len(made):
            yield from made  # grouped keys: leave Textual's layout alone
            return
        width = self.app.size.width
        self._laid_for = width
        room = width - sum(hint_width(p) + 1 for p in palette)
        kept = fit_hints(keys, room) if width > 0 else keys
        self.styles.grid_size_columns = max(1, len(kept))
        yield from (w for w in made if w in kept or w in palette)

    def on_resize(self, event: events.Resize) -> None:
        if self.app.size.width != self._laid_for:
            self.call_after_refresh(self.recompose)
