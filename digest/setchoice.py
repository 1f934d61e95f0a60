"""Choosing a news summary as a set: the sentences whose words a reader's summary most likely holds.

How ``choose`` picks ``k`` of an article's sentences, given ``digest.wordmodel``'s expectation
of how often a person's summary uses each word (the research and cross-validation are in
``benchmarks/newsrank_dev.md``):

1. **A set's worth.** What ROUGE-1 F1 the set ``S`` can expect against such a summary:
   ``2 · Σ_w E[min(c_S(w), R_w)] / (|S| + REF_WORDS_PER_SENTENCE · k)``, where ``c_S(w)`` counts
   ``w`` in the set and ``|S|`` is the set's length in words. Repeating a word is worth less
   each time, and a long sentence must earn its length. Each quotation attributed only to a
   pronoun, or to no one, halves the worth (``DANGLING_QUOTE``): out of context the reader
   cannot tell who speaks.
2. **Search.** Start from the first ``k`` sentences (the lede) and swap one chosen sentence for
   one not chosen while the worth grows, taking the best swap each round. With ``first_fixed``
   (a digest entry's lede) sentence 0 always stays.

Every value is computed from sums kept as the search runs, never by re-counting a whole set for
each candidate: a candidate's gain is its own worth, corrected only for the words it shares with
the chosen sentences. No third-party imports. ``digest/_setchoice.c`` computes the same in C
(``analyse`` uses it where it is built); this module is the reference and the fallback.
"""

from __future__ import annotations

import operator
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

from digest import wordmodel
from digest.wordmodel import MAX_COUNT

try:
    from collections import _count_elements  # C; what Counter uses
except ImportError:  # another Python: the same in Python
    def _count_elements(mapping: dict, iterable) -> None:  # type: ignore[no-redef]
        for element in iterable:
            mapping[element] = mapping.get(element, 0) + 1

#: Words of a reference summary per requested sentence: the measured mean of the dev references
#: (51.9 ROUGE words for three sentences on cnndm_see_dev, 51.3 on cnndm_dev), not tuned.
REF_WORDS_PER_SENTENCE = 52.0 / 3
#: The worth of a set is multiplied by this for each sentence in it marked ``dangling`` (see
#: ``newsrank.dangling_quotes`` and ``newsrank.MIN_WORDS``; ROUGE-neutral on dev, for readers).
DANGLING_QUOTE = 0.5

_SECOND = operator.itemgetter(1)

#: The same maths in C (``digest/_setchoice.c``), several times faster; built when digest is
#: installed where a C compiler is found. Without it, or with ``DIGEST_PURE_PYTHON`` set to
#: anything but ``0`` or nothing, the Python here runs: the same summaries (tests/test_native.py).
try:
    if os.environ.get("DIGEST_PURE_PYTHON", "") not in ("", "0"):  # as digest.cli._core reads it
        raise ImportError("DIGEST_PURE_PYTHON is set")
    from digest import _setchoice as native
except ImportError:
    native = None
else:
    try:
        native.configure(wordmodel.BIAS, wordmodel.WEIGHTS, MAX_COUNT, REF_WORDS_PER_SENTENCE, DANGLING_QUOTE,
                         sorted(wordmodel.STOP_WORDS))
    except (AttributeError, TypeError, ValueError):  # built from other sources: `pip install -e .` rebuilds it
        native = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """An article's words as the set choice needs them (``analyse``): ``tokens``, its whitespace
    tokens holding a letter or digit; ``sizes``, each sentence's length in words."""

    tokens: int
    sizes: list[int]
    _choose: Callable[[int, Sequence[bool], bool], tuple[list[int], list[float]]]

    def choose(self, k: int, dangling: Sequence[bool], *, first_fixed: bool = False) -> tuple[list[int], list[float]]:
        """``choose`` on these words."""
        return self._choose(k, dangling, first_fixed)


def analyse(sentences: Sequence[str], *, pure_python: bool = False) -> Analysis:
    """The article's words and counts, ready for ``Analysis.choose``: in C where it is built (unless
    ``pure_python``), else ``wordmodel.tokenize`` and ``choose`` here."""
    if native is not None and not pure_python:
        tokens, sizes, handle = native.analyse(sentences)
        return Analysis(tokens, sizes, lambda k, dangling, fixed: native.choose(handle, k, dangling, fixed))
    words, tokens = wordmodel.tokenize(sentences)
    return Analysis(tokens, list(map(len, words)),
                    lambda k, dangling, fixed: choose(words, k, dangling, first_fixed=fixed))


def _bag(words: Sequence[str]) -> dict[str, int]:
    """Each word's count: ``Counter(words)`` without its constructor's cost (most of it, for one sentence)."""
    bag: dict[str, int] = {}
    _count_elements(bag, words)
    return bag


def choose(
    words: Sequence[Sequence[str]], k: int, dangling: Sequence[bool], *, first_fixed: bool = False
) -> tuple[list[int], list[float]]:
    """The ``k`` sentences to show (ascending), and each sentence's own worth in [0, 1).

    ``words`` as ``wordmodel.tokenize`` gives them; ``dangling[i]`` marks a sentence that halves
    a set's worth (``newsrank`` marks dangling quotations and fragments). A
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
    kinds = list(again)
    tables = wordmodel.shared_tables(n, words, bags[0], total, shared, kinds)
    table = dict(zip(kinds, tables))
    once = dict(zip(kinds, map(_SECOND, tables)))  # P(R >= 1)
    flags = wordmodel.word_flags
    top = MAX_COUNT
    single: list[float] = []  # each sentence's expected overlap on its own
    lone: list[float] = []  # ... of its words found nowhere else
    marks: list[set[str | tuple[str, int]]] = []  # its shared words, one held v > 1 times as (word, v)
    often: dict[str, set[int]] = {}  # word → the counts above 1 it has in some sentence
    for i, (bag, mine) in enumerate(zip(bags, shared)):
        worth = sum(map(wordmodel.lone_overlaps(n, i).__getitem__, map(flags, bag.keys() - mine))) if len(bag) > len(mine) else 0.0
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


def _search(chosen: list[int], bags: list[dict[str, int]], shared: list[set[str]], marks: list[set[str | tuple[str, int]]],
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
