"""``casedesk web``: serve the web form and the customer portal (Starlette on uvicorn).

The server acts as one agent login — the creator of the cases the form opens: ``--as
LOGIN`` on SQLite; on PostgreSQL the connected role, which should be an admin login of
its own (e.g. ``casedesk agent add web --role admin``, then ``user=web`` in the URL): the
portal's services confine each customer to their own cases, and the database lets the
role read the sign-in tables, which no agent group may. Mail goes through the outbox;
``casedesk worker`` delivers it.
"""

from __future__ import annotations

import typer

from casedesk import heap
from casedesk.cli import params
from casedesk.cli.state import CliState, console
from casedesk.i18n import _


def web(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help=_("Address to listen on.")),
    port: int = typer.Option(8080, "--port", help=_("Port to listen on."),
                             parser=params.integer("--port", 1, 65535)),
    base_url: str | None = typer.Option(
        None, "--base-url", metavar="URL",
        help=_("The site's address as customers reach it, for the links in mails "
               "(default: http://HOST:PORT). An https address makes cookies Secure.")),
    queue: str | None = typer.Option(
        None, "--queue", help=_("Queue for web requests no routing rule takes "
                                "(default: the first queue of the request's area).")),
    account_cases: bool = typer.Option(
        False, "--account-cases", help=_("Customers also see their account's cases.")),
    agent_names: bool = typer.Option(
        False, "--agent-names", help=_("Show agents' names on the customer's timeline.")),
    zone: str = typer.Option("Europe/Madrid", "--zone",
                             help=_("Time zone of the times customers read.")),
    link_minutes: int = typer.Option(
        30, "--link-minutes", help=_("Minutes a sign-in link stays valid."),
        parser=params.integer("--link-minutes", 1, 7 * 24 * 60)),
    proxy_headers: bool = typer.Option(
        False, "--proxy-headers",
        help=_("Trust X-Forwarded-For/-Proto from a reverse proxy on this machine (TLS "
               "there: cookies become Secure).")),
) -> None:
    import uvicorn

    from casedesk.errors import ConfigError
    from casedesk.services.portal import PortalOptions
    from casedesk.web.app import WebConfig, create_app

    try:
        import zoneinfo
        zoneinfo.ZoneInfo(zone)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        raise ConfigError(_("--zone: unknown time zone {zone!r}").format(zone=zone)) from None
    url = base_url or f"http://{host}:{port}"
    if not url.startswith(("http://", "https://")):
        raise ConfigError(_("--base-url must start with http:// or https://"))
    state: CliState = ctx.obj
    desk = state.desk()
    actor = state.actor()
    options = PortalOptions(account_cases=account_cases, show_agent_names=agent_names,
                            link_minutes=link_minutes, base_url=url)
    app = create_app(WebConfig(desk, actor, options, queue=queue, zone=zone))
    console.print(_("casedesk web: serving {url} as {login} (Ctrl-C stops)").format(
        url=url, login=actor.login), markup=False)
    heap.settle()
    uvicorn.run(app, host=host, port=port, proxy_headers=proxy_headers,
                forwarded_allow_ips="127.0.0.1" if proxy_headers else None, log_level="warning")


web.__doc__ = _("Serve the web form and the customer portal until stopped (Ctrl-C).")
