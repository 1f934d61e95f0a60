"""Near-duplicate articles → one story: group versions of the same article by shared word shingles.

Two articles are the same story when enough of the smaller one's text appears, word for word, in
the larger: the share of its 5-word shingles (runs of five consecutive words) that the other also
has. At least ``THRESHOLD`` (0.7) is enough on its own; at least ``LEDE_THRESHOLD`` (0.5) is
enough when both also open the same way. Two re-edited versions that each added and cut
paragraphs (the two seed files share 62%) need the second rule; different stories that reuse
background paragraphs share as much, but open differently. Containment of the smaller one, not
Jaccard similarity, because a truncated copy or a teaser of a long article is the same story at
a third of its length. Shingles, not topic words (TF-IDF), because two different stories on the
same subject share vocabulary but hardly ever sentences. ``benchmarks/dedup_quality.py``
measures this rule against those alternatives on a labelled set.

The shingles, the fingerprints made in worker processes and the candidate pairs with their
counts come from ``digest.shingles`` (re-exported here: ``dedup.fingerprints``,
``dedup.pair_stats`` …); this module decides, and groups. Identical texts are collapsed first.

The same module decides when two *sentences* are near-identical, for the digest-wide rule that
no sentence appears twice (``compose.py``).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Mapping, Sequence

from digest.models import Article
from digest.shingles import (  # what grouping is made of; callers and benchmarks use them as dedup.*
    COMMON_FRACTION,  # noqa: F401
    LEDE_MATCH,  # noqa: F401
    LEDE_SHINGLES,  # noqa: F401
    LEDE_WINDOW,  # noqa: F401
    MIN_COMMON,  # noqa: F401
    SHINGLE_WORDS,  # noqa: F401
    Fingerprint,
    PairStats,
    Pairs,
    _pair_stats,
    fingerprints,
    pair_stats,  # noqa: F401
    words_of,
)
from digest.text import content_terms

#: Share of the smaller article's shingles that, found in the other, make one story by itself (measured).
THRESHOLD = 0.7
#: A lower share that is enough when the two articles also open the same way (measured).
LEDE_THRESHOLD = 0.5
#: At least this many shared shingles, so two short items are not joined by one common phrase.
MIN_SHARED = 10
#: Two sentences are near-identical when their content-word sets overlap this much (Jaccard).
SENTENCE_THRESHOLD = 0.6


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def same_story_pairs(
    stats: PairStats, *, threshold: float = THRESHOLD, lede_threshold: float | None = LEDE_THRESHOLD
) -> Pairs:
    """The candidate pairs judged one story: containment >= ``threshold``, or >= ``lede_threshold``
    with the same lede (None: containment alone)."""
    containment = stats.containment()
    enough = stats.shared >= MIN_SHARED
    same = enough & (containment >= threshold)
    if lede_threshold is not None and lede_threshold < threshold:
        # Two re-edited versions that each added and cut paragraphs (like the seeds) share less
        # than THRESHOLD; different stories that reuse background paragraphs can share as much,
        # but they open differently: a news story is defined by its first sentences.
        for i in (enough & ~same & (containment >= lede_threshold)).nonzero()[0]:
            a, b = stats.pairs[i]
            same[i] = stats.same_lede(int(a), int(b))
    return stats.pairs[same]


def group_texts(
    texts: Sequence[str], *, threshold: float = THRESHOLD, lede_threshold: float | None = LEDE_THRESHOLD
) -> list[list[int]]:
    """Indices of ``texts`` grouped into stories; groups in order of first appearance, members ascending."""
    return group_fingerprints(fingerprints(texts), threshold=threshold, lede_threshold=lede_threshold)


def group_fingerprints(
    prints: Sequence[Fingerprint], *, threshold: float = THRESHOLD, lede_threshold: float | None = LEDE_THRESHOLD
) -> list[list[int]]:
    """``group_texts`` for texts given by their fingerprints (made by ``fingerprints``, perhaps elsewhere)."""
    n = len(prints)
    parent = list(range(n))
    # Identical texts (after tokenizing) are one story whatever their count; the shingle stage
    # sees each only once, so hundreds of copies cannot turn their shingles into "boilerplate".
    first_of: dict[bytes, int] = {}
    unique: list[int] = []
    for i, fingerprint in enumerate(prints):
        first = first_of.setdefault(fingerprint.key, i)
        if first != i:
            parent[i] = first
        else:
            unique.append(i)

    stats = _pair_stats([prints[i] for i in unique])
    for a, b in same_story_pairs(stats, threshold=threshold, lede_threshold=lede_threshold).tolist():
        ra, rb = _find(parent, unique[a]), _find(parent, unique[b])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(_find(parent, i), []).append(i)
    return list(groups.values())


def group_indices(articles: Sequence[Article], prints: Sequence[Fingerprint] | None = None) -> list[list[int]]:
    """Indices of ``articles`` grouped into stories, each group fullest version first (most body words).

    Groups come in the order of their first article in the input; ties in length keep input order.
    ``prints``, when given, are the articles' body fingerprints (``fingerprints``), in order.
    """
    if prints is None:
        prints = fingerprints([a.body for a in articles])
    # Counting words means splitting the body: only for the groups that have a choice to make.
    return [g if len(g) == 1 else sorted(g, key=lambda i: -articles[i].word_count) for g in group_fingerprints(prints)]


def group_articles(articles: Sequence[Article], prints: Sequence[Fingerprint] | None = None) -> list[tuple[Article, ...]]:
    """Articles grouped into stories, each group fullest version first (see ``group_indices``)."""
    return [tuple(articles[i] for i in g) for g in group_indices(articles, prints)]


@functools.lru_cache(maxsize=65_536)
def sentence_terms(sentence: str) -> frozenset[str]:
    """The stemmed content words of a sentence, the key for near-identical comparison (memoised:
    composing asks for each summary sentence more than once)."""
    return frozenset(content_terms(sentence))


def near_identical(a: frozenset[str], b: frozenset[str], *, threshold: float = SENTENCE_THRESHOLD) -> bool:
    """True when two sentences' content-word sets (``sentence_terms``) say they are the same sentence.

    Sets that are empty (sentences of stop words only) match only each other.
    """
    if not a or not b:
        return a == b
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared) >= threshold


class _Ranks(dict):
    """Each term's place in one fixed order, rarest first. A term not counted is likely rare, so it
    is placed before all others (and before earlier such terms): its place, once given, stays."""

    _unknown = 0

    def __missing__(self, term: str) -> int:
        self._unknown -= 1
        self[term] = self._unknown
        return self._unknown


class SentenceMemory:
    """The sentences shown so far in a digest; says whether a new one repeats any of them.

    Only sentences that could pass ``near_identical`` are compared (prefix filtering, as in
    set-similarity joins): with every term set sorted in one fixed order, two sets with Jaccard
    >= t share a term among the first |x| - ceil(t|x|) + 1 of each. ``frequencies`` (how many
    sentences of the digest hold each term) puts rare terms first, so those prefixes meet few
    others; terms it lacks come first, in the order they are first met. Any fixed order is as
    exact, only slower. This keeps a digest of 10,000 stories from comparing every sentence
    with every other. ``terms`` may hold ``sentence_terms`` of sentences, made beforehand.
    """

    def __init__(self, frequencies: Mapping[str, int] | None = None,
                 terms: Mapping[str, frozenset[str]] | None = None) -> None:
        self._known = terms if terms is not None else {}  # the caller's: it may still grow
        frequencies = frequencies or {}
        by_count = sorted(frequencies.items(), key=operator.itemgetter(1, 0))  # rarest first, then by term
        self._rank = _Ranks((term, i) for i, (term, _) in enumerate(by_count))
        self._terms: list[frozenset[str]] = []
        self._by_term: dict[str, list[int]] = {}
        self._bare: set[bytes] = set()
        self._last: tuple[str, frozenset[str], list[str]] | None = None  # add() follows repeats()

    def _terms_of(self, sentence: str) -> frozenset[str]:
        terms = self._known.get(sentence)
        return sentence_terms(sentence) if terms is None else terms

    def _prefix(self, sentence: str, terms: frozenset[str]) -> list[str]:
        if self._last is not None and self._last[0] == sentence and self._last[1] is terms:
            return self._last[2]
        ordered = sorted(terms, key=self._rank.__getitem__)
        # The 1e-9 only ever lengthens the prefix: a float just above an integer must not cut it.
        prefix = ordered[: len(ordered) - math.ceil(SENTENCE_THRESHOLD * len(ordered) - 1e-9) + 1]
        self._last = (sentence, terms, prefix)
        return prefix

    def repeats(self, sentence: str) -> bool:
        """True if ``sentence`` is near-identical to one already added."""
        terms = self._terms_of(sentence)
        if not terms:
            # No content words ("So it goes."): only the same words count as a repeat.
            return b" ".join(words_of(sentence)) in self._bare
        candidates: set[int] = set()
        for term in self._prefix(sentence, terms):
            candidates.update(self._by_term.get(term, ()))
        size = len(terms)
        for i in candidates:
            # near_identical(terms, other), inlined: this loop runs for every candidate pair.
            other = self._terms[i]
            shared = len(terms & other)
            if shared / (size + len(other) - shared) >= SENTENCE_THRESHOLD:
                return True
        return False

    def add(self, sentence: str) -> None:
        """Remember ``sentence`` as shown."""
        terms = self._terms_of(sentence)
        if not terms:
            self._bare.add(b" ".join(words_of(sentence)))
            return
        for term in self._prefix(sentence, terms):
            self._by_term.setdefault(term, []).append(len(self._terms))
        self._terms.append(terms)
