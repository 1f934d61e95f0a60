"""Grouping speed: digest.dedup.group_articles on 10,000 articles (target: <= 10 s on this machine).

Usage: python benchmarks/dedup_speed.py [--eval DIR] [--articles N] [--repeat N]

The articles are every article of ../shared/eval (cnndm_dev, cnndm_see_dev, bbc_dev) plus edited
copies of them (benchmarks/dedup_quality.py's edits) up to --articles, parsed by digest.ingest
before the clock starts: about three versions per story, which is the expensive case (many shared
shingles). Prints the time for the whole grouping; for the same shared-shingle counting in pure
Python (why dedup uses numpy); and for datasketch's MinHash LSH on the same articles when it is
installed (the usual tool). Exits cleanly when ../shared/eval is
absent. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_labelled import EVAL_FILES, edited_copy, load_pool  # noqa: E402

from digest import dedup  # noqa: E402
from digest.ingest import parse_article  # noqa: E402
from digest.models import Article  # noqa: E402

TARGET_SECONDS = 10.0


def corpus(eval_dir: Path, size: int, seed: int) -> list[Article]:
    """``size`` parsed articles: the evaluation articles, then edited copies of random ones."""
    rng = random.Random(seed)
    articles = [parse_article(text, f"{ident}.txt") for ident, _, text in load_pool(eval_dir, None)]
    originals = list(articles)
    while len(articles) < size:
        original = rng.choice(originals)
        text, _ = edited_copy(original, rng)
        articles.append(parse_article(text, f"copy-{len(articles)}.txt"))
    rng.shuffle(articles)
    return articles[:size]


def time_pure_python(articles: list[Article]) -> float:
    """Seconds for the same exact shared-shingle counts with a dict index instead of numpy (a peer)."""
    start = time.perf_counter()
    postings: dict[int, list[int]] = {}
    for i, article in enumerate(articles):
        words = dedup.words_of(article.body)
        for shingle in {hash(tuple(words[j : j + 5])) for j in range(max(1, len(words) - 4))}:
            postings.setdefault(shingle, []).append(i)
    shared: dict[tuple[int, int], int] = {}
    common = max(dedup.MIN_COMMON, len(articles) // dedup.COMMON_FRACTION)
    for docs in postings.values():
        if 1 < len(docs) <= common:
            for x, a in enumerate(docs):
                for b in docs[x + 1 :]:
                    shared[a, b] = shared.get((a, b), 0) + 1
    return time.perf_counter() - start


def time_minhash(articles: list[Article], threshold: float = 0.3, num_perm: int = 128) -> float | None:
    """Seconds for datasketch MinHash LSH (build and query) on the same 5-word shingles, or None."""
    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:
        return None
    start = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for i, article in enumerate(articles):
        words = dedup.words_of(article.body)
        m = MinHash(num_perm=num_perm, seed=1)
        m.update_batch([b" ".join(words[j : j + 5]) for j in range(max(1, len(words) - 4))])
        lsh.query(m)
        lsh.insert(i, m)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval", type=Path, default=PROJECT_ROOT.parent / "shared" / "eval",
                        help="folder with the evaluation .jsonl files (default ../shared/eval)")
    parser.add_argument("--articles", type=int, default=10_000, help="how many articles to group")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (the median is reported)")
    parser.add_argument("--seed", type=int, default=6, help="random seed for the copies")
    args = parser.parse_args()
    if not all((args.eval / name).exists() for name in EVAL_FILES):
        print(f"dedup_speed: {args.eval} not found (the team's evaluation data); nothing to measure.")
        return 0

    start = time.perf_counter()
    articles = corpus(args.eval, args.articles, args.seed)
    words = sum(a.word_count for a in articles)
    print(f"corpus: {len(articles):,} articles, {words:,} words (built and parsed in "
          f"{time.perf_counter() - start:.1f} s, not timed below)")

    times, cpu = [], []
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        groups = dedup.group_articles(articles)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    ours = statistics.median(times)
    merged = sum(len(g) for g in groups if len(g) > 1)
    verdict = "meets" if ours <= TARGET_SECONDS else "MISSES"
    print(f"digest.dedup.group_articles: {ours:.2f} s median of {args.repeat} "
          f"(min {min(times):.2f} s; CPU {statistics.median(cpu):.2f} s) -> {len(groups):,} stories, "
          f"{merged:,} articles in multi-source stories; {verdict} the {TARGET_SECONDS:.0f} s target")

    pure = time_pure_python(articles)
    print(f"the same shared-shingle counts in pure Python (dict index, no numpy): {pure:.2f} s "
          f"-> ours takes {ours / pure:.2f}x its time")
    peer = time_minhash(articles)
    if peer is None:
        print("datasketch MinHash LSH: not installed (pip install datasketch to compare)")
    else:
        print(f"datasketch MinHash LSH (128 permutations, same shingles): {peer:.2f} s "
              f"-> ours takes {ours / peer:.2f}x its time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
