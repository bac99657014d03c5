"""The web form and the customer portal (``casedesk web``): thin, like the CLI.

Starlette routes (:mod:`.app`) parse a request, call a UI-free service of
:mod:`casedesk.services.portal` in a thread, and render a Jinja2 template; no SQL and no
business rules here. Security that belongs to HTTP lives here: cookies, CSRF tokens,
the per-IP rate limit (:mod:`.ratelimit`), the honeypot field, response headers.
"""
