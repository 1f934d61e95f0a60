"""``digest serve``: a small HTTP server for unsubscribe links (standard library only).

* ``GET /unsubscribe?token=T`` shows a confirmation page with a button; it changes nothing, because
  mail scanners follow links in messages.
* ``POST /unsubscribe?token=T`` unsubscribes: the RFC 8058 one-click request a mail client sends
  (body ``List-Unsubscribe=One-Click``) and the confirmation page's button alike.

A malformed or forged token gets a 400 and changes nothing. Put the server behind your HTTPS web
server and set ``[email] public_url`` to its public address.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import socket
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from digest.config import Settings
from digest.errors import DigestError
from digest.unsubscribe import InvalidToken, load_key, read_token, unsubscribe

log = logging.getLogger(__name__)

#: Request bodies larger than this are refused (a one-click body is 26 bytes).
MAX_BODY = 4096

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}}
button{{font:inherit;padding:.5rem 1.2rem;cursor:pointer}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def _page(title: str, body: str) -> bytes:
    return _PAGE.format(title=html.escape(title), body=body).encode("utf-8")


def make_handler(settings: Settings, now: Callable[[], dt.datetime]) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to these settings and this clock."""
    digest_title = settings.digest.title

    class UnsubscribeHandler(BaseHTTPRequestHandler):
        server_version = "digest"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (BaseHTTPRequestHandler's name)
            # Tokens are not logged: only the path, without its query string.
            path = urlsplit(self.path).path
            log.info("%s %s %s", self.command, path, args[1] if len(args) > 1 else "")

        def _reply(self, status: HTTPStatus, title: str, body: str) -> None:
            payload = _page(title, body)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _token(self, extra: dict[str, list[str]] | None = None) -> str | None:
            parts = urlsplit(self.path)
            if parts.path.rstrip("/") != "/unsubscribe":
                return None
            values = parse_qs(parts.query).get("token") or (extra or {}).get("token") or [""]
            return values[0]

        def _bad_link(self) -> None:
            self._reply(HTTPStatus.BAD_REQUEST, "Link not valid",
                        "<p>This unsubscribe link is not valid. Please use the link from the latest email.</p>")

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            token = self._token()
            if token is None:
                self._reply(HTTPStatus.NOT_FOUND, "Not found", "<p>Nothing here.</p>")
                return
            try:
                address = read_token(load_key(settings), token)
            except InvalidToken:
                self._bad_link()
                return
            self._reply(
                HTTPStatus.OK, f"Unsubscribe from {digest_title}",
                f"<p>Stop sending {html.escape(digest_title)} to <strong>{html.escape(address)}</strong>?</p>"
                f'<form method="post" action="/unsubscribe?token={html.escape(token, quote=True)}">'
                '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
                "<button type=\"submit\">Unsubscribe</button></form>",
            )

        do_HEAD = do_GET

        def do_POST(self) -> None:  # noqa: N802
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                self._reply(HTTPStatus.BAD_REQUEST, "Bad request", "<p>Bad request.</p>")
                return
            if length > MAX_BODY:
                # Read (a bounded part of) what the client sends before answering, so closing
                # with unread data does not reset the connection before it sees the reply.
                self.rfile.read(min(length, 64 * MAX_BODY))
                self.close_connection = True
                self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Too large", "<p>Request too large.</p>")
                return
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            token = self._token(parse_qs(body))
            if token is None:
                self._reply(HTTPStatus.NOT_FOUND, "Not found", "<p>Nothing here.</p>")
                return
            try:
                result = unsubscribe(settings, token, now=now())
            except InvalidToken:
                self._bad_link()
                return
            except DigestError as exc:
                log.error("unsubscribe failed: %s", exc)
                self._reply(HTTPStatus.SERVICE_UNAVAILABLE, "Try again later",
                            "<p>We could not process this right now. Please try again in a minute.</p>")
                return
            self._reply(HTTPStatus.OK, "Unsubscribed",
                        f"<p><strong>{html.escape(result.email)}</strong> will no longer receive "
                        f"{html.escape(digest_title)}.</p>")

    return UnsubscribeHandler


def make_server(settings: Settings, host: str, port: int, *, now: Callable[[], dt.datetime]) -> ThreadingHTTPServer:
    """A bound (not yet serving) server; ``port`` 0 picks a free port (see ``server_address``)."""
    server_class = _ServerV6 if ":" in host else ThreadingHTTPServer
    server = server_class((host.strip("[]"), port), make_handler(settings, now))
    server.daemon_threads = True
    return server


class _ServerV6(ThreadingHTTPServer):
    address_family = socket.AF_INET6
