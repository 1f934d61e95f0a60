"""Versions of one story through a real build and the command line: one entry, "N sources", JSON groups."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from conftest import run_digest, shared_path
from digest.cli import cli
from digest.dedup import near_identical, sentence_terms
from digest.ingest import read_article
from digest.text import split_sentences

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dedup"
SEED_SHORT, SEED_FULL = "000_286a19878007b156.txt", "004_171397d32f588afb.txt"
DAY = "2026-11-21"
#: The fields `summarize --format json` had before grouping; they must stay as they were.
RECORD_FIELDS = {"path", "title", "date", "date_source", "source", "place", "algorithm", "sentences"}


def build_txt(seeds: Path, out: Path) -> str:
    """Build the digest for DAY as a user would (a subprocess) and return its plain text."""
    done = run_digest("build", "--seeds", str(seeds), "--out", str(out), "--date", DAY)
    assert done.returncode == 0, done.stderr.decode()
    return (out / f"digest-{DAY}.txt").read_text(encoding="utf-8")


def headings(txt: str) -> list[str]:
    """The numbered story headlines of a plain-text digest."""
    return re.findall(r"^\d+\. (.+)$", txt, flags=re.MULTILINE)


def summary_sentences(txt: str) -> list[str]:
    """Every sentence shown in the summaries of a plain-text digest (indented paragraphs)."""
    paragraphs = [p for p in txt.split("\n\n") if p.startswith("   ") and "sources:" not in p.split("\n")[0]]
    return [s for p in paragraphs for s in split_sentences(" ".join(p.split()))]


def third_copy(full: Path) -> str:
    """Another outlet's shorter take on the fuller seed: its own headline and dateline, half the paragraphs."""
    paragraphs = [p for p in full.read_text(encoding="utf-8").split("\n\n") if p.strip()][1:]
    kept = paragraphs[: len(paragraphs) // 2]
    kept[0] = "WASHINGTON (Reuters) - " + kept[0].strip()
    return "Title: US adds Chinese firms to trade blacklist\n\n" + "\n\n".join(kept) + "\n"


def test_digest_from_both_seeds_and_a_third_copy_lists_the_story_once(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in (SEED_SHORT, SEED_FULL):
        shutil.copy(shared_path("seeds", name), seeds / name)
    (seeds / "reuters-copy.txt").write_text(third_copy(seeds / SEED_FULL), encoding="utf-8")
    shutil.copy(FIXTURES / "tram-contractor.txt", seeds)  # and one unrelated story

    txt = build_txt(seeds, tmp_path / "out")
    titles = headings(txt)
    full_title = read_article(seeds / SEED_FULL).title
    assert len(titles) == 2 and titles.count(full_title) == 1, titles
    assert "2 stories" in txt
    assert txt.count("3 sources:") == 1
    for name in (SEED_SHORT, SEED_FULL, "reuters-copy.txt"):
        assert txt.count(name) == 1, name
    assert "Reuters" in txt and "CNN Business" in txt


def test_digest_from_our_own_versions_and_repeats(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(FIXTURES, seeds)
    txt = build_txt(seeds, tmp_path / "out")
    assert headings(txt) == [
        "More money for Wendmouth libraries",
        "Rail firm Kettering Steel picked to build Ardley trams",
        "Council approves Ardley tram line",  # the fuller version, dated 20 Nov, leads its story
        "Road repairs take the largest share of Wendmouth's new money",
    ]
    assert txt.count("2 sources:") == 1 and "tram-approved-copy.txt" in txt
    flat = " ".join(txt.split()).casefold()
    # Both council stories open with (nearly) the same sentence; the digest shows it once.
    assert flat.count("published its spending plans") == 1
    # The two tram stories share a background paragraph: none of its sentences appears twice,
    # and no other sentence does either, while every story keeps its three sentences.
    shown = summary_sentences(txt)
    assert len(shown) == 4 * 3
    keys = [sentence_terms(s) for s in shown]
    for i, key in enumerate(keys):
        assert not any(near_identical(key, other) for other in keys[i + 1 :]), shown[i]


def summarize_json(*paths: Path) -> list[dict]:
    result = CliRunner().invoke(cli, ["summarize", "--format", "json", *map(str, paths)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_summarize_json_reports_groups():
    copy, contractor, approved = (FIXTURES / f"{n}.txt" for n in ("tram-approved-copy", "tram-contractor", "tram-approved"))
    records = summarize_json(copy, contractor, approved)
    assert [r["path"] for r in records] == [str(copy), str(contractor), str(approved)]
    assert [r["group"] for r in records] == [1, 2, 1]
    assert records[0]["group_members"] == records[2]["group_members"] == [str(approved), str(copy)]
    assert records[1]["group_members"] == [str(contractor)]
    for record in records:
        assert set(record) == RECORD_FIELDS | {"group", "group_members"}
        assert len(record["sentences"]) == 3  # every input is still summarized on its own


def test_summarize_json_groups_the_seeds():
    short, full = shared_path("seeds", SEED_SHORT), shared_path("seeds", SEED_FULL)
    records = summarize_json(short, full, FIXTURES / "council-roads.txt")
    assert [r["group"] for r in records] == [1, 1, 2]
    assert records[0]["group_members"] == [str(full), str(short)]


def test_story_takes_the_most_trustworthy_date_of_its_versions():
    """The fuller seed has only a file date; the shorter copy states 2019-10-08: the story shows that."""
    from digest.compose import best_dated
    from digest.ingest import read_article

    full = read_article(shared_path("seeds", SEED_FULL))
    short = read_article(shared_path("seeds", "000_286a19878007b156.txt"))
    assert full.date_source == "mtime" and short.date_source == "prefix"
    dated = best_dated(full, (full, short))
    assert (dated.date, dated.date_source) == (dt.date(2019, 10, 8), "prefix")
    assert dated.body == full.body and dated.title == full.title
    # a stated date is never replaced by a file date
    assert best_dated(short, (short, full)) is short
