"""``digest fetch``: RSS/Atom feeds (and single web pages) → one ``.md`` file per item in the seeds folder.

The only module that speaks HTTP (stdlib ``urllib.request``) and the only one importing
feedparser. Polite by construction: one request at a time, a User-Agent naming digest, a
timeout on every request, a size limit on every body, and conditional GETs (the ETag and
Last-Modified a feed sent are stored and sent back, so an unchanged feed costs a 304).

Each item is saved as Markdown with front matter (title, date, source, author, url, guid)
followed by the extracted text, because the feed's metadata (the item's link, GUID, date and
the feed's name) is the most reliable there is and would be lost in a raw page; the file is
small, readable and edited by hand if need be, and ``ingest`` reads it like any other
article. Items are deduplicated by GUID and link in the state database
(``store.fetched``). A URL that fails is reported (``FetchError``) and the others go on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re
import socket
import time
import unicodedata
import urllib.error
import urllib.request
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import feedparser

from digest import __version__
from digest.errors import ArticleError, FetchError
from digest.ingest.html import html_to_text, parse_html
from digest.models import Article
from digest.output import write_atomic
from digest.store import State
from digest.store.fetched import FetchedStore

USER_AGENT = f"digest/{__version__} (newsletter digest; feed reader)"
_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Response:
    """A finished download: final URL (after redirects), status, body and the validators sent."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None


def http_get(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = _PAGE_ACCEPT,
) -> Response:
    """GET ``url`` within ``timeout`` seconds in total and ``max_bytes``; a 304 comes back as status 304.

    Raises FetchError (with the URL and why) for bad URLs, timeouts, HTTP errors and oversized bodies.
    """
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(url, "only http:// and https:// URLs can be fetched")
    headers = {"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + timeout
    try:
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(url, _too_large(int(length), max_bytes))
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read1(_CHUNK):  # read1: a trickling server cannot stretch one read past the deadline
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(url, _too_large(size, max_bytes, at_least=True))
                if time.monotonic() > deadline:
                    raise FetchError(url, f"timed out after {timeout:g} s")
                chunks.append(chunk)
            return Response(
                url=response.geturl(), status=response.status, body=b"".join(chunks),
                content_type=response.headers.get("Content-Type", ""),
                etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"),
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Response(url=url, status=304, etag=etag, last_modified=last_modified)
        raise FetchError(url, f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise FetchError(url, f"timed out after {timeout:g} s") from None
        raise FetchError(url, f"cannot connect: {getattr(reason, 'strerror', None) or reason}") from None
    except (TimeoutError, socket.timeout):
        raise FetchError(url, f"timed out after {timeout:g} s") from None
    except (OSError, ValueError) as exc:  # connection reset mid-body, malformed URL or status line
        raise FetchError(url, f"download failed: {exc}") from None


def _too_large(size: int, limit: int, at_least: bool = False) -> str:
    more = "over " if at_least else ""
    return f"too large ({more}{size / 1e6:.1f} MB; limit {limit / 1e6:.1f} MB)"


@dataclass(frozen=True)
class Saved:
    """One item written to the seeds folder."""

    path: Path
    title: str
    url: str | None


@dataclass(frozen=True)
class FetchReport:
    """What a fetch did: items saved, items already there, feeds unchanged, and every failure."""

    saved: tuple[Saved, ...] = ()
    already_fetched: int = 0
    not_modified: tuple[str, ...] = ()
    errors: tuple[FetchError, ...] = ()


@dataclass
class _Run:
    """The settings of one fetch and what it has done so far."""

    into: Path
    store: FetchedStore
    now: dt.datetime
    timezone: str
    timeout: float
    max_bytes: int
    pages: bool
    max_items: int
    saved: list[Saved] = field(default_factory=list)
    already: int = 0
    not_modified: list[str] = field(default_factory=list)
    errors: list[FetchError] = field(default_factory=list)

    def get(self, url: str, **kwargs) -> Response:
        return http_get(url, timeout=self.timeout, max_bytes=self.max_bytes, **kwargs)


def fetch(
    urls: Sequence[str],
    *,
    into: str | Path,
    state: State,
    now: dt.datetime,
    timezone: str = "UTC",
    timeout: float = 20.0,
    max_bytes: int = 5_000_000,
    pages: bool = True,
    max_items: int = 50,
    progress: Callable[[int], None] | None = None,
) -> FetchReport:
    """Download every feed (or page) in ``urls`` and save its new items into ``into``.

    Never raises for one bad URL: failures are listed in the report's ``errors``.
    """
    run = _Run(Path(into), FetchedStore(state), now, timezone, timeout, max_bytes, pages, max_items)
    for url in urls:
        try:
            _fetch_one(run, url)
        except FetchError as exc:
            run.errors.append(exc)
        if progress:
            progress(1)
    return FetchReport(tuple(run.saved), run.already, tuple(run.not_modified), tuple(run.errors))


def _fetch_one(run: _Run, url: str) -> None:
    etag, modified = run.store.validators(url)
    response = run.get(url, etag=etag, last_modified=modified, accept=_FEED_ACCEPT)
    if response.status == 304:
        run.not_modified.append(url)
        return
    if _looks_like_feed(response):
        parsed = feedparser.parse(io.BytesIO(response.body), response_headers={
            "content-location": response.url, "content-type": response.content_type or "application/xml"})
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            problem = parsed.get("bozo_exception") or "no items"
            raise FetchError(url, f"not a readable RSS/Atom feed: {problem}")
        source = " ".join(parsed.feed.get("title", "").split()) or None
        for entry in parsed.entries[: run.max_items]:
            _save_entry(run, url, entry, source)
    elif "html" in response.content_type.lower() or response.body.lstrip()[:1] == b"<":
        _save_page(run, url, response)
    else:
        raise FetchError(url, f"neither a feed nor a web page (content type {response.content_type or 'unknown'})")
    # Only now: an interrupted run fetches the feed again in full next time (dedup keeps it cheap).
    run.store.save_validators(url, response.etag, response.last_modified, run.now)


def _looks_like_feed(response: Response) -> bool:
    kind = response.content_type.lower()
    if any(k in kind for k in ("rss", "atom", "xml")):
        return True
    head = response.body.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf:rdf"))


def _save_entry(run: _Run, feed_url: str, entry: feedparser.FeedParserDict, source: str | None) -> None:
    link = (entry.get("link") or "").strip() or None
    guid = (entry.get("id") or "").strip() or link
    title = " ".join((entry.get("title") or "").split()) or None
    if guid is None:
        guid = f"{feed_url}#{title or entry.get('summary', '')[:200]}"
    if run.store.is_fetched(guid, link):
        run.already += 1
        return
    feed_text = html_to_text(_entry_html(entry))
    page: Article | None = None
    if run.pages and link:
        try:
            response = run.get(link)
            page = parse_html(response.body, link, base_url=response.url, timezone=run.timezone)
        except FetchError as exc:
            run.errors.append(exc)
        except ArticleError as exc:
            run.errors.append(FetchError(link, exc.reason))
    body = page.body if page and len(page.body.split()) >= len(feed_text.split()) else feed_text
    if not body.strip():
        # Not recorded as fetched: the page may be back next time.
        run.errors.append(FetchError(link or feed_url, "no text in the feed item or its page"))
        return
    date = _entry_date(entry, run.timezone) or (page.date if page and page.date_source == "meta" else None)
    item = {
        "title": title or (page.title if page else None) or "Untitled",
        "date": date.isoformat() if date else None,
        "source": source or (page.source if page else None),
        "author": " ".join((entry.get("author") or "").split()) or (page.author if page else None),
        "url": link,
        "guid": guid if guid != link else None,
        "feed": feed_url,
    }
    path = _write_item(run, item, body, date)
    run.store.record(guid, link, feed_url, str(path), run.now)
    run.saved.append(Saved(path, item["title"], link))


def _save_page(run: _Run, url: str, response: Response) -> None:
    """A URL that is a web page, not a feed: the page itself is the one item."""
    if run.store.is_fetched(url, response.url):
        run.already += 1
        return
    try:
        page = parse_html(response.body, url, base_url=response.url, timezone=run.timezone)
    except ArticleError as exc:
        raise FetchError(url, exc.reason) from None
    date = page.date if page.date_source == "meta" else None
    item = {"title": page.title, "date": date.isoformat() if date else None, "source": page.source,
            "author": page.author, "url": page.url or response.url, "guid": None, "feed": None}
    path = _write_item(run, item, page.body, date)
    run.store.record(url, item["url"], url, str(path), run.now)
    run.saved.append(Saved(path, page.title, item["url"]))


def _entry_html(entry: feedparser.FeedParserDict) -> str:
    """The fullest text a feed item carries: its content, else its summary."""
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    summary = entry.get("summary", "") or ""
    return best if len(best) >= len(summary) else summary


def _entry_date(entry: feedparser.FeedParserDict, timezone: str) -> dt.date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        if stamp := entry.get(key):
            moment = dt.datetime.fromtimestamp(calendar.timegm(stamp), tz=dt.timezone.utc)
            return moment.astimezone(zoneinfo.ZoneInfo(timezone)).date()
    return None


def _write_item(run: _Run, item: dict[str, str | None], body: str, date: dt.date | None) -> Path:
    """Front matter + text, atomically, under a fresh ``DATE-slug.md`` name."""
    stem = f"{(date or run.now.date()).isoformat()}-{slugify(item['title'] or '')}"
    path = run.into / f"{stem}.md"
    counter = 2
    while path.exists():
        path = run.into / f"{stem}-{counter}.md"
        counter += 1
    lines = ["---"] + [f"{key}: {' '.join(value.split())}" for key, value in item.items() if value] + ["---", ""]
    write_atomic(path, "\n".join(lines) + "\n" + body.strip() + "\n")
    return path


def slugify(text: str, limit: int = 60) -> str:
    """'Night ferry returns — at last!' → 'night-ferry-returns-at-last' (ASCII, at most ``limit`` chars)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "item"
