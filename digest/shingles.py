"""The evidence for grouping versions of a story: word shingles, hashed, and the pairs of texts sharing them.

No all-pairs comparison: every article's shingles (runs of ``SHINGLE_WORDS`` consecutive words)
are hashed into one numpy array and sorted; only articles that share a shingle become a
candidate pair, with their exact count of shared shingles. Shingles found in very many articles
(page boilerplate) are ignored, which also bounds the work. 10,000 articles group in about 3 s
of CPU (``benchmarks/dedup_speed.py``). This is the only module that imports numpy.

What grouping needs of one article (its ``Fingerprint``: shingle hashes and an identity key)
depends on that article alone, so ``digest build --jobs N`` computes it in the worker processes
that read the files; only the sort and the count of shared shingles are left for the parent.
Which pairs are one story is decided in ``digest.dedup``.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Words per shingle. Five is long enough that different stories rarely share one by chance and
#: short enough that a lightly re-edited sentence still keeps most of its shingles (measured).
SHINGLE_WORDS = 5
#: "Open the same way": this share of one article's first LEDE_SHINGLES shingles is among the
#: other's first LEDE_WINDOW (room for a dateline or a boilerplate line on top of one of them).
LEDE_MATCH = 0.5
LEDE_SHINGLES = 30
LEDE_WINDOW = 90
#: A shingle in more than max(MIN_COMMON, n / COMMON_FRACTION) articles is boilerplate, not evidence.
MIN_COMMON = 50
COMMON_FRACTION = 100

#: An (m, 2) array of text indices, one candidate pair per row (first < second).
Pairs = np.ndarray

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
