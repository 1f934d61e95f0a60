"""digest.parallel.Workers: results in order whatever did the work, this process working too,
errors passed on, no more processes than items, and the interpreter left as it was found."""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time

import pytest

from digest.parallel import Workers, chunk_sizes


def _slow_square(n: int) -> tuple[int, int]:
    time.sleep(0.01)
    return n * n, os.getpid()


def _fail_on_13(n: int) -> int:
    if n == 13:
        raise ValueError("thirteen")
    return n


def test_map_keeps_input_order_and_shares_the_work_with_this_process():
    items = list(range(60))
    sizes = [(n * 7) % 11 for n in items]  # biggest first: done in another order than given
    seen: list[int] = []
    with Workers(2) as workers:
        results = workers.map(_slow_square, items, sizes=sizes, progress=seen.append)
    assert [square for square, _ in results] == [n * n for n in items]
    assert sum(seen) == len(items)
    # 60 x 10 ms: neither process can do it all before the other joins in.
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == 2


def test_one_job_runs_everything_here_without_processes():
    with Workers(1) as workers:
        assert not workers.parallel
        assert {pid for _, pid in workers.map(_slow_square, [1, 2, 3])} == {os.getpid()}
        assert not multiprocessing.active_children()


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_error_in_a_task_reaches_the_caller(jobs):
    with Workers(jobs) as workers, pytest.raises(ValueError, match="thirteen"):
        workers.map(_fail_on_13, list(range(40)))


def test_never_more_processes_than_items():
    with Workers(8) as workers:
        assert workers.start(3)
        assert workers.jobs == 3
        assert len(multiprocessing.active_children()) <= 2  # this process is the third
    with Workers(8) as workers:
        assert not workers.start(1)  # one item: no worker at all


def test_a_task_no_process_has_started_can_be_cancelled_the_others_finish():
    with Workers(2) as workers:
        workers.start(10)
        futures = [workers.submit(_slow_square, n) for n in range(10)]
        assert workers.cancel(futures[-1])
        assert futures[-1].cancelled()
        assert [workers.result(f)[0] for f in futures[:-1]] == [n * n for n in range(9)]


def test_close_restores_the_interpreter():
    interval = sys.getswitchinterval()
    with Workers(2) as workers:
        workers.start(4)
        assert workers.map(_slow_square, [1, 2, 3, 4])[3][0] == 16
    assert sys.getswitchinterval() == interval
    assert gc.get_freeze_count() == 0
    assert not multiprocessing.active_children()


def test_chunks_shrink_to_single_items_and_cover_everything():
    sizes = chunk_sizes(1000, 2)
    assert sum(sizes) == 1000
    assert sizes[0] == 64 and sizes[-1] == 1
    assert all(a >= b for a, b in zip(sizes, sizes[1:]))
