"""Worker processes for ``--jobs N``: one pool per command, work sent in chunks, results in input order.

How close N processes come to N times the speed depends on three things, and this module
handles the last two for every command (``build.py`` keeps the first small):

* the parent's own serial work;
* the cost of each round trip (pickling, queues): items travel in chunks, several per message;
* the end of the work: the biggest items go first and the chunks shrink as the work runs out
  (guided scheduling), so no worker is left alone with a long chunk while the others wait.

On Linux, and when this process has no other threads, the workers are forked: they start in
milliseconds, with every module the parent imported and its warm caches. Forking a process with
other threads (the daemon's) risks a lock held forever in the child, so there, and on other
systems, the platform's default start method is used. Results never depend on it: nothing sent
between processes rests on per-process state such as Python's salted ``hash()``.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Most items per chunk: enough to make a round trip's cost negligible, few enough to balance.
MOST_PER_CHUNK = 64
#: Aim for this many chunks per worker in what is left of the work (guided scheduling).
CHUNKS_PER_WORKER = 4


def _context() -> Any:
    """Fork where that is fast and safe; the platform's default start method elsewhere."""
    if sys.platform == "linux" and threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return None


def chunk_sizes(count: int, jobs: int, *, most: int = MOST_PER_CHUNK) -> list[int]:
    """How to cut ``count`` items into chunks for ``jobs`` workers: each chunk a share of what is
    left (at most ``most``), so chunks shrink to one item at the end."""
    sizes: list[int] = []
    left = count
    while left > 0:
        size = max(1, min(most, left // (jobs * CHUNKS_PER_WORKER)))
        sizes.append(size)
        left -= size
    return sizes


def _apply(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [func(item) for item in items]


class Workers:
    """Up to ``jobs`` worker processes, started on first use and stopped on leaving the ``with``.

    With ``jobs`` = 1 there are none and everything runs in this process, through the same
    calls: code that uses a ``Workers`` is written once. ``initializer(*initargs)`` prepares a
    worker (imports, scorers); when workers are forked it runs once, here, before the fork.
    """

    def __init__(self, jobs: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()):
        self.jobs = max(1, jobs)
        self._initializer = initializer
        self._initargs = initargs
        self._pool: ProcessPoolExecutor | None = None
        self._frozen = False

    @property
    def parallel(self) -> bool:
        """True when work may run in worker processes."""
        return self.jobs > 1

    def start(self, count: int) -> bool:
        """Start the processes for ``count`` items (never more processes than items) unless they
        run already; False, starting nothing, when that would be one process or none."""
        if self._pool is None:
            workers = min(self.jobs, count)
            if workers <= 1:
                return False
            context = _context()
            initializer = self._initializer
            if context is not None:
                if initializer is not None:
                    # Forked workers inherit what it imports and builds: once here, not once each.
                    initializer(*self._initargs)
                    initializer = None
                # Python's recipe for forked workers: what exists now is left out of garbage
                # collections (until close()), so the workers' collections do not touch, and so
                # copy, the pages they share with this process, and this process's own full
                # collections during the work (tens of ms with big caches) skip them too.
                gc.freeze()
                self._frozen = True
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                             initializer=initializer, initargs=self._initargs)
            self._pool.submit(int).result()  # fork them now, while the caller lists or reads
            self.jobs = workers
        return True

    def submit(self, func: Callable[..., R], *args: Any) -> Future[R]:
        """``func(*args)`` in a worker (started by ``start``), or here and now when there is none."""
        if self._pool is not None:
            return self._pool.submit(func, *args)
        done: Future[R] = Future()
        try:
            done.set_result(func(*args))
        except BaseException as exc:  # delivered by .result(), as a worker's would be
            done.set_exception(exc)
        return done

    def submit_chunks(self, func: Callable[[list[T]], R], items: Sequence[T]) -> Iterator[tuple[Future[R], range]]:
        """Submit ``func(chunk)`` for ``items`` cut in shrinking chunks; yield each future and its positions."""
        start = 0
        for size in chunk_sizes(len(items), self.jobs) if self._pool is not None else [len(items)]:
            yield self.submit(func, list(items[start : start + size])), range(start, start + size)
            start += size

    def map(self, func: Callable[[T], R], items: Sequence[T], *, sizes: Sequence[float] | None = None,
            progress: Callable[[int], None] | None = None) -> list[R]:
        """``[func(item) for item in items]``, across the workers when there are any.

        ``sizes`` (a rough cost per item) sends the biggest items first. The result is in the
        order of ``items`` whatever order the work was done in; ``progress(n)`` is called as
        items finish.
        """
        if self._pool is None and not self.start(len(items)):
            results = []
            for item in items:
                results.append(func(item))
                if progress:
                    progress(1)
            return results
        order = sorted(range(len(items)), key=lambda i: -sizes[i]) if sizes is not None else range(len(items))
        results: list[Any] = [None] * len(items)
        pending = {future: [order[i] for i in positions]
                   for future, positions in self.submit_chunks(functools.partial(_apply, func), [items[i] for i in order])}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                where = pending.pop(future)
                for i, result in zip(where, future.result()):
                    results[i] = result
                if progress:
                    progress(len(where))
        return results

    def close(self) -> None:
        """Stop the workers: work not yet started is dropped; waits for the processes to end."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
