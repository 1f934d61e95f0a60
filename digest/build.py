"""``build()``: seeds folder → summarized, composed, rendered and written digest. Reads top to bottom.

With the build cache (``digest.store.cache``, on by default) every stage first looks for its
result from an earlier build: files not changed since are not read again, articles already
summarized with the same settings are not summarized again, and the grouping and composing of
an unchanged set of articles are reused. The output is the same with or without it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import compose, dedup, ingest, output, render
from digest.config import Settings
from digest.errors import ArticleError
from digest.models import Article, Digest, Rendered, Sentence, Skipped, Story, Summary
from digest.store.cache import BuildCache, FileStamp, digest_key
from digest.summarize import get_scorer, summarize_article

#: Called once per article processed (for progress bars).
Progress = Callable[[int], None]


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


def _start_worker(algorithm: str) -> None:
    """Build the scorer once per worker process (sumy's are slow to import), before any article."""
    get_scorer(algorithm)


def _summarize_one(job: tuple[Article, str, int, int]) -> Summary:
    article, algorithm, count, words = job
    return summarize_article(article, algorithm=algorithm, count=count, words=words or None)


def summarize_all(
    articles: Sequence[Article],
    *,
    algorithm: str,
    count: int,
    words: int = 0,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Summary]:
    """Summarize every article, in order; with ``jobs`` > 1 across worker processes.

    Articles go to the workers in chunks (one pickling round trip per chunk, not per article),
    small enough that both workers stay busy to the end.
    """
    work = [(a, algorithm, count, words) for a in articles]
    results: list[Summary] = []
    if jobs > 1 and len(work) > 1:
        chunk = max(1, min(64, len(work) // (jobs * 4)))
        # Never more workers than articles: each one costs a process and its imports.
        with ProcessPoolExecutor(max_workers=min(jobs, len(work)), initializer=_start_worker,
                                 initargs=(algorithm,)) as pool:
            for summary in pool.map(_summarize_one, work, chunksize=chunk):
                results.append(summary)
                if progress:
                    progress(1)
    else:
        for item in work:
            results.append(_summarize_one(item))
            if progress:
                progress(1)
    return results


def _read_one(job: tuple[str, str, int]) -> tuple[list[Article | Skipped], bool]:
    """A file's items, and whether it could be read at all (runs in worker processes too)."""
    path, timezone, max_bytes = job
    try:
        return ingest.read_file_items(path, timezone=timezone, max_bytes=max_bytes), True
    except ArticleError as exc:
        return [Skipped(exc.path, exc.reason)], False


def read_inputs(
    paths: Sequence[str | Path], settings: Settings, cache: BuildCache | None = None, *, jobs: int = 1
) -> tuple[list[Article], list[Skipped]]:
    """Read every file, in order: the articles, and the files (or parts) skipped with reasons.

    With a cache, a file whose size and times have not changed is taken from it, unread. A file
    that could not be read at all is never cached: it may be a passing problem. With ``jobs`` > 1
    the files to read are parsed in worker processes.
    """
    timezone = settings.digest.timezone
    max_bytes = int(settings.input.max_file_mb * 1_000_000)
    stamps: list[FileStamp | None] = []
    for path in paths:
        try:
            stamps.append(FileStamp.of(path) if cache else None)
        except OSError:
            stamps.append(None)  # reading it will say why
    usable = [s for s in stamps if s is not None and s.size <= max_bytes]
    known = cache.file_items(usable, timezone) if cache else {}
    items_of: list[list[Article | Skipped] | None] = [
        known.get(str(path)) if stamp is not None and stamp.size <= max_bytes else None
        for path, stamp in zip(paths, stamps)
    ]
    to_read = [i for i, items in enumerate(items_of) if items is None]
    work = [(str(paths[i]), timezone, max_bytes) for i in to_read]
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as pool:
            done = list(pool.map(_read_one, work, chunksize=max(1, min(64, len(work) // (jobs * 4)))))
    else:
        done = [_read_one(job) for job in work]
    fresh: list[tuple[FileStamp, list[Article | Skipped]]] = []
    for i, (items, readable) in zip(to_read, done):
        items_of[i] = items
        if readable and stamps[i] is not None:
            fresh.append((stamps[i], items))  # type: ignore[arg-type]
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for items in items_of:
        for item in items or ():
            (skipped if isinstance(item, Skipped) else articles).append(item)
    if cache:
        cache.store_files(fresh, timezone)
        if fresh or cache.stats["files_stale"]:
            cache.forget_files_except(str(Path(settings.paths.seeds)), [s.path for s in stamps if s is not None])
    return articles, skipped


def make_digest(
    articles: Sequence[Article],
    settings: Settings,
    *,
    day: dt.date,
    now: dt.datetime,
    skipped: Iterable[Skipped] = (),
    progress: Progress | None = None,
    cache: BuildCache | None = None,
) -> tuple[Digest, Rendered]:
    """Group versions of one story, summarize, compose and render (within the email size limit).

    Writes nothing. Each story is summarized from its fullest version; the others become its
    sources. ``cache`` (optional) supplies results of earlier builds; the result is the same.
    """
    skipped = tuple(skipped)
    # With a cache, everything below is keyed by content hashes; articles made without one
    # (by library callers) are simply not cached.
    if cache is not None and not all(a.content_hash for a in articles):
        cache = None
    groups = _grouped(articles, cache)
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
        summaries = _summaries(heads, settings, cache, progress)
        digest = compose.compose(
            list(zip(heads, summaries)),
            day=day,
            generated_at=now,
            title=settings.digest.title,
            timezone=settings.digest.timezone,
            preheader=settings.digest.preheader,
            skipped=skipped,
            sources=groups,
        )
        if cache:
            cache.store_result("composed", key, _digest_record(digest, heads))
    return render.fit_for_email(
        digest,
        templates_dir=settings.paths.templates or None,
        max_html_bytes=settings.output.max_html_kb * 1000,
    )


def _grouped(articles: Sequence[Article], cache: BuildCache | None) -> list[tuple[Article, ...]]:
    """``dedup.group_articles``, or its result for the same articles in the same order from the cache."""
    if cache is None:
        return dedup.group_articles(articles)
    key = digest_key("groups", [a.content_hash for a in articles])
    stored = cache.result("groups", key)
    if stored is not None:
        try:
            return [tuple(articles[i] for i in group) for group in stored]
        except (IndexError, TypeError):
            pass  # not what we stored: group again
    groups = dedup.group_articles(articles)
    index_of = {id(a): i for i, a in enumerate(articles)}
    cache.store_result("groups", key, [[index_of[id(a)] for a in group] for group in groups])
    return groups


def _summaries(
    heads: Sequence[Article], settings: Settings, cache: BuildCache | None, progress: Progress | None
) -> list[Summary]:
    """One summary per article: from the cache when it has one, else made (in worker processes with jobs > 1)."""
    algorithm, count, words = settings.summary.algorithm, settings.summary.sentences, settings.summary.words
    if cache is None:
        return summarize_all(heads, algorithm=algorithm, count=count, words=words, jobs=settings.output.jobs,
                             progress=progress)
    known = cache.summaries([a.content_hash for a in heads], algorithm, count, words)
    missing = [a for a in heads if a.content_hash not in known]
    if progress and len(missing) < len(heads):
        progress(len(heads) - len(missing))
    made = summarize_all(missing, algorithm=algorithm, count=count, words=words, jobs=settings.output.jobs, progress=progress)
    cache.store_summaries([(a.content_hash, s) for a, s in zip(missing, made)], count, words)
    if missing:
        cache.forget_summaries_except(a.content_hash for a in heads)
    known.update((a.content_hash, s) for a, s in zip(missing, made))
    return [known[a.content_hash] for a in heads]


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
    paths = ingest.find_article_files(settings.paths.seeds, settings.input.patterns, unreadable=unlisted)
    if on_files:
        on_files(len(paths))
    out = Path(settings.paths.out)
    cache = BuildCache.open(out) if use_cache and _make_folder(out) else None
    try:
        articles, skipped = read_inputs(paths, settings, cache, jobs=settings.output.jobs)
        skipped = unlisted + skipped
        digest, rendered = make_digest(articles, settings, day=day, now=now, skipped=skipped, progress=progress,
                                       cache=cache)
    finally:
        if cache:
            cache.close()
    written = output.write_digest(out, day, rendered)
    index_html = render.render_index(output.archive_entries(out), settings.digest.title)
    written.append(output.write_atomic(out / "index.html", index_html))
    return BuildResult(digest, rendered, tuple(written), tuple(skipped), dict(cache.stats) if cache else {})
