"""The summaries a build needs: from the cache, made in the worker processes ahead of grouping,
or made here; and ``summarize_all`` for a list of articles.

With workers, articles are summarized as soon as they are read (``SummaryWork.start``), while
this process groups the versions of each story; ``SummaryWork.take`` then keeps what is needed,
cancels the rest, and hands out the summaries in the order composing asks for them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from digest import dedup
from digest.config import Settings
from digest.models import Article, Summary
from digest.packing import Articles, Summaries
from digest.parallel import Workers
from digest.store.cache import BuildCache
from digest.summarize import get_scorer, summarize_article

#: Called once per article processed (for progress bars).
Progress = Callable[[int], None]


def start_worker(algorithm: str, terms: bool = True) -> None:
    """Build the scorer (sumy's are slow to import) and, for work that needs sentence terms, load
    the stemmer (importing nltk takes 0.2 s) before any article: in the parent when workers are
    forked, else in each worker."""
    get_scorer(algorithm)
    if terms:
        dedup.sentence_terms("Workers start with the stemmer loaded.")


def _summarize_one(article: Article, algorithm: str, count: int, words: int, lede: bool) -> Summary:
    return summarize_article(article, algorithm=algorithm, count=count, words=words or None, lede=lede)


#: Summaries and the content terms of each of their sentences (what composing compares).
Summarized = tuple[Summaries, list[tuple[frozenset[str], ...]]]


def _summarize_chunk(articles: Sequence[Article], algorithm: str, count: int, words: int, lede: bool,
                     terms: bool = True) -> Summarized:
    """Summaries of ``articles``, with their sentences' terms unless not ``terms`` (in a worker
    process or here). New sentences' terms cost about as much as the summaries: only composing
    a digest needs them."""
    made = Summaries(_summarize_one(a, algorithm, count, words, lede) for a in articles)
    if not terms:
        return made, [()] * len(made)
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
    with Workers(jobs, start_worker, (algorithm, False)) as workers:  # no terms: nothing is composed
        return workers.map(functools.partial(_summarize_one, algorithm=algorithm, count=count, words=words, lede=lede),
                           articles, sizes=[len(a.body) for a in articles], progress=progress,
                           chunk_type=Articles, result_type=Summaries)


class SummaryWork:
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

    def __init__(self, workers: Workers, settings: Settings, cache: BuildCache | None, *, lede: bool,
                 terms: bool = True):
        # lede=True: summaries as digest entries show them (see digest.summarize.Scorer). Builds
        # ask for those and are the only users of the cache, so it never holds anything else.
        # terms=False: the summaries' sentence terms are not needed (nothing is composed).
        self._workers = workers
        self._cache = cache
        summary = settings.summary
        self._how = (summary.algorithm, summary.sentences, summary.words)
        self._lede = lede
        self._chunk = functools.partial(_summarize_chunk, algorithm=summary.algorithm, count=summary.sentences,
                                        words=summary.words, lede=lede, terms=terms)
        self._terms = terms
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
             order: Sequence[int] | None = None) -> Taken:
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
        taken = Taken(self._workers, heads, known, started, cache, self._how, progress)
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
                (summary,), (terms,) = _summarize_chunk([article], algorithm, count, words, self._lede, self._terms)
                taken._add(article, summary, terms)
                if progress:
                    progress(1)
        return taken


class Taken:
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
