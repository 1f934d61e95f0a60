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
from collections.abc import Sequence
from itertools import chain

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

    Process-wide: the same keys recur across articles (most words appear once), so most words
    cost one lookup.
    """

    def __missing__(self, key: tuple[int, int, int, int | None, int | None, int, int]) -> list[float]:
        if len(self) >= _CACHE_MAX:
            self.clear()
        n, first, total, lead, s0, df, flags = key
        rate = BIAS + sum(WEIGHTS[i] * x for i, x in feature_row(n, first, total, lead or 0, s0 or 0, df, flags))
        table = self[key] = expected_overlaps(math.exp(rate))
        return table


_EXPECTED = _Expected()
_SECOND = operator.itemgetter(1)


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
    bags = list(map(Counter, words))
    if n:
        types, keys = word_keys(words, bags)
        tables = list(map(_EXPECTED.__getitem__, keys))
        table = dict(zip(types, tables))
        firsts = dict(zip(types, map(_SECOND, tables)))
    else:
        table, firsts = {}, {}
    sizes = list(map(len, words))
    single: list[float] = []  # each sentence's expected overlap on its own
    repeated: list[dict[str, int]] = []  # each sentence's words found in it more than once
    for ws, bag in zip(words, bags):
        worth = sum(map(firsts.__getitem__, ws))
        many = {}
        if len(bag) != len(ws):  # a word repeated within the sentence: E[min(c, R)], not c·P(R ≥ 1)
            for t, v in bag.items():
                if v > 1:
                    tb = table[t]
                    worth += tb[v if v < MAX_COUNT else MAX_COUNT] - v * tb[1]
                    many[t] = v
        single.append(worth)
        repeated.append(many)
    factor = [DANGLING_QUOTE if d else 1.0 for d in dangling]
    ref = REF_WORDS_PER_SENTENCE * max(k, 1)
    own = [s / (z + ref) * f for s, z, f in zip(single, sizes, factor)]
    if k >= n:
        return list(range(n)), own
    if k <= 0:
        return [], own
    return _search(list(range(k)), bags, repeated, table, sizes, single, factor, ref, first_fixed), own


def _search(chosen: list[int], bags: list[Counter[str]], repeated: list[dict[str, int]], table: dict[str, list[float]],
            sizes: list[int], single: list[float], factor: list[float], ref: float, first_fixed: bool) -> list[int]:
    """Best-improvement swaps from ``chosen`` until none raises the set's worth (see the module docstring).

    A candidate's gain next to the set is its own overlap less, for each word it shares with the
    set, what that word already gives (``lost``); leaving sentence x out gives part of that back
    (``back[x]``). Both are tabulated once per round for a candidate holding the word once, the
    usual case; words a candidate holds more often are corrected one by one.
    """
    n = len(bags)
    top = MAX_COUNT
    while True:
        counts: Counter[str] = Counter()
        for i in chosen:
            counts.update(bags[i])
        overlap = 0.0
        for t, c in counts.items():
            overlap += table[t][c if c < top else top]
        length = ref
        scale = 2.0
        for i in chosen:
            length += sizes[i]
            scale *= factor[i]
        best = overlap / length * scale
        lost: dict[str, float] = {}  # word of the set → what it takes from a candidate holding it once
        for t, c in counts.items():
            tb = table[t]
            lost[t] = tb[1] - tb[c + 1 if c + 1 < top else top] + tb[c if c < top else top]
        # The set without each sentence that may leave: its overlap, length, scale, and per word
        # of that sentence what a candidate holding it once would get back.
        rests = []
        for x in chosen:
            if first_fixed and x == 0:
                continue
            rest = overlap
            back: dict[str, float] = {}
            for t, v in bags[x].items():
                c = counts[t]
                tb = table[t]
                rest -= tb[c if c < top else top] - tb[c - v if c - v < top else top]
                r = c - v
                back[t] = lost[t] - (tb[1] - tb[r + 1 if r + 1 < top else top] + tb[r if r < top else top] if r else 0.0)
            rests.append((x, rest, length - sizes[x], scale / factor[x], back, back.keys()))
        move = None
        taken = set(chosen)
        keys = lost.keys()
        for y in range(n):
            if y in taken:
                continue
            own, size, f = single[y], sizes[y], factor[y]
            # Its own overlap bounds its gain (E[min(c, R)] is concave in c): skip it when even
            # that cannot beat the best set so far, whichever sentence it replaced.
            for _, rest, rest_length, rest_scale, _, _ in rests:
                if (rest + own) / (rest_length + size) * rest_scale * f > best + 1e-12:
                    break
            else:
                continue
            shared = bags[y].keys() & keys
            gain = own - sum(map(lost.__getitem__, shared))
            many = repeated[y]
            for t in many.keys() & shared if many else ():
                v, c, tb = many[t], counts[t], table[t]
                gain += lost[t] - (tb[v if v < top else top] - tb[c + v if c + v < top else top] + tb[c if c < top else top])
            for x, rest, rest_length, rest_scale, back, held in rests:
                given = sum(map(back.__getitem__, held & shared))
                if many:
                    given += _back_many(x, many.keys() & shared & held, many, bags[x], counts, table, lost)
                value = (rest + gain + given) / (rest_length + size) * rest_scale * f
                if value > best + 1e-12:
                    best, move = value, (x, y)
        if move is None:
            return chosen
        x, y = move
        chosen = sorted([z for z in chosen if z != x] + [y])


def _back_many(x: int, words: set[str], many: dict[str, int], bag: Counter[str], counts: Counter[str],
               table: dict[str, list[float]], lost: dict[str, float]) -> float:
    """``back[x]`` corrected for ``words`` a candidate holds ``many[t]`` times instead of once."""
    top = MAX_COUNT
    total = 0.0
    for t in words:
        v, c, tb = many[t], counts[t], table[t]
        r = c - bag[t]
        full = tb[v if v < top else top] - tb[c + v if c + v < top else top] + tb[c if c < top else top]
        kept = tb[v if v < top else top] - tb[r + v if r + v < top else top] + tb[r if r < top else top] if r else 0.0
        once_back = lost[t] - (tb[1] - tb[r + 1 if r + 1 < top else top] + tb[r if r < top else top] if r else 0.0)
        total += (full - kept) - once_back
    return total
