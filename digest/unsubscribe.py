"""Unsubscribe tokens: HMAC-signed, URL-safe, one per subscriber; and applying them.

A token is ``base64url(address) "." base64url(HMAC-SHA256(key, address))[:22]``: it names the
address (so it keeps working if the subscriber is removed and added again) and cannot be forged
without the key. Tokens only use ``A-Z a-z 0-9 - _ .``, which need no escaping in a URL, in HTML
or in plain text, so a rendered digest can carry a placeholder that is swapped for each token.

The key comes from the environment variable named by ``[email] secret_env``, else from
``OUT/state/unsubscribe.key``, generated once with mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from digest.config import Settings
from digest.errors import DigestError, StateError
from digest.store import State, state_dir
from digest.store import subscribers as table

KEY_FILE = "unsubscribe.key"
#: Characters of the signature kept in a token (22 base64 characters = 132 bits).
SIGNATURE_CHARS = 22
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InvalidToken(DigestError):
    """An unsubscribe token is malformed or its signature does not match (forged or another key)."""

    exit_code = 2


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_key(settings: Settings) -> bytes:
    """The signing key: from the configured environment variable, else the state folder's key file."""
    if settings.email.secret_env and (value := os.environ.get(settings.email.secret_env)):
        return value.encode("utf-8")
    return _key_file(Path(state_dir(settings.paths.out)) / KEY_FILE)


def _key_file(path: Path) -> bytes:
    """Read the key file, creating it atomically (mode 0600) the first time."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if another process created the key first: use theirs
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        return _read_key(path)
    except OSError as exc:
        raise StateError(f"cannot create the unsubscribe key {path}: {exc.strerror or exc}") from None


def _read_key(path: Path) -> bytes:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise StateError(f"the unsubscribe key {path} is too short; delete it to generate a new one")
    return key.encode("ascii")


def _signature(key: bytes, purpose: str, address: str) -> str:
    mac = hmac.new(key, f"{purpose}\0{address.lower()}".encode("utf-8"), hashlib.sha256)
    return _b64(mac.digest())[:SIGNATURE_CHARS]


def make_token(key: bytes, email: str) -> str:
    """The unsubscribe token of an address (the same address in any case gives the same token)."""
    address = email.strip().lower()
    return f"{_b64(address.encode('utf-8'))}.{_signature(key, 'unsubscribe', address)}"


def read_token(key: bytes, token: str) -> str:
    """The (lower-cased) address a token was made for; InvalidToken when malformed or forged."""
    token = (token or "").strip()
    if len(token) > 1024 or not _TOKEN.fullmatch(token):
        raise InvalidToken("invalid unsubscribe token")
    encoded, signature = token.split(".")
    try:
        address = _unb64(encoded).decode("utf-8")
    except (binascii.Error, ValueError):
        raise InvalidToken("invalid unsubscribe token") from None
    if not hmac.compare_digest(signature, _signature(key, "unsubscribe", address)):
        raise InvalidToken("invalid unsubscribe token (bad signature)")
    return address


def message_tag(key: bytes, email: str) -> str:
    """A stable, opaque tag of an address for Message-IDs: reveals nothing about the address."""
    return _signature(key, "message-id", email).replace("-", "x").replace("_", "y")[:16]


@dataclass(frozen=True)
class Unsubscribed:
    """The outcome of a token: the address, and its status before (None when not on the list)."""

    email: str
    previous: str | None

    @property
    def changed(self) -> bool:
        """True when this call changed the subscriber's status."""
        return self.previous not in (None, "unsubscribed")


def unsubscribe(settings: Settings, token: str, *, now: dt.datetime, state: State | None = None) -> Unsubscribed:
    """Check a token and mark its subscriber unsubscribed (idempotent); InvalidToken changes nothing."""
    address = read_token(load_key(settings), token)
    own = state is None
    state = state or State.for_out_dir(settings.paths.out)
    try:
        current = table.get(state, address)
        if current is None:
            return Unsubscribed(address, None)
        previous = current.status
        if previous != "unsubscribed":
            table.set_status(state, address, "unsubscribed", now=now)
        return Unsubscribed(current.email, previous)
    finally:
        if own:
            state.close()
