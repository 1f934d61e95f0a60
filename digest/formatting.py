"""How the templates format values: dates, numbers, meta lines, wrapped text, Markdown escapes.

Pure functions of the ``Digest`` and its parts, registered as Jinja2 filters by ``digest.render``
(which imports jinja2; this module does not), so the three formats agree on dates, meta lines
and escaping. ``clean`` also makes one-line header values for ``digest.message``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import textwrap
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from digest.models import Article, Digest

#: Column width of the plain-text digest.
TEXT_WIDTH = 72

_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


#: Unicode category Cc (C0 and C1 controls) and the bidi controls (embeddings, overrides,
#: isolates, marks): one regex pass rather than a lookup per character.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]+")


def clean(value: object) -> str:
    """One line of text: whitespace runs (CR, LF, tabs, U+2028 …) become one space;
    control and bidi-override characters are removed; None becomes ""."""
    if type(value) is str:
        return _clean_text(value)
    return _clean(value)


@functools.lru_cache(maxsize=65_536)
def _clean_text(text: str) -> str:
    # Memoised: fitting a digest to the email size renders it several times, and each time
    # cleans every title and source again.
    return _clean(text)


def _clean(value: object) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    if text.isascii() and text.isprintable():
        return text  # nothing to remove (the usual case): spares the regex
    return _CONTROLS.sub("", text)


def headline(article: Article) -> str:
    """The article's title on one line, never empty."""
    return clean(article.title) or "Untitled article"


def format_day(day: dt.date | None) -> str:
    """``21 Nov 2026``; independent of the process locale."""
    if day is None:
        return ""
    return f"{day.day} {_MONTHS[day.month - 1][:3]} {day.year}"


def format_long_day(day: dt.date) -> str:
    """``Saturday, 21 November 2026``."""
    return f"{_WEEKDAYS[day.weekday()]}, {day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_month(day: dt.date) -> str:
    """``November 2026``."""
    return f"{_MONTHS[day.month - 1]} {day.year}"


def format_clock(moment: dt.datetime) -> str:
    """``07:05``."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def format_number(value: int) -> str:
    """``1,234``."""
    return f"{value:,}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 story`` / ``1,234 stories``."""
    word = singular if count == 1 else (many or singular + "s")
    return f"{count:,} {word}"


def meta_parts(article: Article) -> list[str]:
    """The pieces of a story's meta line: ``Source, Place``, date, ``N min read``."""
    where = ", ".join(part for part in (clean(article.source), clean(article.place)) if part)
    parts = [where, format_day(article.date), f"{article.reading_minutes} min read"]
    return [part for part in parts if part]


def file_name(path: str) -> str:
    """The last part of a path: ``/inbox/gazette.txt`` → ``gazette.txt``."""
    return clean(Path(path).name)


def source_label(article: Article) -> tuple[str, str]:
    """A source's name and its details (``21 Nov 2026, gazette.txt``) for the sources list."""
    filename = file_name(article.path)
    name = clean(article.source) or filename
    details = [format_day(article.date)]
    if name != filename:
        details.append(filename)
    return name, ", ".join(part for part in details if part)


_LINK_SCHEMES = {"http", "https", "mailto"}


def safe_url(url: str | None) -> str | None:
    """The URL if it is safe to link (http, https, mailto or relative), else None."""
    if not url:
        return None
    # As browsers do: drop tabs, newlines and other controls, trim, and encode inner spaces.
    url = "".join(ch for ch in url if unicodedata.category(ch) != "Cc").strip().replace(" ", "%20")
    if not url:
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme and scheme not in _LINK_SCHEMES:
        return None
    return url


def preheader(digest: Digest) -> str:
    """The inbox preview line: the digest's own, or its first story titles."""
    if digest.preheader.strip():
        return clean(digest.preheader)
    return " · ".join(headline(story.article) for story in digest.stories[:3])


def wrap(text: object, width: int = TEXT_WIDTH, indent: str = "") -> str:
    """Fill text to ``width`` columns, every line indented; URLs and long words stay whole."""
    return _fill(clean(text), width, indent, indent)


def hang(text: object, prefix: str, width: int = TEXT_WIDTH) -> str:
    """Fill text after ``prefix`` (``"12. "``), continuation lines aligned under the text."""
    return _fill(clean(text), width, prefix, " " * len(prefix))


def _fill(text: str, width: int, first: str, rest: str) -> str:
    """``textwrap.fill`` without breaking words or at hyphens, several times faster on one-spaced
    text (what ``clean`` makes, and what a digest has thousands of): there textwrap's rules come
    down to a greedy fill, a word longer than the line on a line of its own."""
    if not text or text[0] == " " or text[-1] == " " or "  " in text:
        return textwrap.fill(text, width=width, initial_indent=first, subsequent_indent=rest,
                             break_long_words=False, break_on_hyphens=False)
    words = text.split(" ")
    lines: list[str] = []
    i = 0
    while i < len(words):
        indent = rest if lines else first
        room = width - len(indent)
        used = len(words[i])
        end = i + 1
        if used <= room:
            while end < len(words) and used + 1 + len(words[end]) <= room:
                used += 1 + len(words[end])
                end += 1
        lines.append(indent + " ".join(words[i:end]))
        i = end
    return "\n".join(lines)


def underline(text: str, char: str = "=") -> str:
    """A rule as wide as ``text`` looks in a terminal (wide CJK characters count twice)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
                  for ch in text if not unicodedata.combining(ch))
    return char * max(columns, 1)


# Every character CommonMark could read as markup inside a line, plus '&' when it would start
# an entity reference. Backslash escapes work for all ASCII punctuation.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>#~|])|&(?=#?\w+;)")
_MD_LIST_NUMBER = re.compile(r"^(\d+)([.)])")


def markdown_escape(value: object) -> str:
    """Text safe to place in Markdown: no accidental emphasis, links, headings or raw HTML."""
    text = _MD_INLINE.sub(lambda m: "\\" + (m.group(1) or "&"), clean(value))
    if text[:1] in ("-", "+", "="):  # would start a list item or a heading underline
        text = "\\" + text
    return _MD_LIST_NUMBER.sub(r"\1\\\2", text)  # "1. " would start an ordered list


def markdown_url(url: str) -> str:
    """A URL safe inside Markdown's ``(...)`` link destination."""
    return (url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
            .replace("<", "%3C").replace(">", "%3E"))
