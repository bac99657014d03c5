"""One error hierarchy; every message is something a user can act on."""

from __future__ import annotations


class CaseDeskError(Exception):
    """Root of every error casedesk raises on purpose. ``exit_code`` is the CLI's."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(CaseDeskError):
    """A case, agent, queue … that does not exist."""


class PermissionDenied(CaseDeskError):
    """The acting agent may not do this."""


class InvalidTransition(CaseDeskError):
    """The case's status does not allow this operation."""


class ConflictError(CaseDeskError):
    """Somebody else changed the record first (a lost race or a stale version)."""


class CaseTaken(ConflictError):
    """The case is already in somebody's WIP bin."""

    def __init__(self, message: str, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder


class StaleVersion(ConflictError):
    """An update was based on an old version of the case."""


class QueueEmpty(CaseDeskError):
    """``next`` found nothing to take."""


class ValidationError(CaseDeskError):
    """Input that cannot be accepted as given."""


class ConfigError(CaseDeskError):
    """Bad flags, a bad database URL, an unreachable server, an old schema."""

    exit_code = 2


class PasswordNeeded(ConfigError):
    """The PostgreSQL server wants a password the connection did not give (or refused it)."""


class SchemaOutdated(ConfigError):
    """The database's schema is older than this program."""


class BinFull(CaseDeskError):
    """An agent's WIP bin already holds as many open cases as their capacity."""

    def __init__(self, message: str, wip: int = 0, capacity: int = 0) -> None:
        super().__init__(message)
        self.wip = wip
        self.capacity = capacity


class MailRefused(ValidationError):
    """A message handed to ``casedesk mail receive`` that the desk will not store (the MTA
    bounces it with this reason)."""
