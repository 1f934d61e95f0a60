"""A day's digest → one RFC 5322 message per subscriber (multipart/alternative: text + HTML).

Cost matters for 10,000 subscribers, so the work is split:

* once per day, ``make_letter`` renders the digest with a placeholder where the unsubscribe token
  goes (one Jinja render + CSS inlining instead of 10,000);
* once per run, ``MessageFactory`` folds the headers every recipient shares and base64-encodes
  the parts of each body up to the placeholder;
* per subscriber, only the To, Message-ID and List-Unsubscribe headers are made (by the ``email``
  package, default policy), the placeholder replaced by the token and the rest encoded.

Header injection is impossible: every header value goes through ``email.message.EmailMessage``
with the default policy (which refuses CR/LF in values) after ``clean`` has folded any CR, LF or
control characters in titles and names into spaces. Bodies are base64, so no line of content can
end the headers, fake a MIME boundary or start an SMTP end-of-data.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.policy
import email.utils
import re
import secrets
from email.headerregistry import Address
from email.message import EmailMessage

from digest import render
from digest.config import Settings
from digest.errors import ConfigError, DeliveryError
from digest.models import Digest, Subscriber
from digest.store.sends import Letter

#: The default policy with CRLF line ends, as SMTP requires (and .eml files accept).
POLICY = email.policy.SMTP
#: For List-Unsubscribe: a URL must never be folded into RFC 2047 encoded words, which the default
#: policy does to a long word; header lines may be up to 998 characters and ours stay far shorter.
_NO_WRAP = POLICY.clone(max_line_length=None)

#: Bytes of base64 input per output line (76 characters).
_B64_LINE = 57

#: Room left in the HTML size budget for a token longer than its placeholder.
TOKEN_SLACK_BYTES = 1_000


def new_placeholder() -> str:
    """A fresh token stand-in: letters and digits only, so every format escapes it the same way."""
    return "UNSUBSCRIBETOKEN" + secrets.token_hex(10)


def parse_sender(value: str, key: str = "email.from") -> Address:
    """'Name <address>' → Address, the name cleaned onto one line; ConfigError when unusable."""
    name, addr = email.utils.parseaddr(value)
    try:
        address = Address(display_name=render.clean(name), addr_spec=addr)
    except (ValueError, IndexError, TypeError) as exc:
        raise ConfigError([f"{key}: not a usable address {value!r}: {exc}"]) from None
    if not address.username or not address.domain:
        raise ConfigError([f"{key}: not a usable address {value!r}"])
    return address


def _url_prefixes(settings: Settings) -> tuple[str, str | None]:
    mailbox = parse_sender(settings.email.unsubscribe_mailto or settings.email.from_address,
                           "email.unsubscribe_mailto" if settings.email.unsubscribe_mailto else "email.from")
    base = settings.email.public_url.rstrip("/")
    return f"mailto:{mailbox.addr_spec}?subject=unsubscribe%20", (f"{base}/unsubscribe?token=" if base else None)


def unsubscribe_urls(settings: Settings, token: str) -> tuple[str, str | None]:
    """The mailto: URL and, when ``email.public_url`` is set, the HTTPS one-click URL of a token."""
    mailto, https = _url_prefixes(settings)
    return mailto + token, (https + token if https else None)


def subject_for(settings: Settings, digest: Digest) -> str:
    """The subject from its template: {title}, {date}, {iso_date}, {heading}; on one line."""
    values = {
        "title": settings.digest.title,
        "date": render.format_long_day(digest.date),
        "iso_date": digest.date.isoformat(),
        "heading": digest.heading,
    }
    subject = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), settings.email.subject)
    return render.clean(subject) or render.clean(digest.heading)


def make_letter(digest: Digest, settings: Settings) -> tuple[Digest, Letter]:
    """Render the day's digest once for email, the unsubscribe link holding a placeholder.

    Raises DeliveryError when a (custom) template alters the link, since swapping in each
    subscriber's token would then be unsafe.
    """
    placeholder = new_placeholder()
    mailto, https = unsubscribe_urls(settings, placeholder)
    url = https or mailto
    fitted, rendered = render.fit_for_email(
        digest,
        templates_dir=settings.paths.templates or None,
        max_html_bytes=max(10_000, settings.output.max_html_kb * 1000 - TOKEN_SLACK_BYTES),
        unsubscribe_url=url,
    )
    for name, body in (("HTML", rendered.html), ("text", rendered.text)):
        if body.lower().count(placeholder.lower()) != body.count(url):
            raise DeliveryError(f"the {name} template changes the unsubscribe URL; it must be output unchanged")
    letter = Letter(subject=subject_for(settings, fitted), html=rendered.html, text=rendered.text,
                    placeholder=placeholder)
    return fitted, letter


class _Base64Body:
    """A body whose placeholder is replaced per recipient, base64-encoded (CRLF lines).

    Everything before the first placeholder, cut at a whole base64 line, is encoded once.
    """

    def __init__(self, text: str, placeholder: str):
        data = text.encode("utf-8")
        self._placeholder = placeholder.encode("ascii")
        first = data.find(self._placeholder)
        cut = len(data) if first < 0 else first - first % _B64_LINE
        self._head = _encode(data[:cut])
        self._tail = data[cut:]

    def encode(self, token: str) -> bytes:
        """The base64 body for one token."""
        if not self._tail:
            return self._head
        return self._head + _encode(self._tail.replace(self._placeholder, token.encode("ascii")))


def _encode(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _fold(message: EmailMessage, policy: email.policy.Policy = POLICY) -> bytes:
    return b"".join(policy.fold_binary(name, value) for name, value in message.items())


class MessageFactory:
    """Builds each subscriber's message of one day from a ``Letter``."""

    def __init__(self, letter: Letter, settings: Settings, *, now: dt.datetime):
        self.letter = letter
        self._mailto, self._https = _url_prefixes(settings)
        self.sender = parse_sender(settings.email.from_address)
        self.domain = settings.email.message_id_domain.strip() or self.sender.domain
        reply_to = parse_sender(settings.email.reply_to, "email.reply_to") if settings.email.reply_to else None
        boundary = f"=_digest_{secrets.token_hex(12)}"  # '_' never occurs in base64, so never in a body

        shared = EmailMessage(policy=POLICY)
        shared["From"] = self.sender
        if reply_to:
            shared["Reply-To"] = reply_to
        shared["Subject"] = render.clean(letter.subject)
        shared["Date"] = email.utils.format_datetime(now)
        shared["List-Id"] = f"{render.clean(settings.digest.title)} <digest.{self.domain}>"
        self._shared = _fold(shared)

        mime = EmailMessage(policy=POLICY)
        mime["MIME-Version"] = "1.0"
        mime["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        self._mime = _fold(mime) + b"\r\n"

        def part(subtype: str) -> bytes:
            return (f"--{boundary}\r\nContent-Type: text/{subtype}; charset=\"utf-8\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n").encode("ascii")

        self._text_head, self._html_head = part("plain"), part("html")
        self._end = f"--{boundary}--\r\n".encode("ascii")
        self._text = _Base64Body(letter.text, letter.placeholder)
        self._html = _Base64Body(letter.html, letter.placeholder)

    @property
    def envelope_sender(self) -> str:
        """The SMTP MAIL FROM address."""
        return self.sender.addr_spec

    def message_id(self, day: dt.date, tag: str, generation: int = 0) -> str:
        """The Message-ID of one subscriber's copy: fixed per (day, subscriber, re-send generation)."""
        suffix = f".r{generation}" if generation else ""
        return f"<digest.{day:%Y%m%d}.{tag}{suffix}@{self.domain}>"

    def build(self, subscriber: Subscriber, *, token: str, message_id: str) -> bytes:
        """The complete message for one subscriber, CRLF line ends, 7-bit clean."""
        personal = EmailMessage(policy=POLICY)
        try:
            personal["To"] = Address(display_name=render.clean(subscriber.name or ""), addr_spec=subscriber.email)
        except (ValueError, IndexError, TypeError) as exc:
            raise DeliveryError(f"cannot address a message to {subscriber.email!r}: {exc}") from None
        personal["Message-ID"] = message_id
        links = EmailMessage(policy=POLICY)
        unsubscribe = f"<{self._mailto}{token}>"
        if self._https:
            unsubscribe += f", <{self._https}{token}>"
        links["List-Unsubscribe"] = unsubscribe
        if self._https:
            links["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return b"".join((
            self._shared, _fold(personal), _fold(links, _NO_WRAP), self._mime,
            self._text_head, self._text.encode(token),  # base64 lines end in CRLF already
            self._html_head, self._html.encode(token), self._end,
        ))
