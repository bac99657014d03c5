"""What screens and widgets ask of the workstation: small Textual messages.

Screens never import the app. A screen (or a widget on it) says what the agent wants by
posting one of these; it bubbles from the screen to the App, which handles it with ``@on``
(switches mode, tells the target screen, refreshes the lists). The target screen learns
about it from a message of its own that does not bubble (``ShowCase``, ``PrepareLog``,
``PreviewArticle``): the app never reaches into a concrete screen class.

Intent, upward (posted by screens and widgets, handled by the App):
``OpenCase``, ``LogForCase``, ``ShowArticle``, ``GoTo``, ``GoBack``, ``DataChanged``,
``CaseShown``, ``FirstDataShown``, ``WriteStarted``, ``WriteFinished``.

Orders, downward (posted by the App to the screen it has just switched to):
``ShowCase``, ``PrepareLog``, ``PreviewArticle``.
"""

from __future__ import annotations

from textual.message import Message

from casedesk.services.queries.views import CaseDetail

# --- upward: what the agent wants ------------------------------------------------------


class OpenCase(Message):
    """Show a case (by number or label) on the case screen."""

    def __init__(self, number: str | int) -> None:
        super().__init__()
        self.number = number


class LogForCase(Message):
    """Open the interaction log ready to save onto ``case``."""

    def __init__(self, case: CaseDetail) -> None:
        super().__init__()
        self.case = case


class ShowArticle(Message):
    """Open the knowledge screen on an article (``KB-000042``)."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label


class GoTo(Message):
    """Switch to one of the workstation's screens by mode name (see ``registry.SCREENS``)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode


class GoBack(Message):
    """Back to the screen shown before the current one."""


class DataChanged(Message):
    """This workstation changed something (or a change was refused on stale data):
    refresh the lists now rather than at the next poll."""


class CaseShown(Message):
    """The case screen now shows ``label`` (None: no case): the knowledge screen acts on it."""

    def __init__(self, label: str | None) -> None:
        super().__init__()
        self.label = label


class FirstDataShown(Message):
    """A screen has drawn rows: what can wait (the SLA targets) may load now."""


class WriteStarted(Message):
    """A change ``seq`` went to the database (said on the status line if it takes long)."""

    def __init__(self, seq: int) -> None:
        super().__init__()
        self.seq = seq


class WriteFinished(Message):
    """The change ``seq`` returned (done or refused)."""

    def __init__(self, seq: int) -> None:
        super().__init__()
        self.seq = seq


# --- downward: what the App tells the screen it switched to -----------------------------


class ShowCase(Message, bubble=False):
    """(To the case screen) show this case."""

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number


class PrepareLog(Message, bubble=False):
    """(To the interaction log) get ready to log onto ``case``."""

    def __init__(self, case: CaseDetail) -> None:
        super().__init__()
        self.case = case


class PreviewArticle(Message, bubble=False):
    """(To the knowledge screen) preview this article."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label
