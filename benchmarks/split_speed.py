"""Sentence-splitting speed and accuracy: digest.text vs pysbd, in one run.

Usage: python benchmarks/split_speed.py [--articles N]

Reads news articles from ../shared/eval (relative to the project root); exits
cleanly with a message when that folder is absent. Prints numbers only: speed
targets live here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
sys.path.insert(0, str(PROJECT_ROOT))

from digest.text import split_sentences  # noqa: E402


def load_articles(limit: int) -> list[str]:
    """Articles from the raw CNN/DailyMail and BBC dev sets, `limit` from each."""
    texts: list[str] = []
    for name in ("cnndm_dev.jsonl", "bbc_dev.jsonl"):
        with open(EVAL_DIR / name, encoding="utf-8") as f:
            texts += [json.loads(line)["article"] for _, line in zip(range(limit), f)]
    return texts


def chars_per_second(split: Callable[[str], list[str]], texts: list[str], repeat: int = 3) -> float:
    """Best-of-`repeat` throughput of `split` over all texts."""
    total = sum(len(t) for t in texts)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            split(text)
        best = min(best, time.perf_counter() - start)
    return total / best


def golden_accuracy(split: Callable[[str], list[str]]) -> tuple[int, int]:
    """(passed, total) on the Golden Rules set, comparing whitespace-normalised sentences."""
    passed = total = 0
    with open(EVAL_DIR / "sentences_dev.jsonl", encoding="utf-8") as f:
        for line in f:
            case = json.loads(line)
            got = [" ".join(s.split()) for s in split(case["text"])]
            want = [" ".join(s.split()) for s in case["sentences"]]
            passed += [s for s in got if s] == want
            total += 1
    return passed, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100, help="articles per data set (default 100)")
    args = parser.parse_args()
    if not EVAL_DIR.is_dir():
        print(f"evaluation data not found at {EVAL_DIR}; nothing to benchmark.")
        return 0
    try:
        import pysbd
    except ImportError:
        pysbd = None
        print("pysbd is not installed; timing digest.text only (pip install pysbd to compare).")

    texts = load_articles(args.articles)
    size = sum(len(t) for t in texts)
    print(f"news text: {len(texts)} articles, {size:,} chars")
    ours = chars_per_second(split_sentences, texts)
    print(f"digest.text  {ours:>12,.0f} chars/s")
    segmenter = None
    if pysbd is not None:
        segmenter = pysbd.Segmenter(language="en", clean=False)
        theirs = chars_per_second(segmenter.segment, texts, repeat=1)
        print(f"pysbd        {theirs:>12,.0f} chars/s")
        print(f"ratio        {ours / theirs:>12.1f}x (target >= 20x)")

    # One huge paragraph: the linear-time guarantee.
    paragraph = " ".join(t.replace("\n", " ") for t in texts)
    while len(paragraph) < 500_000:
        paragraph += " " + paragraph
    paragraph = paragraph[:500_000]
    start = time.perf_counter()
    count = len(split_sentences(paragraph))
    print(f"0.5 MB single paragraph: digest.text {time.perf_counter() - start:.3f} s ({count:,} sentences)")
    if segmenter is not None:
        # pysbd is superlinear on one long paragraph (minutes for 0.5 MB), so time
        # two slices instead and show how its cost grows when the input doubles.
        took = {}
        for n in (20_000, 40_000):
            start = time.perf_counter()
            segmenter.segment(paragraph[:n])
            took[n] = time.perf_counter() - start
            print(f"  pysbd on a {n // 1000} KB slice: {took[n]:.3f} s")
        print(f"  pysbd time grows {took[40_000] / took[20_000]:.1f}x when the slice doubles; not run on 0.5 MB")

    passed, total = golden_accuracy(split_sentences)
    print(f"golden rules: digest.text {passed}/{total}")
    if segmenter is not None:
        passed, total = golden_accuracy(segmenter.segment)
        print(f"golden rules: pysbd       {passed}/{total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
