"""The site over HTTP (Starlette's test client): the flow, and every refusal — another
customer's case, a used or expired link, a missing or wrong CSRF token, the rate limit,
the honeypot. Both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from casedesk.db import read_session
from casedesk.models import Case
from casedesk.services.directory import customers
from casedesk.services.workflow import transitions
from casedesk.services.workflow.cases import create_case
from casedesk.web.app import CSRF_COOKIE, SESSION_COOKIE, WebConfig, create_app
from casedesk.web.ratelimit import RateLimit
from tests.conftest import World
from tests.web.helpers import OPTIONS, outbox, token_in, web_actor

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    web = WebConfig(world.desk, web_actor(world), OPTIONS, form_limit=RateLimit(3, 600),
                    link_limit=RateLimit(3, 600))
    with TestClient(create_app(web)) as c:
        yield c


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, html
    return match.group(1)


def _cases(world: World) -> int:
    with read_session(world.desk.engine) as s:
        return int(s.execute(select(func.count()).select_from(Case)).scalar_one())


def _form(client: TestClient, **extra: str) -> dict[str, str]:
    token = csrf_of(client.get("/").text)
    return {"csrf": token, "name": "Rosa Martín", "email": "rosa@example.com",
            "subject": "Sin internet", "description": "El router parpadea",
            "area": "technical", **extra}


def sign_in(client: TestClient, world: World, email: str = "juan.perez@example.com") -> None:
    page = client.get("/portal")
    client.post("/portal/link", data={"csrf": csrf_of(page.text), "email": email})
    token = token_in(outbox(world, "portal_link")[-1].body)
    confirm = client.get(f"/portal/signin?token={token}")
    done = client.post("/portal/signin", data={"csrf": csrf_of(confirm.text), "token": token},
                       follow_redirects=False)
    assert done.status_code == 303, done.text


def test_the_form_opens_a_case_and_headers_are_strict(client: TestClient, world: World
                                                      ) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"]
    assert CSRF_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    done = client.post("/request", data=_form(client))
    assert done.status_code == 200 and "CS-000001" in done.text
    assert _cases(world) == 1 and len(outbox(world, "ack")) == 1


def test_the_form_speaks_spanish(client: TestClient) -> None:
    assert 'lang="es"' in client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"}).text
    page = client.get("/?lang=es")
    assert "Cuéntanos" in page.text
    assert 'lang="es"' in client.get("/portal").text  # remembered in a cookie


@pytest.mark.parametrize("csrf", [None, "", "wrong"])
def test_a_form_without_its_csrf_token_is_refused(client: TestClient, world: World,
                                                  csrf: str | None) -> None:
    data = _form(client)
    if csrf is None:
        del data["csrf"]
    else:
        data["csrf"] = csrf
    assert client.post("/request", data=data).status_code == 403
    assert _cases(world) == 0


def test_a_filled_honeypot_creates_nothing(client: TestClient, world: World) -> None:
    done = client.post("/request", data=_form(client, website="http://spam.example"))
    assert done.status_code == 200 and "CS-" not in done.text
    assert _cases(world) == 0 and outbox(world) == []


def test_the_rate_limit_per_address(client: TestClient, world: World) -> None:
    codes = [client.post("/request", data=_form(client)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _cases(world) == 3


def test_signing_in_by_link_once(client: TestClient, world: World) -> None:
    page = client.get("/portal")
    sent = client.post("/portal/link", data={"csrf": csrf_of(page.text),
                                             "email": "juan.perez@example.com"})
    unknown = client.post("/portal/link", data={"csrf": csrf_of(page.text),
                                                "email": "nobody@example.com"})
    assert sent.text.count("link-sent") == unknown.text.count("link-sent") == 1
    token = token_in(outbox(world, "portal_link")[-1].body)
    assert len(outbox(world, "portal_link")) == 1
    confirm = client.get(f"/portal/signin?token={token}")  # a GET spends nothing
    assert confirm.headers["referrer-policy"] == "no-referrer"
    csrf = csrf_of(confirm.text)
    done = client.post("/portal/signin", data={"csrf": csrf, "token": token},
                       follow_redirects=False)
    assert done.status_code == 303
    cookie = [h for h in done.headers.get_list("set-cookie") if SESSION_COOKIE in h][0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert token not in cookie
    assert "Juan" in client.get("/portal").text
    # the same link again, in another browser: refused
    other = TestClient(client.app)
    again = other.get(f"/portal/signin?token={token}")
    refused = other.post("/portal/signin", data={"csrf": csrf_of(again.text), "token": token},
                         follow_redirects=False)
    assert refused.status_code == 403 and SESSION_COOKIE not in refused.headers.get(
        "set-cookie", "")


def test_an_expired_link_is_refused(client: TestClient, world: World) -> None:
    page = client.get("/portal")
    client.post("/portal/link", data={"csrf": csrf_of(page.text),
                                      "email": "juan.perez@example.com"})
    token = token_in(outbox(world, "portal_link")[-1].body)
    world.desk.clock.advance(timedelta(minutes=OPTIONS.link_minutes + 1))  # type: ignore[attr-defined]
    confirm = client.get(f"/portal/signin?token={token}")
    refused = client.post("/portal/signin", data={"csrf": csrf_of(confirm.text),
                                                  "token": token})
    assert refused.status_code == 403 and "expired" in refused.text


def test_secure_cookies_over_https(world: World) -> None:
    web = WebConfig(world.desk, web_actor(world), OPTIONS)
    with TestClient(create_app(web), base_url="https://portal.test") as c:
        assert "Secure" in c.get("/").headers["set-cookie"]


def test_another_customer_s_case_is_not_found(client: TestClient, world: World) -> None:
    eva = customers.add_contact(world.desk, name="Eva Otra", email="eva@example.com")
    theirs = create_case(world.desk, world.ana, title="Eva's secret", contact_id=eva,
                         queue="technical")
    mine = create_case(world.desk, world.ana, title="Mine", contact_id=world.contact_id,
                       queue="technical")
    sign_in(client, world)
    listing = client.get("/portal").text
    assert mine.label in listing and "Eva" not in listing
    page = client.get(f"/portal/cases/{theirs.label}")
    assert page.status_code == 404 and "secret" not in page.text
    csrf = csrf_of(client.get(f"/portal/cases/{mine.label}").text)
    for action, data in (("comment", {"text": "hola"}), ("accept", {}),
                         ("reject", {"reason": "no"}), ("survey", {"score": "5"})):
        answer = client.post(f"/portal/cases/{theirs.label}/{action}",
                             data={"csrf": csrf, **data})
        assert answer.status_code == 404, action
    assert client.get("/portal/cases/CS-999999").status_code == 404
    assert client.get("/portal/cases/not-a-number").status_code == 404


def test_portal_actions_need_the_session_s_csrf_token(client: TestClient, world: World
                                                      ) -> None:
    mine = create_case(world.desk, world.ana, title="Mine", contact_id=world.contact_id,
                       queue="technical")
    transitions.accept(world.desk, world.ana, mine.number)
    transitions.resolve(world.desk, world.ana, mine.number, "solved", "Hecho")
    sign_in(client, world)
    anonymous = client.cookies.get(CSRF_COOKIE)
    for data in ({}, {"csrf": "wrong"}, {"csrf": anonymous}):
        assert client.post(f"/portal/cases/{mine.label}/accept",
                           data=data).status_code == 403
    with read_session(world.desk.engine) as s:
        assert s.execute(select(Case.status)).scalar_one() == "resolved"
    # signed out: back to the sign-in page
    assert client.get("/portal/cases/CS-000001", follow_redirects=False).status_code == 200


def test_comment_accept_and_survey_over_http(client: TestClient, world: World) -> None:
    mine = create_case(world.desk, world.ana, title="Mine", contact_id=world.contact_id,
                       queue="technical")
    transitions.accept(world.desk, world.ana, mine.number)
    sign_in(client, world)
    url = f"/portal/cases/{mine.label}"
    csrf = csrf_of(client.get(url).text)
    sent = client.post(f"{url}/comment", data={"csrf": csrf, "text": "<b>[/]</b> hola"},
                       files={"file": ("foto.png", b"\x89PNG data", "image/png")})
    assert sent.status_code == 200
    assert "&lt;b&gt;[/]&lt;/b&gt; hola" in sent.text and "foto.png" in sent.text
    transitions.resolve(world.desk, world.ana, mine.number, "solved", "Cambiado el router")
    page = client.get(url)
    assert "Cambiado el router" in page.text
    assert client.post(f"{url}/accept", data={"csrf": csrf}).status_code == 200
    bad = client.post(f"{url}/survey", data={"csrf": csrf, "score": "9"})
    assert bad.status_code == 400
    rated = client.post(f"{url}/survey", data={"csrf": csrf, "score": "5", "remark": "Bien"})
    assert 'id="rated"' in rated.text
    with read_session(world.desk.engine) as s:
        case = s.execute(select(Case)).scalar_one()
    assert (case.status, case.satisfaction) == ("closed", 5)
    out = client.post("/portal/signout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get(url, follow_redirects=False).status_code == 303


def test_quotes_and_files_over_http(client: TestClient, world: World) -> None:
    from casedesk.services.portal import quotes

    mine = create_case(world.desk, world.ana, title="Mine", contact_id=world.contact_id,
                       queue="technical")
    transitions.accept(world.desk, world.ana, mine.number)
    quote = quotes.add_quote(world.desk, world.ana, mine.number, "99.90", description="Router")
    eva = customers.add_contact(world.desk, name="Eva Otra", email="eva@example.com")
    theirs = create_case(world.desk, world.ana, title="Eva's", contact_id=eva,
                         queue="technical")
    sign_in(client, world)
    url = f"/portal/cases/{mine.label}"
    page = client.get(url)
    assert "99,90" in page.text or "99.90" in page.text
    csrf = csrf_of(page.text)
    other = client.post(f"/portal/cases/{theirs.label}/quotes/{quote.id}",
                        data={"csrf": csrf, "decision": "approve"})
    assert other.status_code == 404
    done = client.post(f"{url}/quotes/{quote.id}", data={"csrf": csrf, "decision": "approve"})
    assert done.status_code == 200 and "approved" in done.text
    again = client.post(f"{url}/quotes/{quote.id}", data={"csrf": csrf, "decision": "decline"})
    assert again.status_code == 400
    client.post(f"{url}/comment", data={"csrf": csrf, "text": ""},
                files={"file": ("nota.txt", b"hola", "text/plain")})
    link = re.search(r'href="(/portal/cases/[^"]+/files/\d+)"', client.get(url).text)
    assert link
    got = client.get(link.group(1))
    assert got.content == b"hola" and "attachment" in got.headers["content-disposition"]
    stolen = link.group(1).replace(mine.label, theirs.label)
    assert client.get(stolen).status_code == 404
    anonymous = TestClient(client.app)
    assert anonymous.get(link.group(1), follow_redirects=False).status_code == 303


def test_switching_language_keeps_the_page(client: TestClient) -> None:
    page = client.get("/portal/signin?token=abc")
    assert 'href="/portal/signin?token=abc&amp;lang=es"' in page.text
    assert "Entrar y ver mis casos" in client.get("/portal/signin?token=abc&lang=es").text
