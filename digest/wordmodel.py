"""The word model: how often a person's summary of a news article will use each of its words.

Used by ``digest.setchoice`` (which picks a summary's sentences as a set) and fitted by
``benchmarks/fit_wordmodel.py`` (which re-derives the constants from the dev data; the research
and cross-validation are in ``benchmarks/newsrank_dev.md``):

1. **Words.** Lowercased runs of letters and digits (``u.s.`` is two words, like ROUGE counts
   them), plurals lightly stemmed. Stop words count too: summaries are full of them.
2. **A word's expected count in a summary.** Each distinct word ``w`` of the article gets
   ``mu_w = exp(BIAS + the weights of its features)``: in which sentence it first appears, how
   often the article uses it (in all, in its first three sentences, in its first sentence),
   the share of sentences holding it, whether it is a stop word, a number or one or two letters
   long, and the article's length in sentences. A Poisson model fitted on dev articles and their
   reference summaries; 37 constants.
3. **What a set of sentences can expect** of a word it holds ``c`` times: ``E[min(c, R_w)]``
   for ``R_w ~ Poisson(mu_w)`` (``expected_overlaps``): the word's part of ROUGE-1's overlap.

Tables are cached process-wide, and bounded. No third-party imports. ``digest/_setchoice.c`` has
the same model in C (see ``digest.setchoice.analyse``).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from collections.abc import Callable, Sequence
from typing import Any
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


def stem(word: str) -> str:
    """Light plural stemming ("councils" → "council", "cities" → "city"; "news", "bus" stay), for
    the model's words here and ``newsrank``'s terms."""
    if word[-1] == "s" and len(word) > 3:
        if len(word) > 4 and word.endswith("ies"):
            return word[:-3] + "y"
        if not word.endswith(("ss", "us", "is")):
            return word[:-1]
    return word


class _Cache(dict):
    """A process-wide memo: ``make(key)`` on a miss. With ``bound`` (read at each miss, so tests
    can lower it) it starts afresh once it holds that many entries."""

    def __init__(self, make: Callable[[Any], Any], bound: Callable[[], int] | None = None):
        super().__init__()
        self._make = make
        self._bound = bound

    def __missing__(self, key: Any) -> Any:
        if self._bound is not None and len(self) >= self._bound():
            self.clear()
        value = self[key] = self._make(key)
        return value


def _words_of(token: str) -> tuple[str, ...]:
    """A lowercased whitespace token's words (empty for punctuation)."""
    return tuple(stem(w) for w in _PIECES.findall(token))


def _flags_of(word: str) -> int:
    """A word's fixed features as bits: 1 a stop word, 2 a number, 4 one or two characters."""
    return (1 if word in STOP_WORDS else 0) | (2 if word.isdigit() else 0) | (4 if len(word) <= 2 else 0)


_PIECE_CACHE = _Cache(_words_of, lambda: _CACHE_MAX)
_FLAG_CACHE = _Cache(_flags_of, lambda: _CACHE_MAX)


def feature_row(n: int, first: int, total: int, lead: int, s0: int, df: int, flags: int) -> list[tuple[int, float]]:
    """A word's features as (index into WEIGHTS, value): the one definition the fit uses too.

    ``n`` sentences in the article; the word first appears in sentence ``first``, ``total``
    times in all, ``lead`` times in sentences 0-2, ``s0`` times in sentence 0, in ``df``
    sentences; ``flags`` as ``word_flags`` gives them.
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


def _table_of(key: tuple[int, int, int, int | None, int | None, int, int]) -> list[float]:
    """(n, first, total, lead, s0, df, flags) → ``expected_overlaps`` of that word's mu."""
    n, first, total, lead, s0, df, flags = key
    rate = BIAS + sum(WEIGHTS[i] * x for i, x in feature_row(n, first, total, lead or 0, s0 or 0, df, flags))
    return expected_overlaps(math.exp(rate))


#: Entries of the table cache before it starts afresh: about 40 MB at most.
_EXPECTED_MAX = 100_000
#: The same keys recur across articles, the more so as callers pass each count as the smallest
#: value of its bin (the floors below), so most words cost one lookup.
_EXPECTED = _Cache(_table_of, lambda: _EXPECTED_MAX)
#: A count → the smallest count of its bin in ``feature_row`` (same features, fewer keys).
_FIRST_FLOOR = _Cache(lambda f: (0, 1, 2, 3, 4, 5, 5, 5, 8, 8, 8, 8, 8)[f] if f < 13 else 13)
_TOTAL_FLOOR = _Cache(lambda c: (0, 1, 2, 3, 4, 4, 6)[c] if c < 7 else 6)
_CAP_FLOOR = _Cache(lambda c: min(c, 3))  # occurrences in the lead and in sentence 0


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
    """The article's distinct words, and for each what the model knows of it (the table cache's key:
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


def shared_tables(n: int, words: Sequence[Sequence[str]], first_bag: dict[str, int], total: Counter[str],
                  shared: Sequence[set[str]], kinds: Sequence[str]) -> list[list[float]]:
    """``expected_overlaps`` of each of ``kinds``: the words found more than once in the article.

    ``n`` sentences, their ``words``, the first sentence's word counts, every word's ``total``,
    and each sentence's ``shared`` words (those of ``kinds`` it holds). The same tables as
    ``word_tables`` gives, in fewer steps: each count goes in as the floor of its bin.
    """
    df = Counter(chain.from_iterable(shared))
    first: dict[str, int] = {}
    for i in range(n - 1, -1, -1):
        first.update(dict.fromkeys(shared[i], i))
    lead = Counter(chain.from_iterable(words[:3]))
    zeros = repeat(0)
    keys = zip(repeat(n), map(_FIRST_FLOOR.__getitem__, map(first.__getitem__, kinds)),
               map(_TOTAL_FLOOR.__getitem__, map(total.__getitem__, kinds)),
               map(_CAP_FLOOR.__getitem__, map(lead.get, kinds, zeros)),
               map(_CAP_FLOOR.__getitem__, map(first_bag.get, kinds, zeros)),
               map(df.__getitem__, kinds), map(_FLAG_CACHE.__getitem__, kinds))
    return list(map(_EXPECTED.__getitem__, keys))


def _lone_of(key: tuple[int, int]) -> list[float]:
    """(n, sentence) → P(R >= 1) of a word found only in that sentence, by its flags (0-7)."""
    n, i = key
    lead, s0 = (1 if i < 3 else None), (1 if i == 0 else None)
    return [_EXPECTED[n, i, 1, lead, s0, 1, flags][1] for flags in range(8)]


_LONE = _Cache(_lone_of, lambda: _CACHE_MAX)


def lone_overlaps(n: int, i: int) -> list[float]:
    """P(R >= 1) of a word found once in an article of ``n`` sentences, in sentence ``i``, by
    its ``word_flags``: all that such a word's expected counts need (a set holds it once)."""
    return _LONE[n, i]


def word_flags(word: str) -> int:
    """Bits: 1 a stop word, 2 a number, 4 one or two characters."""
    return _FLAG_CACHE[word]
