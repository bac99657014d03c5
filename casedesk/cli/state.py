"""What every CLI command shares: the global flags, the database and the acting agent."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from casedesk import jsonsafe
from casedesk.clock import Clock, system_clock
from casedesk.config import ENV_AGENT, Settings, load_settings
from casedesk.db import normalise_url, open_database
from casedesk.errors import ConfigError, NotFound, PasswordNeeded
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

    def desk(self, *, check: bool = True, create: bool = False, ask: bool = True) -> Desk:
        """The service handle, on a database verified sound and at this program's schema.

        A SQLite file that does not exist is an error ("no database at …") unless
        ``create``: only ``db upgrade`` and ``demo`` make new databases. ``ask``: a server
        that wants a password is asked for it at the terminal (the workstation asks on its
        sign-in screen instead).
        """
        if self._desk is None:
            engine = self._open(check=check, create=create, ask=ask)
            settings = self.settings
            self._desk = Desk(
                engine,
                self.clock,
                reopen_days=settings.reopen_days,
                offline_returns_cases=settings.offline_returns_cases,
            )
        return self._desk

    def _open(self, *, check: bool, create: bool, ask: bool) -> Any:
        """The engine; a server that wants a password asks for it once, on a terminal
        (libpq's PGPASSWORD, ~/.pgpass and service files are tried first, by libpq)."""
        try:
            return open_database(self.database_url, check=check, create=create)
        except PasswordNeeded:
            if not ask or not sys.stdin.isatty():
                raise
        import typer  # the CLI's prompt; only when a person is at the terminal

        password = typer.prompt("database password", hide_input=True, err=True)
        return open_database(self.database_url, check=check, create=create, password=password)

    def claimed_login(self) -> str | None:
        """Who the flags say is acting: ``--as`` or ``CASEDESK_AGENT`` (and, on SQLite only,
        the config file's ``agent``)."""
        if self._shared():
            return self.as_flag or os.environ.get(ENV_AGENT) or None
        return self.settings.agent_login

    def _shared(self) -> bool:
        if self._desk is not None:
            return self._desk.shared
        return normalise_url(self.database_url).get_backend_name() != "sqlite"

    def actor(self) -> Actor:
        """The acting agent: on PostgreSQL the connected role (``--as`` for admins only),
        on SQLite the claimed login, else the OS user name."""
        desk = self.desk()
        if desk.shared:
            return desk.identify(self.claimed_login())
        login = self.settings.login_or_os_user()
        if not login:
            raise ConfigError("who is acting? pass --as LOGIN or set CASEDESK_AGENT")
        return desk.actor(login)

    def optional_actor(self) -> Actor | None:
        """The acting agent, or None when nobody is (SQLite: no login given; PostgreSQL: the
        connected role is no agent and nothing is claimed — the owner bootstrapping)."""
        desk = self.desk()
        if desk.shared:
            claimed = self.claimed_login()
            role = desk.session_role()
            if not claimed or claimed == role:
                try:
                    return desk.actor(role or "")
                except NotFound:
                    return None
            return desk.identify(claimed)
        login = self.settings.agent_login
        return desk.actor(login) if login else None

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
