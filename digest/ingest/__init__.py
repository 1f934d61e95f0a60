"""Files → Articles, whatever the format: text, Markdown, HTML pages, saved emails and mailboxes.

One file may hold several articles (an mbox, a newsletter bundling several stories), so the
core call is ``read_file_items(path)``: the articles found, and a ``Skipped`` (path + reason) for
every part that could not be read. One bad file, or one bad message in a mailbox, never stops
the rest: ``read_articles`` and ``read_folder`` report it and go on.

Formats, by file name: ``.html``/``.htm``/``.xhtml`` → ``ingest.html``; ``.eml`` and ``.mbox`` →
``ingest.mail``; anything else is text (``ingest.plain``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from digest.errors import ArticleError
from digest.ingest.files import (
    DEFAULT_PATTERNS,
    IGNORED_PREFIXES,
    IGNORED_SUFFIXES,
    content_hash,
    decode,
    display_name,
    find_article_files,
    is_ignored_name,
    read_bytes,
)
from digest.ingest.plain import make_article, parse_article
from digest.models import Article, Skipped

__all__ = [
    "DEFAULT_PATTERNS",
    "HTML_SUFFIXES",
    "IGNORED_PREFIXES",
    "IGNORED_SUFFIXES",
    "content_hash",
    "decode",
    "display_name",
    "find_article_files",
    "is_ignored_name",
    "make_article",
    "parse_article",
    "read_article",
    "read_articles",
    "read_file_articles",
    "read_file_items",
    "read_folder",
]

#: Kept for callers of the single-module ingest: the default patterns.
_DEFAULT_PATTERNS = DEFAULT_PATTERNS

HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def read_file_items(
    path: str | os.PathLike[str], *, timezone: str = "UTC", max_bytes: int | None = None
) -> list[Article | Skipped]:
    """Every article in one file, plus a Skipped for each part (e.g. a mailbox message) that failed.

    Raises ArticleError when the file itself cannot be read or holds no article at all.
    """
    name = display_name(path)  # what articles and errors show; the file is opened by ``path``
    data, modified = read_bytes(path, timezone=timezone, max_bytes=max_bytes)
    suffix = Path(name).suffix.lower()
    if suffix not in HTML_SUFFIXES + (".eml", ".mbox"):
        return [parse_article(decode(data, name), name, modified=modified, digest_hash=content_hash(data))]
    try:
        if suffix in HTML_SUFFIXES:
            from digest.ingest.html import html_articles

            return list(html_articles(data, name, timezone=timezone, modified=modified))
        from digest.ingest.mail import eml_articles, mbox_items

        if suffix == ".eml":
            return list(eml_articles(data, name, timezone=timezone, modified=modified))
        return mbox_items(data, name, timezone=timezone, modified=modified)
    except ArticleError:
        raise
    except RecursionError:
        # The parsers recurse per level of nesting: a mail of thousands of nested parts.
        raise ArticleError(name, "nested too deeply to read") from None
    except Exception as exc:  # noqa: BLE001
        # Third-party parsers (lxml, readability, email) meet hostile input here and may raise
        # anything; one such file must not stop a build or the daemon, so it becomes a reported skip.
        raise ArticleError(name, f"could not be parsed ({type(exc).__name__}: {exc})") from None


def read_file_articles(
    path: str | os.PathLike[str], *, timezone: str = "UTC", max_bytes: int | None = None
) -> list[Article]:
    """Every article one file holds (several for a mailbox or a multi-story newsletter).

    Raises ArticleError when the file cannot be read or no article in it could be.
    """
    items = read_file_items(path, timezone=timezone, max_bytes=max_bytes)
    articles = [item for item in items if isinstance(item, Article)]
    if not articles:
        reasons = "; ".join(item.reason for item in items if isinstance(item, Skipped))
        raise ArticleError(display_name(path), reasons or "no article found")
    return articles


def read_article(path: str | os.PathLike[str], *, timezone: str = "UTC", max_bytes: int | None = None) -> Article:
    """Read and parse a file holding one article. Raises ArticleError (with the path and why) when it cannot.

    A file holding several articles (a mailbox, a multi-story newsletter) is an error here, so
    that no story is dropped silently: read those with ``read_file_articles``.
    """
    articles = read_file_articles(path, timezone=timezone, max_bytes=max_bytes)
    if len(articles) > 1:
        raise ArticleError(display_name(path), f"holds {len(articles)} articles; read it with read_file_articles")
    return articles[0]


def read_articles(
    paths: Iterable[str | os.PathLike[str]], *, timezone: str = "UTC", max_bytes: int | None = None
) -> Iterator[Article | Skipped]:
    """Read each path in turn, yielding every Article it holds, or a Skipped (path + reason)."""
    for path in paths:
        try:
            yield from read_file_items(path, timezone=timezone, max_bytes=max_bytes)
        except ArticleError as exc:
            yield Skipped(exc.path, exc.reason)


def read_folder(
    folder: str | os.PathLike[str],
    patterns: Sequence[str] = DEFAULT_PATTERNS,
    *,
    timezone: str = "UTC",
    max_bytes: int | None = None,
) -> tuple[list[Article], list[Skipped]]:
    """Every article under ``folder``: the articles read, and the files (or parts) skipped with reasons."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    paths = find_article_files(folder, patterns, unreadable=skipped)
    for item in read_articles(paths, timezone=timezone, max_bytes=max_bytes):
        (skipped if isinstance(item, Skipped) else articles).append(item)
    return articles, skipped
