"""Re-run the sensitivity sweeps behind the hand-set constants of digest/newsrank.py and
digest/setchoice.py on the dev sets (the word model's fitted weights come from
benchmarks/fit_wordmodel.py).

Every article goes through the product's own ingest and splitter, then our ranker with one
constant changed at a time; ROUGE-1 F1 (rouge-score, stemmed) is printed per set. A constant is
worth keeping only where the scores form a plateau around it, not a lone peak: the held-out
halves decide. Usage:

    python benchmarks/newsrank_sweep.py            # all sweeps, all dev items (a few minutes)
    python benchmarks/newsrank_sweep.py --limit 300
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
sys.path.insert(0, str(ROOT))

from digest import newsrank, setchoice  # noqa: E402
from digest.evaluate import rouge  # noqa: E402
from digest.ingest import parse_article  # noqa: E402
from digest.summarize import article_sentences, select  # noqa: E402

SETS = ("cnndm_dev", "cnndm_see_dev", "bbc_dev")
#: constant → (its module, the values tried)
SWEEPS = {
    "REF_WORDS_PER_SENTENCE": (setchoice, (40 / 3, 45 / 3, 52 / 3, 60 / 3, 70 / 3)),
    "DANGLING_QUOTE": (setchoice, (0.25, 0.5, 0.75, 1.0)),
    "MIN_WORDS": (newsrank, (0, 4, 6, 8, 10)),
    "LEN_POW_COV": (newsrank, (0.0, 0.1, 0.2, 0.25, 0.3, 0.5)),
    "SWITCH_WORDS": (newsrank, (60.0, 70.0, 75.0, 80.0, 85.0, 90.0, 100.0)),
}


def load(limit: int | None) -> dict[str, list[tuple[list[str], int, list[str]]]]:
    data = {}
    for name in SETS:
        lines = (EVAL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[:limit]
        items = [json.loads(line) for line in lines]
        data[name] = [(article_sentences(parse_article(i["article"])), i["sentences"], i["reference"]) for i in items]
    return data


def score(data) -> dict[str, float]:
    ranker = newsrank.NewsRanker()
    result = {}
    for name, items in data.items():
        total = 0.0
        for sentences, count, reference in items:
            chosen = select(sentences, ranker(sentences, None, count=count), count=count)
            total += rouge(reference, [sentences[i] for i in chosen])["rouge1"]
        result[name] = 100 * total / len(items)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="use only the first N items of each set")
    parser.add_argument("--only", choices=sorted(SWEEPS), help="run one sweep")
    args = parser.parse_args()
    if not EVAL.is_dir():
        print(f"{EVAL} not found: the dev sets are only in the team's workspace; nothing to sweep")
        return 0
    data = load(args.limit)
    print(f"items: {', '.join(f'{n} {len(v)}' for n, v in data.items())}")
    print("defaults:", "  ".join(f"{n}={v:.2f}" for n, v in score(data).items()))
    for constant, (module, values) in SWEEPS.items():
        if args.only and constant != args.only:
            continue
        default = getattr(module, constant)
        for value in values:
            setattr(module, constant, value)
            row = "  ".join(f"{n}={v:.2f}" for n, v in score(data).items())
            print(f"{constant:<22} {value:>7.4g}{' *' if value == default else '  '} {row}", flush=True)
        setattr(module, constant, default)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
