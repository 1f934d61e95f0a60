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
import functools
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import compose, dedup, ingest, output, render
from digest.config import Settings
from digest.dedup import Fingerprint
from digest.models import Article, Digest, Rendered, Sentence, Skipped, Story, Summary
from digest.parallel import Workers
from digest.packing import Articles, Summaries
from digest.reading import _read_inputs, read_inputs  # noqa: F401 - read_inputs: part of this module's API
from digest.store.cache import BuildCache, digest_key
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
    """Build the scorer (sumy's are slow to import) and load the stemmer (importing nltk takes
    0.2 s) before any article: in the parent when workers are forked, else in each worker."""
    get_scorer(algorithm)
    dedup.sentence_terms("Workers start with the stemmer loaded.")


def _summarize_one(article: Article, algorithm: str, count: int, words: int, lede: bool = False) -> Summary:
    return summarize_article(article, algorithm=algorithm, count=count, words=words or None, lede=lede)


#: Summaries and the content terms of each of their sentences (what composing compares).
Summarized = tuple[Summaries, list[tuple[frozenset[str], ...]]]


def _summarize_chunk(
    articles: Sequence[Article], algorithm: str, count: int, words: int, lede: bool = True
) -> Summarized:
    """Summaries of ``articles`` (ledes: digest entries, unless told otherwise), with their
    sentences' terms (in a worker process or here)."""
    made = Summaries(
        summarize_article(a, algorithm=algorithm, count=count, words=words or None, lede=lede) for a in articles
    )
    return made, [tuple(dedup.sentence_terms(s.text) for s in summary.sentences) for summary in made]


def summarize_all(
    articles: Sequence[Article],
    *,
    algorithm: str,
    count: int,
    words: int = 0,
    jobs: int = 1,
    progress: Progress | None = None,
    lede: bool = False,
) -> list[Summary]:
    """Summarize every article, in order; with ``jobs`` > 1 in that many processes. ``lede``: see
    ``digest.summarize.Scorer``.

    The longest articles go first and the chunks shrink towards the end (``digest.parallel``),
    so the processes finish together.
    """
    with Workers(jobs, _start_worker, (algorithm,)) as workers:
        return workers.map(functools.partial(_summarize_one, algorithm=algorithm, count=count, words=words, lede=lede),
                           articles, sizes=[len(a.body) for a in articles], progress=progress,
                           chunk_type=Articles, result_type=Summaries)


def summarize_files(
    paths: Sequence[str | Path], settings: Settings, *, progress: Progress | None = None, lede: bool = False
) -> tuple[list[Article], list[Skipped], list[Summary], list[Fingerprint]]:
    """Read and summarize every file (what ``digest summarize`` does), with ``output.jobs`` workers;
    ``lede`` as for ``summarize_all``.

    Each batch of files is summarized as soon as it is read. Returns the articles, the skipped
    inputs, one summary per article and each article's fingerprint (for ``dedup.group_indices``).
    """
    with Workers(settings.output.jobs, _start_worker, (settings.summary.algorithm,)) as workers:
        summaries = _Summaries(workers, settings, None, lede=lede)
        articles, skipped, prints = _read_inputs(paths, settings, None, workers, on_articles=summaries.start)
        taken = summaries.take(articles, None, progress)
        made = [taken.get(i) for i in range(len(articles))]
    return articles, skipped, made, _fingerprints(articles, prints)


class _Summaries:
    """The summaries a digest needs: from the cache, else made (in the workers when there are some).

    With worker processes, ``start`` has articles summarized as soon as they are read, before
    grouping says which ones need a summary (the fullest version of each story). The work queues
    behind the reading, so it runs while this process groups, when the workers would otherwise
    wait; ``take`` then cancels whatever has not started and sends only the articles still
    needed. So little is made in vain: at most what the workers did while grouping ran.
    Without workers nothing is made ahead.
    """

    #: Articles per chunk made ahead: small, so that little of what grouping cancels has started.
    AHEAD_CHUNK = 16

    def __init__(self, workers: Workers, settings: Settings, cache: BuildCache | None, *, lede: bool = True):
        # lede: summaries as digest entries show them (see digest.summarize.Scorer); the cache
        # only ever holds those, and only builds use it.
        self._workers = workers
        self._cache = cache
        summary = settings.summary
        self._how = (summary.algorithm, summary.sentences, summary.words)
        self._lede = lede
        self._chunk = functools.partial(_summarize_chunk, algorithm=summary.algorithm, count=summary.sentences,
                                        words=summary.words, lede=lede)
        self._started: dict[int, tuple[Future[Summarized], int]] = {}  # by id() of the article
        self._alive: list[Article] = []  # keeps every started article, and so its id(), alive

    def start(self, articles: Sequence[Article]) -> None:
        """Have ``articles`` summarized ahead, in the workers (never those the cache has)."""
        if not self._workers.parallel or not articles:
            return
        if self._cache is not None:
            if not all(a.content_hash for a in articles):
                return
            cached = self._cache.summarized([a.content_hash for a in articles], *self._how)
            articles = [a for a in articles if a.content_hash not in cached]
        if articles and self._workers.start(len(articles)):
            for at in range(0, len(articles), self.AHEAD_CHUNK):
                self._submit(articles[at : at + self.AHEAD_CHUNK])

    def _submit(self, articles: Sequence[Article]) -> None:
        future = self._workers.submit(self._chunk, Articles(articles))
        for position, article in enumerate(articles):
            self._started[id(article)] = (future, position)
        self._alive.extend(articles)

    def take(self, heads: Sequence[Article], cache: BuildCache | None, progress: Progress | None,
             order: Sequence[int] | None = None) -> _Taken:
        """The summaries of ``heads``: at hand, being made, or (without workers) made now.

        What has not started is cancelled, and the articles still needed are sent again in
        ``order`` (positions in ``heads``: the order they will be asked for), the others not at all:
        a chunk made ahead that only grouping's cast-offs wanted is not made.
        """
        algorithm, count, words = self._how
        known = cache.summaries([a.content_hash for a in heads], *self._how) if cache else {}
        missing = [i for i, a in enumerate(heads) if a.content_hash not in known] if cache else list(range(len(heads)))
        if progress and len(missing) < len(heads):
            progress(len(heads) - len(missing))
        if order is not None:
            rank = {position: r for r, position in enumerate(order)}
            missing.sort(key=rank.__getitem__)
        # The new chunks are queued before the old ones are cancelled, so that a worker never
        # finds its queue empty in between (one that starts meanwhile just runs; its result is
        # not used).
        unstarted = {future for future, _ in self._started.values() if not self._workers.started(future)}
        started = {key: value for key, value in self._started.items() if value[0] not in unstarted}
        taken = _Taken(self._workers, heads, known, started, cache, self._how, progress)
        new = [heads[i] for i in missing if id(heads[i]) not in started]
        if len(new) > 1 and self._workers.start(len(new)):
            for future, positions in self._workers.submit_chunks(self._chunk, new, chunk_type=Articles):
                for position in positions:
                    started[id(new[position])] = (future, position - positions.start)
            for future in unstarted:
                self._workers.cancel(future)
        else:
            for future in unstarted:
                self._workers.cancel(future)
            for article in new:
                (summary,), (terms,) = _summarize_chunk([article], algorithm, count, words, self._lede)
                taken._add(article, summary, terms)
                if progress:
                    progress(1)
        return taken


class _Taken:
    """The summaries of a digest's stories, some still being made: ``get`` waits for one."""

    def __init__(self, workers: Workers, heads: Sequence[Article], known: dict[str, Summary],
                 started: dict[int, tuple[Future[Summarized], int]], cache: BuildCache | None,
                 how: tuple[str, int, int], progress: Progress | None):
        self._workers = workers
        self._heads = heads
        self._known = known
        self._started = started
        self._cache = cache
        self._how = how
        self._progress = progress
        self.made: dict[int, tuple[Summary, tuple[frozenset[str], ...]]] = {}  # by id() of the article
        #: Terms of the new summaries' sentences, for composing; grows as they come in.
        self.terms: dict[str, frozenset[str]] = {}
        self._wanted: dict[Future[Summarized], list[Article]] | None = None
        self._asked = 0

    def _collect(self, future: Future[Summarized]) -> None:
        if self._wanted is None:  # the articles each chunk holds that are needed
            self._wanted = {}
            for article in self._heads:
                if id(article) in self._started and id(article) not in self.made:
                    self._wanted.setdefault(self._started[id(article)][0], []).append(article)
        wanted = self._wanted.pop(future, [])
        if wanted:
            summaries, terms = self._workers.result(future)  # doing queued work here meanwhile
            for article in wanted:
                position = self._started[id(article)][1]
                self._add(article, summaries[position], terms[position])
            if self._progress:
                self._progress(len(wanted))

    def _add(self, article: Article, summary: Summary, terms: tuple[frozenset[str], ...]) -> None:
        self.made[id(article)] = summary, terms
        self.terms.update(zip((s.text for s in summary.sentences), terms))

    def ready(self, share: float = 0.0) -> list[Summary]:
        """The summaries at hand, once at least ``share`` of them are (doing queued work
        meanwhile). Composing takes the frequencies of their terms as a sample, and a sample of
        the first tenth or so made the check for repeats look at a third more pairs."""
        wanted = share * (len(self._heads) - len(self._known))
        while True:
            for future in {future for future, _ in self._started.values() if future.done()}:
                self._collect(future)
            if len(self.made) >= wanted or not self._workers.help():
                break
        return [*self._known.values(), *(summary for summary, _ in self.made.values())]

    def get(self, position: int) -> Summary:
        """The summary of ``heads[position]``, once it is made (ask for each once)."""
        article = self._heads[position]
        if id(article) in self.made or article.content_hash not in self._known:
            if id(article) not in self.made:
                self._collect(self._started[id(article)][0])
            summary = self.made[id(article)][0]
        else:
            summary = self._known[article.content_hash]
        self._asked += 1
        if self._asked == len(self._heads):
            self._workers.stop()  # all in: the workers exit while this process composes the rest
        return summary

    def store(self) -> None:
        """Put the new summaries in the cache (and forget those of articles gone)."""
        if self._cache is None:
            return
        made = [(a.content_hash, self.made[id(a)][0]) for a in self._heads if id(a) in self.made]
        self._cache.store_summaries(made, *self._how[1:])
        if made:
            self._cache.forget_summaries_except(a.content_hash for a in self._heads)


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
    summaries: _Summaries | None = None,
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
            workers = stack.enter_context(Workers(settings.output.jobs, _start_worker, (settings.summary.algorithm,)))
            summaries = _Summaries(workers, settings, None)
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
    # grouping), then summarize, starting as soon as articles are read (see _Summaries).
    with Workers(settings.output.jobs, _start_worker, (settings.summary.algorithm,)) as workers:
        if not use_cache:
            workers.start(settings.output.jobs)  # every file will be read: fork while listing them
        paths = ingest.find_article_files(settings.paths.seeds, settings.input.patterns, unreadable=unlisted)
        if on_files:
            on_files(len(paths))
        out = Path(settings.paths.out)
        cache = BuildCache.open(out) if use_cache and _make_folder(out) else None
        try:
            summaries = _Summaries(workers, settings, cache)
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
