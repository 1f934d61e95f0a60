"""Articles + Summaries → Digest: ordering, sources, no repeated sentence, heading and preheader.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from digest.dedup import SentenceMemory, sentence_terms
from digest.models import DATE_SOURCES, Article, Digest, Sentence, Skipped, Story, Summary
from digest.summarize import article_sentences, get_scorer


def heading_for(title: str, day: dt.date) -> str:
    """'Daily digest — Saturday, 21 November 2026' (English names, whatever the machine's locale)."""
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[day.weekday()]
    month = (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    )[day.month - 1]
    return f"{title} — {weekday}, {day.day} {month} {day.year}"


def _newest_first_key(article: Article) -> tuple:
    return -(article.date.toordinal() if article.date else 0), article.title.casefold(), article.path


def newest_first(stories: Iterable[Story]) -> list[Story]:
    """Stories by article date, newest first; undated last; ties by title then path for stability."""
    return sorted(stories, key=lambda s: _newest_first_key(s.article))


def story_order(articles: Sequence[Article]) -> list[int]:
    """The positions of ``articles`` (each story's own, re-dated by ``best_dated``) in digest order:
    what ``newest_first`` does to their stories, known before any summary is."""
    return sorted(range(len(articles)), key=lambda i: _newest_first_key(articles[i]))


def term_frequencies(summaries: Iterable[Summary], terms: Mapping[str, frozenset[str]] | None = None) -> Counter[str]:
    """How many summary sentences hold each term: lets ``RepeatFilter`` compare rare terms first."""
    terms = terms or {}
    return Counter(term for summary in summaries for s in summary.sentences
                   for term in (terms.get(s.text) or sentence_terms(s.text)))


class RepeatFilter:
    """``without_repeats`` one story at a time: call it on the stories in digest order.

    ``frequencies`` (``term_frequencies``) only make it faster; the result is the same with
    those of some of the summaries, or none. ``terms`` holds ``dedup.sentence_terms`` of
    summary sentences made beforehand; it may still grow while stories are filtered.
    """

    def __init__(self, frequencies: Mapping[str, int] | None = None,
                 terms: Mapping[str, frozenset[str]] | None = None) -> None:
        self._memory = SentenceMemory(frequencies, terms)

    def __call__(self, story: Story) -> Story:
        """The story, with any sentence shown earlier in the digest replaced."""
        memory = self._memory
        repeated = []
        for sentence in story.summary.sentences:
            if memory.repeats(sentence.text):
                repeated.append(sentence.index)
            else:
                memory.add(sentence.text)
        if repeated:
            story = dataclasses.replace(story, summary=_replace_repeats(story, set(repeated), memory))
        return story


def without_repeats(stories: Iterable[Story], terms: Mapping[str, frozenset[str]] | None = None) -> list[Story]:
    """The stories in order, no sentence shown twice: a summary sentence near-identical to one shown
    earlier in the digest is replaced by that story's next-best sentence that is new.

    Each story keeps its sentence count unless its article runs out of new sentences. ``terms``
    may hold ``dedup.sentence_terms`` of summary sentences, made beforehand (in worker processes).
    """
    stories = list(stories)
    check = RepeatFilter(term_frequencies((story.summary for story in stories), terms), terms)
    return [check(story) for story in stories]


def _replace_repeats(story: Story, repeated: set[int], memory: SentenceMemory) -> Summary:
    """The story's summary with the ``repeated`` sentences swapped for its best new ones (MMR-style)."""
    article, summary = story.article, story.summary
    sentences = article_sentences(article)
    scores = get_scorer(summary.algorithm)(
        sentences, None if article.title_derived else article.title, count=len(summary.sentences)
    )
    kept = [s for s in summary.sentences if s.index not in repeated]
    taken = {s.index for s in summary.sentences}
    for i in sorted(range(len(sentences)), key=lambda i: (-scores[i], i)):
        if len(kept) == len(summary.sentences):
            break
        if i not in taken and not memory.repeats(sentences[i]):
            memory.add(sentences[i])
            kept.append(Sentence(sentences[i], i, round(float(scores[i]), 6)))
    return Summary(summary.algorithm, tuple(sorted(kept, key=lambda s: s.index)))


#: Summary sentences longer than this are cut at a word boundary, with "…". Real news sentences
#: stay well below it (the longest among 36,000 of our evaluation data: 869 characters), but a
#: file without sentence punctuation is one huge "sentence", and in full it would push that
#: story and every later one out of the email (see ``render.fit_for_email``).
MAX_SENTENCE_CHARS = 1500


def clipped(story: Story) -> Story:
    """The story with any absurdly long summary sentence cut to ``MAX_SENTENCE_CHARS``."""
    if all(len(s.text) <= MAX_SENTENCE_CHARS for s in story.summary.sentences):
        return story
    sentences = []
    for sentence in story.summary.sentences:
        text = sentence.text
        if len(text) > MAX_SENTENCE_CHARS:
            cut = text[:MAX_SENTENCE_CHARS]
            text = (cut.rsplit(None, 1)[0] if " " in cut.strip() else cut).rstrip() + "…"
        sentences.append(dataclasses.replace(sentence, text=text))
    return dataclasses.replace(story, summary=dataclasses.replace(story.summary, sentences=tuple(sentences)))


def best_dated(article: Article, versions: Sequence[Article]) -> Article:
    """The article, re-dated when another version of its story states its date more reliably.

    A file's modification time says when it was saved, not when the story ran: a version that
    states its date (front matter, header, dateline …) is better evidence. At equal reliability
    the article keeps its own date.
    """
    def trust(a: Article) -> int:
        if a.date is None or a.date_source not in DATE_SOURCES:
            return -1
        return len(DATE_SOURCES) - DATE_SOURCES.index(a.date_source)

    best = max(versions, key=lambda a: (trust(a), a.date or dt.date.min), default=article)
    if trust(best) <= trust(article):
        return article
    return dataclasses.replace(article, date=best.date, date_source=best.date_source)


def compose(
    items: Sequence[tuple[Article, Summary]],
    *,
    day: dt.date,
    generated_at: dt.datetime,
    title: str = "Daily digest",
    timezone: str = "UTC",
    preheader: str = "",
    skipped: Sequence[Skipped] = (),
    sources: Sequence[Sequence[Article]] | None = None,
    terms: Mapping[str, frozenset[str]] | None = None,
) -> Digest:
    """Build the digest for ``day`` from summarized articles, newest story first, no sentence twice.

    ``sources``, when given, has one entry per item: every article reporting that story, the
    item's own (fullest) article first, as ``digest.dedup.group_articles`` groups them.
    ``terms`` (optional) holds ``dedup.sentence_terms`` of summary sentences, made beforehand.
    """
    summaries = [summary for _, summary in items]
    return compose_as_summarized(
        [article for article, _ in items], summaries.__getitem__, ready=summaries, day=day,
        generated_at=generated_at, title=title, timezone=timezone, preheader=preheader, skipped=skipped,
        sources=sources, terms=terms,
    )


def compose_as_summarized(
    articles: Sequence[Article],
    summary_of: Callable[[int], Summary],
    *,
    ready: Iterable[Summary] = (),
    day: dt.date,
    generated_at: dt.datetime,
    title: str = "Daily digest",
    timezone: str = "UTC",
    preheader: str = "",
    skipped: Sequence[Skipped] = (),
    sources: Sequence[Sequence[Article]] | None = None,
    terms: Mapping[str, frozenset[str]] | None = None,
) -> Digest:
    """``compose``, asking for each article's summary (``summary_of(position)``) only when its
    story's turn comes, in digest order: summaries still being made (in worker processes) are
    waited for one by one, and stories already summarized are composed meanwhile.

    ``ready`` holds the summaries at hand when composing starts (their terms guide the check
    for repeats: only its speed depends on them). ``terms`` may grow while composing.
    """
    groups = sources if sources is not None else [()] * len(articles)
    dated = [best_dated(article, group) for article, group in zip(articles, groups, strict=True)]
    check = RepeatFilter(term_frequencies(ready, terms), terms)
    stories = []
    for i in story_order(dated):
        group = groups[i]
        stories.append(clipped(check(Story(dated[i], summary_of(i), tuple(group) if len(group) > 1 else ()))))
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
