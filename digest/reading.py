"""Reading the input files of a build: cached when unchanged, else parsed (in worker processes with ``--jobs``).

In a worker, reading a batch of files also makes their articles' dedup fingerprints, so the
parent only has to compare them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

from digest import dedup, ingest
from digest.config import Settings
from digest.dedup import Fingerprint
from digest.errors import ArticleError
from digest.models import Article, Skipped
from digest.packing import Articles
from digest.parallel import Workers
from digest.store.cache import BuildCache, FileStamp


def _read_one(job: tuple[str, str, int]) -> tuple[list[Article | Skipped], bool]:
    """A file's items, and whether it could be read at all (runs in worker processes too)."""
    path, timezone, max_bytes = job
    try:
        return ingest.read_file_items(path, timezone=timezone, max_bytes=max_bytes), True
    except ArticleError as exc:
        return [Skipped(exc.path, exc.reason)], False


#: What reading one file gave: its items, whether it could be read, its articles' fingerprints.
FileRead = tuple[list[Article | Skipped], bool, list[Fingerprint]]

def _read_chunk(jobs: Sequence[tuple[str, str, int]]) -> list[FileRead]:
    """Read files, with the fingerprints grouping will need (in a worker: done there, in parallel)."""
    done = [_read_one(job) for job in jobs]
    bodies = [item.body for items, _ in done for item in items if isinstance(item, Article)]
    prints = iter(dedup.fingerprints(bodies, presort=True))
    # Articles() pickles compactly, for the trip back from a worker.
    return [(Articles(items), readable, [next(prints) for item in items if isinstance(item, Article)])
            for items, readable in done]


def read_inputs(
    paths: Sequence[str | Path], settings: Settings, cache: BuildCache | None = None, *, jobs: int = 1
) -> tuple[list[Article], list[Skipped]]:
    """Read every file, in order: the articles, and the files (or parts) skipped with reasons.

    With a cache, a file whose size and times have not changed is taken from it, unread. A file
    that could not be read at all is never cached: it may be a passing problem. With ``jobs`` > 1
    the files to read are parsed in worker processes.
    """
    with Workers(jobs) as workers:
        articles, skipped, _ = _read_inputs(paths, settings, cache, workers)
    return articles, skipped


def _read_inputs(
    paths: Sequence[str | Path], settings: Settings, cache: BuildCache | None, workers: Workers,
    on_articles: Callable[[list[Article]], None] | None = None,
) -> tuple[list[Article], list[Skipped], list[Fingerprint | None]]:
    """``read_inputs``, and each article's fingerprint when a worker made it (else None).

    ``on_articles`` is given the articles of each batch of files as soon as the batch is read.
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
    done: list[FileRead | None] = [None] * len(work)
    if len(work) > 1 and workers.start(len(work)):
        # In a fixed shuffled order: the articles handed on first (summarized while this process
        # groups) are then a fair sample of them all, whose sentence terms guide composing
        # (taken in the order of the folder, one source's files first, they tripled its work).
        order = list(range(len(work)))
        random.Random(len(work)).shuffle(order)
        where = dict(workers.submit_chunks(_read_chunk, [work[i] for i in order]))
        for future in workers.as_completed(list(where)):
            positions = [order[i] for i in where[future]]
            for position, result in zip(positions, future.result()):
                done[position] = result
            if on_articles:
                on_articles([a for position in positions for a in done[position][0] if isinstance(a, Article)])
    else:
        # Here grouping computes every fingerprint at once: cheaper than file by file.
        done = [(*_read_one(job), []) for job in work]
    prints_of: dict[int, list[Fingerprint]] = {}
    fresh: list[tuple[FileStamp, list[Article | Skipped]]] = []
    for i, (items, readable, prints) in zip(to_read, done):  # type: ignore[misc]
        items_of[i] = items
        prints_of[i] = prints
        if readable and stamps[i] is not None:
            fresh.append((stamps[i], items))  # type: ignore[arg-type]
    articles: list[Article] = []
    skipped: list[Skipped] = []
    article_prints: list[Fingerprint | None] = []
    for i, items in enumerate(items_of):
        prints = iter(prints_of.get(i) or ())
        for item in items or ():
            if isinstance(item, Skipped):
                skipped.append(item)
            else:
                articles.append(item)
                article_prints.append(next(prints, None))
    if cache:
        cache.store_files(fresh, timezone)
        if fresh or cache.stats["files_stale"]:
            cache.forget_files_except(str(Path(settings.paths.seeds)), [s.path for s in stamps if s is not None])
    return articles, skipped, article_prints
