"""Text → Article: plain-text and Markdown articles, and the common last step of every format.

HTML pages and emails end here too: once their text is found, ``make_article`` runs the same
cleaning (datelines, bylines, boilerplate lines, captions) and fills in what the format's own
metadata (``<meta>`` tags, mail headers) did not say.
"""

from __future__ import annotations

import datetime as dt
import re

from digest import text as textmod
from digest.clean import derive_title, normalize, parse_text
from digest.errors import ArticleError
from digest.ingest.files import content_hash
from digest.models import Article

#: Files read as Markdown: only there is a fenced block code rather than stories between dividers.
MARKDOWN_SUFFIXES = (".md", ".markdown")


def parse_article(
    text: str,
    path: str = "-",
    *,
    modified: dt.datetime | None = None,
    digest_hash: str | None = None,
) -> Article:
    """Text → Article. ``modified`` (the file's mtime) is the date of last resort.

    Raises ArticleError when nothing readable remains after cleaning.
    """
    markdown = path.lower().endswith(MARKDOWN_SUFFIXES)
    return make_article(text, path, modified=modified, digest_hash=digest_hash, markdown=markdown)


def make_article(
    text: str,
    path: str,
    *,
    title: str | None = None,
    date: dt.date | None = None,
    date_source: str = "none",
    source: str | None = None,
    author: str | None = None,
    url: str | None = None,
    modified: dt.datetime | None = None,
    digest_hash: str | None = None,
    markdown: bool = False,
) -> Article:
    """Clean ``text`` into an Article; metadata given here wins over what the text itself says.

    With a ``title`` the text is read as the body under that heading (a first paragraph that
    repeats the title is dropped), so a short first paragraph is never mistaken for the title.
    ``markdown``: the text is a Markdown file's (see ``parse_text``).
    Raises ArticleError when nothing readable remains after cleaning.
    """
    title = _one_line(title)
    if title:
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
        if paragraphs and _same(paragraphs[0], title):
            paragraphs = paragraphs[1:]
        text = f"# {title}\n\n" + "\n\n".join(paragraphs)
    parsed = parse_text(text, markdown=markdown)
    body = parsed.body.strip()
    found_title = title or parsed.title
    if not body:
        if found_title and not title:
            body = found_title
        else:
            raise ArticleError(path, "no article text found")
    if not any(ch.isalnum() for ch in body):
        # Only punctuation, symbols or emoji: no sentence to summarize, no title to show.
        raise ArticleError(path, "no words in the text")
    derived = False
    if not found_title:
        sentences = textmod.split_sentences(body[:2000])
        # The first sentence with a word in it: a leading "!!!" or "***" says nothing as a title.
        found_title = derive_title(next((s for s in sentences if any(ch.isalnum() for ch in s)), body))
        derived = True
    if date is None:
        date, date_source = parsed.date, parsed.date_source
    if date is None and modified is not None:
        date, date_source = modified.date(), "mtime"
    return Article(
        path=path,
        title=found_title,
        body=body,
        date=date,
        date_source=date_source if date is not None else "none",
        source=_one_line(source) or parsed.source,
        place=parsed.place,
        author=_one_line(author) or parsed.author,
        url=(url or parsed.url or "").strip() or None,
        content_hash=digest_hash or content_hash(text.encode("utf-8")),
        title_derived=derived,
    )


def _one_line(value: str | None) -> str | None:
    """Whitespace runs (newlines included) folded to one space, control and bidi override
    characters dropped as from the text (a page's <title>, a mail's Subject); None for blank."""
    if value is None:
        return None
    value = " ".join(normalize(value).split())
    return value or None


def _same(a: str, b: str) -> bool:
    """Equal ignoring case, spacing and punctuation (a heading repeated in the body)."""
    def key(s: str) -> str:
        return re.sub(r"\W+", "", s.casefold())
    return key(a) == key(b)
