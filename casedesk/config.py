"""Settings from flags, the environment and the config file in platformdirs' config dir.

Precedence, for each setting: command-line flag > environment variable > config file >
built-in default. The config file is TOML (``config.toml``); its keys are the fields of
:class:`Settings` (``database_url``, ``agent``, ``reopen_days`` and a ``[keymap]`` table of
binding id → key). :func:`load_settings` reads and checks everything once, at the edge
(the CLI's state, the workstation's start); nothing below it reads the file.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import platformdirs

from casedesk.errors import ConfigError
from casedesk.i18n import N_, _, choose_language

APP_NAME = "casedesk"
ENV_DATABASE_URL = "CASEDESK_DATABASE_URL"
ENV_AGENT = "CASEDESK_AGENT"
ENV_CONFIG_DIR = "CASEDESK_CONFIG_DIR"
ENV_DATA_DIR = "CASEDESK_DATA_DIR"


def config_dir() -> Path:
    """Where ``config.toml`` lives (``CASEDESK_CONFIG_DIR`` overrides, for tests)."""
    override = os.environ.get(ENV_CONFIG_DIR)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Where the default SQLite database lives (``CASEDESK_DATA_DIR`` overrides)."""
    override = os.environ.get(ENV_DATA_DIR)
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_path() -> Path:
    return config_dir() / "config.toml"


def read_config_file() -> dict[str, object]:
    """The config file as a dict; empty when there is none. A broken file is a ConfigError."""
    path = config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(_("cannot read {file}: {reason}; fix or delete the file").format(
            file=path, reason=exc)) from None


def write_config_value(key: str, value: str) -> Path:
    """Set one top-level string key in the config file, keeping everything else (tables too)."""
    data = read_config_file()
    data[key] = value
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(_dump_toml(data), encoding="utf-8")
    tmp.replace(path)
    return path


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _dump_toml(data: dict[str, object]) -> str:
    """The small TOML subset the config file uses: scalars, lists and one level of tables."""
    scalars = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = []
    for name, table in data.items():
        if isinstance(table, dict):
            body = [f"{k} = {_toml_value(v)}" for k, v in table.items()]
            tables.append(f"[{name}]\n" + "\n".join(body))
    return "\n".join(scalars) + "\n" + "".join(f"\n{t}\n" for t in tables)


def default_database_url() -> str:
    path = data_dir() / "casedesk.db"
    return f"sqlite:///{path}"


def resolve_database_url(flag: str | None = None, data: dict[str, object] | None = None) -> str:
    """``--db`` > ``CASEDESK_DATABASE_URL`` > config file > the default SQLite file.

    An empty ``--db ''`` is a mistake (a shell variable that was not set), not a request
    for the default: it is refused. An empty environment variable counts as unset.
    """
    if flag is not None:
        if not flag.strip():
            raise ConfigError(_(
                "--db is empty: give a database URL, e.g. sqlite:///casedesk.db or "
                "postgresql://USER@HOST/DB (or leave --db out for the default)"
            ))
        return flag
    env = os.environ.get(ENV_DATABASE_URL)
    if env:
        return env
    configured = (read_config_file() if data is None else data).get("database_url")
    if isinstance(configured, str) and configured:
        return configured
    if configured is not None and configured != "":
        raise ConfigError(_("{file}: database_url must be a string, not {value}").format(
            file=config_path(), value=repr(configured)))
    return default_database_url()


def resolve_agent_login(
    flag: str | None = None,
    *,
    fallback_to_os_user: bool = True,
    data: dict[str, object] | None = None,
) -> str | None:
    """``--as`` > ``CASEDESK_AGENT`` > config file > the OS user name (as a last resort).

    An empty ``--as ''`` is refused rather than read as "whoever the OS says".
    """
    if flag is not None:
        if not flag.strip():
            raise ConfigError(_("--as is empty: give an agent's login (or leave --as out)"))
        return flag
    env = os.environ.get(ENV_AGENT)
    if env:
        return env
    configured = (read_config_file() if data is None else data).get("agent")
    if isinstance(configured, str) and configured:
        return configured
    if configured is not None and configured != "":
        raise ConfigError(_("{file}: agent must be a login (a string), not {value}").format(
            file=config_path(), value=repr(configured)))
    if not fallback_to_os_user:
        return None
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is a normal situation in containers
        return None


#: Days after closing within which an agent (not only a supervisor) may reopen a case.
DEFAULT_REOPEN_DAYS = 7
MAX_REOPEN_DAYS = 3650
#: How often the SLA clock ticks (seconds), and the range a config file may set.
DEFAULT_TICK_SECONDS = 60
TICK_RANGE = (5, 3600)
_KEYS = ("database_url", "agent", "reopen_days", "sla_tick_seconds", "offline_returns_cases",
         "keymap", "language", "mail")


@dataclass(frozen=True)
class Settings:
    """Every setting, typed and checked: what the CLI and the workstation run with."""

    database_url: str
    #: The login given by ``--as``, ``CASEDESK_AGENT`` or the config file (no OS fallback).
    agent_login: str | None = None
    reopen_days: int = DEFAULT_REOPEN_DAYS
    #: Seconds between two ticks of the SLA clock (the workstation and ``casedesk worker``).
    sla_tick_seconds: int = DEFAULT_TICK_SECONDS
    #: Going offline returns the agent's untouched (still ``new``) cases to their queues.
    offline_returns_cases: bool = True
    #: Textual binding id → key(s), e.g. ``{"go-inbox": "f9"}``.
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The language the person reads (``en``, ``es``): see :mod:`casedesk.i18n`.
    language: str = "en"
    #: The ``[mail]`` table as written (checked by :func:`smtp_settings`).
    mail: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def login_or_os_user(self) -> str | None:
        """The configured login, else the OS user name (the CLI's last resort)."""
        if self.agent_login:
            return self.agent_login
        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name is a normal situation in containers
            return None


def load_settings(
    db_flag: str | None = None, as_flag: str | None = None, lang_flag: str | None = None
) -> Settings:
    """Flags, environment and config file → :class:`Settings`; a wrong value in the file is
    a :class:`ConfigError` naming the key, the file and what it should be."""
    data = read_config_file()
    unknown = sorted(k for k in data if k not in _KEYS)
    if unknown:
        raise ConfigError(_(
            "{file}: unknown setting {key} (known: {known}); fix or remove it"
        ).format(file=config_path(), key=repr(unknown[0]), known=", ".join(_KEYS)))
    return Settings(
        database_url=resolve_database_url(db_flag, data),
        agent_login=resolve_agent_login(as_flag, fallback_to_os_user=False, data=data),
        reopen_days=_whole("reopen_days", data.get("reopen_days", DEFAULT_REOPEN_DAYS),
                           0, MAX_REOPEN_DAYS, _WHOLE_DAYS),
        sla_tick_seconds=_whole("sla_tick_seconds",
                                data.get("sla_tick_seconds", DEFAULT_TICK_SECONDS),
                                *TICK_RANGE, _WHOLE_SECONDS),
        offline_returns_cases=_flag("offline_returns_cases",
                                    data.get("offline_returns_cases", True)),
        keymap=MappingProxyType(_keymap(data.get("keymap", {}))),
        language=choose_language(lang_flag, data),
        mail=MappingProxyType(_mail_table(data.get("mail", {}))),
    )


_WHOLE_DAYS = N_("{file}: {key} must be a whole number of days from {low} to {high}, not "
                 "{value}")
_WHOLE_SECONDS = N_("{file}: {key} must be a whole number of seconds from {low} to {high}, "
                    "not {value}")


def _whole(key: str, value: object, low: int, high: int, words: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(_(words).format(file=config_path(), key=key, low=low, high=high,
                                          value=repr(value)))
    return value


def _flag(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(_("{file}: {key} must be true or false, not {value}").format(
            file=config_path(), key=key, value=repr(value)))
    return value


def _keymap(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise ConfigError(_(
            '{file}: [keymap] must be a table of binding = "key", e.g. go-inbox = "f9"'
        ).format(file=config_path()))
    return dict(value)


# --- mail (docs/mail.md) ---------------------------------------------------------------

#: ``[mail]`` key → (environment variable, kind): the SMTP server the outbox goes to
MAIL_KEYS: dict[str, tuple[str, str]] = {
    "host": ("CASEDESK_SMTP_HOST", "text"),
    "port": ("CASEDESK_SMTP_PORT", "port"),
    "starttls": ("CASEDESK_SMTP_STARTTLS", "flag"),
    "ssl": ("CASEDESK_SMTP_SSL", "flag"),
    "username": ("CASEDESK_SMTP_USERNAME", "text"),
    "password": ("CASEDESK_SMTP_PASSWORD", "text"),
    "from": ("CASEDESK_MAIL_FROM", "address"),
    "timeout": ("CASEDESK_SMTP_TIMEOUT", "seconds"),
    "max_attempts": ("CASEDESK_SMTP_MAX_ATTEMPTS", "count"),
    "retry_seconds": ("CASEDESK_SMTP_RETRY_SECONDS", "seconds"),
    "max_retry_seconds": ("CASEDESK_SMTP_MAX_RETRY_SECONDS", "seconds"),
    "send_every": ("CASEDESK_MAIL_SEND_EVERY", "seconds"),
    "socket": ("CASEDESK_MAIL_SOCKET", "text"),
}
_FIELDS = {"from": "from_address"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _mail_table(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ConfigError(_('{file}: [mail] must be a table (host = "smtp.example.com")')
                          .format(file=config_path()))
    unknown = sorted(k for k in value if k not in MAIL_KEYS)
    if unknown:
        raise ConfigError(_("{file}: unknown [mail] setting {key!r} (known: {known}); fix or "
                            "remove it").format(file=config_path(), key=unknown[0],
                                                known=", ".join(MAIL_KEYS)))
    return dict(value)


def _mail_value(key: str, kind: str, raw: object, where: str) -> object:
    """One ``[mail]`` value checked (``raw`` from the file, or a string from the
    environment); a wrong one is a ConfigError naming ``where``."""
    text = raw.strip() if isinstance(raw, str) else raw
    if kind == "flag":
        if isinstance(text, bool):
            return text
        if isinstance(text, str) and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ConfigError(_("{where}: {key} must be true or false, not {value!r}").format(
            where=where, key=key, value=raw))
    if kind in ("port", "count", "seconds"):
        low, high = {"port": (1, 65535), "count": (1, 100), "seconds": (1, 86400)}[kind]
        number = text
        if isinstance(text, str):
            number = int(text) if text.isdigit() else None
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise ConfigError(_("{where}: {key} must be a whole number from {low} to {high}, "
                                "not {value!r}").format(where=where, key=key, low=low,
                                                        high=high, value=raw))
        return number
    if not isinstance(text, str) or (kind != "text" and not text):
        raise ConfigError(_("{where}: {key} must be a string, not {value!r}").format(
            where=where, key=key, value=raw))
    if kind == "address" and ("@" not in text or any(c in text for c in "\r\n")):
        raise ConfigError(_("{where}: {key} must be an e-mail address, not {value!r}").format(
            where=where, key=key, value=raw))
    return text


def mail_settings(settings: Settings | None = None) -> dict[str, object]:
    """The ``[mail]`` settings, environment over file, checked: field name → value (only
    those given). ``host`` absent means the desk sends no mail (the outbox just fills)."""
    table = dict(settings.mail) if settings is not None else _mail_table(
        read_config_file().get("mail", {}))
    values: dict[str, object] = {}
    for key, (env, kind) in MAIL_KEYS.items():
        raw: object = os.environ.get(env)
        where = env
        if raw in (None, ""):
            if key not in table:
                continue
            raw, where = table[key], f"{config_path()} [mail]"
        values[_FIELDS.get(key, key)] = _mail_value(key, kind, raw, where)
    return values
