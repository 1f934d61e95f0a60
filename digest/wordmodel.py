"""Choosing a news summary as a set: the sentences whose words a reader's summary most likely holds.

How ``choose`` picks ``k`` of an article's sentences (the research, the cross-validation and what
did not help are in ``benchmarks/newsrank_dev.md``; the constants come from
``benchmarks/fit_wordmodel.py``, which re-derives them from the dev data):

1. **Words.** Lowercased runs of letters and digits (``u.s.`` is two words, like ROUGE counts
   them), plurals lightly stemmed. Stop words count too: summaries are full of them.
2. **A word's expected count in a summary.** Each distinct word ``w`` of the article gets
   ``mu_w = exp(BIAS + the weights of its features)``: in which sentence it first appears, how
   often the article uses it (in all, in its first three sentences, in its first sentence),
   the share of sentences holding it, whether it is a stop word, a number or one or two letters
   long, and the article's length in sentences. A Poisson model fitted on dev articles and their
   reference summaries; 37 constants.
3. **A set's worth.** What ROUGE-1 F1 the set ``S`` can expect against a summary whose word
   ``w`` appears ``R_w ~ Poisson(mu_w)`` times:
   ``2 · Σ_w E[min(c_S(w), R_w)] / (|S| + REF_WORDS_PER_SENTENCE · k)``, where ``c_S(w)`` counts
   ``w`` in the set and ``|S|`` is the set's length in words. Repeating a word is worth less
   each time, and a long sentence must earn its length. Each quotation attributed only to a
   pronoun, or to no one, halves the worth (``DANGLING_QUOTE``): out of context the reader
   cannot tell who speaks.
4. **Search.** Start from the first ``k`` sentences (the lede) and swap one chosen sentence for
   one not chosen while the worth grows, taking the best swap each round. With ``first_fixed``
   (a digest entry's lede) sentence 0 always stays.

Every value is computed from sums kept as the search runs, never by re-counting a whole set for
each candidate: a candidate's gain is its own worth, corrected only for the words it shares with
the chosen sentences. Pure Python; no third-party imports.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter

try:
    from collections import _count_elements  # C; what Counter uses
except ImportError:  # another Python: the same in Python
    def _count_elements(mapping: dict, iterable) -> None:  # type: ignore[no-redef]
        for element in iterable:
            mapping[element] = mapping.get(element, 0) + 1
from collections.abc import Callable, Sequence
from itertools import chain, repeat

#: The model's constants, fitted by ``benchmarks/fit_wordmodel.py`` on the 1,000 dev articles
#: of ``cnndm_see_dev.jsonl`` (Poisson regression, L2 alpha 1e-4), rounded to 4 decimals. Index
#: layout in ``feature_row``.
BIAS = -1.0576
WEIGHTS = (
    # 0-7: sentence of first appearance 0, 1, 2, 3, 4, 5-7, 8-12, 13+ (not a stop word)
    0.1165, 0.2615, 0.1137, 0.4805, 0.333, 0.0505, -0.2938, -0.9741,
    # 8-15: the same for stop words
    -0.0342, 0.0559, -0.0262, 0.4135, 0.2814, 0.0496, -0.2733, -0.5545,
    # 16-20: occurrences in the article 1, 2, 3, 4-5, 6+ (not a stop word); 21-25: stop words
    -0.9712, -0.1093, 0.148, 0.379, 0.6412, -0.7672, -0.2392, 0.0306, 0.2435, 0.6445,
    # 26-29: occurrences in the first three sentences 0, 1, 2, 3+
    -0.4872, 0.0226, 0.1552, 0.3094,
    # 30: share of sentences holding it; 31: a number; 32: log(sentences); 33: a stop word;
    # 34: one or two characters; 35: occurrences in the first sentence (at most 3)
    1.768, 0.3865, -0.0923, -0.0878, -0.0131, 0.0513,
)
#: Words of a reference summary per requested sentence: the measured mean of the dev references
#: (51.9 ROUGE words for three sentences on cnndm_see_dev, 51.3 on cnndm_dev), not tuned.
REF_WORDS_PER_SENTENCE = 52.0 / 3
#: The worth of a set is multiplied by this for each dangling quotation in it (see
#: ``newsrank.DANGLING_QUOTE``; ROUGE-neutral on dev, kept for readability).
DANGLING_QUOTE = 0.5
#: E[min(c, R)] is tabulated up to this count; a word more often in one set counts as this often.
MAX_COUNT = 6

_FIRST_BIN = (0, 1, 2, 3, 4, 5, 5, 5, 6, 6, 6, 6, 6)  # first sentence 13+ → bin 7
_TOTAL_BIN = (0, 0, 1, 2, 3, 3, 4)  # 7+ occurrences → bin 4
_PIECES = re.compile(r"[^\W_]+")
_CACHE_MAX = 500_000
_SECOND = operator.itemgetter(1)

#: Stop words: a feature of the model here, and dropped from ``newsrank``'s coverage terms.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each few for from further had hadn't has hasn't have
haven't having he he'd he'll he's her here here's hers herself him himself his how how's i
i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
myself no nor not of off on once only or other ought our ours ourselves out over own same
shan't she she'd she'll she's should shouldn't so some such than that that's the their
theirs them themselves then there there's these they they'd they'll they're they've this
those through to too under until up very was wasn't we we'd we'll we're we've were weren't
what what's when when's where where's which while who who's whom why why's with won't
would wouldn't you you'd you'll you're you've your yours yourself yourselves also said says
say told would could may might will just one two new like get got n't 's 're 've 'll 'd
mr mrs ms""".split()
)


def _stem(word: str) -> str:
    """Light plural stemming (as ``newsrank`` does for its terms)."""
    if word[-1] == "s" and len(word) > 3:
        if len(word) > 4 and word.endswith("ies"):
            return word[:-3] + "y"
        if not word.endswith(("ss", "us", "is")):
            return word[:-1]
    return word


class _Pieces(dict):
    """Lowercased whitespace token → its words (a tuple; empty for punctuation). Bounded."""

    def __missing__(self, token: str) -> tuple[str, ...]:
        if len(self) >= _CACHE_MAX:
            self.clear()
        words = tuple(_stem(w) for w in _PIECES.findall(token))
        self[token] = words
        return words


class _Flags(dict):
    """Word → its fixed features as bits: 1 a stop word, 2 a number, 4 one or two characters."""

    def __missing__(self, word: str) -> int:
        if len(self) >= _CACHE_MAX:
            self.clear()
        flags = (1 if word in STOP_WORDS else 0) | (2 if word.isdigit() else 0) | (4 if len(word) <= 2 else 0)
        self[word] = flags
        return flags


_PIECE_CACHE = _Pieces()
_FLAG_CACHE = _Flags()


def feature_row(n: int, first: int, total: int, lead: int, s0: int, df: int, flags: int) -> list[tuple[int, float]]:
    """A word's features as (index into WEIGHTS, value): the one definition the fit uses too.

    ``n`` sentences in the article; the word first appears in sentence ``first``, ``total``
    times in all, ``lead`` times in sentences 0-2, ``s0`` times in sentence 0, in ``df``
    sentences; ``flags`` as ``_Flags`` gives them.
    """
    stop = flags & 1
    row = [
        ((_FIRST_BIN[first] if first < 13 else 7) + 8 * stop, 1.0),
        (16 + (_TOTAL_BIN[total] if total < 7 else 4) + 5 * stop, 1.0),
        (26 + min(lead, 3), 1.0),
        (30, df / n),
        (32, math.log(n)),
    ]
    if flags & 2:
        row.append((31, 1.0))
    if stop:
        row.append((33, 1.0))
    if flags & 4:
        row.append((34, 1.0))
    if s0:
        row.append((35, float(min(s0, 3))))
    return row


def expected_overlaps(mu: float) -> list[float]:
    """E[min(c, R)] for c = 0 … MAX_COUNT, R ~ Poisson(mu): the sum of P(R >= j) for j = 1 … c."""
    p = math.exp(-mu)
    below = 0.0  # P(R < j)
    total = 0.0
    out = [0.0]
    for j in range(1, MAX_COUNT + 1):
        below += p
        total += 1.0 - below
        out.append(total)
        p *= mu / j
    return out


class _Expected(dict):
    """(n, first, total, lead, s0, df, flags) → ``expected_overlaps`` of that word's mu.

    Process-wide and bounded (``_EXPECTED_MAX``): the same keys recur across articles, the more
    so as callers pass each count as the smallest value of its bin (``_BIN_FLOOR``), so most
    words cost one lookup.
    """

    def __missing__(self, key: tuple[int, int, int, int | None, int | None, int, int]) -> list[float]:
        if len(self) >= _EXPECTED_MAX:
            self.clear()
        n, first, total, lead, s0, df, flags = key
        rate = BIAS + sum(WEIGHTS[i] * x for i, x in feature_row(n, first, total, lead or 0, s0 or 0, df, flags))
        table = self[key] = expected_overlaps(math.exp(rate))
        return table


#: Entries of the table cache before it starts afresh: about 40 MB at most.
_EXPECTED_MAX = 100_000


class _Floor(dict):
    """A count → the smallest count of its bin in ``feature_row`` (same features, fewer keys)."""

    def __init__(self, floor: Callable[[int], int]):
        super().__init__()
        self._floor = floor

    def __missing__(self, count: int) -> int:
        value = self[count] = self._floor(count)
        return value


_FIRST_FLOOR = _Floor(lambda f: (0, 1, 2, 3, 4, 5, 5, 5, 8, 8, 8, 8, 8)[f] if f < 13 else 13)
_TOTAL_FLOOR = _Floor(lambda c: (0, 1, 2, 3, 4, 4, 6)[c] if c < 7 else 6)
_CAP_FLOOR = _Floor(lambda c: min(c, 3))  # occurrences in the lead and in sentence 0


_EXPECTED = _Expected()


def _bag(words: Sequence[str]) -> dict[str, int]:
    """Each word's count: ``Counter(words)`` without its constructor's cost (most of it, for one sentence)."""
    bag: dict[str, int] = {}
    _count_elements(bag, words)
    return bag


def tokenize(sentences: Sequence[str]) -> tuple[list[list[str]], int]:
    """Each sentence's words, and the number of whitespace tokens holding a letter or digit."""
    lookup = _PIECE_CACHE.__getitem__
    words: list[list[str]] = []
    tokens = 0
    for sentence in sentences:
        pieces = list(map(lookup, sentence.lower().split()))
        tokens += len(pieces) - pieces.count(())
        words.append(list(chain.from_iterable(pieces)))
    return words, tokens


def word_keys(words: Sequence[Sequence[str]], bags: Sequence[Counter[str]]) -> tuple[list[str], list[tuple]]:
    """The article's distinct words, and for each what the model knows of it (``_Expected``'s key:
    sentences, first sentence, occurrences, in sentences 0-2, in sentence 0, sentences holding
    it, flags; absent counts are None). ``words`` per sentence, ``bags`` their Counters."""
    n = len(words)
    total = Counter(chain.from_iterable(words))
    df = Counter(chain.from_iterable(bags))
    first: dict[str, int] = {}
    for i in range(n - 1, -1, -1):
        first.update(dict.fromkeys(bags[i], i))
    lead = Counter(chain.from_iterable(words[:3]))
    types = list(total)
    keys = zip([n] * len(types), map(first.__getitem__, types), map(total.__getitem__, types),
               map(lead.get, types), map(bags[0].get, types), map(df.__getitem__, types),
               map(_FLAG_CACHE.__getitem__, types))
    return types, list(keys)


def word_tables(words: Sequence[Sequence[str]], bags: Sequence[Counter[str]]) -> dict[str, list[float]]:
    """Each distinct word → its ``expected_overlaps`` under the model (``words``: per sentence)."""
    types, keys = word_keys(words, bags)
    return dict(zip(types, map(_EXPECTED.__getitem__, keys)))


def choose(
    words: Sequence[Sequence[str]], k: int, dangling: Sequence[bool], *, first_fixed: bool = False
) -> tuple[list[int], list[float]]:
    """The ``k`` sentences to show (ascending), and each sentence's own worth in [0, 1).

    ``words`` as ``tokenize`` gives them; ``dangling[i]`` marks a dangling quotation. A
    sentence's own worth is its expected overlap per word of itself plus the reference
    (what the set's worth would be if it were alone, halved): it orders the rest.
    """
    n = len(words)
    if not n:
        return [], []
    bags = list(map(_bag, words))
    total = Counter(chain.from_iterable(words))
    # Most words appear once in the whole article. Such a word's expected counts depend only on
    # its sentence and its flags, and no other sentence can share it: it is summed per sentence
    # and never looked at again. Only the words of two or more occurrences get a table each.
    again = {t for t, c in total.items() if c > 1}
    shared = [bag.keys() & again for bag in bags]  # each sentence's words found elsewhere too
    df = Counter(chain.from_iterable(shared))
    first: dict[str, int] = {}
    for i in range(n - 1, -1, -1):
        first.update(dict.fromkeys(shared[i], i))
    lead = Counter(chain.from_iterable(words[:3]))
    kinds = list(again)
    zeros = repeat(0)
    keys = zip(repeat(n), map(_FIRST_FLOOR.__getitem__, map(first.__getitem__, kinds)),
               map(_TOTAL_FLOOR.__getitem__, map(total.__getitem__, kinds)),
               map(_CAP_FLOOR.__getitem__, map(lead.get, kinds, zeros)),
               map(_CAP_FLOOR.__getitem__, map(bags[0].get, kinds, zeros)),
               map(df.__getitem__, kinds), map(_FLAG_CACHE.__getitem__, kinds))
    tables = list(map(_EXPECTED.__getitem__, keys))
    table = dict(zip(kinds, tables))
    once = dict(zip(kinds, map(_SECOND, tables)))  # P(R >= 1)
    flags = _FLAG_CACHE.__getitem__
    top = MAX_COUNT
    single: list[float] = []  # each sentence's expected overlap on its own
    lone: list[float] = []  # ... of its words found nowhere else
    marks: list[set[str | tuple[str, int]]] = []  # its shared words, one held v > 1 times as (word, v)
    often: dict[str, set[int]] = {}  # word → the counts above 1 it has in some sentence
    for i, (bag, mine) in enumerate(zip(bags, shared)):
        worth = sum(map(_lone_overlaps(n, i).__getitem__, map(flags, bag.keys() - mine))) if len(bag) > len(mine) else 0.0
        lone.append(worth)
        worth += sum(map(once.__getitem__, mine))
        mark = mine
        if len(bag) != len(words[i]):  # a word held more than once: E[min(v, R)], not v·P(R ≥ 1)
            mark = set(mine)
            for t in [t for t in mine if bag[t] > 1]:
                v, tb = bag[t], table[t]
                worth += tb[v if v < top else top] - tb[1]
                mark.discard(t)
                mark.add((t, v))
                often.setdefault(t, set()).add(v)
        single.append(worth)
        marks.append(mark)
    sizes = list(map(len, words))
    factor = [DANGLING_QUOTE if d else 1.0 for d in dangling]
    ref = REF_WORDS_PER_SENTENCE * max(k, 1)
    own = [s / (z + ref) * f for s, z, f in zip(single, sizes, factor)]
    if k >= n:
        return list(range(n)), own
    if k <= 0:
        return [], own
    return _search(list(range(k)), bags, shared, marks, often, lone, table, sizes, single, factor, ref, first_fixed), own


class _LoneOverlaps(dict):
    """(n, sentence) → P(R >= 1) of a word found only in that sentence, by its flags (0-7)."""

    def __missing__(self, key: tuple[int, int]) -> list[float]:
        if len(self) >= _CACHE_MAX:
            self.clear()
        n, i = key
        lead, s0 = (1 if i < 3 else None), (1 if i == 0 else None)
        value = self[key] = [_EXPECTED[n, i, 1, lead, s0, 1, flags][1] for flags in range(8)]
        return value


_LONE = _LoneOverlaps()


def _lone_overlaps(n: int, i: int) -> list[float]:
    return _LONE[n, i]


def _search(chosen: list[int], bags: list[Counter[str]], shared: list[set[str]], marks: list[set[str | tuple[str, int]]],
            often: dict[str, set[int]], lone: list[float], table: dict[str, list[float]], sizes: list[int],
            single: list[float], factor: list[float], ref: float, first_fixed: bool) -> list[int]:
    """Best-improvement swaps from ``chosen`` until none raises the set's worth (see the module docstring).

    A candidate's gain next to the set is its own overlap less, for each word it shares with the
    set, what that word already gives (``lost``); leaving sentence x out gives part of that back
    (``back``). Both are tabulated once per round, by word for a candidate holding it once and
    by (word, count) for the counts above one that occur (``marks``), so a candidate's gain is
    a few set intersections and sums. Words of one occurrence in the article (``lone``) are
    never shared: they only add up.
    """
    n = len(bags)
    top = MAX_COUNT

    def taken_from(tb: list[float], c: int, v: int) -> float:
        """What a word already held c times in the set takes from a candidate holding it v times."""
        return tb[v if v < top else top] - tb[c + v if c + v < top else top] + tb[c if c < top else top] if c else 0.0

    while True:
        counts: dict[str, int] = {}
        overlap = 0.0
        length = ref
        scale = 2.0
        for i in chosen:
            bag = bags[i]
            for t in shared[i]:
                counts[t] = counts.get(t, 0) + bag[t]
            overlap += lone[i]
            length += sizes[i]
            scale *= factor[i]
        lost: dict[str | tuple[str, int], float] = {}
        for t, c in counts.items():
            tb = table[t]
            here = tb[c if c < top else top]
            overlap += here
            lost[t] = tb[1] - tb[c + 1 if c < top else top] + here
            if t in often:
                for v in often[t]:
                    lost[t, v] = taken_from(tb, c, v)
        best = overlap / length * scale
        # The set without each sentence that may leave: its overlap, length, scale, and per word
        # of that sentence what a candidate holding it (once, or v times) would get back.
        rests = []
        for x in chosen:
            if first_fixed and x == 0:
                continue
            rest = overlap - lone[x]
            back: dict[str | tuple[str, int], float] = {}
            bag = bags[x]
            for t in shared[x]:
                vx, c, tb = bag[t], counts[t], table[t]
                r = c - vx
                left = tb[r if r < top else top]
                rest -= tb[c if c < top else top] - left
                back[t] = lost[t] - (tb[1] - tb[r + 1 if r < top else top] + left if r else 0.0)
                if t in often:
                    for v in often[t]:
                        back[t, v] = lost[t, v] - taken_from(tb, r, v)
            rests.append((rest, length - sizes[x], scale / factor[x], back, back.keys(), x))
        # The most any leaving sentence gives back, per word: a bound that spares most candidates
        # the exact sums below.
        most: dict[str | tuple[str, int], float] = dict.fromkeys(lost, 0.0)
        for _, _, _, back, _, _ in rests:
            for key, value in back.items():
                if value > most[key]:
                    most[key] = value
        move = None
        taken = set(chosen)
        keys = lost.keys()
        for y in range(n):
            if y in taken:
                continue
            own, size, f = single[y], sizes[y], factor[y]
            # Its own overlap bounds its gain (E[min(c, R)] is concave in c): skip it when even
            # that cannot beat the best set so far, whichever sentence it replaced.
            for rest, rest_length, rest_scale, _, _, _ in rests:
                if (rest + own) / (rest_length + size) * rest_scale * f > best + 1e-12:
                    break
            else:
                continue
            both = marks[y] & keys
            gain = own - sum(map(lost.__getitem__, both))
            bound = gain + sum(map(most.__getitem__, both))
            for rest, rest_length, rest_scale, _, _, _ in rests:
                if (rest + bound) / (rest_length + size) * rest_scale * f > best + 1e-12:
                    break
            else:
                continue
            for rest, rest_length, rest_scale, back, held, x in rests:
                value = (rest + gain + sum(map(back.__getitem__, held & both))) / (rest_length + size) * rest_scale * f
                if value > best + 1e-12:
                    best, move = value, (x, y)
        if move is None:
            return chosen
        x, y = move
        chosen = sorted([z for z in chosen if z != x] + [y])
