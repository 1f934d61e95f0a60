"""Derive the constants of digest/wordmodel.py from the dev data, and cross-validate them.

The model predicts how often each distinct word of an article appears in its reference summary:
a Poisson regression (log link, L2 penalty ``ALPHA`` on the weights, not on the bias) over the
features of ``wordmodel.feature_row``, fitted by Newton's method. Articles go through the
product's own ingest and splitter, words through ``wordmodel.tokenize``, so the fit sees exactly
what the product sees. Usage:

    python benchmarks/fit_wordmodel.py            # fit on all of cnndm_see_dev; print the constants
    python benchmarks/fit_wordmodel.py --cv 5     # and k-fold cross-validated ROUGE-1 (a few minutes)

With ``--cv`` each fold's articles are summarized with constants fitted on the other folds only,
and the mean ROUGE-1 F1 (rouge-score, stemmed) is printed next to Lead-3's and to that of the
constants in digest/wordmodel.py (fitted on every article, so optimistic there) with the
standard error of the paired difference. Raw-form CNN/DailyMail (cnndm_dev) is summarized with
constants fitted on all of the see form: a check that the model carries across forms.
Exits cleanly when the evaluation data is absent. Needs numpy (a dependency already).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digest import newsrank, wordmodel  # noqa: E402
from digest.evaluate import rouge  # noqa: E402
from digest.ingest import parse_article  # noqa: E402
from digest.summarize import article_sentences, select  # noqa: E402

#: L2 penalty, as in scikit-learn's PoissonRegressor (mean deviance / 2 + ALPHA / 2 · ‖w‖²).
#: Cross-validated sweep 1e-6 … 1e-2 on see: a plateau up to 1e-4, worse from 1e-3.
ALPHA = 1e-4
FEATURES = len(wordmodel.WEIGHTS)


def load(path: Path) -> list[dict]:
    """Each item: its sentences (as the product splits them), words, reference and count."""
    items = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            raw = json.loads(line)
            sentences = article_sentences(parse_article(raw["article"]))
            words, _ = wordmodel.tokenize(sentences)
            reference_words, _ = wordmodel.tokenize(raw["reference"])
            items.append({"sentences": sentences, "words": words, "reference": raw["reference"],
                          "wanted": Counter(w for ws in reference_words for w in ws), "count": raw["sentences"]})
    return items


def design(items: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """One row per (article, distinct word): its features, and its count in the reference."""
    rows, counts = [], []
    for item in items:
        words = item["words"]
        if not words:
            continue
        types, keys = wordmodel.word_keys(words, [Counter(w) for w in words])
        for word, (n, first, total, lead, s0, df, flags) in zip(types, keys):
            row = np.zeros(FEATURES)
            for index, value in wordmodel.feature_row(n, first, total, lead or 0, s0 or 0, df, flags):
                row[index] = value
            rows.append(row)
            counts.append(item["wanted"].get(word, 0))
    return np.array(rows), np.array(counts, dtype=float)


def fit(x: np.ndarray, y: np.ndarray, alpha: float = ALPHA) -> tuple[float, list[float]]:
    """Bias and weights minimising mean(mu - y log mu) + alpha / 2 · ‖w‖², mu = exp(bias + x·w)."""
    m = len(y)
    xb = np.hstack([np.ones((m, 1)), x])
    beta = np.zeros(xb.shape[1])
    beta[0] = math.log(max(y.mean(), 1e-9))
    penalty = np.full(xb.shape[1], alpha)
    penalty[0] = 0.0

    def loss(b: np.ndarray) -> float:
        eta = xb @ b
        return float(np.mean(np.exp(eta) - y * eta) + 0.5 * np.sum(penalty * b * b))

    current = loss(beta)
    for _ in range(100):
        mu = np.exp(xb @ beta)
        gradient = xb.T @ (mu - y) / m + penalty * beta
        hessian = (xb.T * mu) @ xb / m + np.diag(penalty) + 1e-12 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-6:  # halve the step until the loss falls
            candidate = beta - scale * step
            if (value := loss(candidate)) <= current:
                break
            scale /= 2
        beta, improvement = candidate, current - value
        current = value
        if improvement < 1e-13:
            break
    return float(beta[0]), [float(v) for v in beta[1:]]


def use(bias: float, weights: list[float]) -> None:
    """Make the product use these constants (and forget the rates computed with others)."""
    wordmodel.BIAS = bias
    wordmodel.WEIGHTS = tuple(weights)
    wordmodel._EXPECTED.clear()
    wordmodel._LONE.clear()


def rouge1(item: dict, chosen: list[int]) -> float:
    return 100 * rouge(item["reference"], [item["sentences"][i] for i in chosen])["rouge1"]


def summarize(item: dict) -> list[int]:
    scores = newsrank.NewsRanker()(item["sentences"], None, count=item["count"])
    return select(item["sentences"], scores, count=item["count"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval",
                        help="folder with the evaluation sets (default ../shared/eval)")
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="also cross-validate with K folds")
    parser.add_argument("--alpha", type=float, default=ALPHA, help=f"L2 penalty (default {ALPHA})")
    args = parser.parse_args()
    see_path, raw_path = args.eval / "cnndm_see_dev.jsonl", args.eval / "cnndm_dev.jsonl"
    if not see_path.is_file():
        print(f"evaluation data not found in {args.eval}; nothing to fit.")
        return 0
    shipped = (wordmodel.BIAS, list(wordmodel.WEIGHTS))
    see = load(see_path)
    x, y = design(see)
    bias, weights = fit(x, y, args.alpha)
    print(f"{len(see)} articles, {len(y):,} (article, word) rows")
    print(f"BIAS = {bias:.4f}")
    print("WEIGHTS = (" + ", ".join(f"{w:.4g}" for w in weights) + ")")
    largest = max(abs(a - b) for a, b in zip([bias, *weights], [shipped[0], *shipped[1]], strict=True))
    print(f"largest difference from the constants in digest/wordmodel.py: {largest:.4f}")
    if not args.cv:
        return 0

    folds = [i % args.cv for i in range(len(see))]
    ours, lead, shipped_scores = [0.0] * len(see), [0.0] * len(see), [0.0] * len(see)
    for fold in range(args.cv):
        train = [item for item, f in zip(see, folds, strict=True) if f != fold]
        use(*fit(*design(train), args.alpha))
        for i, item in enumerate(see):
            if folds[i] == fold:
                ours[i] = rouge1(item, summarize(item))
                lead[i] = rouge1(item, list(range(min(item["count"], len(item["sentences"])))))
        print(f"fold {fold + 1} of {args.cv} done", flush=True)
    use(*shipped)
    for i, item in enumerate(see):
        shipped_scores[i] = rouge1(item, summarize(item))

    def report(label: str, a: list[float], b: list[float], b_label: str) -> None:
        diff = np.array(a) - np.array(b)
        print(f"{label}: {np.mean(a):.2f} vs {b_label} {np.mean(b):.2f}: "
              f"{diff.mean():+.2f} (standard error {diff.std() / math.sqrt(len(diff)):.2f})")

    report(f"cnndm_see_dev, {args.cv}-fold cross-validated", ours, lead, "Lead-3")
    report("cnndm_see_dev, shipped constants (fitted on all)", shipped_scores, ours, "cross-validated")
    if raw_path.is_file():
        use(bias, weights)
        raw = load(raw_path)
        ours_raw = [rouge1(item, summarize(item)) for item in raw]
        lead_raw = [rouge1(item, list(range(min(item["count"], len(item["sentences"]))))) for item in raw]
        report("cnndm_dev (raw form), fitted on all of see", ours_raw, lead_raw, "Lead-3")
        use(*shipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
