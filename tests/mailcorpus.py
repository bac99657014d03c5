"""A corpus of mail for ``casedesk mail receive``: real-world messages and awkward ones.

* ``tests/data/mail/cpython/`` — the 48 messages of CPython's own e-mail test suite
  (``Lib/test/test_email/data/msg_*.txt``, PSF licence): mail as real mailers wrote it
  (Postfix/qmail traces, MIME nesting, encoded words, broken multiparts, no From …).
* :func:`awkward` — messages built here, each with what the desk must do with it.
"""

from __future__ import annotations

from pathlib import Path

CPYTHON = Path(__file__).parent / "data" / "mail" / "cpython"


def real_world() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(CPYTHON.glob("msg_*.txt"))]


def _mail(headers: str, body: str | bytes = "Hola,\nno funciona.\n") -> bytes:
    head = headers.strip("\n").replace("\n", "\r\n").encode("utf-8")
    data = body if isinstance(body, bytes) else body.replace("\n", "\r\n").encode("utf-8")
    return head + b"\r\n\r\n" + data


_FROM = "From: Marta Gil <marta.gil@example.net>\nTo: soporte@desk.example\n"
_DATE = "Date: Mon, 30 Nov 2026 09:00:00 +0100\n"


def awkward() -> list[tuple[str, bytes, str | None]]:
    """``(name, message, expected)``: ``expected`` is None (stored) or a word of the
    refusal's reason."""
    boundary = "==b0undary=="
    attachment = (
        f"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\n"
    )
    big = "A" * 76 + "\r\n"
    huge_body = (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                 "Adjunto el registro.\r\n"
                 f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
                 "Content-Disposition: attachment; filename=\"router.log\"\r\n"
                 "Content-Transfer-Encoding: base64\r\n\r\n"
                 + big * 70000 + f"--{boundary}--\r\n")
    return [
        ("no Message-ID", _mail(_FROM + _DATE + "Subject: Sin Message-ID"), None),
        ("first of a Message-ID", _mail(
            _FROM + _DATE + "Subject: Primero\nMessage-ID: <same@example.net>",
            "El primero.\n"), None),
        ("another message reusing it", _mail(
            "From: Otro <otro@example.org>\n" + _DATE
            + "Subject: Segundo\nMessage-ID: <same@example.net>", "Otro distinto.\n"), None),
        ("8-bit UTF-8 headers", _mail(
            "From: José Núñez <jose.nunez@example.net>\n" + _DATE
            + "Subject: Facturación errónea — ¿por qué?\nMessage-ID: <utf8@example.net>"), None),
        ("8-bit Latin-1 headers", (
            b"From: Se\xf1or Mu\xf1oz <munoz@example.net>\r\nSubject: Factura a\xf1o 2026\r\n"
            b"Message-ID: <latin1@example.net>\r\n\r\nCuerpo en latin-1: a\xf1o\r\n"), None),
        ("HTML only", _mail(
            _FROM + _DATE + "Subject: Solo HTML\nMessage-ID: <html@example.net>\n"
            "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8",
            "<html><body><p>No tengo <b>línea</b></p><script>x()</script></body></html>"),
         None),
        ("attachments", _mail(
            _FROM + _DATE + "Subject: Con adjuntos\nMessage-ID: <att@example.net>\n"
            + attachment,
            f"--{boundary}\nContent-Type: text/plain\n\nVer adjunto.\n"
            f"--{boundary}\nContent-Type: image/png\n"
            "Content-Disposition: attachment; filename=\"foto.png\"\n"
            "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--" + boundary + "--\n"), None),
        ("huge (5 MB attachment)", _mail(
            _FROM + _DATE + "Subject: Registro grande\nMessage-ID: <huge@example.net>\n"
            + attachment, huge_body.encode()), None),
        ("empty body", _mail(_FROM + _DATE + "Subject: (vacío)\nMessage-ID: <empty@x.net>",
                             ""), None),
        ("no subject", _mail(_FROM + _DATE + "Message-ID: <nosubj@example.net>"), None),
        ("auto-reply", _mail(
            _FROM + _DATE + "Subject: Fuera de la oficina\nMessage-ID: <ooo@example.net>\n"
            "Auto-Submitted: auto-replied"), None),
        ("no sender", _mail("To: soporte@desk.example\nSubject: ¿Quién?\n"
                            "Message-ID: <nobody@example.net>"), "sender"),
        ("unreadable sender", _mail("From: not an address\nSubject: x\n"
                                    "Message-ID: <bad@example.net>"), "sender"),
        ("a loop from the desk", _mail(
            "From: soporte@desk.example\n" + _DATE + "Subject: [CS-000001] eco\n"
            "Message-ID: <loop@example.net>"), "loop"),
        ("the desk's own message back", _mail(
            _FROM + _DATE + "Subject: eco\nMessage-ID: <abc.CS-000001@casedesk.local>"),
         "loop"),
        ("over-long Message-ID", _mail(
            _FROM + _DATE + "Subject: x\nMessage-ID: <" + "x" * 600 + "@example.net>"),
         "Message-ID"),
        ("nothing at all", b"\r\n\r\n", "empty"),
    ]
