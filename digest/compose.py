"""Articles + Summaries → Digest: ordering, heading and preheader. Pure: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from digest.models import Article, Digest, Skipped, Story, Summary


def heading_for(title: str, day: dt.date) -> str:
    """'Daily digest — Saturday, 21 November 2026' (English names, whatever the machine's locale)."""
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[day.weekday()]
    month = (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    )[day.month - 1]
    return f"{title} — {weekday}, {day.day} {month} {day.year}"


def newest_first(stories: Iterable[Story]) -> list[Story]:
    """Stories by article date, newest first; undated last; ties by title then path for stability."""
    return sorted(
        stories,
        key=lambda s: (
            -(s.article.date.toordinal() if s.article.date else 0),
            s.article.title.casefold(),
            s.article.path,
        ),
    )


def compose(
    items: Sequence[tuple[Article, Summary]],
    *,
    day: dt.date,
    generated_at: dt.datetime,
    title: str = "Daily digest",
    timezone: str = "UTC",
    preheader: str = "",
    skipped: Sequence[Skipped] = (),
) -> Digest:
    """Build the digest for ``day`` from summarized articles, newest story first."""
    stories = newest_first(Story(article, summary) for article, summary in items)
    if not preheader and stories:
        preheader = " · ".join(s.article.title for s in stories[:3])
    return Digest(
        date=day,
        title=title,
        heading=heading_for(title, day),
        stories=tuple(stories),
        generated_at=generated_at,
        timezone=timezone,
        preheader=preheader,
        skipped=tuple(skipped),
    )
