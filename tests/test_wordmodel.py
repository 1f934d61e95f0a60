"""The word model and the set choice compute exactly the documented maths (digest/wordmodel.py,
digest/setchoice.py), in Python and in C (digest/_setchoice.c, where built).

Every quantity is recomputed here the slow and obvious way: features by scanning the sentences,
a set's worth by counting the whole set again, the search by trying every swap.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter

import pytest

from digest import newsrank, setchoice, wordmodel
from digest.newsrank import NewsRanker
from digest.summarize import select
from tests.test_newsrank import FESTIVAL, HARBOUR, REPEATED

# Written for these tests: a dangling quotation, repeated words within a sentence, numbers,
# a sentence repeated word for word, and one with no words at all.
MARKET = [
    "The town council voted on Tuesday to move the weekly market from the square to the old bus station.",
    "Stallholders said the square had been home to the market for more than 200 years.",
    '"It is the heart of the town and the market is the heart of the square," she said.',
    "The bus station closed in 2019 and the council has looked for a use for it since.",
    "Councillors said the move would free the square for a new fountain and benches.",
    "The market will open at the bus station in March, the council said.",
    "…",
    "Stallholders said the square had been home to the market for more than 200 years.",
    "A petition against the move has 1,400 signatures.",
]


def plain_words(sentence: str) -> list[str]:
    """The documented words: lowercase letter-and-digit runs, plurals lightly stemmed."""
    out = []
    for word in "".join(ch if ch.isalnum() else " " for ch in sentence.lower()).split():
        if word.endswith("s") and len(word) > 3:
            if len(word) > 4 and word.endswith("ies"):
                word = word[:-3] + "y"
            elif not word.endswith(("ss", "us", "is")):
                word = word[:-1]
        out.append(word)
    return out


def plain_mu(words: list[list[str]], word: str) -> float:
    """exp(bias + weights · features) of ``word``, each feature found by scanning the sentences."""
    w, n = wordmodel.WEIGHTS, len(words)
    first = next(i for i, ws in enumerate(words) if word in ws)
    total = sum(ws.count(word) for ws in words)
    lead = sum(ws.count(word) for ws in words[:3])
    in_first = words[0].count(word)
    held = sum(word in ws for ws in words)
    stop = word in wordmodel.STOP_WORDS
    first_bin = [0, 1, 2, 3, 4, 5, 5, 5, 6, 6, 6, 6, 6][first] if first < 13 else 7
    total_bin = {1: 0, 2: 1, 3: 2, 4: 3, 5: 3}.get(total, 4)
    rate = wordmodel.BIAS + w[first_bin + (8 if stop else 0)] + w[16 + total_bin + (5 if stop else 0)]
    rate += w[26 + min(lead, 3)] + w[30] * held / n + w[32] * math.log(n)
    rate += w[31] * word.isdigit() + w[33] * stop + w[34] * (len(word) <= 2) + w[35] * min(in_first, 3)
    return math.exp(rate)


def plain_expected_min(c: int, mu: float) -> float:
    """E[min(c, R)] for R ~ Poisson(mu), summed over R's distribution (far into its tail)."""
    total, p = 0.0, math.exp(-mu)
    for r in range(60):
        total += min(c, r) * p
        p *= mu / (r + 1)
    return total


def plain_worth(words: list[list[str]], chosen: tuple[int, ...], k: int, dangling: list[bool]) -> float:
    counts = Counter(w for i in chosen for w in words[i])
    overlap = sum(plain_expected_min(min(c, wordmodel.MAX_COUNT), plain_mu(words, t)) for t, c in counts.items())
    length = sum(len(words[i]) for i in chosen) + setchoice.REF_WORDS_PER_SENTENCE * k
    return 2 * overlap / length * setchoice.DANGLING_QUOTE ** sum(dangling[i] for i in chosen)


def plain_search(words: list[list[str]], k: int, dangling: list[bool], first_fixed: bool) -> list[int]:
    """From the first k sentences, the best single swap each round while the worth grows."""
    n = len(words)
    chosen = tuple(range(k))
    best = plain_worth(words, chosen, k, dangling)
    while True:
        move = None
        for x in chosen:
            if first_fixed and x == 0:
                continue
            for y in range(n):
                if y in chosen:
                    continue
                candidate = tuple(sorted(set(chosen) - {x} | {y}))
                if (value := plain_worth(words, candidate, k, dangling)) > best + 1e-9:
                    best, move = value, candidate
        if move is None:
            return list(chosen)
        chosen = move


ARTICLES = {"market": MARKET, "harbour": HARBOUR, "festival": FESTIVAL, "repeated": REPEATED}


@pytest.fixture(params=["python", "native"])
def pure_python(request) -> bool:
    """Each test below runs on the Python modules and on the C extension."""
    if request.param == "native" and setchoice.native is None:
        pytest.skip("digest._setchoice (C) is not built here; on CI test_native.py fails for that")
    return request.param == "python"


def choose(article, k, dangling, first_fixed=False, *, pure_python):
    return setchoice.analyse(article, pure_python=pure_python).choose(k, dangling, first_fixed=first_fixed)


@pytest.mark.parametrize("name", ARTICLES)
def test_words_and_expected_counts_follow_the_documented_model(name):
    article = ARTICLES[name]
    words, tokens = wordmodel.tokenize(article)
    assert words == [plain_words(s) for s in article]
    assert tokens == sum(any(ch.isalnum() for ch in token) for s in article for token in s.split())
    tables = wordmodel.word_tables(words, [Counter(ws) for ws in words])
    assert set(tables) == {w for ws in words for w in ws}
    for word, table in tables.items():
        mu = plain_mu(words, word)
        assert table == pytest.approx([plain_expected_min(c, mu) for c in range(wordmodel.MAX_COUNT + 1)], rel=1e-9)


@pytest.mark.parametrize("name", ARTICLES)
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("first_fixed", [False, True], ids=["free", "lede"])
def test_the_search_makes_the_documented_choice(name, k, first_fixed, pure_python):
    article = ARTICLES[name]
    words, _ = wordmodel.tokenize(article)
    dangling = [newsrank._DANGLING.match(s) is not None for s in article]
    chosen, own = choose(article, k, dangling, first_fixed, pure_python=pure_python)
    assert chosen == plain_search(words, k, dangling, first_fixed)
    for i in range(len(article)):
        alone = plain_worth(words, (i,), k, dangling) / 2  # a sentence's own worth: half that of it alone
        assert own[i] == pytest.approx(alone, rel=1e-9)


def test_random_articles_with_much_overlap_match_the_plain_search(pure_python):
    # A small vocabulary makes sentences share many words, repeats within one, and near-ties.
    rng = random.Random(7)
    vocabulary = ["the", "a", "of", "market", "council", "square", "bus", "station", "2019", "vote", "move", "is"]
    for _ in range(40):
        article = [" ".join(rng.choices(vocabulary, k=rng.randint(1, 14))) for _ in range(rng.randint(2, 9))]
        words, _ = wordmodel.tokenize(article)
        dangling = [rng.random() < 0.2 for _ in article]
        for k in (1, 2, 3):
            for first_fixed in (False, True):
                chosen, _ = choose(article, k, dangling, first_fixed, pure_python=pure_python)
                expected = plain_search(words, k, dangling, first_fixed) if k < len(article) else list(range(len(article)))
                assert chosen == expected


def test_no_single_swap_improves_the_chosen_set(pure_python):
    words, _ = wordmodel.tokenize(MARKET)
    dangling = [newsrank._DANGLING.match(s) is not None for s in MARKET]
    chosen, _ = choose(MARKET, 3, dangling, pure_python=pure_python)
    worth = plain_worth(words, tuple(chosen), 3, dangling)
    for x, y in itertools.product(chosen, range(len(MARKET))):
        if y not in chosen:
            assert plain_worth(words, tuple(sorted(set(chosen) - {x} | {y})), 3, dangling) <= worth + 1e-9


def test_a_dangling_quotation_halves_a_sets_worth():
    words, _ = wordmodel.tokenize(MARKET)
    plain = [False] * len(MARKET)
    quoted = [i == 2 for i in range(len(MARKET))]
    assert plain_worth(words, (0, 2), 2, quoted) == pytest.approx(plain_worth(words, (0, 2), 2, plain) / 2)
    assert newsrank._DANGLING.match(MARKET[2])


def test_the_news_ranker_gives_the_chosen_set_the_top_scores(pure_python):
    ranker = NewsRanker(pure_python=pure_python)
    # MARKET has about 120 words: one sentence of it is a short summary, three a lede only if asked.
    for count, lede in ((1, False), (3, True)):
        scores = ranker(MARKET, None, count=count, lede=lede)
        words, _ = wordmodel.tokenize(MARKET)
        dangling = [d or len(w) < newsrank.MIN_WORDS for d, w in zip(newsrank.dangling_quotes(MARKET), words)]
        chosen, own = choose(MARKET, count, dangling, lede, pure_python=pure_python)
        assert select(MARKET, scores, count=count) == chosen
        assert all(scores[i] == own[i] + 1.0 for i in chosen)
        assert all(scores[i] == own[i] < 1.0 for i in range(len(MARKET)) if i not in chosen)
        if lede:
            assert 0 in chosen
    # A word budget asks for that many words' worth of typical sentences: 25 words → one.
    scores = ranker(MARKET, None, words=25)
    assert sum(s >= 1.0 for s in scores) == 1


def test_the_caches_start_afresh_when_full(monkeypatch):
    # The Python modules' caches (the C extension keeps none: it computes each table afresh).
    caches = (wordmodel._PIECE_CACHE, wordmodel._FLAG_CACHE, wordmodel._EXPECTED, wordmodel._LONE)
    ranker = NewsRanker(pure_python=True)
    expected = ranker(MARKET, None, count=3, lede=True)  # a lede: the word model
    monkeypatch.setattr(wordmodel, "_CACHE_MAX", 5)
    monkeypatch.setattr(wordmodel, "_EXPECTED_MAX", 5)
    for cache in caches:
        cache.clear()
    assert ranker(MARKET, None, count=3, lede=True) == expected
    assert all(0 < len(cache) <= 5 for cache in caches)
