"""Grouping versions of one story (digest.dedup) and the digest-wide no-repeated-sentence rule."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from conftest import shared_path
from digest import dedup
from digest.compose import compose, without_repeats
from digest.ingest import read_article
from digest.models import Article, Story
from digest.summarize import article_sentences, summarize_article

NOW = dt.datetime(2026, 11, 21, 7, 0, tzinfo=dt.timezone.utc)
DAY = NOW.date()

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dedup"


def fixture(name: str) -> Article:
    """One of our own sample articles: two different tram stories that share a background
    paragraph word for word (as newsrooms do), a re-edited copy of the first (new headline,
    dateline, a paragraph cut, two swapped, light copy-editing, a boilerplate line), and two
    council stories that open with near-identical sentences."""
    return read_article(FIXTURES / f"{name}.txt")


def test_seed_files_are_one_story_fullest_version_first():
    short = read_article(shared_path("seeds", "000_286a19878007b156.txt"))
    full = read_article(shared_path("seeds", "004_171397d32f588afb.txt"))
    assert full.word_count > short.word_count
    groups = dedup.group_articles([short, full])
    assert groups == [(full, short)]


def test_seed_files_need_the_same_lede_rule():
    # The seeds share only ~62% of the shorter one's shingles: containment alone at the 0.7
    # threshold would keep them apart; it is their common opening that joins them.
    short = read_article(shared_path("seeds", "000_286a19878007b156.txt"))
    full = read_article(shared_path("seeds", "004_171397d32f588afb.txt"))
    stats = dedup.pair_stats([short.body, full.body])
    assert dedup.LEDE_THRESHOLD <= stats.containment()[0] < dedup.THRESHOLD
    assert stats.same_lede(0, 1)
    assert dedup.group_texts([short.body, full.body], lede_threshold=None) == [[0], [1]]


def test_different_stories_on_one_topic_stay_separate():
    approved = fixture("tram-approved")
    contractor = fixture("tram-contractor")
    stats = dedup.pair_stats([approved.body, contractor.body])
    assert stats.shared[0] > 20  # they really do share a paragraph
    assert dedup.group_articles([approved, contractor]) == [(approved,), (contractor,)]


def test_an_edited_copy_joins_its_story_and_only_it():
    approved = fixture("tram-approved")
    copy = fixture("tram-approved-copy")
    contractor = fixture("tram-contractor")
    assert copy.title != approved.title and copy.source == "Metro Daily"
    groups = dedup.group_articles([copy, contractor, approved])
    assert groups == [(approved, copy), (contractor,)]  # first-seen order; fullest version first
    assert dedup.group_indices([copy, contractor, approved]) == [[2, 0], [1]]


def test_identical_texts_group_however_many_copies():
    # More copies than the boilerplate cutoff (MIN_COMMON): identical texts are collapsed first,
    # so their shingles are not mistaken for boilerplate.
    count = dedup.MIN_COMMON + 20
    texts = [fixture("tram-approved").body] * count + [fixture("tram-contractor").body]
    assert dedup.group_texts(texts) == [list(range(count)), [count]]


def _gibberish(rng: random.Random, words: int) -> str:
    vocabulary = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "po", "ru", "si", "te") for b in "abdegiklmnoprstu"]
    return " ".join(rng.choice(vocabulary) for _ in range(words)) + "."


def test_boilerplate_shared_by_many_articles_joins_none_of_them():
    rng = random.Random(7)
    footer = "Sign up for the Harbour Herald briefing and get every story from the bay in your inbox each morning, free, with no adverts and no paywall, and you can stop whenever you like."
    texts = [f"{_gibberish(rng, 25)}\n\n{footer}" for _ in range(dedup.MIN_COMMON + 10)]
    # Each article is mostly that footer, yet they are all different stories.
    assert len(dedup.group_texts(texts)) == len(texts)
    # In a batch too small to call the footer boilerplate, it is over half of each article, but
    # they open differently, so they still stay apart.
    stats = dedup.pair_stats(texts[:2])
    assert dedup.LEDE_THRESHOLD <= stats.containment()[0] < dedup.THRESHOLD
    assert dedup.group_texts(texts[:2]) == [[0], [1]]


def test_short_and_empty_texts():
    assert dedup.group_texts([]) == []
    assert dedup.group_texts(["", "", "One word"]) == [[0, 1], [2]]
    # A short line matches its exact copy but not another short line.
    assert dedup.group_texts(["Storm closes bridge.", "Storm closes bridge!", "Storm closes school."]) == [[0, 1], [2]]


def test_words_ignore_case_quotes_and_punctuation():
    assert dedup.words_of("“US” — China’s trade-war…") == dedup.words_of('"us" - china\'s trade war...')


def test_near_identical_sentences():
    key = dedup.sentence_terms
    same = key("Wendmouth council published its spending plans for next year on Monday.")
    assert dedup.near_identical(same, key("Wendmouth Council published its spending plans for the next year on Monday"))
    assert not dedup.near_identical(same, key("Wendmouth council published its plans for a new bridge on Monday."))
    memory = dedup.SentenceMemory()
    memory.add("It was.")
    memory.add("Wendmouth council published its spending plans for next year on Monday.")
    assert memory.repeats("It was!") and not memory.repeats("So it goes.")
    assert memory.repeats("“Wendmouth Council published its spending plans for the next year on Monday.”")
    assert not memory.repeats("Spending on roads rises next year.")


# --- no sentence twice across the digest ----------------------------------------------------------

SHARED = "Wendmouth council published its spending plans for next year on Monday."


def test_a_repeated_sentence_is_replaced_by_the_storys_next_best():
    roads, libraries = fixture("council-roads"), fixture("council-libraries")
    items = [(a, summarize_article(a, algorithm="lead", count=3)) for a in (roads, libraries)]
    assert items[0][1].sentences[0].text.startswith("Wendmouth Council published")  # both would show it
    digest = compose(items, day=DAY, generated_at=NOW)
    first, second = digest.stories  # newest first: libraries, then roads
    assert (first.article, second.article) == (libraries, roads)
    assert [s.index for s in first.summary.sentences] == [0, 1, 2]
    assert [s.index for s in second.summary.sentences] == [1, 2, 3]  # the fourth sentence steps in
    assert second.summary.sentences[-1].text == article_sentences(roads)[3]
    assert second.summary.algorithm == "lead" and second.summary.sentences[-1].score > 0


def test_no_sentence_twice_with_the_default_summarizer():
    stories = [Story(a, summarize_article(a, count=3)) for a in (fixture("council-libraries"), fixture("council-roads"))]
    firsts = [s.summary.sentences[0].index for s in stories]
    assert firsts == [0, 0]  # the news ranker picks the shared opening for both
    result = without_repeats(stories)
    shown = [dedup.sentence_terms(s.text) for story in result for s in story.summary.sentences]
    for i, a in enumerate(shown):
        assert not any(dedup.near_identical(a, b) for b in shown[i + 1 :])
    assert [len(story.summary.sentences) for story in result] == [3, 3]
    assert result[0] is stories[0]  # the first story is never touched


def test_a_story_that_runs_out_of_new_sentences_keeps_what_it_has():
    echo = Article(path="echo.txt", title="Echo", date=DAY, body=f"{SHARED} Nothing else happened.")
    stories = [Story(a, summarize_article(a, algorithm="lead", count=3)) for a in (fixture("council-libraries"), echo)]
    result = without_repeats(stories)
    assert [s.text for s in result[1].summary.sentences] == ["Nothing else happened."]


def test_compose_lists_every_source_fullest_first():
    approved = fixture("tram-approved")
    copy = fixture("tram-approved-copy")
    (group,) = [g for g in dedup.group_articles([copy, approved]) if len(g) > 1]
    digest = compose([(group[0], summarize_article(group[0]))], day=DAY, generated_at=NOW, sources=[group])
    (story,) = digest.stories
    assert story.article == approved
    assert story.all_sources == (approved, copy)
