"""A real SMTP server for the delivery tests: aiosmtpd on 127.0.0.1, with scriptable faults.

``Recorder`` keeps every accepted message and can, per recipient and per attempt, answer 4xx/5xx
to RCPT or DATA, drop the connection in the middle of DATA, stall past the client's timeout, or
hold a message (to kill the sender while it is in flight). Used by tests/test_deliver*.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the email package (default policy)."""
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


class Recorder:
    """An aiosmtpd handler that records messages and misbehaves on request.

    ``rcpt_faults[address]`` and ``data_faults[address]`` are lists consumed one per attempt:
    ``None`` accepts, a string like ``"450 4.2.1 Try later"`` is the reply, ``"drop"`` aborts the
    connection, ``"stall"`` waits past the client's timeout. ``mail_faults`` is one list for MAIL.
    ``hold_after`` holds the message after that many accepted: it is recorded, ``in_flight`` set,
    and the reply waits until ``release`` is set (or the client is gone).
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_faults: dict[str, list[str | None]] = defaultdict(list)
        self.data_faults: dict[str, list[str | None]] = defaultdict(list)
        self.mail_faults: list[str | None] = []
        self.attempts: Counter[str] = Counter()
        self.hold_after: int | None = None
        self.in_flight = threading.Event()
        self.release = threading.Event()
        self.stall_seconds = 2.0
        self._lock = threading.Lock()

    def by_recipient(self) -> dict[str, list[Received]]:
        """Accepted messages grouped by (lower-cased) envelope recipient."""
        grouped: dict[str, list[Received]] = defaultdict(list)
        with self._lock:
            for item in self.received:
                for rcpt in item.rcpt_tos:
                    grouped[rcpt.lower()].append(item)
        return dict(grouped)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802 (aiosmtpd's names)
        if self.mail_faults:
            reply = self.mail_faults.pop(0)
            if reply:
                return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        faults = self.rcpt_faults.get(address.lower())
        if faults:
            reply = faults.pop(0)
            if reply:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        rcpt = envelope.rcpt_tos[0].lower()
        self.attempts[rcpt] += 1
        faults = self.data_faults.get(rcpt)
        if faults:
            reply = faults.pop(0)
            if reply == "drop":
                server.transport.abort()  # gone before the final reply: the client cannot know
                return "451 dropped"
            if reply == "stall":
                await asyncio.sleep(self.stall_seconds)
                return "451 too late"
            if reply:
                return reply
        item = Received(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), data=envelope.original_content,
            tls=session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            authenticated=bool(session.authenticated),
        )
        with self._lock:
            self.received.append(item)
            count = len(self.received)
        if self.hold_after is not None and count == self.hold_after:
            self.in_flight.set()
            for _ in range(600):  # at most 30 s
                if self.release.is_set() or server.transport.is_closing():
                    break
                await asyncio.sleep(0.05)
        return "250 Message accepted"


class _Controller(Controller):
    """aiosmtpd's Controller listening on a free port (port 0), found once bound."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def start_server(handler: Recorder, **smtp_kwargs) -> Controller:
    """Start an SMTP server on 127.0.0.1 (a free port: ``controller.port``); stop it when done."""
    controller = _Controller(handler, hostname="127.0.0.1", port=0, server_hostname="localhost",
                             ready_timeout=10, **smtp_kwargs)
    controller.start()
    return controller


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, made now: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The server side of TLS with that certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def password_checker(user: str, password: str):
    """An aiosmtpd authenticator accepting exactly one login."""

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode() and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535 itself

    return authenticator
