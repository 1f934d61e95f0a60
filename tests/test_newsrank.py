"""The news ranker computes exactly the documented scores (see digest/newsrank.py): coverage by a
plain n×n computation here, the word model's choice as tests/test_wordmodel.py pins it."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from digest import newsrank, setchoice, wordmodel
from digest.newsrank import NewsRanker
from digest.summarize import select

# Written for these tests: repeated terms within a sentence, free-standing punctuation, a
# quotation attributed to a pronoun, numbers, plurals and possessives.
HARBOUR = [
    "The harbour board voted on Monday to close the old fish market on the east quay.",
    "Board members said the market's roof had been leaking for years and repairs would cost more than a new hall.",
    "Traders at the market — some of them there for three generations — asked for more time.",
    '"We were told in March, and now it is October," she said.',
    "The board will pay for a temporary hall on the west quay while the new market is built.",
    "Fish, fish and more fish: the quay sold 40 tonnes of it last year, the board's report says.",
    "A public meeting on the plans is planned for next month at the town hall.",
    "The new market should open in two years.",
]
FESTIVAL = [
    "A summer music festival is coming to Riverside Park in July, the city council announced.",
    "The festival will run for three days and feature local bands and choirs.",
    "Council staff expect around ten thousand visitors each day.",
    "Residents near the park worried about noise and parking.",
    "The council promised shuttle buses from the station and an early finish on Sunday.",
    "Tickets go on sale next week.",
]
# The same sentence twice: its two copies must score exactly alike (ties go to the first).
REPEATED = [
    "The bridge over the canal will close for repairs in the spring.",
    "Engineers found cracks in two of the bridge's steel beams.",
    "Drivers will be sent through the town centre during the repairs.",
    "Engineers found cracks in two of the bridge's steel beams.",
    "The canal towpath stays open to walkers and cyclists.",
]


def is_coverage(sentences: list[str], *, count: int | None = None, words: int | None = None, lede: bool = False) -> bool:
    """The documented gate: an abridgement (fewer than SWITCH_WORDS article words per requested sentence)."""
    total_words = sum(newsrank._term(t) is not None for s in sentences for t in s.lower().split())
    asked = count if count else max(1.0, (words or 3 * newsrank.LEN_PEAK) / newsrank.LEN_PEAK)
    return not lede and total_words / asked < newsrank.SWITCH_WORDS


def reference_scores(
    sentences: list[str], *, count: int | None = None, words: int | None = None, lede: bool = False
) -> list[float]:
    """The module docstring's recipe, done the slow and obvious way: full vectors, an n×n cosine
    matrix for coverage; the word model's choice, chosen sentences 1 above their own worth, else."""
    if not is_coverage(sentences, count=count, words=words, lede=lede):
        asked = count if count else max(1.0, (words or 3 * newsrank.LEN_PEAK) / newsrank.LEN_PEAK)
        article_words, _ = wordmodel.tokenize(sentences)
        dangling = [d or len(w) < newsrank.MIN_WORDS for d, w in zip(newsrank.dangling_quotes(sentences), article_words)]
        chosen, own = setchoice.choose(article_words, count or max(1, round(asked)), dangling, first_fixed=lede)
        return [o + (i in chosen) for i, o in enumerate(own)]
    token_terms = [[newsrank._term(t) for t in s.lower().split()] for s in sentences]
    lengths = [max(1, sum(term is not None for term in terms)) for terms in token_terms]
    bags = [Counter(term for term in terms if term) for terms in token_terms]
    vectors = []
    for bag in bags:
        vector = {term: 1.0 + math.log(tf) for term, tf in bag.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors.append({term: v / norm for term, v in vector.items()})
    n = len(sentences)
    cosine = [[sum(v * b.get(t, 0.0) for t, v in a.items()) for b in vectors] for a in vectors]
    degree = [sum(cosine[i][j] for j in range(n) if j != i) for i in range(n)]
    return [d * length**newsrank.LEN_POW_COV for d, length in zip(degree, lengths)]


@pytest.mark.parametrize("article", [HARBOUR, FESTIVAL, REPEATED], ids=["harbour", "festival", "repeated"])
@pytest.mark.parametrize(
    "length", [{"count": 1}, {"count": 3}, {"count": 6}, {"words": 40}, {"words": 300}, {}],
    ids=["1", "3", "6", "40-words", "300-words", "default"],
)
@pytest.mark.parametrize("lede", [False, True], ids=["auto", "lede"])
def test_scores_equal_the_plain_computation(article, length, lede):
    expected = reference_scores(article, **length, lede=lede)
    assert NewsRanker()(article, None, **length, lede=lede) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_both_modes_are_covered():
    """The cases above reach the word model and the coverage score, and a tf above one."""
    assert not is_coverage(HARBOUR, count=1) and is_coverage(HARBOUR, count=3)
    assert not is_coverage(HARBOUR, count=3, lede=True)
    assert any(max(Counter(t for t in map(newsrank._term, s.lower().split()) if t).values()) > 1 for s in HARBOUR)


def test_a_repeated_sentence_ties_with_itself_and_the_first_copy_wins():
    scores = NewsRanker()(REPEATED, None, count=4)  # coverage mode: four of five sentences
    assert scores[1] == scores[3] == max(scores)  # exactly: not up to rounding
    assert select(REPEATED, scores, count=1) == [1]


def test_the_token_cache_starts_afresh_when_full(monkeypatch):
    expected = NewsRanker()(HARBOUR, None, count=3)
    monkeypatch.setattr(newsrank, "_CACHE_MAX", 5)
    newsrank._TERM_CACHE.clear()
    assert NewsRanker()(HARBOUR, None, count=3) == expected
    assert len(newsrank._TERM_CACHE) <= 5


def test_quotations_a_reader_cannot_place_are_marked_dangling():
    # Written for this test: a quotation over three sentences, attributed in the first; one
    # opened without a name and attributed only at its end; a quotation on its own; a pronoun's.
    article = [
        "The mayor spoke on Monday.",
        "Asked about the budget, the mayor said “we will find the money.",  # attributed: fine
        "It will not be easy.",  # inside the quotation
        "But we will.”",  # its end
        "“Can the pool stay open?",  # opens a quotation it does not close, no name yet
        "Nobody knows,” she added.",
        "“The library stays open,” said the treasurer, Ana Ruiz.",  # attributed: fine
        '"We are pleased," he said.',  # a pronoun only
        '"Nothing is decided."',  # attributed nowhere
        "``the plan is sound , '' the council said .",  # the See et al. form, attributed
        "The council meets again in March.",
    ]
    assert newsrank.dangling_quotes(article) == [
        False, False, True, True, True, True, False, True, True, False, False,
    ]


def test_a_fragment_halves_a_sets_worth_like_a_dangling_quotation(monkeypatch):
    # Three short words in an article about them: worth much per word, and nothing to a reader.
    from tests.test_wordmodel import MARKET

    article = MARKET[:2] + ["The market stays."] + MARKET[2:]
    monkeypatch.setattr(newsrank, "MIN_WORDS", 0)
    assert 2 in select(article, NewsRanker()(article, None, count=3, lede=True), count=3)
    monkeypatch.setattr(newsrank, "MIN_WORDS", 6)
    assert 2 not in select(article, NewsRanker()(article, None, count=3, lede=True), count=3)
