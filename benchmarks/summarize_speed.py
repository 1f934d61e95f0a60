"""Summarizing speed: our default algorithm vs sumy's LexRank on the same 1,000 news articles, one core.

Usage: python benchmarks/summarize_speed.py [--eval DIR] [--articles N] [--repeat N]

The articles come from ../shared/eval (all of cnndm_dev, then bbc_dev and cnndm_see_dev in equal
shares up to --articles), written to a temp folder as .txt files before the clock starts. Ours
is timed end to end, as `digest build` runs it: read the file → clean → split → rank → select
(best of --repeat passes; the first, cold pass is printed too). LexRank is fed the very
sentences our splitter produced (sumy's own tokenizer needs NLTK data, which we never
download), so its time is the ranking alone. Two ratios are printed:

* rankers alone: our ranker vs LexRank on the same sentences (the target: >= 30x);
* whole pipeline: ours end to end vs the same read/clean/split followed by LexRank.

Peak RSS (``resource.getrusage``) is printed after each stage; it only ever grows, so ours is
measured first. Whether the set choice ran in C (``digest._setchoice``, built on install where a
compiler is found) or in Python is printed too; ``DIGEST_PURE_PYTHON=1`` measures the latter. Exits cleanly when the evaluation data is absent. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from digest import ingest, setchoice  # noqa: E402
from digest.models import Article  # noqa: E402
from digest.summarize import DEFAULT_ALGORITHM, article_sentences, get_scorer, select  # noqa: E402

TARGET_RATIO = 30.0
TARGET_RATE = 300.0
SETS = ("cnndm_dev.jsonl", "bbc_dev.jsonl", "cnndm_see_dev.jsonl")


def load_texts(eval_dir: Path, count: int) -> list[tuple[str, str]]:
    """``count`` (set name, article text) pairs: all of cnndm_dev, then bbc and cnndm_see alike."""
    pools: dict[str, list[str]] = {}
    for name in SETS:
        with open(eval_dir / name, encoding="utf-8") as handle:
            pools[name] = [json.loads(line)["article"] for line in handle if line.strip()]
    chosen = [("cnndm_dev", text) for text in pools["cnndm_dev.jsonl"][:count]]
    rest = count - len(chosen)
    for name, share in (("bbc_dev", rest - rest // 2), ("cnndm_see_dev", rest // 2)):
        chosen += [(name, text) for text in pools[f"{name}.jsonl"][:share]]
    return chosen


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def ours_pass(paths: list[Path], algorithm: str) -> tuple[dict[str, float], list[Article], list[list[str]]]:
    """One end-to-end pass over every file; seconds per stage, the articles and their sentences."""
    scorer = get_scorer(algorithm)
    seconds = {"read+clean": 0.0, "split": 0.0, "rank": 0.0}
    articles: list[Article] = []
    sentences_of: list[list[str]] = []
    clock = time.perf_counter
    for path in paths:
        t0 = clock()
        article = ingest.read_file_items(path)[0]
        t1 = clock()
        sentences = article_sentences(article)
        t2 = clock()
        select(sentences, scorer(sentences, None if article.title_derived else article.title), count=3)
        t3 = clock()
        seconds["read+clean"] += t1 - t0
        seconds["split"] += t2 - t1
        seconds["rank"] += t3 - t2
        articles.append(article)
        sentences_of.append(sentences)
    return seconds, articles, sentences_of


def lexrank_pass(articles: list[Article], sentences_of: list[list[str]]) -> float:
    """Seconds for LexRank to score and select on the given sentences."""
    scorer = get_scorer("lexrank")
    start = time.perf_counter()
    for article, sentences in zip(articles, sentences_of):
        select(sentences, scorer(sentences, None if article.title_derived else article.title), count=3)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=PROJECT_ROOT.parent / "shared" / "eval",
                        help="folder with the evaluation sets (default ../shared/eval)")
    parser.add_argument("--articles", type=int, default=1000, help="articles to summarize (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="passes of ours; the best counts (default 3)")
    args = parser.parse_args()
    if not all((args.eval / name).is_file() for name in SETS):
        print(f"evaluation data not found in {args.eval}; nothing to benchmark.")
        return 0

    texts = load_texts(args.eval, args.articles)
    n = len(texts)
    mix = ", ".join(f"{sum(1 for s, _ in texts if s == name)} {name}" for name in dict.fromkeys(s for s, _ in texts))
    print(f"{n:,} articles ({mix}); {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print("set choice: " + ("in C (digest._setchoice)" if setchoice.native else
                            "pure Python (digest._setchoice not built, or DIGEST_PURE_PYTHON set)"))
    with tempfile.TemporaryDirectory(prefix="digest-speed-") as tmp:
        paths = []
        for i, (_, text) in enumerate(texts):
            path = Path(tmp) / f"{i:05d}.txt"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        get_scorer(DEFAULT_ALGORITHM)
        get_scorer("lexrank")  # imports sumy outside the clock
        print(f"peak RSS before summarizing: {peak_rss_mb():.0f} MB")

        passes = []
        for _ in range(max(1, args.repeat)):
            stages, articles, sentences_of = ours_pass(paths, DEFAULT_ALGORITHM)
            passes.append(stages)
        cold, best = passes[0], min(passes, key=lambda s: sum(s.values()))
        ours_total = sum(best.values())
        ours_rate = n / ours_total
        per_article = ", ".join(f"{stage} {1000 * s / n:.3f}" for stage, s in best.items())
        sentence_count = sum(map(len, sentences_of))
        print(f"sentences: {sentence_count / n:.1f} per article")
        print(f"ours ({DEFAULT_ALGORITHM}), read → clean → split → rank: {ours_rate:8,.0f} articles/s "
              f"(first pass {n / sum(cold.values()):,.0f}; target >= {TARGET_RATE:.0f})")
        print(f"  ms per article: {per_article}")
        print(f"peak RSS after ours: {peak_rss_mb():.0f} MB")

        lex_seconds = lexrank_pass(articles, sentences_of)
        print(f"sumy lexrank, fed the same sentences:      {n / lex_seconds:8,.1f} articles/s "
              f"({1000 * lex_seconds / n:.2f} ms per article, ranking alone)")
        print(f"peak RSS after lexrank: {peak_rss_mb():.0f} MB")

    shared = best["read+clean"] + best["split"]
    print(f"ratio, rankers alone (same sentences):      {lex_seconds / best['rank']:6.1f}x (target >= {TARGET_RATIO:.0f}x)")
    print(f"ratio, whole pipeline (same read/clean/split): {(shared + lex_seconds) / ours_total:6.1f}x")
    print(f"ratio, ours end to end vs lexrank alone:   {lex_seconds / ours_total:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
