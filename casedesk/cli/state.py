"""What every CLI command shares: the global flags, the database and the acting agent.

Nothing here loads the database libraries until a command asks for the desk: the flags,
the settings and the consoles cost a few milliseconds, SQLAlchemy and the models hundreds.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console

from casedesk import jsonsafe
from casedesk.clock import Clock, system_clock
from casedesk.config import ENV_AGENT, Settings, load_settings
from casedesk.errors import ConfigError, NotFound, PasswordNeeded
from casedesk.i18n import _

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from casedesk.services.context import Actor, Desk

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class CliState:
    db_flag: str | None = None
    as_flag: str | None = None
    json: bool = False
    clock: Clock = system_clock
    #: Desks shared by several commands of one process (``casedesk batch``), by URL and
    #: whether the schema was checked; they outlive this state (the batch disposes them).
    pool: dict[tuple[str, bool], Desk] | None = field(default=None, repr=False)
    _desk: Desk | None = field(default=None, repr=False)
    _settings: Settings | None = field(default=None, repr=False)

    def set_flags(self, *, db: str | None = None, as_: str | None = None) -> None:
        """Take ``--db`` / ``--as`` (before or after the command); None leaves a flag as it is."""
        if db is None and as_ is None:
            return
        self.db_flag = db if db is not None else self.db_flag
        self.as_flag = as_ if as_ is not None else self.as_flag
        if self._desk is None:
            self._settings = None  # read again with the new flags

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
        ``create``: the first write (``demo``, ``agent add``, ``import``, ``sla load``) on a
        new SQLite file — or one without a schema — creates it at this program's schema;
        PostgreSQL still says to run ``casedesk db upgrade`` (an admin migrates a shared
        server). ``ask``: a server that wants a password is asked for it at the terminal
        (the workstation asks on its sign-in screen instead).
        """
        key = (self.database_url, check)
        if self._desk is None and self.pool is not None and key in self.pool:
            self._desk = self.pool[key]
        if self._desk is None:
            if create:
                self._create_sqlite_schema()
            engine = self._open(check=check, create=False, ask=ask)
            settings = self.settings
            from casedesk.services.context import Desk

            self._desk = Desk(
                engine,
                self.clock,
                reopen_days=settings.reopen_days,
                offline_returns_cases=settings.offline_returns_cases,
            )
            if self.pool is not None:
                self.pool[key] = self._desk
        return self._desk

    def _create_sqlite_schema(self) -> None:
        """A SQLite file that is missing, empty or holds no table at all gets the schema; one
        holding other tables is left alone (opening it then says to run ``db upgrade``)."""
        from casedesk.db import connect, current_revision, make_engine, normalise_url, upgrade

        if normalise_url(self.database_url).get_backend_name() != "sqlite":
            return
        engine = make_engine(self.database_url, create=True)
        try:
            if current_revision(engine) is not None:
                return
            with connect(engine) as conn:
                tables = conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table'").scalar()
            if not tables:
                upgrade(engine)
        finally:
            engine.dispose()

    def _open(self, *, check: bool, create: bool, ask: bool) -> Engine:
        """The engine; a server that wants a password asks for it once, on a terminal
        (libpq's PGPASSWORD, ~/.pgpass and service files are tried first, by libpq)."""
        from casedesk.db import open_database

        try:
            return open_database(self.database_url, check=check, create=create)
        except PasswordNeeded:
            if not ask or not sys.stdin.isatty():
                raise
        import typer  # the CLI's prompt; only when a person is at the terminal

        password = typer.prompt(_("database password"), hide_input=True, err=True)
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
        from casedesk.db import normalise_url

        return normalise_url(self.database_url).get_backend_name() != "sqlite"

    def actor(self) -> Actor:
        """The acting agent: on PostgreSQL the connected role (``--as`` for admins only),
        on SQLite the claimed login, else the OS user name."""
        desk = self.desk()
        if desk.shared:
            return desk.identify(self.claimed_login())
        login = self.settings.login_or_os_user()
        if not login:
            raise ConfigError(_("who is acting? pass --as LOGIN or set CASEDESK_AGENT"))
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
            if self.pool is None:
                self._desk.engine.dispose()
            self._desk = None


def print_json(value: Any) -> None:
    """One JSON document on stdout (read models know how to serialise themselves)."""
    if hasattr(value, "to_json"):
        value = value.to_json()
    elif isinstance(value, list):
        value = [v.to_json() if hasattr(v, "to_json") else v for v in value]
    sys.stdout.write(jsonsafe.dumps(value) + "\n")
