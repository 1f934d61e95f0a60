"""Worker processes: how much faster `--jobs 2` makes summarizing, building and evaluating (target >= 1.8x).

Usage: python benchmarks/jobs_speedup.py [--eval DIR] [--articles N] [--jobs N]

Times, with 1 and with --jobs processes (default 2: this one and one worker, see
digest/parallel.py), on articles from ../shared/eval:

* ``summarize_all`` (the library call that summarizes a list of parsed articles) on --articles
  articles with the default algorithm;
* ``summarize_files`` (what `digest summarize FILES` runs: read, fingerprint for story groups,
  summarize) on the same articles written to files;
* a whole `digest build` (library call, no cache) of those articles written to a seeds folder;
* ``evaluate`` (what `digest eval` runs) on 200 items of cnndm_dev/bbc_dev with news, lead and
  lexrank (best of two turns each: a run takes seconds).

Speed-ups only show what the machine has to give: the load average and the speed-up of plain
busy loops (lowered by other processes competing for the cores) and of C code that reads memory
at random (``core_scaling.c``, when a C compiler is at hand: work whose data outgrows a core's
own cache shares the rest of the machine) are printed before and after, and for summarizing
the speed-up of independent processes that share the articles without any communication (the
ceiling for this very work on this machine); so is each case's CPU seconds
with 1 and N jobs (equal: no overhead). Exits cleanly when the evaluation data is absent.
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from digest.build import build, summarize_all, summarize_files  # noqa: E402
from digest.config import Settings  # noqa: E402
from digest.evaluate import evaluate, load_dataset  # noqa: E402
from digest.ingest import parse_article  # noqa: E402
from digest.summarize import DEFAULT_ALGORITHM  # noqa: E402

TARGET = 1.8
SETS = ("cnndm_dev.jsonl", "bbc_dev.jsonl", "cnndm_see_dev.jsonl")


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished children (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of(funcs: list[Callable[[], object]], repeat: int) -> list[tuple[float, float]]:
    """For each of ``funcs``: its fastest wall-clock time and the CPU seconds of that run.

    The functions take turns (1 job, N jobs, 1 job, …) so that both see the same share of a
    machine that other processes are also using.
    """
    runs: list[list[tuple[float, float]]] = [[] for _ in funcs]
    for _ in range(repeat):
        for i, func in enumerate(funcs):
            start, start_cpu = time.perf_counter(), cpu_seconds()
            func()
            runs[i].append((time.perf_counter() - start, cpu_seconds() - start_cpu))
    return [min(r) for r in runs]


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def machine_speedup(jobs: int, work: int = 3_000_000) -> float:
    """What the machine gives right now: the speed-up of ``jobs`` busy loops in worker processes
    over the same loops one after another (the ceiling for ours; other processes lower it)."""
    start = time.perf_counter()
    for _ in range(jobs):
        _spin(work)
    serial = time.perf_counter() - start
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pool.submit(_spin, 1).result()  # workers started before the clock
        start = time.perf_counter()
        list(pool.map(_spin, [work] * jobs))
        parallel = time.perf_counter() - start
    return serial / parallel


def cache_scaling(jobs: int, sizes: tuple[int, ...] = (1, 8, 64)) -> list[tuple[int, float]] | None:
    """The speed-up of ``jobs`` processes of C code reading a buffer of each size (MB) at random
    (``core_scaling.c``, compiled here): what the machine's shared caches and memory give to
    parallel work, apart from Python and digest. None without a C compiler."""
    import subprocess

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    with tempfile.TemporaryDirectory(prefix="digest-scaling-") as folder:
        program = Path(folder) / "core_scaling"
        try:
            subprocess.run([compiler, "-O2", "-o", str(program), str(Path(__file__).with_name("core_scaling.c"))],
                           check=True, capture_output=True)
            lines = subprocess.run([str(program), str(jobs), *map(str, sizes)], check=True, capture_output=True,
                                   text=True, timeout=120).stdout.splitlines()
        except (OSError, subprocess.SubprocessError):
            return None
    try:
        return [(int(mb), float(speedup)) for mb, _, _, speedup in (line.split() for line in lines)]
    except ValueError:  # not what core_scaling.c prints
        return None


def print_cache_scaling(jobs: int) -> None:
    scaling = cache_scaling(jobs)
    if scaling:
        print(f"  and for C code reading memory at random (core_scaling.c), by working set: "
              f"{', '.join(f'{mb} MB {x:.2f}x' for mb, x in scaling)}")


_HALVES: list = []


def _summarize_share(share: int) -> None:
    summarize_all(_HALVES[share], algorithm=DEFAULT_ALGORITHM, count=3)


def independent_speedup(articles: list, jobs: int, repeat: int) -> float:
    """The ceiling for summarizing on this machine now: ``jobs`` forked processes that each
    summarize their share of ``articles`` (already in their memory) and send nothing back, against
    one process doing all. Two processes busy at once run each article slower than one alone
    (shared caches, memory bandwidth, perhaps two hyperthreads of one core), which no scheduling
    of ours can win back."""
    import multiprocessing

    _HALVES[:] = [articles[i::jobs] for i in range(jobs)]
    context = multiprocessing.get_context("fork")
    one = many = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        summarize_all(articles, algorithm=DEFAULT_ALGORITHM, count=3)
        one = min(one, time.perf_counter() - start)
        start = time.perf_counter()
        processes = [context.Process(target=_summarize_share, args=(i,)) for i in range(jobs)]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        many = min(many, time.perf_counter() - start)
    return one / many


def report(label: str, one: tuple[float, float], many: tuple[float, float], jobs: int) -> None:
    """One line: wall-clock times, the speed-up, and the CPU each used (equal CPU: no overhead)."""
    print(f"{label:<34} 1 job {one[0]:6.2f} s   {jobs} jobs {many[0]:6.2f} s   speed-up {one[0] / many[0]:4.2f}x "
          f"(target >= {TARGET}x)   CPU {one[1]:.2f} s vs {many[1]:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=PROJECT_ROOT.parent / "shared" / "eval",
                        help="folder with the evaluation sets (default ../shared/eval)")
    parser.add_argument("--articles", type=int, default=2000, help="articles to summarize and build (default 2000)")
    parser.add_argument("--jobs", type=int, default=2, help="processes to compare with one (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="timings per case, taking turns; the best counts (default 3)")
    args = parser.parse_args()
    if not all((args.eval / name).is_file() for name in SETS):
        print(f"evaluation data not found in {args.eval}; nothing to benchmark.")
        return 0

    texts: list[str] = []
    for name in SETS:
        with open(args.eval / name, encoding="utf-8") as handle:
            texts += [json.loads(line)["article"] for line in handle if line.strip()]
    texts = texts[: args.articles]
    articles = [parse_article(text, f"{i:05d}.txt") for i, text in enumerate(texts)]
    print(f"{len(articles):,} articles; {os.cpu_count()} CPUs; load average before: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; the machine's own speed-up for "
          f"{args.jobs} busy loops now: {machine_speedup(args.jobs):.2f}x")
    print_cache_scaling(args.jobs)

    def run(jobs: int) -> Callable[[], object]:
        return lambda: summarize_all(articles, algorithm=DEFAULT_ALGORITHM, count=3, jobs=jobs)

    report(f"summarize_all ({DEFAULT_ALGORITHM})", *best_of([run(1), run(args.jobs)], args.repeat), args.jobs)
    print(f"  the ceiling: {args.jobs} independent processes summarizing a share each, nothing sent back: "
          f"{independent_speedup(articles, args.jobs, args.repeat):.2f}x")

    root = Path(tempfile.mkdtemp(prefix="digest-jobs-"))
    try:
        seeds = root / "seeds"
        seeds.mkdir()
        for i, text in enumerate(texts):
            (seeds / f"{i:05d}.txt").write_text(text, encoding="utf-8")
        day = dt.date(2026, 11, 21)
        now = dt.datetime(2026, 11, 21, 7, 0, tzinfo=dt.timezone.utc)

        paths = sorted(seeds.iterdir())

        def run_files(jobs: int) -> Callable[[], object]:
            return lambda: summarize_files(paths, Settings().override("output", jobs=jobs))

        report("summarize_files (digest summarize)", *best_of([run_files(1), run_files(args.jobs)], args.repeat),
               args.jobs)

        def run_build(jobs: int) -> Callable[[], object]:
            settings = Settings().override("paths", seeds=str(seeds), out=str(root / f"out{jobs}"))
            return lambda: build(settings.override("output", jobs=jobs), day=day, now=now, use_cache=False)

        import logging

        logging.getLogger("digest.render").setLevel(logging.ERROR)  # "too many stories for one email"
        report("build (no cache)", *best_of([run_build(1), run_build(args.jobs)], args.repeat), args.jobs)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    items = load_dataset(args.eval / "cnndm_dev.jsonl") + load_dataset(args.eval / "bbc_dev.jsonl", limit=100)

    def run_eval(jobs: int) -> Callable[[], object]:
        return lambda: evaluate(items, ["news", "lead", "lexrank"], jobs=jobs)

    report("evaluate (news, lead, lexrank)", *best_of([run_eval(1), run_eval(args.jobs)], min(2, args.repeat)), args.jobs)
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; the machine's own "
          f"speed-up now: {machine_speedup(args.jobs):.2f}x")
    print_cache_scaling(args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
