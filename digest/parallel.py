"""Worker processes for ``--jobs N``: N processes in all, this one and N - 1 workers; results in order.

How close N processes come to N times the speed depends on three things, and this module
handles the last two for every command (``build.py`` keeps the first small):

* the serial work of this process (grouping, composing, rendering);
* the cost of moving work between processes (pickling, pipes): items travel in chunks, and this
  process does part of the work itself, where nothing has to move at all;
* the end of the work: the biggest items go first and chunks shrink as the work runs out
  (guided scheduling), so no process is left alone with a long chunk while the others wait.

This process is one of the N: whenever it would wait for the workers, it takes a chunk that no
worker has started (the last one queued) and does it itself. So there are never more busy
processes than ``--jobs``, and with 2 jobs on 2 cores no core is shared between three.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
R = TypeVar("R")

#: Most items per chunk: enough to make a round trip's cost negligible, few enough to balance.
MOST_PER_CHUNK = 64
#: Aim for this many chunks per process in what is left of the work (guided scheduling).
CHUNKS_PER_WORKER = 4


def _context() -> Any:
    """Fork where that is fast and safe; the platform's default start method elsewhere."""
    if sys.platform == "linux" and threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return None


def chunk_sizes(count: int, jobs: int, *, most: int = MOST_PER_CHUNK) -> list[int]:
    """How to cut ``count`` items into chunks for ``jobs`` processes: each chunk a share of what is
    left (at most ``most``), so chunks shrink to one item at the end."""
    sizes: list[int] = []
    left = count
    while left > 0:
        size = max(1, min(most, left // (jobs * CHUNKS_PER_WORKER)))
        sizes.append(size)
        left -= size
    return sizes


#: Seconds after which this process's main thread hands the GIL to the executor's threads.
SWITCH_INTERVAL = 0.001
#: Bytes a pipe between the processes holds (Linux's default is 64 KiB).
PIPE_BYTES = 1 << 20


def _widen_pipes(pool: ProcessPoolExecutor) -> None:
    """Let the pipes to and from the workers hold a whole chunk's worth (Linux only).

    A chunk of articles with their fingerprints is about half a megabyte. Through a 64 KiB pipe
    it goes in pieces, and after each one the executor's thread in this process has to win the
    GIL back from the main thread, which is busy with work of its own: the worker sat blocked
    in ``write()`` for 10-15 % of the reading. This reaches into the executor's queues, so any
    surprise (another Python, another system) just leaves the pipes as they are.
    """
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsize is None:
        return
    try:
        ends = [pool._result_queue._reader, pool._call_queue._reader]  # type: ignore[attr-defined]
        for end in ends:
            fcntl.fcntl(end.fileno(), setsize, PIPE_BYTES)
    except (AttributeError, OSError, ValueError):
        pass


def _apply(func: Callable[[T], R], result_type: type[list], items: Sequence[T]) -> list[R]:
    return result_type(map(func, items))


class _Task:
    """A call queued for the workers, which this process may still take over."""

    __slots__ = ("future", "queued", "func", "args")

    def __init__(self, future: Future, queued: Future, func: Callable[..., Any], args: tuple):
        self.future, self.queued, self.func, self.args = future, queued, func, args


class Workers:
    """``jobs`` processes at work: this one and up to ``jobs`` - 1 workers, started on first use
    and stopped on leaving the ``with``.

    With ``jobs`` = 1 there are none and everything runs in this process, through the same
    calls: code that uses a ``Workers`` is written once. ``initializer(*initargs)`` prepares a
    process (imports, scorers); when workers are forked it runs once, here, before the fork.
    Futures from ``submit`` are waited for with ``result`` and ``as_completed``, which do queued
    work here meanwhile.
    """

    def __init__(self, jobs: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()):
        self.jobs = max(1, jobs)
        self._initializer = initializer
        self._initargs = initargs
        self._pool: ProcessPoolExecutor | None = None
        self._stopping: threading.Thread | None = None
        self._interval: float | None = None
        self._frozen = False
        self._queued: list[_Task] = []  # in the order submitted
        self._next = 0  # those before it are started, done or cancelled
        self._task_of: dict[Future, _Task] = {}
        self._prepared = False

    @property
    def parallel(self) -> bool:
        """True when work may run in worker processes."""
        return self.jobs > 1

    def start(self, count: int) -> bool:
        """Start the workers for ``count`` items (never more processes than items) unless they run
        already; False, starting nothing, when that would be one process (this one) or none."""
        if self._pool is None:
            processes = min(self.jobs, count)
            if processes <= 1:
                return False
            context = _context()
            initializer = self._initializer
            if initializer is not None:
                self._prepare()
                if context is not None:
                    initializer = None  # forked workers inherit what it did here
            if context is not None:
                # Python's recipe for forked workers: what exists now is left out of garbage
                # collections (until close()), so the workers' collections do not touch, and so
                # copy, the pages they share with this process, and this process's own full
                # collections during the work (tens of ms with big caches) skip them too.
                gc.freeze()
                self._frozen = True
            self._pool = ProcessPoolExecutor(max_workers=processes - 1, mp_context=context,
                                             initializer=initializer, initargs=self._initargs)
            _widen_pipes(self._pool)
            self._pool.submit(int)  # forks them now (not at the first real task)
            self.jobs = processes
            # The executor's threads in this process feed the workers and take their results,
            # and each time they must win the GIL from the main thread, which works too. At the
            # default 5 ms a worker that finished a small chunk could wait that long (or twice)
            # for the next; 1 ms while the workers run.
            self._interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL))
        return True

    def _prepare(self) -> None:
        """Run the initializer here once, when workers start: this process works beside them.
        (Without workers there is nothing to prepare ahead: the work loads what it needs.)"""
        if not self._prepared and self._initializer is not None:
            self._initializer(*self._initargs)
        self._prepared = True

    def submit(self, func: Callable[..., R], *args: Any) -> Future[R]:
        """``func(*args)`` queued for the workers (started by ``start``), or done here and now when
        there are none."""
        future: Future[R] = Future()
        if self._pool is None:
            self._run(future, func, args)
            return future
        queued = self._pool.submit(func, *args)
        task = _Task(future, queued, func, args)
        self._queued.append(task)
        self._task_of[future] = task
        queued.add_done_callback(functools.partial(self._settle, future))
        return future

    @staticmethod
    def _run(future: Future, func: Callable[..., Any], args: tuple) -> None:
        try:
            future.set_result(func(*args))
        except BaseException as exc:  # delivered by .result(), as a worker's would be
            future.set_exception(exc)

    @staticmethod
    def _settle(future: Future, queued: Future) -> None:
        """A worker finished ``queued``: pass its outcome on (in the executor's thread)."""
        if queued.cancelled() or future.done():
            return  # taken over here, or cancelled by the caller
        exc = queued.exception()
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(queued.result())

    def _take(self, task: _Task) -> bool:
        """Do ``task`` here if no worker has started it; False if one has."""
        if task.future.done() or not task.queued.cancel():
            return False
        self._task_of.pop(task.future, None)
        self._run(task.future, task.func, task.args)
        return True

    def help(self, prefer: Iterable[Future] = ()) -> bool:
        """Do one queued task here: the first queued of ``prefer`` that no worker has started, else
        the first queued of all. False when every task is done or started.

        The first, like the workers: chunks shrink towards the end of the queue, so all the
        processes finish on small ones together; and tasks are mostly wanted in the order queued.
        """
        for future in prefer:
            task = self._task_of.get(future)
            if task is not None and self._take(task):
                return True
        while self._next < len(self._queued):
            task = self._queued[self._next]
            self._next += 1
            if self._take(task):
                return True
        return False

    def started(self, future: Future) -> bool:
        """True once a process has started (or finished) the task of ``future``."""
        task = self._task_of.get(future)
        if task is None:
            return future.done()
        return task.queued.running() or task.queued.done()

    def cancel(self, future: Future) -> bool:
        """Cancel a task that no process has started; False if one has (it then runs to the end)."""
        task = self._task_of.get(future)
        if task is None or not task.queued.cancel():
            return future.cancel() if task is None else False
        self._task_of.pop(future, None)
        return future.cancel()

    def result(self, future: Future[R]) -> R:
        """``future.result()``; doing its task here if no worker has started it, else, while
        waiting, the tasks queued next."""
        task = self._task_of.get(future)
        if task is not None:
            self._take(task)
        while not future.done() and self.help():
            pass
        return future.result()

    def as_completed(self, futures: Iterable[Future[R]]) -> Iterator[Future[R]]:
        """Each of ``futures`` once done, in no set order; their queued tasks done here meanwhile."""
        pending = set(futures)
        order = [f for f in futures if f in pending] if isinstance(futures, Sequence) else list(pending)
        while pending:
            done = [f for f in pending if f.done()]
            if not done:
                if self.help([f for f in order if f in pending]):
                    continue
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.discard(future)
                yield future

    def submit_chunks(self, func: Callable[[list[T]], R], items: Sequence[T], *,
                      chunk_type: type[list] = list) -> Iterator[tuple[Future[R], range]]:
        """Submit ``func(chunk)`` for ``items`` cut in shrinking chunks (each a ``chunk_type``: a
        list that may pickle in its own way); yield each future and its positions."""
        start = 0
        for size in chunk_sizes(len(items), self.jobs) if self._pool is not None else [len(items)]:
            yield self.submit(func, chunk_type(items[start : start + size])), range(start, start + size)
            start += size

    def map(self, func: Callable[[T], R], items: Sequence[T], *, sizes: Sequence[float] | None = None,
            progress: Callable[[int], None] | None = None, chunk_type: type[list] = list,
            result_type: type[list] = list) -> list[R]:
        """``[func(item) for item in items]``, across the processes when there are workers.

        ``sizes`` (a rough cost per item) sends the biggest items first. The result is in the
        order of ``items`` whatever order the work was done in; ``progress(n)`` is called as
        items finish. Chunks of items and of results travel as ``chunk_type`` and
        ``result_type`` (lists that may pickle in their own way).
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
        chunks = self.submit_chunks(functools.partial(_apply, func, result_type), [items[i] for i in order],
                                    chunk_type=chunk_type)
        where = {future: [order[i] for i in positions] for future, positions in chunks}
        for future in self.as_completed(list(where)):
            positions = where[future]
            for i, result in zip(positions, future.result()):
                results[i] = result
            if progress:
                progress(len(positions))
        return results

    def stop(self) -> None:
        """Let the workers end in the background (work not started is dropped): when every result
        needed is in, they can exit while this process finishes its own work."""
        if self._pool is not None and self._stopping is None:
            self._stopping = threading.Thread(target=self._pool.shutdown, kwargs={"cancel_futures": True},
                                              name="digest-workers-stop", daemon=True)
            self._stopping.start()

    def close(self) -> None:
        """Stop the workers: work not yet started is dropped; waits for the processes to end."""
        self.stop()
        if self._stopping is not None:
            self._stopping.join()
            self._stopping = None
        self._pool = None
        if self._interval is not None:
            sys.setswitchinterval(self._interval)
            self._interval = None
        for task in self._queued:
            task.future.cancel()
        self._queued.clear()
        self._next = 0
        self._task_of.clear()
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
