"""Where messages go: an outbox folder of .eml files, or an SMTP server. The only module talking SMTP.

``send`` returns an ``Outcome`` per message: accepted, refused for good (5xx: the address is bad)
or refused for now after the retries ran out. Problems that would fail *every* message (cannot
connect, TLS or certificate failure, login refused, sender refused) raise ``DeliveryError`` so
the run stops instead of marking 10,000 subscribers failed.

Temporary problems — 4xx replies (421 included), dropped connections, timeouts — close the
connection, wait (exponential backoff: ``backoff``, 2×, 4× … capped at ``backoff_max``), reconnect
and try again, ``retries`` attempts in all.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from digest.config import Settings
from digest.errors import ConfigError, DeliveryError
from digest.output import write_atomic

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class Outcome:
    """What became of one message. ``permanent`` failures count towards a subscriber's bounce."""

    ok: bool
    permanent: bool = False
    reason: str = ""


SENT = Outcome(ok=True)


class Transport(Protocol):
    """Something that delivers one message to one recipient."""

    def send(self, sender: str, recipient: str, data: bytes, message_id: str) -> Outcome: ...

    def close(self) -> None: ...


class OutboxTransport:
    """Writes each message atomically to ``OUT/outbox/YYYY-MM-DD/<message-id>.eml``.

    The file name comes from the Message-ID, so re-sending the same message replaces its file.
    """

    def __init__(self, out_dir: str | Path, day: dt.date):
        self.folder = Path(out_dir) / "outbox" / day.isoformat()

    def path_for(self, message_id: str) -> Path:
        """The file a message with this Message-ID is written to."""
        local = message_id.strip("<>").split("@")[0]
        return self.folder / ("".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in local) + ".eml")

    def send(self, sender: str, recipient: str, data: bytes, message_id: str) -> Outcome:
        """Write the message; mode 0600, since it holds a subscriber's address and token."""
        write_atomic(self.path_for(message_id), data, mode=0o600)
        return SENT

    def close(self) -> None:
        """Nothing to close."""


def _reply_text(message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return " ".join(text.split())


class _Temporary(Exception):
    """A failure worth retrying; ``connecting`` when no connection could be made at all."""

    def __init__(self, reason: str, *, connecting: bool = False):
        super().__init__(reason)
        self.connecting = connecting


class SmtpTransport:
    """Sends over one reused SMTP connection, reconnecting as needed.

    ``sleep`` and ``monotonic`` are parameters so a caller can pace or observe waiting.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        password: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        smtp = settings.smtp
        if smtp.security == "none" and smtp.host.strip("[]").lower() not in LOCAL_HOSTS:
            raise ConfigError([
                f"smtp.security: 'none' sends in plain text and is only allowed for localhost "
                f"(127.0.0.1, ::1), not {smtp.host!r}; use starttls or ssl"
            ])
        if smtp.username and password is None:
            where = (f"the environment variable {smtp.password_env} is not set" if smtp.password_env
                     else "set it to the name of the environment variable that holds the password")
            raise ConfigError([f"smtp.password_env: no password for {smtp.username!r}: {where}"])
        self.smtp = smtp
        self.host = smtp.host.strip("[]")
        self.port = smtp.port or DEFAULT_PORTS[smtp.security]
        self.password = password
        self._sleep = sleep
        self._monotonic = monotonic
        self._conn: smtplib.SMTP | None = None
        self._on_connection = 0
        self._next_at = 0.0
        self.connections = 0
        self.retries = 0
        self._context = self._tls_context() if smtp.security != "none" else None

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()  # verifies the certificate and the host name
        if self.smtp.ca_file:
            try:
                context.load_verify_locations(cafile=self.smtp.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError([f"smtp.ca_file: cannot load {self.smtp.ca_file}: {exc}"]) from None
        return context

    def _connect(self) -> smtplib.SMTP:
        where = f"{self.host}:{self.port}"
        timeout = self.smtp.timeout
        try:
            if self.smtp.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=self._context)
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=timeout)
            try:
                conn.ehlo()
                if self.smtp.security == "starttls":
                    if not conn.has_extn("starttls"):
                        raise DeliveryError(f"{where} does not offer STARTTLS; refusing to send in plain text")
                    conn.starttls(context=self._context)
                    conn.ehlo()
                if self.smtp.username:
                    self._login(conn)
            except BaseException:
                conn.close()
                raise
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(f"{where}: certificate not trusted: {exc.verify_message} (see smtp.ca_file)") from None
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as exc:  # the peer hung up: worth retrying
            raise _Temporary(f"cannot connect to {where}: {exc}", connecting=True) from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"{where}: TLS failed: {exc}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"{where}: login refused for {self.smtp.username!r}: "
                                f"{exc.smtp_code} {_reply_text(exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(f"{where} does not offer AUTH on this connection; cannot log in") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise _Temporary(f"{where}: {exc.smtp_code} {_reply_text(exc.smtp_error)}", connecting=True) from None
            raise DeliveryError(f"{where}: {exc.smtp_code} {_reply_text(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Temporary(f"cannot connect to {where}: {exc or type(exc).__name__}", connecting=True) from None
        self.connections += 1
        self._on_connection = 0
        return conn

    def _login(self, conn: smtplib.SMTP) -> None:
        if not conn.has_extn("auth"):
            raise smtplib.SMTPNotSupportedError("AUTH")
        advertised = conn.esmtp_features["auth"].upper().split()
        # One mechanism, one try: smtplib's login() would replay refused credentials with each
        # mechanism the server offers (and some servers then stall).
        for mechanism in ("PLAIN", "LOGIN"):
            if mechanism in advertised:
                conn.user, conn.password = self.smtp.username, self.password or ""
                conn.auth(mechanism, getattr(conn, f"auth_{mechanism.lower()}"))
                return
        conn.login(self.smtp.username, self.password or "")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()  # no QUIT: the connection is in an unknown state
            except OSError:
                pass

    def _pace(self) -> None:
        if self.smtp.max_per_second > 0:
            wait = self._next_at - self._monotonic()
            if wait > 0:
                self._sleep(wait)
            self._next_at = max(self._next_at, self._monotonic()) + 1.0 / self.smtp.max_per_second

    def _attempt(self, sender: str, recipient: str, data: bytes) -> Outcome:
        """One try; raises _Temporary for what is worth retrying."""
        limit = self.smtp.max_per_connection
        if self._conn is not None and limit and self._on_connection >= limit:
            self.close()
        if self._conn is None:
            self._conn = self._connect()
        self._pace()
        self._on_connection += 1
        try:
            refused = self._conn.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except smtplib.SMTPSenderRefused as exc:
            if 400 <= exc.smtp_code < 500:
                raise _Temporary(f"sender refused: {exc.smtp_code} {_reply_text(exc.smtp_error)}") from None
            raise DeliveryError(f"the server refuses the sender {sender}: {exc.smtp_code} "
                                f"{_reply_text(exc.smtp_error)}") from None
        except smtplib.SMTPResponseException as exc:  # SMTPDataError, and 421 anywhere
            return self._classify(exc.smtp_code, exc.smtp_error, "message refused")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:  # drops and timeouts
            raise _Temporary(f"connection lost: {exc or type(exc).__name__}") from None
        except smtplib.SMTPException as exc:  # e.g. an extension the server lacks
            return Outcome(ok=False, reason=f"SMTP error: {exc}")
        # smtplib returns partial refusals as a dict instead of raising: one entry per refused
        # recipient. With one recipient per message it is either empty or names ours.
        if refused:
            code, message = refused.get(recipient) or next(iter(refused.values()))
            return self._classify(code, message, "recipient refused")
        return SENT

    @staticmethod
    def _classify(code: int, message: bytes | str, what: str) -> Outcome:
        reason = f"{what}: {code} {_reply_text(message)}"
        if 500 <= code < 600:
            return Outcome(ok=False, permanent=True, reason=reason)
        raise _Temporary(reason)

    def send(self, sender: str, recipient: str, data: bytes, message_id: str) -> Outcome:
        """Deliver one message, retrying temporary failures with exponential backoff."""
        attempts = self.smtp.retries
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(sender, recipient, data)
            except _Temporary as exc:
                self._drop()
                if attempt == attempts:
                    if exc.connecting:
                        raise DeliveryError(f"{exc} (after {attempts} attempts)") from None
                    return Outcome(ok=False, reason=f"{exc} (after {attempts} attempts)")
                self.retries += 1
                self._sleep(min(self.smtp.backoff * 2 ** (attempt - 1), self.smtp.backoff_max))
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Say goodbye politely (QUIT), then close."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()


def open_transport(settings: Settings, day: dt.date, **kwargs) -> Transport:
    """The transport chosen by ``email.transport``; the SMTP password is read from the environment."""
    if settings.email.transport == "smtp":
        password = os.environ.get(settings.smtp.password_env) if settings.smtp.password_env else None
        return SmtpTransport(settings, password=password, **kwargs)
    return OutboxTransport(settings.paths.out, day)
