"""Saved emails → Articles: one ``.eml`` newsletter, or every message of an ``.mbox``.

Title from Subject, date from the Date header (in the configured timezone; ``date_source``
"mail"), source from the From display name. The HTML part is preferred and goes through the
same extraction as web pages (``ingest.html``); the plain-text part is the fallback. A message
bundling several stories becomes one article per story (``ingest.sections``).
"""

from __future__ import annotations

import datetime as dt
import email
import email.errors
import email.policy
import email.utils
import mailbox
import os
import re
import tempfile
import zoneinfo
from email.message import EmailMessage, Message

from digest.errors import ArticleError
from digest.ingest.files import codec_name, content_hash, decode, part_hash
from digest.ingest.plain import make_article
from digest.ingest.sections import drop_chrome, sole_read_more, split_sections, text_blocks
from digest.models import Article, Skipped

_REPLY_PREFIX = re.compile(r"(?i)^\s*(?:(?:re|fwd?|aw|wg|tr)\s*:\s*)+")


def eml_articles(
    data: bytes, path: str = "-", *, timezone: str = "UTC", modified: dt.datetime | None = None,
    digest_hash: str | None = None,
) -> list[Article]:
    """One saved email (RFC 5322 bytes) → its article(s). Raises ArticleError when it has no readable body."""
    if not data.strip():
        raise ArticleError(path, "empty file")
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not _looks_like_mail(message):
        raise ArticleError(path, "not an email message (no From, Subject or Date header)")
    return message_articles(message, path, timezone=timezone, modified=modified,
                            digest_hash=digest_hash or content_hash(data))


def mbox_items(
    data: bytes, path: str = "-", *, timezone: str = "UTC", modified: dt.datetime | None = None,
) -> list[Article | Skipped]:
    """Every message of an mbox → its article(s); a message that cannot be read becomes a Skipped."""
    if not data.strip():
        raise ArticleError(path, "empty file")
    if not data.lstrip().startswith(b"From "):
        raise ArticleError(path, "not an mbox mailbox (it must start with a 'From ' line)")
    items: list[Article | Skipped] = []
    file_hash = content_hash(data)
    for number, message in enumerate(_mbox_messages(data, path), start=1):
        try:
            items.extend(message_articles(message, path, timezone=timezone, modified=modified,
                                          digest_hash=part_hash(file_hash, number)))
        except ArticleError as exc:
            items.append(Skipped(path, f"message {number}: {exc.reason}"))
    if not items:
        raise ArticleError(path, "mailbox holds no messages")
    return items


def _mbox_messages(data: bytes, path: str) -> list[EmailMessage]:
    """The messages of an mbox, parsed by the stdlib ``mailbox`` module from an already size-checked copy."""
    # mailbox.mbox wants a file; reading from the bytes we hold keeps one size check and one read.
    fd, tmp = tempfile.mkstemp(prefix=".digest-", suffix=".mbox")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        box = mailbox.mbox(tmp, factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default),
                           create=False)
        try:
            return list(box)
        finally:
            box.close()
    except (OSError, mailbox.Error) as exc:
        raise ArticleError(path, f"cannot read mailbox: {exc}") from None
    finally:
        os.unlink(tmp)


def message_articles(
    message: Message, path: str, *, timezone: str = "UTC", modified: dt.datetime | None = None,
    digest_hash: str | None = None,
) -> list[Article]:
    """One parsed message → its article(s): HTML part preferred, plain text as fallback."""
    title = _REPLY_PREFIX.sub("", _header(message, "subject")) or None
    date = _mail_date(message, timezone)
    source = _sender(message)
    digest_hash = digest_hash or content_hash(message.as_bytes())
    html_body, text_body, attachments, damaged = _bodies(message, path)
    meta = dict(title=title, date=date, date_source="mail" if date else "none", source=source,
                modified=modified, digest_hash=digest_hash)
    if html_body is not None:
        from digest.ingest.html import html_articles

        try:
            return html_articles(html_body, path, timezone=timezone, **meta)
        except ArticleError:
            if text_body is None:
                raise
    if text_body is not None:
        return _text_articles(text_body, path, **meta)
    if damaged:
        raise ArticleError(path, "the message's text is damaged (its base64 encoding is broken)")
    if attachments:
        raise ArticleError(path, f"no text in the message, only attachments ({', '.join(attachments[:5])})")
    raise ArticleError(path, "no text in the message")


def _text_articles(text: str, path: str, *, digest_hash: str, **meta) -> list[Article]:
    sections = split_sections(text_blocks(text))
    if sections:
        return [make_article("\n\n".join(s.paragraphs), path, **(meta | {"title": s.title}), url=s.url,
                             digest_hash=part_hash(digest_hash, i)) for i, s in enumerate(sections)]
    blocks = text_blocks(text)
    kept = "\n\n".join(b.text for b in drop_chrome(blocks))
    return [make_article(kept or text, path, **meta, url=sole_read_more(blocks), digest_hash=digest_hash)]


def _bodies(message: Message, path: str) -> tuple[str | None, str | None, list[str], bool]:
    """(first HTML body, first plain-text body, attachment names, whether a text part was damaged).

    Attachments never count as body.
    """
    html_body = text_body = None
    attachments: list[str] = []
    damaged = False
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = (part.get_content_disposition() or "").lower()
        kind = part.get_content_type()
        if disposition == "attachment" or (part.get_filename() and kind not in ("text/html", "text/plain")):
            attachments.append(part.get_filename() or kind)
            continue
        if kind.startswith("multipart/"):
            # A multipart the parser could not split (no boundary given): its body is all there is.
            kind = "text/html" if _LOOKS_HTML.search(part.get_payload(decode=True) or b"") else "text/plain"
        if kind not in ("text/html", "text/plain") or (html_body if kind == "text/html" else text_body) is not None:
            continue
        try:
            body = _part_text(part, path)
        except _Damaged:
            damaged = True
            continue
        if kind == "text/html":
            html_body = body
        else:
            text_body = body
    return (html_body if html_body and html_body.strip() else None,
            text_body if text_body and text_body.strip() else None, attachments, damaged)


_LOOKS_HTML = re.compile(rb"(?i)<(?:html|body|p|div|table)\b")
_BASE64_DEFECTS = (email.errors.InvalidBase64CharactersDefect, email.errors.InvalidBase64PaddingDefect,
                   email.errors.InvalidBase64LengthDefect)


class _Damaged(Exception):
    """A text part whose transfer encoding is broken beyond reading."""


def _part_text(part: Message, path: str) -> str | None:
    """A text part decoded from its transfer encoding, then from its charset — trusting UTF-8 over a lie.

    Raises _Damaged for broken base64 that is not UTF-8 while labelled UTF-8, ASCII or nothing:
    read as cp1252 it would be a line of nonsense in the digest.
    """
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, LookupError):
        return None
    if not payload or not payload.strip():
        return None
    charset = part.get_content_charset()
    if any(isinstance(d, _BASE64_DEFECTS) for d in part.defects) and codec_name(charset) in ("utf-8", "ascii", None):
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            raise _Damaged from None
    try:
        return decode(payload, path, charset)
    except ArticleError:
        return None  # a binary "text" part: as good as absent


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # malformed headers the parser could not fold
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _mail_date(message: Message, timezone: str) -> dt.date | None:
    raw = _header(message, "date")
    if not raw:
        return None
    try:
        stamp = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(zoneinfo.ZoneInfo(timezone))
    return stamp.date()


def _sender(message: Message) -> str | None:
    """The From display name ("Valley Post"), else the address."""
    name, address = email.utils.parseaddr(_header(message, "from"))
    return name.strip().strip("\"'") or address or None


def _looks_like_mail(message: Message) -> bool:
    return any(_header(message, h) for h in ("from", "subject", "date"))
