"""``digest eval``: ROUGE of each summarizer on a JSONL dataset; the only module importing rouge_score.

Each item is ingested exactly as a file dropped into seeds/ would be (title, dateline and
boilerplate handling included), so the numbers measure the product, not a lab variant.
Scores are F1 in percent, averaged over items: ROUGE-1, ROUGE-2 and ROUGE-Lsum with stemming,
reference and summary sentences joined with newlines (the usual CNN/DailyMail protocol).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from digest.errors import ArticleError, DigestError
from digest.ingest import parse_article
from digest.parallel import Workers
from digest.summarize import algorithm_names, article_sentences, get_scorer, select

ORACLE = "oracle"
METRICS = ("rouge1", "rouge2", "rougeLsum")


class DatasetError(DigestError):
    """The evaluation file is missing or not in the expected JSONL format."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One article with its reference summary and the summary length to produce."""

    id: str
    article: str
    reference: tuple[str, ...]
    sentences: int


@dataclass(frozen=True, slots=True)
class EvalResult:
    """Mean scores of one algorithm over a dataset."""

    algorithm: str
    n: int
    rouge1: float
    rouge2: float
    rougeLsum: float
    ms_per_article: float

    def as_json(self) -> dict[str, object]:
        """The --json form: scores in percent, rounded."""
        return {
            "algorithm": self.algorithm,
            "n": self.n,
            "rouge1": round(self.rouge1, 2),
            "rouge2": round(self.rouge2, 2),
            "rougeLsum": round(self.rougeLsum, 2),
            "ms_per_article": round(self.ms_per_article, 3),
        }


def load_dataset(path: str | os.PathLike[str], limit: int | None = None) -> list[EvalItem]:
    """Read ``{"id", "article", "reference": [...], "sentences": int}`` lines."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read: {exc}") from None
    items: list[EvalItem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            reference = data["reference"]
            if isinstance(reference, str):
                reference = [reference]
            items.append(EvalItem(str(data.get("id", number)), data["article"], tuple(reference), int(data.get("sentences", 3))))
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path}:{number}: not an evaluation record ({exc.__class__.__name__}: {exc})") from None
        if limit and len(items) >= limit:
            break
    if not items:
        raise DatasetError(f"{path}: no evaluation records")
    return items


_SCORER = None


def _rouge():
    global _SCORER
    if _SCORER is None:
        from rouge_score import rouge_scorer

        _SCORER = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    return _SCORER


def rouge(reference: Sequence[str], summary: Sequence[str]) -> dict[str, float]:
    """ROUGE F1 (0-1) of one summary against one reference, sentences joined with newlines."""
    scores = _rouge().score("\n".join(reference), "\n".join(summary))
    return {m: scores[m].fmeasure for m in METRICS}


def greedy_oracle(sentences: Sequence[str], reference: Sequence[str], count: int) -> list[int]:
    """The usual extractive upper bound: add the sentence that most raises ROUGE-1 + ROUGE-2 F1."""
    chosen: list[int] = []
    best = 0.0
    scorer = _rouge()
    target = "\n".join(reference)
    while len(chosen) < count:
        pick, pick_score = None, best
        for i in range(len(sentences)):
            if i in chosen:
                continue
            candidate = "\n".join(sentences[j] for j in sorted([*chosen, i]))
            s = scorer.score(target, candidate)
            value = s["rouge1"].fmeasure + s["rouge2"].fmeasure
            if value > pick_score:
                pick, pick_score = i, value
        if pick is None:
            break
        chosen.append(pick)
        best = pick_score
    return sorted(chosen)


def _evaluate_item(job: tuple[EvalItem, tuple[str, ...], bool]) -> dict[str, tuple[dict[str, float], float]]:
    """Scores and seconds per algorithm for one item (runs in worker processes too)."""
    item, algorithms, oracle = job
    try:
        article = parse_article(item.article, item.id)
        sentences = article_sentences(article)
        title = None if article.title_derived else article.title
    except ArticleError:
        sentences, title = [], None
    results: dict[str, tuple[dict[str, float], float]] = {}
    for name in algorithms:
        started = time.perf_counter()
        chosen: list[int] = []
        if sentences:
            scores = get_scorer(name)(sentences, title, count=item.sentences)
            chosen = select(sentences, scores, count=item.sentences)
        elapsed = time.perf_counter() - started
        results[name] = (rouge(item.reference, [sentences[i] for i in chosen]), elapsed)
    if oracle:
        started = time.perf_counter()
        chosen = greedy_oracle(sentences, item.reference, item.sentences)
        results[ORACLE] = (rouge(item.reference, [sentences[i] for i in chosen]), time.perf_counter() - started)
    return results


def evaluate(
    items: Sequence[EvalItem],
    algorithms: Sequence[str] | None = None,
    *,
    oracle: bool = False,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[EvalResult]:
    """Mean ROUGE and time per article for each algorithm (default: ours, lead and every sumy one)."""
    names = tuple(algorithms or algorithm_names())
    for name in names:
        get_scorer(name)  # unknown names fail before any work
    totals = {name: {m: 0.0 for m in (*METRICS, "seconds")} for name in (*names, *((ORACLE,) if oracle else ()))}
    # Summed in item order whatever order the workers took them in: the same floats either way.
    for per_item in _run(items, names, oracle, jobs, progress):
        for name, (scores, seconds) in per_item.items():
            for metric, value in scores.items():
                totals[name][metric] += value
            totals[name]["seconds"] += seconds
    n = len(items)
    return [
        EvalResult(
            name, n,
            100 * t["rouge1"] / n, 100 * t["rouge2"] / n, 100 * t["rougeLsum"] / n,
            1000 * t["seconds"] / n,
        )
        for name, t in totals.items()
    ]


def _start_worker(names: tuple[str, ...]) -> None:
    """Build every scorer and the ROUGE scorer once per worker process, before any item."""
    for name in names:
        get_scorer(name)
    _rouge()


def _run(items: Sequence[EvalItem], names: tuple[str, ...], oracle: bool, jobs: int,
         progress: Callable[[int], None] | None) -> list[dict]:
    """Every item's results, in item order; with ``jobs`` > 1 across worker processes.

    An item's cost grows with its article, so the longest go first (``Workers.map``): the
    workers then finish together instead of one waiting for the other's last long article.
    """
    with Workers(jobs, _start_worker, (names,)) as workers:
        return workers.map(_evaluate_item, [(item, names, oracle) for item in items],
                           sizes=[len(item.article) for item in items], progress=progress)


def format_table(results: Sequence[EvalResult], title: str = "") -> str:
    """A plain-text table, best ROUGE-1 first, the oracle last."""
    rows = sorted(results, key=lambda r: (r.algorithm == ORACLE, -r.rouge1))
    lines = [title] if title else []
    lines.append(f"{'algorithm':<11} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-Lsum':>11} {'ms/article':>11}")
    for r in rows:
        lines.append(f"{r.algorithm:<11} {r.rouge1:8.2f} {r.rouge2:8.2f} {r.rougeLsum:11.2f} {r.ms_per_article:11.2f}")
    return "\n".join(lines)
