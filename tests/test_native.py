"""The C extension (digest/_setchoice.c) gives the same summaries as the Python modules it speeds up.

The Python (digest/wordmodel.py, digest/setchoice.py) is the reference, checked against the
documented maths in test_wordmodel.py. Here the two are run side by side: on the dev sets'
real articles, on random text with odd Unicode, and at the edges (no words, k of 0 or n).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import newsrank, setchoice, wordmodel
from digest.ingest import parse_article
from digest.summarize import article_sentences
from tests.conftest import ROOT, run_digest, shared_path
from tests.test_newsrank import FESTIVAL
from tests.test_wordmodel import MARKET


def _compiler() -> str | None:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc)


def test_the_extension_is_built_where_a_c_compiler_is():
    # `pip install -e .` builds it (setup.py, optional=True). Where no compiler is found the
    # Python runs instead; CI installs gcc (.ci/run), so there this must hold.
    if _compiler() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no C compiler: CI must install gcc (.ci/run) so that the C extension is tested")
        pytest.skip("no C compiler here: digest runs its pure-Python set choice (same summaries)")
    assert setchoice.native is not None, ("digest._setchoice is not built, or was built from other sources "
                                          "(run `pip install -e .` again), or DIGEST_PURE_PYTHON is set")


native_only = pytest.mark.skipif(setchoice.native is None, reason="digest._setchoice (C) is not built here "
                                 "(test_the_extension_is_built_where_a_c_compiler_is fails for that on CI)")


def both(sentences, k, dangling, first_fixed):
    a = setchoice.analyse(sentences)
    b = setchoice.analyse(sentences, pure_python=True)
    return a, b, a.choose(k, dangling, first_fixed=first_fixed), b.choose(k, dangling, first_fixed=first_fixed)


def assert_same(sentences, k, dangling, first_fixed):
    a, b, (chosen_c, own_c), (chosen_py, own_py) = both(sentences, k, dangling, first_fixed)
    assert (a.tokens, a.sizes) == (b.tokens, b.sizes)
    assert chosen_c == chosen_py
    assert own_c == pytest.approx(own_py, rel=1e-12, abs=1e-15)


@native_only
@pytest.mark.parametrize("name", ["cnndm_dev.jsonl", "bbc_dev.jsonl", "cnndm_see_dev.jsonl"])
def test_same_choices_on_the_dev_articles(name):
    path = shared_path("eval", name)
    with open(path, encoding="utf-8") as handle:
        items = [json.loads(line) for line in handle if line.strip()][:400]
    for item in items:
        sentences = article_sentences(parse_article(item["article"]))
        sizes = setchoice.analyse(sentences, pure_python=True).sizes
        unusable = [d or s < newsrank.MIN_WORDS for d, s in zip(newsrank.dangling_quotes(sentences), sizes)]
        for k, first_fixed in ((3, False), (3, True), (item["sentences"], False), (8, True)):
            assert_same(sentences, k, unusable, first_fixed)


ODD = st.lists(
    st.one_of(
        st.sampled_from(list("aeiou stSIEUíİßǅﬁ_-'’.,\"“”\t\n\u00a0\u2028٣੩²½") + ["ies", "ss", "us", " is ", "cities"]),
        st.characters(max_codepoint=0x2FFFF),
    ),
    max_size=40,
).map("".join)


@native_only
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ODD, max_size=12), st.integers(-1, 6), st.booleans(), st.randoms(use_true_random=False))
def test_same_words_and_choices_on_odd_text(sentences, k, first_fixed, rng):
    # Dotted capital I lowers to two characters, ß and ligatures stay, digits of other scripts
    # are numbers, the underscore joins nothing, and a sentence may hold no word at all.
    dangling = [rng.random() < 0.3 for _ in sentences]
    assert_same(sentences, k, dangling, first_fixed)


@native_only
def test_many_repeats_and_small_vocabularies_agree():
    import random

    rng = random.Random(3)
    vocabulary = ["the", "a", "market", "markets", "cities", "city", "bus", "2019", "x", "councils"]
    for _ in range(200):
        article = [" ".join(rng.choices(vocabulary, k=rng.randint(0, 30))) for _ in range(rng.randint(1, 25))]
        dangling = [rng.random() < 0.2 for _ in article]
        for k in (1, 3, 6):
            assert_same(article, k, dangling, rng.random() < 0.5)


@native_only
def test_edges_and_bad_arguments():
    empty = setchoice.analyse([])
    assert (empty.tokens, empty.sizes, empty.choose(3, [])) == (0, [], ([], []))
    market = setchoice.analyse(MARKET)
    assert market.choose(0, [False] * len(MARKET))[0] == []
    assert market.choose(len(MARKET) + 5, [False] * len(MARKET))[0] == list(range(len(MARKET)))
    with pytest.raises(TypeError):
        setchoice.analyse(["a sentence", 7])
    with pytest.raises(ValueError):
        market.choose(3, [False])  # one flag per sentence
    with pytest.raises(ValueError):
        setchoice.native.choose("not a handle", 3, [], False)


@native_only
def test_the_ranker_scores_alike_both_ways():
    for article in (MARKET, FESTIVAL):
        for kwargs in ({"count": 1}, {"count": 3, "lede": True}, {"words": 60}):
            c = newsrank.NewsRanker()(article, None, **kwargs)
            py = newsrank.NewsRanker(pure_python=True)(article, None, **kwargs)
            assert c == pytest.approx(py, rel=1e-12)


def test_digest_pure_python_switches_the_extension_off(tmp_path):
    script = "from digest import setchoice; print(setchoice.native is None)"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DIGEST_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    # And the command line summarizes the same either way.
    article = tmp_path / "market.txt"
    article.write_text("Market moves to the bus station\n\n" + " ".join(MARKET * 3) + "\n", encoding="utf-8")
    runs = [run_digest("summarize", str(article), "--sentences", "2", env=extra)
            for extra in ({}, {"DIGEST_PURE_PYTHON": "1"})]
    assert runs[0].returncode == runs[1].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.strip()


# Inputs built to break the C: odd str subclasses, flags whose truth runs code, very long text.


@native_only
def test_a_lower_that_returns_no_str_is_a_clear_type_error():
    # The C calls a str subclass's own lower(), as the Python does; what comes back must be a
    # str before its characters are read (the Python fails too, on the int's missing split()).
    class Numeric(str):
        def lower(self):
            return 10**400

    with pytest.raises(TypeError, match=r"lower\(\) must return str, not int"):
        setchoice.analyse(["Traders met on Monday", Numeric("THE MARKET")])


@native_only
def test_a_str_subclass_is_lowered_and_fails_as_in_the_python():
    class Renamed(str):
        def lower(self):
            return "the council moved the market to the bus station"

    class Broken(str):
        def lower(self):
            raise KeyError("no lower case here")

    assert_same([*MARKET[:2], Renamed("Something Else")], 1, [False] * 3, False)
    for pure in (False, True):
        with pytest.raises(KeyError, match="no lower case"):
            setchoice.analyse([MARKET[0], Broken("X")], pure_python=pure)


def _configure_as_setchoice_does(weights=wordmodel.WEIGHTS):
    setchoice.native.configure(wordmodel.BIAS, weights, wordmodel.MAX_COUNT, setchoice.REF_WORDS_PER_SENTENCE,
                               setchoice.DANGLING_QUOTE, sorted(wordmodel.STOP_WORDS))


@native_only
def test_code_that_empties_the_callers_lists_meanwhile_changes_nothing():
    # lower(), __bool__ and __float__ run Python code in the middle of the C's reading; each here
    # empties the list being read. The C reads the items it was given.
    sentences = []

    class Emptying(str):
        def lower(self):
            sentences.clear()
            return str.lower(self)

    sentences[:] = [Emptying(MARKET[0]), *MARKET[1:]]
    tokens, sizes, _ = setchoice.native.analyse(sentences)
    market = setchoice.analyse(MARKET)
    assert (tokens, sizes) == (market.tokens, market.sizes)

    flags = []

    class Unflagging:
        def __bool__(self):
            flags.clear()
            return False

    flags[:] = [Unflagging()] + [False] * (len(MARKET) - 1)
    assert market.choose(2, flags) == market.choose(2, [False] * len(MARKET))

    weights = []

    class Unweighting:
        def __float__(self):
            weights.clear()
            return wordmodel.WEIGHTS[0]

    weights[:] = [Unweighting(), *wordmodel.WEIGHTS[1:]]
    try:
        _configure_as_setchoice_does(weights)
        assert setchoice.analyse(MARKET).choose(2, [False] * len(MARKET)) == market.choose(2, [False] * len(MARKET))
    finally:
        _configure_as_setchoice_does()


@native_only
def test_a_flag_whose_truth_raises_fails_as_in_the_python():
    class NoTruth:
        def __bool__(self):
            raise ZeroDivisionError("no truth")

    for pure in (False, True):
        with pytest.raises(ZeroDivisionError, match="no truth"):
            setchoice.analyse(MARKET, pure_python=pure).choose(2, [False, NoTruth()] + [False] * (len(MARKET) - 2))


@native_only
def test_asking_for_more_sentences_than_there_are_takes_no_search_memory():
    # k >= n returns every sentence without a search; the C still set aside a k × n matrix for
    # one, n² doubles for a million asked (320 GB here: a MemoryError where the Python answers).
    n = 200_000
    _, sizes, handle = setchoice.native.analyse(["Traders moved."] * n)
    chosen, own = setchoice.native.choose(handle, 10**6, [False] * n, False)
    assert chosen == list(range(n)) and len(own) == n and sizes[0] == 2


@native_only
def test_very_long_words_and_sentences_agree():
    import random

    rng = random.Random(7)
    article = [
        "x" * 200_000,  # one word, no space
        "w" * 199_997 + "ies",  # ... stemmed to ...y
        " ".join(rng.choice("abcdefgh") for _ in range(50_000)),  # 50,000 one-letter words
        "-" * 100_000,  # no word at all
        "market " * 20_000,  # one word far above MAX_COUNT times
        *MARKET,
    ]
    for k in (1, 3):
        assert_same(article, k, [i == 2 for i in range(len(article))], k == 3)


@native_only
@pytest.mark.parametrize("k", [-10**6, -1, 0, 1, 10**6, 2**62])
def test_any_k_agrees_on_an_article_and_on_none(k):
    assert_same(MARKET, k, [i % 3 == 1 for i in range(len(MARKET))], False)
    assert_same([], k, [], False)
    assert_same(["", "...", " \t "], k, [True, False, True], True)


@native_only
def test_a_handle_chooses_alike_again_and_after_configure():
    import datetime

    market = setchoice.analyse(MARKET)
    flags = [False] * len(MARKET)
    first = market.choose(3, flags)
    _configure_as_setchoice_does()
    with pytest.raises(TypeError):  # a failed configure keeps the constants it had
        setchoice.native.configure(wordmodel.BIAS, wordmodel.WEIGHTS, 6, 1.0, 0.5, ["fine", 3])
    assert [market.choose(3, flags) for _ in range(3)] == [first] * 3
    assert setchoice.analyse(MARKET).choose(3, flags) == first
    with pytest.raises(ValueError):  # a capsule, but not ours
        setchoice.native.choose(datetime.datetime_CAPI, 3, flags, False)
