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

No all-pairs comparison: every article's shingles are hashed into one numpy array and sorted;
only articles that share a shingle become a candidate pair, with their exact count of shared
shingles. Shingles found in very many articles (page boilerplate) are ignored, which also bounds
the work; identical texts are collapsed first. 10,000 articles group in about 3 s of CPU
(``benchmarks/dedup_speed.py``). This is the only module that imports numpy.

What grouping needs of one article (its ``Fingerprint``: shingle hashes and an identity key)
depends on that article alone, so ``digest build --jobs N`` computes it in the worker processes
that read the files; only the sort and the count of shared shingles are left for the parent.

The same module decides when two *sentences* are near-identical, for the digest-wide rule that
no sentence appears twice (``compose.py``).
"""

from __future__ import annotations

import functools
import hashlib
import math
import operator
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from digest.models import Article
from digest.text import content_terms

#: Words per shingle. Five is long enough that different stories rarely share one by chance and
#: short enough that a lightly re-edited sentence still keeps most of its shingles (measured).
SHINGLE_WORDS = 5
#: Share of the smaller article's shingles that, found in the other, make one story by itself (measured).
THRESHOLD = 0.7
#: A lower share that is enough when the two articles also open the same way (measured).
LEDE_THRESHOLD = 0.5
#: "Open the same way": this share of one article's first LEDE_SHINGLES shingles is among the
#: other's first LEDE_WINDOW (room for a dateline or a boilerplate line on top of one of them).
LEDE_MATCH = 0.5
LEDE_SHINGLES = 30
LEDE_WINDOW = 90
#: At least this many shared shingles, so two short items are not joined by one common phrase.
MIN_SHARED = 10
#: A shingle in more than max(MIN_COMMON, n / COMMON_FRACTION) articles is boilerplate, not evidence.
MIN_COMMON = 50
COMMON_FRACTION = 100
#: Two sentences are near-identical when their content-word sets overlap this much (Jaccard).
SENTENCE_THRESHOLD = 0.6

# Bytes that are not letters or digits become spaces: tokenizing through bytes.translate is
# about twice as fast as a Unicode regex, and bytes >= 128 (letters outside ASCII) are kept.
_SEPARATORS = bytes(c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else 32 for c in range(256))
# Unicode punctuation that news text uses inside and between words (quotes, dashes, ellipsis),
# replaced in the UTF-8 bytes: much faster than str.translate with a table.
_UNICODE_PUNCTUATION = tuple(c.encode("utf-8") for c in "‘’‚‛“”„‟–—―…«»·•\u00a0")
# Odd 64-bit multipliers that mix the word hashes of one shingle (wrapping arithmetic).
_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
    dtype=np.uint64,
)


def words_of(text: str) -> list[bytes]:
    """Lowercased word tokens as bytes: letters and digits, punctuation and apostrophes split off."""
    data = text.lower().encode("utf-8")
    for mark in _UNICODE_PUNCTUATION:
        if mark in data:
            data = data.replace(mark, b" ")
    return data.translate(_SEPARATORS).split()


@dataclass(frozen=True)
class PairStats:
    """Candidate pairs of texts and the evidence for each: shared shingles and each text's count.

    ``pairs`` is an (m, 2) array of text indices (first < second); ``sizes`` has one entry per
    text (distinct shingles, boilerplate shingles excluded); ``leads`` holds each text's first
    ``LEDE_WINDOW`` shingle hashes in order.
    """

    pairs: np.ndarray
    shared: np.ndarray
    sizes: np.ndarray
    leads: list[np.ndarray]

    def containment(self) -> np.ndarray:
        """Shared shingles over the smaller text's count, per pair."""
        smaller = np.minimum(self.sizes[self.pairs[:, 0]], self.sizes[self.pairs[:, 1]])
        return self.shared / np.maximum(smaller, 1)

    def jaccard(self) -> np.ndarray:
        """Shared shingles over the union of both texts' shingles, per pair."""
        union = self.sizes[self.pairs[:, 0]] + self.sizes[self.pairs[:, 1]] - self.shared
        return self.shared / np.maximum(union, 1)

    def same_lede(self, a: int, b: int) -> bool:
        """True when texts ``a`` and ``b`` open the same way (see ``LEDE_MATCH``)."""
        lead_a, lead_b = self.leads[a].tolist(), self.leads[b].tolist()
        for first, window in ((lead_a[:LEDE_SHINGLES], set(lead_b)), (lead_b[:LEDE_SHINGLES], set(lead_a))):
            if first and sum(h in window for h in first) >= LEDE_MATCH * len(first):
                return True
        return False


@dataclass(frozen=True)
class Fingerprint:
    """What grouping needs of one text, computed from that text alone (in any process).

    ``key`` is the same for texts with the same words (after ``words_of``); ``shingles`` holds the
    hash of every ``SHINGLE_WORDS``-word shingle (one for a shorter text), in text order unless
    ``lede`` is given: then sorted, and ``lede`` holds the first ``LEDE_WINDOW`` in text order.
    """

    key: bytes
    shingles: np.ndarray
    lede: np.ndarray | None = None

    @property
    def opening(self) -> np.ndarray:
        """The first ``LEDE_WINDOW`` shingle hashes, in text order."""
        return self.shingles[:LEDE_WINDOW] if self.lede is None else self.lede

    def __reduce__(self) -> tuple:
        # Sent back from every worker for every article: raw bytes pickle faster than an array.
        return _fingerprint, (self.key, self.shingles.tobytes(), None if self.lede is None else self.lede.tobytes())


def _fingerprint(key: bytes, shingles: bytes, lede: bytes | None) -> Fingerprint:
    return Fingerprint(key, np.frombuffer(shingles, dtype=np.uint64),
                       None if lede is None else np.frombuffer(lede, dtype=np.uint64))


def fingerprints(texts: Sequence[str], *, k: int = SHINGLE_WORDS, presort: bool = False) -> list[Fingerprint]:
    """One ``Fingerprint`` per text; the same in every process and every run (no salted hash).

    ``presort`` sorts each text's shingles, for fingerprints made in worker processes: the
    parent's sort of all of them then only merges sorted runs (much faster); grouping gives the
    same result either way.
    """
    token_lists = [words_of(text) for text in texts]
    hashes, docs = _shingles(token_lists, k)
    offsets = np.searchsorted(docs, np.arange(len(token_lists) + 1))
    prints = []
    for i, tokens in enumerate(token_lists):
        # 16 bytes of BLAKE2 stand for the words themselves: the texts' own bytes would cost
        # as much again to send back from a worker process.
        key = hashlib.blake2b(b" ".join(tokens), digest_size=16).digest()
        own = hashes[offsets[i] : offsets[i + 1]]
        prints.append(Fingerprint(key, np.sort(own), own[:LEDE_WINDOW]) if presort else Fingerprint(key, own))
    return prints


def _shingles(token_lists: Sequence[list[bytes]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every text's shingle hashes and the text each belongs to, as two flat arrays in text order."""
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    if not lengths.any():
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    # CRC-32 of each word: as fast as Python's hash(), and unlike it the same in every process
    # (worker processes compute fingerprints that the parent compares). The mixing below
    # spreads the 32 bits over 64; two words with one CRC only matter inside otherwise equal
    # five-word runs.
    token_hashes = [np.fromiter(map(zlib.crc32, tokens), dtype=np.uint64, count=len(tokens)) for tokens in token_lists]
    tokens = np.concatenate(token_hashes)
    total = len(tokens)
    ends = np.cumsum(lengths)
    doc_of_token = np.repeat(np.arange(len(token_lists)), lengths)
    # A shingle starting at token i covers i..i+k-1; texts shorter than k get one shingle of all
    # their words (padded with zeros), so a two-word item can still match its exact copy.
    padded = np.concatenate([tokens, np.zeros(k, np.uint64)])
    position = np.arange(total)
    remaining = ends[doc_of_token] - position
    hashes = np.zeros(total, np.uint64)
    for j in range(k):
        part = padded[j : j + total] * _MIX[j]
        hashes += np.where(remaining > j, part, np.uint64(0))
    first = np.zeros(total, bool)
    first[ends[lengths > 0] - lengths[lengths > 0]] = True
    keep = (remaining >= k) | (first & (lengths[doc_of_token] < k))
    return hashes[keep], doc_of_token[keep]


def pair_stats(texts: Sequence[str], *, k: int = SHINGLE_WORDS) -> PairStats:
    """Every pair of texts that shares at least one (non-boilerplate) shingle, with its counts."""
    return _pair_stats(fingerprints(texts, k=k))


def _pair_stats(prints: Sequence[Fingerprint]) -> PairStats:
    n = len(prints)
    lengths = np.fromiter((len(p.shingles) for p in prints), dtype=np.int64, count=n)
    hashes = np.concatenate([p.shingles for p in prints]) if n else np.zeros(0, np.uint64)
    docs = np.repeat(np.arange(n), lengths)
    leads = [p.opening for p in prints]
    # Stable: within one hash, texts stay in order. (Timsort: runs sorted beforehand merge fast.)
    order = np.argsort(hashes, kind="stable")
    hashes, docs = hashes[order], docs[order]
    distinct = np.ones(len(hashes), bool)
    distinct[1:] = (hashes[1:] != hashes[:-1]) | (docs[1:] != docs[:-1])
    hashes, docs = hashes[distinct], docs[distinct]

    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]]) if len(hashes) else np.zeros(0, np.int64)
    runs = np.diff(np.r_[starts, len(hashes)])
    common = max(MIN_COMMON, n // COMMON_FRACTION)
    boilerplate = np.repeat(runs > common, runs)
    sizes = np.bincount(docs[~boilerplate], minlength=n)

    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for length in np.unique(runs[(runs >= 2) & (runs <= common)]):
        at = starts[runs == length]
        a, b = np.triu_indices(int(length), 1)
        firsts.append(docs[at[:, None] + a].ravel())
        seconds.append(docs[at[:, None] + b].ravel())
    if not firsts:
        empty = np.zeros((0, 2), np.int64)
        return PairStats(empty, np.zeros(0, np.int64), sizes, leads)
    # docs are ascending within a run, so first < second; one int64 key per pair to count them.
    keys = np.concatenate(firsts) * n + np.concatenate(seconds)
    keys, shared = np.unique(keys, return_counts=True)
    pairs = np.stack([keys // n, keys % n], axis=1)
    return PairStats(pairs, shared, sizes, leads)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def same_story_pairs(
    stats: PairStats, *, threshold: float = THRESHOLD, lede_threshold: float | None = LEDE_THRESHOLD
) -> np.ndarray:
    """The candidate pairs judged one story: containment >= ``threshold``, or >= ``lede_threshold``
    with the same lede (None: containment alone)."""
    containment = stats.containment()
    enough = stats.shared >= MIN_SHARED
    same = enough & (containment >= threshold)
    if lede_threshold is not None and lede_threshold < threshold:
        # Two re-edited versions that each added and cut paragraphs (like the seeds) share less
        # than THRESHOLD; different stories that reuse background paragraphs can share as much,
        # but they open differently: a news story is defined by its first sentences.
        for i in np.flatnonzero(enough & ~same & (containment >= lede_threshold)):
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
