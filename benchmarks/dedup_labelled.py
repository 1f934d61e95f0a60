"""The labelled set for duplicate grouping, built from ../shared/eval (used by dedup_quality.py).

Usage: python benchmarks/dedup_labelled.py [--eval DIR] [--seed N] [--limit N]   (prints what it holds)

Deterministic for a given seed:

* the pool: every article of cnndm_dev, cnndm_see_dev and bbc_dev, except later versions of a
  story the data already holds: the two CNN/DailyMail files overlap, BBC repeats a few stories
  word for word, and both hold republished or updated versions of one story. An article counts
  as such a version when 60% of its (or the other's) 8-word shingles appear in the other; those
  pairs are printed with their titles, to check by eye that they are one story. They are left
  out because whether they are "different articles" is for a reader to judge, not a label;
  different stories that merely reuse background paragraphs share well under 60% and stay in;
* each pool article stays alone, gets one or two edited copies, or is replaced by two edited
  versions (neither of them whole, like the seeds). The edits: truncated, paragraphs dropped or
  reordered, re-headlined, boilerplate lines added, a dateline or a "date YYYY-MM-DD" prefix
  like the seeds, and light copy-editing (quote style, a word added, dropped or changed);
* every text, original or copy, goes through digest.ingest.parse_article as a user's file would;
* positives: every pair of texts from one pool article (original-copy, copy-copy, version-version);
* negatives: every pair of different pool articles in the same BBC category (same topic,
  different story), 20,000 random pairs of different articles, every pair of different articles
  that shares any 5-word shingle (verbatim overlap, where shingling could err), and each
  article's nearest different article by TF-IDF cosine (same topic, where word overlap could err).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from digest import dedup  # noqa: E402
from digest.ingest import parse_article  # noqa: E402
from digest.models import Article  # noqa: E402
from digest.text import content_terms, split_sentences  # noqa: E402

EVAL_FILES = ("cnndm_dev.jsonl", "cnndm_see_dev.jsonl", "bbc_dev.jsonl")
DEFAULT_EVAL = PROJECT_ROOT.parent / "shared" / "eval"

# Written for this benchmark: the kind of lines newsletters and sites wrap around a story.
BOILERPLATE = (
    "Sign up for our morning newsletter to get stories like this in your inbox.",
    "Follow us on social media for the latest updates.",
    "Copyright 2026 Example Media Group. All rights reserved.",
    "Advertisement",
    "Thanks for reading. Tell us what you think in the comments below.",
    "This story has been updated with more details.",
    "Want more stories like this? Our weekly briefing is free and lands every Friday.",
    "Share this article with friends and family.",
    "Have a news tip? Our reporters would like to hear from you.",
    "Download our app to keep up with breaking news wherever you are.",
)
DATELINES = ("date {date} ", "LONDON (Reuters) - ", "WASHINGTON (AP) — ", "Hong Kong CNN Business —\n\n",
             "NEW YORK (CNN) -- ")
STRUCTURAL = ("none", "truncate", "drop", "reorder", "truncate+reorder", "drop+reorder")
FILLERS = ("also", "now", "reportedly", "still", "then", "already")
SWAPS = {"said": "says", "says": "said", "US": "United States", "U.S.": "US", "and": "as well as",
         "but": "however", "after": "following", "before": "ahead of", "told": "informed"}


@dataclass
class Text:
    """One text of the corpus: which pool article it comes from, how it was edited, and its parse."""

    family: int
    edits: tuple[str, ...]
    article: Article
    category: str | None = None


@dataclass
class Labelled:
    """The corpus and its labelled pairs (index pairs into ``texts``, first < second)."""

    texts: list[Text]
    positives: set[tuple[int, int]]
    negatives: dict[str, set[tuple[int, int]]] = field(default_factory=dict)

    @property
    def all_negatives(self) -> set[tuple[int, int]]:
        return set().union(*self.negatives.values())


def load_pool(eval_dir: Path, limit: int | None) -> list[tuple[str, str | None, str]]:
    """(id, BBC category or None, raw text) of every evaluation article, ``limit`` per file."""
    pool = []
    for name in EVAL_FILES:
        with open(eval_dir / name, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if limit is not None and i >= limit:
                    break
                item = json.loads(line)
                pool.append((item["id"], item.get("category"), item["article"]))
    return pool


def repeated_in_data(articles: list[Article]) -> list[tuple[int, int, float]]:
    """(earlier, later, share) for articles that are versions of an earlier one (8-word containment >= 0.6)."""
    stats = dedup.pair_stats([a.body for a in articles], k=8)
    return [(int(a), int(b), float(c)) for (a, b), c in zip(stats.pairs, stats.containment(), strict=True) if c >= 0.6]


def units_of(article: Article) -> list[str]:
    """The paragraphs an editor works with; short or one-paragraph articles in two-sentence chunks."""
    paragraphs = list(article.paragraphs)
    if len(paragraphs) >= 4:
        return paragraphs
    sentences = [s for p in paragraphs for s in split_sentences(p)]
    return [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)] or paragraphs


def copy_edit(paragraph: str, rng: random.Random, rate: float = 0.03) -> str:
    """Small edits an editor makes: about ``rate`` of the words swapped, dropped or given a filler."""
    words = paragraph.split(" ")
    out = []
    for word in words:
        roll = rng.random()
        if roll < rate / 3 and word in SWAPS:
            out.append(SWAPS[word])
        elif roll < rate / 3 and len(out) > 1:
            continue  # dropped
        elif roll < 2 * rate / 3:
            out.extend((word, rng.choice(FILLERS)))
        else:
            out.append(word)
    text = " ".join(out)
    return text.replace('"', "“") if rng.random() < 0.5 else text.replace("“", '"').replace("”", '"')


def edited_copy(article: Article, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    """A re-edited version of ``article`` as file text, and the names of the edits made."""
    units = units_of(article)
    structural = rng.choice(STRUCTURAL)
    edits = [structural]
    if "truncate" in structural:
        units = units[: max(1, math.ceil(len(units) * rng.uniform(0.3, 0.8)))]
    if "drop" in structural and len(units) > 2:
        kept = [u for u in units if rng.random() > 0.25]
        units = kept if len(kept) >= 2 else units[:2]
    if "reorder" in structural and len(units) > 2:
        for _ in range(rng.randint(2, 3)):
            units.insert(rng.randrange(len(units)), units.pop(rng.randrange(len(units))))
    if rng.random() < 0.5:
        edits.append("copy-edited")
        units = [copy_edit(u, rng) for u in units]
    title = article.title
    if rng.random() < 0.5:
        edits.append("re-headlined")
        lead = " ".join(units[0].split()[:8]).rstrip(".,;:")
        title = rng.choice((f"UPDATE: {title}", f"{title} | Example News", lead[:1].upper() + lead[1:], ""))
    body = list(units)
    if rng.random() < 0.5:
        edits.append("boilerplate")
        lines = rng.sample(BOILERPLATE, rng.randint(1, 3))
        body = (lines + body) if rng.random() < 0.3 else (body + lines)
    prefix = ""
    if rng.random() < 0.5:
        edits.append("dateline")
        date = f"20{rng.randint(10, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        prefix = rng.choice(DATELINES).format(date=date)
        if prefix.startswith("date"):
            title = ""  # as in the seed copy: a date prefix and no headline
    body[0] = prefix + body[0]
    text = (f"{title}\n\n" if title else "") + "\n\n".join(body) + "\n"
    return text, tuple(edits)


def build_labelled(eval_dir: Path, seed: int, limit: int | None) -> tuple[Labelled, list[str]]:
    """The corpus of originals and edited copies with its labelled pairs; also the versions left out."""
    rng = random.Random(seed)
    raw = load_pool(eval_dir, limit)
    parsed = [parse_article(text, f"{ident}.txt") for ident, _, text in raw]
    versions = repeated_in_data(parsed)
    repeats = {later for _, later, _ in versions}
    left_out = [f"{share:.2f} {raw[a][0]} | {raw[b][0]}: {parsed[a].title[:40]!r} | {parsed[b].title[:40]!r}"
                for a, b, share in versions]
    texts: list[Text] = []
    for family, ((ident, category, _), article) in enumerate(zip(raw, parsed, strict=True)):
        if family in repeats:
            continue
        # Alone; with one or two edited copies; or two edited versions without the original
        # (like the seeds: neither file is the whole article).
        shape = rng.choices(("alone", "one copy", "two copies", "two versions"), weights=(15, 55, 15, 15))[0]
        if shape != "two versions":
            texts.append(Text(family, ("original",), article, category))
        for c in range({"alone": 0, "one copy": 1}.get(shape, 2)):
            copy, edits = edited_copy(article, rng)
            if shape == "two versions":
                edits += ("two versions, no original",)
            texts.append(Text(family, edits, parse_article(copy, f"{ident}-copy{c}.txt"), category))

    by_family: dict[int, list[int]] = defaultdict(list)
    for i, t in enumerate(texts):
        by_family[t.family].append(i)
    positives = {(a, b) for members in by_family.values() for x, a in enumerate(members) for b in members[x + 1 :]}
    labelled = Labelled(texts, positives)

    # One text per pool article (the original, else its first version) for the topic negatives.
    originals = [members[0] for members in by_family.values()]
    by_category: dict[str, list[int]] = defaultdict(list)
    for i in originals:
        if texts[i].category:
            by_category[texts[i].category].append(i)
    labelled.negatives["same BBC category"] = {
        (a, b) for members in by_category.values() for x, a in enumerate(members) for b in members[x + 1 :]
    }
    random_pairs = set()
    while len(random_pairs) < min(20_000, len(texts) * (len(texts) - 1) // 4):
        a, b = sorted(rng.sample(range(len(texts)), 2))
        if texts[a].family != texts[b].family:
            random_pairs.add((a, b))
    labelled.negatives["random"] = random_pairs
    stats = dedup.pair_stats([t.article.body for t in texts])
    labelled.negatives["share a 5-word shingle"] = {
        (int(a), int(b)) for a, b in stats.pairs if texts[a].family != texts[b].family
    }
    vectors = tfidf_vectors([t.article for t in texts])
    labelled.negatives["nearest by TF-IDF"] = nearest_other(vectors, originals)
    return labelled, left_out


def tfidf_vectors(articles: list[Article]) -> list[dict[str, float]]:
    """Unit-length TF-IDF vectors of stemmed content words (log tf, smoothed idf)."""
    counts = [Counter(content_terms(a.body)) for a in articles]
    df = Counter(term for c in counts for term in c)
    n = len(articles)
    vectors = []
    for c in counts:
        v = {t: (1 + math.log(k)) * math.log((1 + n) / (1 + df[t])) for t, k in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({t: x / norm for t, x in v.items()})
    return vectors


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(t, 0.0) for t, x in a.items())


def nearest_other(vectors: list[dict[str, float]], originals: list[int]) -> set[tuple[int, int]]:
    """For each original, the most TF-IDF-similar other original (candidates share a top-20 term)."""
    top = {i: sorted(vectors[i], key=lambda t: -vectors[i][t])[:20] for i in originals}
    postings: dict[str, list[int]] = defaultdict(list)
    for i in originals:
        for term in top[i]:
            postings[term].append(i)
    pairs = set()
    for i in originals:
        candidates = {j for term in top[i] for j in postings[term]} - {i}
        if candidates:
            best = max(candidates, key=lambda j: cosine(vectors[i], vectors[j]))
            pairs.add((min(i, best), max(i, best)))
    return pairs


def arguments(description: str) -> argparse.Namespace:
    """The options every dedup benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL,
                        help="folder with the evaluation .jsonl files (default ../shared/eval)")
    parser.add_argument("--seed", type=int, default=6, help="random seed for the edits and samples")
    parser.add_argument("--limit", type=int, help="use only the first N articles of each file (quick runs)")
    return parser.parse_args()


def have_eval(eval_dir: Path, script: str) -> bool:
    """True when the evaluation files are there; else says so (the caller then exits 0)."""
    if all((eval_dir / name).exists() for name in EVAL_FILES):
        return True
    print(f"{script}: {eval_dir} not found (the team's evaluation data); nothing to measure.")
    return False


def describe(labelled: Labelled, left_out: list[str]) -> None:
    """Print what the labelled set holds."""
    families = len({t.family for t in labelled.texts})
    print(f"labelled set: {families} pool articles, {len(labelled.texts)} texts with copies; "
          f"{len(labelled.positives)} positive pairs, {len(labelled.all_negatives)} negative pairs "
          f"({', '.join(f'{k}: {len(v)}' for k, v in labelled.negatives.items())})")
    edits = Counter(edit for t in labelled.texts for edit in t.edits)
    print("  texts by edit: " + ", ".join(f"{edit} {count}" for edit, count in sorted(edits.items())))
    print(f"  left out of the pool, {len(left_out)} later versions of a story the data already holds "
          "(8-word containment, ids, titles):")
    for entry in left_out:
        print(f"    {entry}")


def main() -> int:
    args = arguments(__doc__.split("\n")[0])
    if have_eval(args.eval, "dedup_labelled"):
        describe(*build_labelled(args.eval, args.seed, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
