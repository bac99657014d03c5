"""SMTP: the settings, one message built, one connection that sends and says what happened.

Outcomes by the server's answer (RFC 5321): 2xx delivered; 5xx refused for good (the mail
is ``failed``, never retried); 4xx, a dropped connection, a timeout or a refused
connection are temporary (retried with backoff). Failing to connect, to start TLS or to
log in is ``unreachable``: the sender stops its pass instead of burning every mail's
attempts on a server that is down or misconfigured.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

#: SMTP settings' defaults (the config keys are in docs/mail.md)
DEFAULT_PORT = 25
DEFAULT_FROM = "casedesk@localhost"


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how the desk sends mail (``[mail]`` in config.toml, ``CASEDESK_SMTP_*``)."""

    host: str = "localhost"
    port: int = DEFAULT_PORT
    #: ``STARTTLS`` after connecting (port 587); ``ssl``: TLS from the start (port 465)
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = None
    from_address: str = DEFAULT_FROM
    #: seconds for connecting and for each SMTP command
    timeout: float = 30.0
    #: a mail is ``failed`` after this many temporary failures
    max_attempts: int = 8
    #: the first retry waits this long; each next one twice as long, up to the maximum
    retry_seconds: int = 60
    max_retry_seconds: int = 3600


@dataclass(frozen=True)
class Outcome:
    """What one send did."""

    ok: bool
    permanent: bool = False
    unreachable: bool = False
    error: str | None = None


def build_message(
    settings: SmtpSettings,
    *,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    in_reply_to: str | None,
    references: str | None,
    automatic: bool,
    date: datetime,
) -> EmailMessage:
    """The message as it goes on the wire (UTF-8 text, threading headers)."""
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    if automatic:
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message["X-Casedesk-Loop"] = settings.from_address  # `mail receive` refuses it back
    message.set_content(body or "\n", charset="utf-8")
    return message


def _said(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"[:500]


class SmtpTransport:
    """One SMTP connection, opened on the first send and again after a drop."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP
        if s.ssl:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage, to: str) -> Outcome:
        """Send one message to one recipient; never raises for what a server does."""
        if self._smtp is None:
            try:
                self._smtp = self._open()
            except smtplib.SMTPResponseException as exc:
                return Outcome(False, unreachable=True, error=_said(exc.smtp_code, exc.smtp_error))
            except (OSError, smtplib.SMTPException) as exc:
                return Outcome(False, unreachable=True,
                               error=f"cannot reach {self.settings.host}:{self.settings.port}: "
                               f"{exc}"[:500])
        try:
            refused = self._smtp.send_message(message, self.settings.from_address, [to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return Outcome(False, permanent=code >= 500, error=_said(code, text))
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, …
            self._reset()
            return Outcome(False, permanent=exc.smtp_code >= 500,
                           error=_said(exc.smtp_code, exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:  # dropped, timed out
            self.close()
            return Outcome(False, error=f"connection lost: {exc or type(exc).__name__}"[:500])
        if refused:
            code, text = next(iter(refused.values()))
            return Outcome(False, permanent=code >= 500, error=_said(code, text))
        return Outcome(True)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp = None
