"""``build()``: seeds folder → summarized, composed, rendered and written digest. Reads top to bottom.

With the build cache (``digest.store.cache``, on by default) every stage first looks for its
result from an earlier build: files not changed since are not read again, articles already
summarized with the same settings are not summarized again, and the grouping and composing of
an unchanged set of articles are reused. The output is the same with or without it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import compose, dedup, ingest, output, render
from digest.config import Settings
from digest.dedup import Fingerprint
from digest.models import Article, Digest, Rendered, Sentence, Skipped, Story, Summary
from digest.parallel import Workers
from digest.reading import _read_inputs, read_inputs  # noqa: F401 - read_inputs: part of this module's API
from digest.store.cache import BuildCache, digest_key
from digest.summaries import Progress, SummaryWork, start_worker, summarize_all  # noqa: F401 - summarize_all: API

@dataclass(frozen=True)
class BuildResult:
    """What a build produced: the digest, its rendering, the files written and the inputs skipped.

    ``cache`` counts the build cache's hits and misses by kind (empty without the cache).
    """

    digest: Digest
    rendered: Rendered
    written: tuple[Path, ...]
    skipped: tuple[Skipped, ...]
    cache: dict[str, int] = field(default_factory=dict)


def summarize_files(
    paths: Sequence[str | Path], settings: Settings, *, progress: Progress | None = None, lede: bool = False
) -> tuple[list[Article], list[Skipped], list[Summary], list[Fingerprint]]:
    """Read and summarize every file (what ``digest summarize`` does), with ``output.jobs`` workers;
    ``lede`` as for ``summarize_all``.

    Each batch of files is summarized as soon as it is read. Returns the articles, the skipped
    inputs, one summary per article and each article's fingerprint (for ``dedup.group_indices``).
    """
    # Nothing is composed: the summaries' sentence terms (and the stemmer) are not needed.
    with Workers(settings.output.jobs, start_worker, (settings.summary.algorithm, False)) as workers:
        summaries = SummaryWork(workers, settings, None, lede=lede, terms=False)
        articles, skipped, prints = _read_inputs(paths, settings, None, workers, on_articles=summaries.start)
        taken = summaries.take(articles, None, progress)
        made = [taken.get(i) for i in range(len(articles))]
    return articles, skipped, made, _fingerprints(articles, prints)


def make_digest(
    articles: Sequence[Article],
    settings: Settings,
    *,
    day: dt.date,
    now: dt.datetime,
    skipped: Iterable[Skipped] = (),
    progress: Progress | None = None,
    cache: BuildCache | None = None,
    prints: Sequence[Fingerprint | None] | None = None,
    summaries: SummaryWork | None = None,
) -> tuple[Digest, Rendered]:
    """Group versions of one story, summarize, compose and render (within the email size limit).

    Writes nothing. Each story is summarized from its fullest version; the others become its
    sources. ``cache`` (optional) supplies results of earlier builds; the result is the same.
    ``prints`` (the articles' fingerprints where already made) and ``summaries`` (summaries
    started ahead, by ``build``) only save time.
    """
    skipped = tuple(skipped)
    # With a cache, everything below is keyed by content hashes; articles made without one
    # (by library callers) are simply not cached.
    if cache is not None and not all(a.content_hash for a in articles):
        cache = None
    with contextlib.ExitStack() as stack:
        if summaries is None:
            workers = stack.enter_context(Workers(settings.output.jobs, start_worker, (settings.summary.algorithm,)))
            summaries = SummaryWork(workers, settings, None, lede=True)  # digest entries
        groups = _grouped(articles, cache, prints)
        heads = [group[0] for group in groups]
        # The composed digest is a function of the articles and settings (summaries are too), so
        # when the cache has it, not even the summaries need loading.
        key = _compose_key(groups, settings, day, skipped) if cache else ""
        digest = _cached_digest(cache.result("composed", key), heads, groups, settings, day, now, skipped) if cache else None
        if digest is not None:
            if progress:
                progress(len(articles))
        else:
            if progress and len(groups) < len(articles):
                progress(len(articles) - len(groups))  # merged versions need no summary of their own
            # Stories are composed in digest order as their summaries come in: the workers
            # make the last ones while this process composes the first.
            order = compose.story_order([compose.best_dated(h, g) for h, g in zip(heads, groups)])
            taken = summaries.take(heads, cache, progress, order)
            digest = compose.compose_as_summarized(
                heads,
                taken.get,
                ready=taken.ready(0.5),
                day=day,
                generated_at=now,
                title=settings.digest.title,
                timezone=settings.digest.timezone,
                preheader=settings.digest.preheader,
                skipped=skipped,
                sources=groups,
                terms=taken.terms,
            )
            taken.store()
            if cache:
                cache.store_result("composed", key, _digest_record(digest, heads))
    return render.fit_for_email(
        digest,
        templates_dir=settings.paths.templates or None,
        max_html_bytes=settings.output.max_html_kb * 1000,
    )


def _grouped(articles: Sequence[Article], cache: BuildCache | None,
             prints: Sequence[Fingerprint | None] | None = None) -> list[tuple[Article, ...]]:
    """``dedup.group_articles``, or its result for the same articles in the same order from the cache."""
    if cache is None:
        return dedup.group_articles(articles, _fingerprints(articles, prints))
    key = digest_key("groups", [a.content_hash for a in articles])
    stored = cache.result("groups", key)
    if stored is not None:
        try:
            return [tuple(articles[i] for i in group) for group in stored]
        except (IndexError, TypeError):
            pass  # not what we stored: group again
    groups = dedup.group_articles(articles, _fingerprints(articles, prints))
    index_of = {id(a): i for i, a in enumerate(articles)}
    cache.store_result("groups", key, [[index_of[id(a)] for a in group] for group in groups])
    return groups


def _fingerprints(articles: Sequence[Article], prints: Sequence[Fingerprint | None] | None) -> list[Fingerprint]:
    """Every article's fingerprint: those already made, and the rest made now (all at once)."""
    if prints is None:
        prints = [None] * len(articles)
    missing = [i for i, p in enumerate(prints) if p is None]
    made = dict(zip(missing, dedup.fingerprints([articles[i].body for i in missing])))
    return [p if p is not None else made[i] for i, p in enumerate(prints)]


def _compose_key(groups: Sequence[Sequence[Article]], settings: Settings, day: dt.date,
                 skipped: Sequence[Skipped]) -> str:
    """Everything composing depends on, apart from the time of the build."""
    def identity(a: Article) -> list[Any]:
        # The body is a function of the content hash (and of the code, which the cache checks).
        return [a.path, a.content_hash, a.title, a.title_derived, a.date.isoformat() if a.date else None,
                a.date_source, a.source, a.place, a.author, a.url]

    return digest_key(
        "composed", day.isoformat(), settings.digest.title, settings.digest.timezone, settings.digest.preheader,
        settings.summary.algorithm, settings.summary.sentences, settings.summary.words,
        [[identity(a) for a in group] for group in groups],
        [[s.path, s.reason] for s in skipped],
    )


def _digest_record(digest: Digest, heads: Sequence[Article]) -> dict[str, Any]:
    """What composing decided, as JSON: story order, re-dated articles, summaries, preheader."""
    position = {(a.path, a.content_hash): i for i, a in enumerate(heads)}
    stories = []
    for story in digest.stories:
        head = position[story.article.path, story.article.content_hash]
        redated = story.article is not heads[head]
        stories.append([
            head,
            [story.article.date.isoformat() if story.article.date else None, story.article.date_source] if redated else None,
            story.summary.algorithm,
            [[s.text, s.index, s.score] for s in story.summary.sentences],
        ])
    return {"stories": stories, "preheader": digest.preheader}


def _cached_digest(
    record: Any, heads: Sequence[Article], groups: Sequence[Sequence[Article]], settings: Settings,
    day: dt.date, now: dt.datetime, skipped: tuple[Skipped, ...],
) -> Digest | None:
    """The digest ``compose.compose`` made for the same inputs, from its record; None when there is none."""
    if record is None:
        return None
    try:
        stories = []
        for head, redated, algorithm, sentences in record["stories"]:
            article = heads[head]
            if redated is not None:
                date = dt.date.fromisoformat(redated[0]) if redated[0] else None
                article = dataclasses.replace(article, date=date, date_source=redated[1])
            summary = Summary(algorithm, tuple(Sentence(text, index, score) for text, index, score in sentences))
            group = groups[head]
            stories.append(Story(article, summary, tuple(group) if len(group) > 1 else ()))
        preheader = record["preheader"]
    except (KeyError, IndexError, TypeError, ValueError):
        return None  # not what we stored: compose again
    return Digest(
        date=day,
        title=settings.digest.title,
        heading=compose.heading_for(settings.digest.title, day),
        stories=tuple(stories),
        generated_at=now,
        timezone=settings.digest.timezone,
        preheader=preheader,
        skipped=skipped,
    )


def _make_folder(path: Path) -> bool:
    """Create the out folder; False when that fails (writing the digest will then say why)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return True


def build(
    settings: Settings,
    *,
    day: dt.date,
    now: dt.datetime,
    progress: Progress | None = None,
    on_files: Callable[[int], None] | None = None,
    use_cache: bool = True,
) -> BuildResult:
    """Read the seeds folder, build the digest for ``day`` and write it to the out folder.

    Unreadable files are skipped and listed in the result; they never stop the build. With
    ``use_cache`` the build cache in OUT/state is used (and a problem with it only logged).
    """
    unlisted: list[Skipped] = []  # folders of seeds/ that could not be listed
    # One set of workers for the whole build: they read the files (and fingerprint them for
    # grouping), then summarize, starting as soon as articles are read (see digest.summaries).
    with Workers(settings.output.jobs, start_worker, (settings.summary.algorithm,)) as workers:
        if not use_cache:
            workers.start(settings.output.jobs)  # every file will be read: fork while listing them
        paths = ingest.find_article_files(settings.paths.seeds, settings.input.patterns, unreadable=unlisted)
        if on_files:
            on_files(len(paths))
        out = Path(settings.paths.out)
        cache = BuildCache.open(out) if use_cache and _make_folder(out) else None
        try:
            summaries = SummaryWork(workers, settings, cache, lede=True)  # digest entries
            articles, skipped, prints = _read_inputs(paths, settings, cache, workers, on_articles=summaries.start)
            skipped = unlisted + skipped
            digest, rendered = make_digest(articles, settings, day=day, now=now, skipped=skipped, progress=progress,
                                           cache=cache, prints=prints, summaries=summaries)
        finally:
            if cache:
                cache.close()
    written = output.write_digest(out, day, rendered)
    index_html = render.render_index(output.archive_entries(out), settings.digest.title)
    written.append(output.write_atomic(out / "index.html", index_html))
    return BuildResult(digest, rendered, tuple(written), tuple(skipped), dict(cache.stats) if cache else {})
