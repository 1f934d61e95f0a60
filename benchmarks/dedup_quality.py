"""Grouping quality: precision and recall of digest.dedup on a labelled set built from ../shared/eval.

Usage: python benchmarks/dedup_quality.py [--eval DIR] [--seed N] [--limit N]

The labelled set is described in benchmarks/dedup_labelled.py: articles and edited copies of them
(truncated, paragraphs dropped or reordered, re-headlined, boilerplate, datelines, light
copy-editing) as positives; different articles (same BBC category, random, verbatim overlap,
nearest by TF-IDF) as negatives; all parsed by digest.ingest as users' files are.

Reports, for digest.dedup (the whole corpus grouped at once, so chaining counts), precision and
recall at the chosen thresholds, a threshold sweep, recall per kind of edit and false positives
per kind of negative; the same numbers for the peers it was chosen against: Jaccard of the same
shingles (what MinHash estimates), datasketch MinHash LSH when installed, and TF-IDF cosine; and
near-identical sentence detection (digest.dedup.near_identical). Targets: precision >= 0.99,
recall >= 0.95. Prints numbers; asserts nothing; exits 0 with a message when ../shared/eval is absent.
"""

from __future__ import annotations

import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_labelled import (  # noqa: E402
    Labelled,
    Text,
    arguments,
    build_labelled,
    copy_edit,
    cosine,
    describe,
    have_eval,
    tfidf_vectors,
)

from digest import dedup  # noqa: E402
from digest.text import split_sentences  # noqa: E402

TARGET_PRECISION, TARGET_RECALL = 0.99, 0.95


def minhash_groups(texts: list[Text], threshold: float, num_perm: int = 128) -> list[int] | None:
    """Group ids from datasketch MinHash LSH over the same 5-word shingles, or None when not installed."""
    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:
        return None
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent = list(range(len(texts)))
    for i, t in enumerate(texts):
        words = dedup.words_of(t.article.body)
        shingles = {b" ".join(words[j : j + 5]) for j in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=num_perm, seed=1)
        m.update_batch(list(shingles))
        for j in lsh.query(m):
            ri, rj = _root(parent, i), _root(parent, j)
            parent[max(ri, rj)] = min(ri, rj)
        lsh.insert(i, m)
    return [_root(parent, i) for i in range(len(texts))]


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        i = parent[i]
    return i


def precision_recall(same: set[tuple[int, int]], labelled: Labelled) -> tuple[float, float, int, int]:
    """Precision and recall of predicted same-story pairs over the labelled pairs; also FP and FN counts."""
    negatives = labelled.all_negatives
    tp = len(labelled.positives & same)
    fp = len(negatives & same)
    fn = len(labelled.positives) - tp
    return tp / max(1, tp + fp), tp / max(1, len(labelled.positives)), fp, fn


def same_pairs_of(group_of: list[int], labelled: Labelled) -> set[tuple[int, int]]:
    pairs = labelled.positives | labelled.all_negatives
    return {(a, b) for a, b in pairs if group_of[a] == group_of[b]}


def ours(labelled: Labelled, threshold: float, lede_threshold: float | None) -> tuple[list[int], float]:
    """Group ids per text from digest.dedup.group_texts over the article bodies, and the seconds it took."""
    bodies = [t.article.body for t in labelled.texts]
    start = time.perf_counter()
    groups = dedup.group_texts(bodies, threshold=threshold, lede_threshold=lede_threshold)
    seconds = time.perf_counter() - start
    group_of = [0] * len(bodies)
    for g, members in enumerate(groups):
        for i in members:
            group_of[i] = g
    return group_of, seconds


def line(name: str, threshold: float, p: float, r: float, fp: int, fn: int) -> str:
    mark = "  <- meets targets" if p >= TARGET_PRECISION and r >= TARGET_RECALL else ""
    return f"  {name:<38} t={threshold:<4} precision {p:.4f}  recall {r:.4f}  (FP {fp}, FN {fn}){mark}"


def sentence_benchmark(labelled: Labelled, rng: random.Random) -> None:
    """Near-identical sentences: a sentence vs its copy-edited self, against other sentences of its article."""
    positives, negatives = [], []
    for t in labelled.texts[:: max(1, len(labelled.texts) // 600)]:
        sentences = [s for s in split_sentences(t.article.body) if len(s.split()) >= 6]
        for s in sentences[:6]:
            edited = copy_edit(s, rng, rate=0.1)
            positives.append((dedup.sentence_terms(s), dedup.sentence_terms(edited)))
        for a, b in zip(sentences, sentences[1:], strict=False):
            negatives.append((dedup.sentence_terms(a), dedup.sentence_terms(b)))
    print(f"\nnear-identical sentences: {len(positives)} sentence/copy-edited pairs, "
          f"{len(negatives)} pairs of neighbouring sentences")
    for threshold in (0.4, 0.5, 0.6, 0.7, 0.8):
        tp = sum(dedup.near_identical(a, b, threshold=threshold) for a, b in positives)
        fp = sum(dedup.near_identical(a, b, threshold=threshold) for a, b in negatives)
        chosen = "  <- chosen" if threshold == dedup.SENTENCE_THRESHOLD else ""
        recall = tp / max(1, len(positives))
        print(f"  t={threshold}  precision {tp / max(1, tp + fp):.4f}  recall {recall:.4f}{chosen}")


def report_ours(labelled: Labelled) -> None:
    """The threshold sweep for digest.dedup, then the chosen rule in detail."""
    chosen = (dedup.THRESHOLD, dedup.LEDE_THRESHOLD)
    print(f"\ndigest.dedup ({dedup.SHINGLE_WORDS}-word shingles, the whole corpus grouped at once): one story "
          "when the smaller text's containment >= t, or >= lede-t and both open the same way")
    same: set[tuple[int, int]] = set()
    for threshold, lede_threshold in ((0.5, None), (0.6, None), (0.7, None), (0.8, None),
                                      (0.6, 0.5), (0.7, 0.4), (0.7, 0.5), (0.7, 0.6), (0.8, 0.5)):
        group_of, seconds = ours(labelled, threshold, lede_threshold)
        pairs = same_pairs_of(group_of, labelled)
        name = f"containment, lede-t={lede_threshold}" if lede_threshold else "containment alone"
        is_chosen = (threshold, lede_threshold) == chosen
        print(line(name, threshold, *precision_recall(pairs, labelled))
              + f"  [{seconds:.2f} s]" + ("  <- chosen" if is_chosen else ""))
        same = pairs if is_chosen else same

    p, r, _, _ = precision_recall(same, labelled)
    print(f"\nAT THE CHOSEN THRESHOLDS t={dedup.THRESHOLD}, lede-t={dedup.LEDE_THRESHOLD}: "
          f"precision {p:.4f} (target {TARGET_PRECISION}), recall {r:.4f} (target {TARGET_RECALL})")
    print("  recall by edit:")
    by_edit: dict[str, list[bool]] = defaultdict(list)
    for a, b in labelled.positives:
        for edit in set(labelled.texts[a].edits + labelled.texts[b].edits) - {"original"}:
            by_edit[edit].append((a, b) in same)
    for edit, hits in sorted(by_edit.items()):
        print(f"    {edit:<28} {sum(hits) / len(hits):.4f} of {len(hits)}")
    print("  false positives by kind of negative:")
    for kind, pairs in labelled.negatives.items():
        print(f"    {kind:<28} {len(pairs & same)} of {len(pairs)}")
    for a, b in sorted(labelled.all_negatives & same)[:20]:
        ta, tb = labelled.texts[a].article, labelled.texts[b].article
        print(f"    grouped: {ta.path} | {tb.path}: {ta.title[:30]!r} | {tb.title[:30]!r}")


def report_peers(labelled: Labelled) -> None:
    """Jaccard of the same shingles and TF-IDF cosine pair by pair; datasketch MinHash LSH grouped."""
    print("\npeers (Jaccard and TF-IDF judged pair by pair over the same labelled pairs):")
    stats = dedup.pair_stats([t.article.body for t in labelled.texts])
    jaccard = dict(zip(map(tuple, stats.pairs.tolist()), stats.jaccard().tolist(), strict=True))
    vectors = tfidf_vectors([t.article for t in labelled.texts])
    labelled_pairs = labelled.positives | labelled.all_negatives
    for name, score, thresholds in (
        ("Jaccard of shingles", lambda pair: jaccard.get(pair, 0.0), (0.2, 0.3, 0.4, 0.5)),
        ("TF-IDF cosine", lambda pair: cosine(vectors[pair[0]], vectors[pair[1]]), (0.3, 0.4, 0.5, 0.6, 0.7)),
    ):
        scores = {pair: score(pair) for pair in labelled_pairs}
        for threshold in thresholds:
            same = {pair for pair, value in scores.items() if value >= threshold}
            print(line(name, threshold, *precision_recall(same, labelled)))
    for threshold in (0.3, 0.5):
        start = time.perf_counter()
        group_of = minhash_groups(labelled.texts, threshold)
        if group_of is None:
            print("  datasketch MinHash LSH: not installed (pip install datasketch to compare)")
            break
        seconds = time.perf_counter() - start
        print(line("datasketch MinHash LSH (128), grouped", threshold,
                   *precision_recall(same_pairs_of(group_of, labelled), labelled)) + f"  [{seconds:.2f} s]")


def main() -> int:
    args = arguments(__doc__.split("\n")[0])
    if not have_eval(args.eval, "dedup_quality"):
        return 0
    start = time.perf_counter()
    labelled, left_out = build_labelled(args.eval, args.seed, args.limit)
    describe(labelled, left_out)
    print(f"  (built in {time.perf_counter() - start:.1f} s)")
    report_ours(labelled)
    report_peers(labelled)
    sentence_benchmark(labelled, random.Random(args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
