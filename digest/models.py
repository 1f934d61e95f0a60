"""The immutable data that flows between stages: Article → Summary → Story → Digest.

Every stage takes these and returns new ones; nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

#: Words per minute used for "N min read".
READING_WPM = 230

#: Where an article's date came from, most to least trustworthy. "meta": an HTML page's JSON-LD,
#: OpenGraph/``<meta>`` tags or ``<time>``; "mail": an email's Date header.
DATE_SOURCES = ("front-matter", "header", "meta", "mail", "prefix", "dateline", "mtime", "none")


@dataclass(frozen=True, slots=True)
class Article:
    """One cleaned input article.

    ``body`` holds the text with page boilerplate removed; paragraphs are separated by a blank
    line. ``date_source`` says where ``date`` came from (one of ``DATE_SOURCES``).
    """

    path: str
    title: str
    body: str
    date: dt.date | None = None
    date_source: str = "none"
    source: str | None = None
    place: str | None = None
    author: str | None = None
    url: str | None = None
    content_hash: str = ""
    #: True when the title was derived from the first sentence rather than found in the file.
    title_derived: bool = False

    @property
    def word_count(self) -> int:
        """Number of whitespace-separated words in the body."""
        return len(self.body.split())

    @property
    def reading_minutes(self) -> int:
        """Estimated reading time of the full article, at least one minute."""
        return max(1, math.ceil(self.word_count / READING_WPM))

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The body's paragraphs, in order."""
        return tuple(p for p in self.body.split("\n\n") if p.strip())


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence chosen for a summary: its text, its position in the article and its score."""

    text: str
    index: int
    score: float


@dataclass(frozen=True, slots=True)
class Summary:
    """The sentences an algorithm picked, in document order."""

    algorithm: str
    sentences: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        """The summary as one paragraph."""
        return " ".join(s.text for s in self.sentences)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input that could not be read, with the reason; reported, never fatal."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Story:
    """One entry of a digest: an article and its summary.

    ``sources`` lists every article reporting this story (the article itself first); the
    duplicate-merging stage fills in more than one. ``title_only`` marks stories shown by title
    alone because the digest would otherwise be too large for email clients.
    """

    article: Article
    summary: Summary
    sources: tuple[Article, ...] = ()
    title_only: bool = False

    @property
    def all_sources(self) -> tuple[Article, ...]:
        """The article itself, then any other versions of the same story."""
        return self.sources or (self.article,)


@dataclass(frozen=True, slots=True)
class Digest:
    """A dated digest, ready for rendering.

    ``heading`` is the human title ("Daily digest — Saturday, 21 November 2026");
    ``omitted`` counts stories listed by title only, ``unlisted`` those left out of the email.
    """

    date: dt.date
    title: str
    heading: str
    stories: tuple[Story, ...]
    generated_at: dt.datetime
    timezone: str = "UTC"
    preheader: str = ""
    skipped: tuple[Skipped, ...] = ()
    #: Stories left out entirely because even their titles would exceed the email size limit.
    unlisted: int = 0

    @property
    def omitted(self) -> int:
        """How many stories are listed by title only."""
        return sum(1 for s in self.stories if s.title_only)

    @property
    def full_stories(self) -> tuple[Story, ...]:
        """Stories shown with their summary."""
        return tuple(s for s in self.stories if not s.title_only)

    @property
    def brief_stories(self) -> tuple[Story, ...]:
        """Stories shown by title only."""
        return tuple(s for s in self.stories if s.title_only)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A digest rendered to every output format."""

    html: str
    text: str
    markdown: str


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Someone who receives the digest by email."""

    email: str
    name: str | None = None
    status: str = "active"
    created_at: dt.datetime | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())
