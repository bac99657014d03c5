"""What every CLI command shares: the global flags, the database and the acting agent."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from casedesk import jsonsafe
from casedesk.clock import Clock, system_clock
from casedesk.config import Settings, load_settings
from casedesk.db import open_database
from casedesk.errors import ConfigError
from casedesk.services.context import Actor, Desk

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class CliState:
    db_flag: str | None = None
    as_flag: str | None = None
    json: bool = False
    clock: Clock = system_clock
    _desk: Desk | None = field(default=None, repr=False)
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """The flags, environment and config file, read and checked once."""
        if self._settings is None:
            self._settings = load_settings(self.db_flag, self.as_flag)
        return self._settings

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    def desk(self, *, check: bool = True, create: bool = False) -> Desk:
        """The service handle, on a database verified sound and at this program's schema.

        A SQLite file that does not exist is an error ("no database at …") unless
        ``create``: only ``db upgrade`` and ``demo`` make new databases.
        """
        if self._desk is None:
            engine = open_database(self.database_url, check=check, create=create)
            settings = self.settings
            self._desk = Desk(
                engine,
                self.clock,
                reopen_days=settings.reopen_days,
                offline_returns_cases=settings.offline_returns_cases,
            )
        return self._desk

    def actor(self) -> Actor:
        login = self.settings.login_or_os_user()
        if not login:
            raise ConfigError("who is acting? pass --as LOGIN or set CASEDESK_AGENT")
        return self.desk().actor(login)

    def optional_actor(self) -> Actor | None:
        login = self.settings.agent_login
        return self.desk().actor(login) if login else None

    def close(self) -> None:
        if self._desk is not None:
            self._desk.engine.dispose()
            self._desk = None


def print_json(value: Any) -> None:
    """One JSON document on stdout (read models know how to serialise themselves)."""
    if hasattr(value, "to_json"):
        value = value.to_json()
    elif isinstance(value, list):
        value = [v.to_json() if hasattr(v, "to_json") else v for v in value]
    sys.stdout.write(jsonsafe.dumps(value) + "\n")
