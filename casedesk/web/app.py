"""The Starlette application of ``casedesk web``: the public form and the portal.

Why Starlette + Jinja2 (served by uvicorn): a small, well-kept ASGI toolkit with a test
client, server-rendered templates, and no build step — the portal is a handful of forms.

Security, in one place:

- **Sign-in** by a one-time link only (:mod:`casedesk.services.portal.signin`). The link
  opens a page whose button spends the token by POST, so a mail scanner that fetches
  links does not use it up; the token is the one secret ever put in a URL, and pages say
  ``Referrer-Policy: no-referrer``.
- **Session cookie** ``casedesk_portal``: random, stored hashed, ``HttpOnly``,
  ``SameSite=Lax``, ``Path=/``, and ``Secure`` when the site is served over https (the
  request's scheme — behind a TLS proxy run uvicorn with ``--proxy-headers`` so the
  scheme is https — or ``--base-url https://…``, or ``secure_cookies=True``).
- **CSRF**: every form carries a token. Signed in: the session's own token. Anonymous
  (the request form, the link request, the sign-in button): a random ``casedesk_csrf``
  cookie the form must repeat (double submit). A missing or wrong token is 403.
- **Anti-spam** on the public form and the link request: a per-IP rate limit (429) and a
  honeypot field (``website``, hidden from people) — a filled honeypot is answered like a
  success and creates nothing.
- **Headers**: a strict Content-Security-Policy (no inline script: there is none),
  ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``.

Language: ``?lang=es`` (remembered in a ``casedesk_lang`` cookie), else the cookie, else
``Accept-Language``; translations are looked up per request
(:func:`casedesk.services.portal.language.translator`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from casedesk.errors import (
    CaseDeskError,
    ConfigError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from casedesk.i18n import LANGUAGES
from casedesk.labels import codes
from casedesk.services.context import Actor, Desk
from casedesk.services.portal import PortalOptions, cases, form, signin
from casedesk.services.portal.language import best_language, label_in, translator
from casedesk.services.portal.signin import Customer
from casedesk.services.portal.tokens import new_token, same
from casedesk.web.ratelimit import RateLimit

HERE = Path(__file__).parent
SESSION_COOKIE = "casedesk_portal"
CSRF_COOKIE = "casedesk_csrf"
LANG_COOKIE = "casedesk_lang"
HONEYPOT = "website"
_BABEL = {"en": "en_GB", "es": "es_ES"}
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class WebConfig:
    """What ``casedesk web`` runs with."""

    desk: Desk
    #: the web's own login: the creator of cases from the form
    actor: Actor
    options: PortalOptions = field(default_factory=PortalOptions)
    #: where form cases go when no routing rule takes them (None: by area)
    queue: str | None = None
    #: the time zone times are shown in
    zone: str = "Europe/Madrid"
    #: Secure cookies always (True), never (False), or when the request is https (None)
    secure_cookies: bool | None = None
    form_limit: RateLimit = field(default_factory=lambda: RateLimit(5, 600))
    link_limit: RateLimit = field(default_factory=lambda: RateLimit(5, 600))


class Page:
    """One request's language, identity and helpers for the templates."""

    def __init__(self, web: WebConfig, request: Request) -> None:
        self.web = web
        self.request = request
        asked = request.query_params.get("lang")
        cookie = request.cookies.get(LANG_COOKIE)
        if asked in LANGUAGES:
            self.lang = asked
        elif cookie in LANGUAGES:
            self.lang = cookie
        else:
            self.lang = best_language(request.headers.get("accept-language"))
        self.switched = asked in LANGUAGES and asked != cookie
        self.tr = translator(self.lang)
        self.customer: Customer | None = None
        #: the anonymous double-submit token (set as a cookie when new)
        self.anon_csrf = request.cookies.get(CSRF_COOKIE) or ""
        self.new_anon_csrf = False
        if not self.anon_csrf or len(self.anon_csrf) > 128:
            self.anon_csrf = new_token()
            self.new_anon_csrf = True

    # --- what templates call ---
    def gettext(self, message: str) -> str:
        return self.tr.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.tr.ngettext(singular, plural, n)

    def label(self, vocabulary: str, code: object) -> str:
        return label_in(self.lang, vocabulary, code)

    def when(self, value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(ZoneInfo(self.web.zone))
        return format_datetime(local, "medium", locale=_BABEL[self.lang])

    def switch_url(self, code: str) -> str:
        """This page in the language ``code`` (its other query parameters kept)."""
        params = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        params["lang"] = code
        return f"{self.request.url.path}?{urlencode(params)}"

    def money(self, cents: int, currency: str) -> str:
        return format_currency(cents / 100, currency, locale=_BABEL[self.lang])

    @property
    def csrf(self) -> str:
        return self.customer.csrf if self.customer else self.anon_csrf

    def secure(self) -> bool:
        if self.web.secure_cookies is not None:
            return self.web.secure_cookies
        return self.request.url.scheme == "https" or \
            self.web.options.base_url.startswith("https://")

    # --- responses ---
    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        context |= {"page": self, "_": self.gettext, "ngettext": self.ngettext,
                    "languages": LANGUAGES}
        response = TEMPLATES.TemplateResponse(self.request, template, context,
                                              status_code=status)
        return self.finish(response)

    def redirect(self, url: str) -> Response:
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: Response) -> Response:
        for key, value in _HEADERS.items():
            response.headers.setdefault(key, value)
        if self.new_anon_csrf:
            response.set_cookie(CSRF_COOKIE, self.anon_csrf, httponly=True, samesite="lax",
                                secure=self.secure(), path="/")
        if self.switched:
            response.set_cookie(LANG_COOKIE, self.lang, max_age=365 * 86400,
                                samesite="lax", secure=self.secure(), path="/")
        return response

    def error(self, status: int, message: str) -> Response:
        return self.render("message.html", status=status, title=self.gettext("Sorry"),
                           message=message)


TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


Handler = Callable[[Page], Awaitable[Response]]


def create_app(web: WebConfig) -> Starlette:
    """The ASGI application."""

    def page(handler: Handler, *, signed_in: bool = False) -> Callable[[Request],
                                                                       Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            p = Page(web, request)
            p.customer = await run_in_threadpool(signin.session_of, web.desk,
                                                 request.cookies.get(SESSION_COOKIE))
            if signed_in and p.customer is None:
                return p.redirect("/portal")
            try:
                return await handler(p)
            except NotFound:
                return p.error(404, p.gettext("There is no such page, or it is not yours."))
            except PermissionDenied:
                return p.error(403, p.gettext("You may not do that."))
            except ConfigError:
                return p.error(503, p.gettext("The service desk cannot take requests right "
                                              "now. Please try again later or call us."))
        return endpoint

    async def form_fields(p: Page, *, signed_in: bool) -> dict[str, Any] | Response:
        """The posted fields, once the CSRF token checks out (else a 403 response)."""
        length = p.request.headers.get("content-length", "")
        if length.isdigit() and int(length) > cases.MAX_FILE + 256 * 1024:
            return p.error(413, p.gettext("The file is larger than {size} MB.").format(
                size=cases.MAX_FILE // (1024 * 1024)))
        data = await p.request.form(max_files=1, max_fields=50)
        fields: dict[str, Any] = dict(data)
        sent = fields.get("csrf")
        if signed_in:
            ok = p.customer is not None and isinstance(sent, str) and \
                signin.csrf_ok(p.customer, sent)
        else:
            cookie = p.request.cookies.get(CSRF_COOKIE) or ""
            ok = bool(cookie) and isinstance(sent, str) and same(cookie, sent)
        if not ok:
            return p.error(403, p.gettext("This form has expired. Go back, reload the page "
                                          "and send it again."))
        return fields

    # --- the public form ---
    async def home(p: Page) -> Response:
        return p.render("form.html", areas=codes("area"), values={}, problem=None)

    async def submit(p: Page) -> Response:
        fields = await form_fields(p, signed_in=False)
        if isinstance(fields, Response):
            return fields
        if str(fields.get(HONEYPOT) or ""):
            return p.render("thanks.html", receipt=None)  # a bot: say thanks, do nothing
        if not web.form_limit.allow(_client(p.request)):
            return p.error(429, p.gettext("Too many requests from your address. "
                                          "Please wait a few minutes and try again."))
        values = {k: str(fields.get(k) or "") for k in
                  ("name", "email", "phone", "subject", "description", "area")}
        try:
            receipt = await run_in_threadpool(
                form.submit, web.desk, web.actor, form.WebRequest(**values), queue=web.queue,
                lang=p.lang)
        except ValidationError as problem:
            return p.render("form.html", status=400, areas=codes("area"), values=values,
                            problem=str(problem))
        return p.render("thanks.html", receipt=receipt)

    # --- signing in ---
    async def portal(p: Page) -> Response:
        if p.customer is None:
            return p.render("signin.html", problem=None)
        rows = await run_in_threadpool(cases.my_cases, web.desk, p.customer, web.options)
        return p.render("cases.html", rows=rows)

    async def ask_link(p: Page) -> Response:
        fields = await form_fields(p, signed_in=False)
        if isinstance(fields, Response):
            return fields
        if str(fields.get(HONEYPOT) or ""):
            return p.render("link_sent.html")
        if not web.link_limit.allow(_client(p.request)):
            return p.error(429, p.gettext("Too many requests from your address. "
                                          "Please wait a few minutes and try again."))
        await run_in_threadpool(signin.request_link, web.desk, str(fields.get("email") or ""),
                                web.options, lang=p.lang)
        return p.render("link_sent.html")  # the same answer, known address or not

    async def confirm(p: Page) -> Response:
        token = p.request.query_params.get("token", "")
        return p.render("signin_confirm.html", token=token[:128])

    async def redeem(p: Page) -> Response:
        fields = await form_fields(p, signed_in=False)
        if isinstance(fields, Response):
            return fields
        try:
            new = await run_in_threadpool(signin.redeem_link, web.desk,
                                          str(fields.get("token") or ""), web.options)
        except PermissionDenied:
            return p.render("signin.html", status=403, problem=p.gettext(
                "This sign-in link is used, expired or not valid. Ask for a new one."))
        response = p.redirect("/portal")
        response.set_cookie(SESSION_COOKIE, new.cookie, httponly=True, samesite="lax",
                            secure=p.secure(), path="/",
                            max_age=web.options.session_hours * 3600)
        return response

    async def sign_out(p: Page) -> Response:
        fields = await form_fields(p, signed_in=True)
        if isinstance(fields, Response):
            return fields
        await run_in_threadpool(signin.sign_out, web.desk, p.request.cookies.get(SESSION_COOKIE))
        response = p.redirect("/portal")
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=p.secure())
        return response

    # --- a case ---
    def me(p: Page) -> Customer:
        if p.customer is None:  # the routes below are signed_in=True
            raise PermissionDenied("not signed in")
        return p.customer

    def number(p: Page) -> str:
        return str(p.request.path_params["number"])

    async def show_case(p: Page, problem: str | None = None, status: int = 200) -> Response:
        assert p.customer is not None
        view = await run_in_threadpool(cases.case_view, web.desk, p.customer, web.options,
                                       number(p))
        return p.render("case.html", status=status, view=view, problem=problem)

    async def case_page(p: Page) -> Response:
        return await show_case(p)

    async def act(p: Page, action: Callable[[dict[str, Any]], Any]) -> Response:
        fields = await form_fields(p, signed_in=True)
        if isinstance(fields, Response):
            return fields
        try:
            result = await action(fields)
        except (ValidationError, InvalidTransition) as problem:
            return await show_case(p, problem=str(problem), status=400)
        if isinstance(result, cases.Written) and result.follows:
            return p.redirect(f"/portal/cases/{result.label}")
        return p.redirect(f"/portal/cases/{number(p)}")

    async def add_comment(p: Page) -> Response:
        async def do(fields: dict[str, Any]) -> Any:
            upload = fields.get("file")
            file = None
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(cases.MAX_FILE + 1)
                file = (upload.filename, upload.content_type or "", data)
            return await run_in_threadpool(
                cases.comment, web.desk, web.actor, me(p), web.options, number(p),
                str(fields.get("text") or ""), file=file, lang=p.lang)
        return await act(p, do)

    async def accept(p: Page) -> Response:
        async def do(fields: dict[str, Any]) -> Any:
            return await run_in_threadpool(cases.accept, web.desk, me(p), web.options,
                                           number(p), lang=p.lang)
        return await act(p, do)

    async def reject(p: Page) -> Response:
        async def do(fields: dict[str, Any]) -> Any:
            return await run_in_threadpool(
                cases.reject, web.desk, web.actor, me(p), web.options, number(p),
                str(fields.get("reason") or ""), lang=p.lang)
        return await act(p, do)

    async def quote(p: Page) -> Response:
        async def do(fields: dict[str, Any]) -> Any:
            decision = str(fields.get("decision") or "")
            if decision not in ("approve", "decline"):
                raise ValidationError(p.gettext("Choose approve or decline."))
            return await run_in_threadpool(
                cases.decide_quote, web.desk, me(p), web.options, number(p),
                int(p.request.path_params["quote"]), decision == "approve", lang=p.lang)
        return await act(p, do)

    async def survey(p: Page) -> Response:
        async def do(fields: dict[str, Any]) -> Any:
            try:
                score = int(str(fields.get("score") or ""))
            except ValueError:
                raise ValidationError(p.gettext("Choose a score from 1 to 5.")) from None
            return await run_in_threadpool(
                cases.answer_survey, web.desk, me(p), web.options, number(p), score,
                str(fields.get("remark") or ""), lang=p.lang)
        return await act(p, do)

    async def download(p: Page) -> Response:
        assert p.customer is not None
        name, kind, data = await run_in_threadpool(
            cases.file_of, web.desk, p.customer, web.options, number(p),
            int(p.request.path_params["file"]))
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name) or "file"
        return p.finish(Response(data, media_type="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="{safe}"'}))

    routes = [
        Route("/", page(home)),
        Route("/request", page(submit), methods=["POST"]),
        Route("/portal", page(portal)),
        Route("/portal/link", page(ask_link), methods=["POST"]),
        Route("/portal/signin", page(confirm)),
        Route("/portal/signin", page(redeem), methods=["POST"]),
        Route("/portal/signout", page(sign_out, signed_in=True), methods=["POST"]),
        Route("/portal/cases/{number}", page(case_page, signed_in=True)),
        Route("/portal/cases/{number}/comment", page(add_comment, signed_in=True),
              methods=["POST"]),
        Route("/portal/cases/{number}/accept", page(accept, signed_in=True), methods=["POST"]),
        Route("/portal/cases/{number}/reject", page(reject, signed_in=True), methods=["POST"]),
        Route("/portal/cases/{number}/quotes/{quote:int}", page(quote, signed_in=True),
              methods=["POST"]),
        Route("/portal/cases/{number}/survey", page(survey, signed_in=True), methods=["POST"]),
        Route("/portal/cases/{number}/files/{file:int}", page(download, signed_in=True)),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    async def _desk_error(request: Request, exc: Exception) -> Response:
        return Page(web, request).error(400, str(exc))

    async def _missing(request: Request, exc: Exception) -> Response:
        p = Page(web, request)
        return p.error(404, p.gettext("There is no such page, or it is not yours."))

    return Starlette(routes=routes, exception_handlers={CaseDeskError: _desk_error,
                                                        404: _missing})
