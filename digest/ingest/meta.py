"""A page's metadata (title, date, author, site, URL) from its ``<meta>`` tags, JSON-LD and OpenGraph.

Pure: ``ingest.html`` collects the raw tag values from the parsed page; this module decides
which to believe. Structured data wins over loose tags, loose tags over the visible page:
JSON-LD (``NewsArticle`` and friends) → OpenGraph/``article:*`` → named ``<meta>`` → ``<time>``,
``<h1>`` and ``<title>``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from digest.clean import parse_date

#: JSON-LD types that describe the article itself (not the site, breadcrumbs or the author page).
_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "blogposting", "posting", "socialmediaposting", "liveblogposting", "scholarlyarticle", "techarticle",
    "webpage", "backgroundnewsarticle", "reviewnewsarticle",
}
_DATE_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "date", "pubdate", "publishdate",
    "publish-date", "published-date", "dc.date", "dc.date.issued", "dcterms.date", "dcterms.created",
    "citation_publication_date", "sailthru.date", "parsely-pub-date", "article.published",
)
_AUTHOR_KEYS = ("author", "article:author", "dc.creator", "byl", "parsely-author", "sailthru.author")
_SITE_KEYS = ("og:site_name", "application-name", "publisher", "dc.publisher", "twitter:site")
_TITLE_KEYS = ("og:title", "twitter:title", "dc.title", "headline", "title")


@dataclass(frozen=True)
class RawMeta:
    """What the page says about itself, as found: tag values, not yet judged."""

    metas: tuple[tuple[str, str], ...] = ()
    jsonld: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    title_tag: str = ""
    h1: str = ""
    canonical: str = ""


@dataclass(frozen=True)
class PageMeta:
    """The metadata we believe; any field may be None."""

    title: str | None = None
    date: dt.date | None = None
    author: str | None = None
    site: str | None = None
    url: str | None = None


def page_metadata(raw: RawMeta, timezone: str = "UTC") -> PageMeta:
    """Decide title, date, author, site and URL from the raw tags (see the module docstring)."""
    tags: dict[str, str] = {}
    for key, value in raw.metas:
        if value.strip():
            tags.setdefault(key.strip().lower(), " ".join(value.split()))
    ld = _article_object(raw.jsonld)

    site = _name(ld.get("publisher")) or _first(tags, _SITE_KEYS)
    if site and site.startswith("@"):  # twitter:site is a handle; better than nothing, worse than a name
        site = site[1:]

    title = _text(ld.get("headline")) or _text(ld.get("name")) or _first(tags, _TITLE_KEYS) or raw.h1 or raw.title_tag
    title = _strip_site(title, site) if title else None

    date = None
    for value in (_text(ld.get("datePublished")), _text(ld.get("dateCreated")), *(tags.get(k) for k in _DATE_KEYS),
                  *raw.times, _text(ld.get("dateModified")), tags.get("article:modified_time")):
        if value and (date := to_date(value, timezone)) is not None:
            break

    author = _name(ld.get("author")) or next(
        (v for k in _AUTHOR_KEYS if (v := tags.get(k)) and not v.startswith(("http://", "https://"))), None
    )
    url = raw.canonical or tags.get("og:url") or _text(ld.get("url")) or None
    return PageMeta(title=title or None, date=date, author=author, site=site, url=url)


def to_date(value: str, timezone: str = "UTC") -> dt.date | None:
    """An ISO timestamp (converted to ``timezone`` when it carries an offset) or any date ``parse_date`` reads."""
    value = value.strip()
    iso = value.replace("Z", "+00:00") if value.endswith("Z") else value
    try:
        stamp = dt.datetime.fromisoformat(iso)
    except ValueError:
        return parse_date(value)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(zoneinfo.ZoneInfo(timezone))
    return stamp.date()


def _article_object(blobs: tuple[str, ...]) -> dict[str, Any]:
    """The first JSON-LD object describing an article (``@graph`` and lists searched); {} if none."""
    fallback: dict[str, Any] = {}
    for blob in blobs:
        try:
            data = json.loads(blob.strip().rstrip(";"))
        except (ValueError, RecursionError):
            continue  # broken JSON-LD is common; the other tags still count
        for obj in _objects(data):
            kinds = obj.get("@type")
            kinds = {k.lower() for k in (kinds if isinstance(kinds, list) else [kinds]) if isinstance(k, str)}
            if kinds & (_ARTICLE_TYPES - {"webpage"}):
                return obj
            if "webpage" in kinds and not fallback:
                fallback = obj
    return fallback


def _objects(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _objects(data["@graph"], depth + 1)


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _name(value: Any) -> str | None:
    """A person or organisation name from JSON-LD: "Ana", {"name": "Ana"} or a list of either."""
    if isinstance(value, list):
        names = [n for v in value if (n := _name(v))]
        return ", ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        return _text(value.get("name"))
    text = _text(value)
    return None if text is None or text.startswith(("http://", "https://")) else text


def _first(tags: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((tags[k] for k in keys if tags.get(k)), None)


_SEPARATOR = r"\s+(?:\||-|–|—|::|·|•)\s+"


def _strip_site(title: str, site: str | None) -> str:
    """'Ferry trial ends | The Lantern' → 'Ferry trial ends' (the site's name, at either end)."""
    title = title.strip()
    if site:
        name = re.escape(site.strip())
        stripped = re.sub(rf"(?i){_SEPARATOR}{name}$", "", title)
        stripped = re.sub(rf"(?i)^{name}{_SEPARATOR}", "", stripped)
        if stripped:
            return stripped
    return title
