"""Every shortcut taken for speed gives exactly what the plain way gives.

--jobs compares fingerprints made in other processes (presorted), composes with term
frequencies of some of the summaries only, and feeds it terms as they arrive; rendering fills
text without textwrap when it can and skips the regex for plain titles. Property tests, kept to
a few hundred examples.
"""

from __future__ import annotations

import random
import re
import textwrap

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import compose, dedup
from digest.models import Sentence, Story, Summary
from digest.render import _fill, _largest_fitting, clean
from textgen import article_text

QUICK = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))

WORDS = st.text(alphabet="abcdefgh-./:’é", min_size=1, max_size=30)
SPACES = st.sampled_from([" ", " ", " ", " ", "  ", "   "])


@QUICK
@given(st.lists(st.tuples(WORDS, SPACES), max_size=30), st.sampled_from([1, 5, 12, 30, 72]),
       st.sampled_from(["", "1. ", "123. ", "      ", "- "]), st.sampled_from(["", "   ", "      "]),
       st.booleans(), st.booleans())
def test_fill_is_textwrap_fill(pieces, width, first, rest, leading, trailing):
    text = "".join(word + space for word, space in pieces).rstrip(" ")
    text = (" " if leading else "") + text + (" " if trailing else "")
    expected = textwrap.fill(text, width=width, initial_indent=first, subsequent_indent=rest,
                             break_long_words=False, break_on_hyphens=False)
    assert _fill(text, width, first, rest) == expected


_REMOVED = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


@QUICK
@given(st.one_of(st.text(max_size=60), st.text(alphabet=st.characters(max_codepoint=0x2100), max_size=60)))
def test_clean_is_its_rule_whatever_the_text(value):
    # The rule, done the plain way: whitespace runs become one space, then controls and bidi
    # overrides go. (Plain ASCII titles skip the regex and common strings are memoised.)
    assert clean(value) == _REMOVED.sub("", " ".join(value.split()))
    assert clean(value) == clean(value)


def _versions(seed: int) -> list[str]:
    """A few articles, each with edited copies (cut, reordered, another opening)."""
    rng = random.Random(seed)
    texts = []
    for i in range(rng.randint(2, 6)):
        body = article_text(f"Fast path {seed} {i}", sentences=rng.randint(3, 12)).split("\n\n", 1)[1]
        sentences = body.split(". ")
        texts.append(body)
        for _ in range(rng.randint(0, 3)):
            copy = sentences[:]
            if len(copy) > 2 and rng.random() < 0.5:
                del copy[rng.randrange(len(copy))]
            if rng.random() < 0.5:
                rng.shuffle(copy)
            texts.append(("A new opening line here. " if rng.random() < 0.3 else "") + ". ".join(copy))
    rng.shuffle(texts)
    return texts


@QUICK
@given(st.integers(0, 10_000))
def test_presorted_fingerprints_group_the_same(seed):
    texts = _versions(seed)
    plain, presorted = dedup.fingerprints(texts), dedup.fingerprints(texts, presort=True)
    assert dedup.group_fingerprints(plain) == dedup.group_fingerprints(presorted) == dedup.group_texts(texts)
    a, b = dedup._pair_stats(plain), dedup._pair_stats(presorted)
    assert np.array_equal(a.pairs, b.pairs) and np.array_equal(a.shared, b.shared)
    assert np.array_equal(a.sizes, b.sizes)


SENTENCE_POOL = [
    "The ferry timetable changes on Monday.", "The ferry timetable will change on Monday.",
    "Bakers in Ardley won a regional prize.", "Ardley bakers won the regional prize.",
    "The council approved the bridge budget.", "The bridge budget was approved by the council.",
    "Rain is expected across the valley tonight.", "So it goes.", "So it goes!",
    "Two new buses join the route in spring.", "The library opens late on Thursdays.",
    "The library will open late on Thursdays.", "Farmers met the minister at the harbour.",
]


def _stories(seed: int) -> list[Story]:
    rng = random.Random(seed)
    stories = []
    for i in range(rng.randint(2, 12)):
        text = " ".join(rng.sample(SENTENCE_POOL, rng.randint(3, 6)))
        article = compose.Article(path=f"s{i}.txt", title=f"Story {i}", body=text)
        sentences = compose.article_sentences(article)
        chosen = sorted(rng.sample(range(len(sentences)), min(2, len(sentences))))
        summary = Summary("lead", tuple(Sentence(sentences[j], j, 1.0) for j in chosen))
        stories.append(Story(article, summary))
    return stories


@QUICK
@given(st.integers(0, 10_000), st.floats(0, 1))
def test_repeats_are_found_the_same_with_any_term_frequencies(seed, share):
    stories = _stories(seed)
    summaries = [s.summary for s in stories]
    rng = random.Random(seed)
    sample = [s for s in summaries if rng.random() < share]
    check = compose.RepeatFilter(compose.term_frequencies(summaries))
    full = [check(s) for s in stories]
    assert full == compose.without_repeats(stories)
    # ...with the frequencies of some summaries only, or none, as --jobs composes:
    check = compose.RepeatFilter(compose.term_frequencies(sample))
    assert [check(s) for s in stories] == full
    check = compose.RepeatFilter()
    assert [check(s) for s in stories] == full
    # ...and with terms that arrive as composing goes on, in a dict given while still empty.
    terms: dict[str, frozenset[str]] = {}
    check = compose.RepeatFilter(None, terms)
    late = []
    for story in stories:
        terms.update((s.text, dedup.sentence_terms(s.text)) for s in story.summary.sentences)
        late.append(check(story))
    assert late == full


def test_the_generated_stories_have_repeats_to_replace():
    # Otherwise the property above would prove little.
    changed = sum(compose.without_repeats(_stories(seed)) != _stories(seed) for seed in range(100))
    assert changed >= 50


def test_terms_given_later_are_used():
    # The memory keeps the caller's dict: terms added after it was made are the ones compared.
    terms: dict[str, frozenset[str]] = {}
    memory = dedup.SentenceMemory(None, terms)
    terms["First sentence."] = frozenset({"alpha", "beta"})
    terms["Unrelated words entirely."] = frozenset({"alpha", "beta"})
    memory.add("First sentence.")
    assert memory.repeats("Unrelated words entirely.")


@QUICK
@given(st.lists(st.one_of(st.integers(0, 5), st.integers(40, 80), st.integers(0, 400)), min_size=1, max_size=3000),
       st.floats(0, 1.05))
def test_the_email_size_search_finds_the_largest_digest_that_fits(steps, fraction):
    # fit_for_email's search guesses by interpolation (and tries one story more after a close
    # guess) to spare renders; whatever the sizes, it must find what counting up would find.
    sizes = [0]
    for step in steps:
        sizes.append(sizes[-1] + step)
    budget = int(sizes[-1] * fraction)
    found = _largest_fitting(sizes.__getitem__, budget, 0, len(steps))
    assert found == max(k for k, size in enumerate(sizes) if size <= budget)
