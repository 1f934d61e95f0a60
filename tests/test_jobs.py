"""--jobs N gives exactly what one process gives: builds (with and without the cache), the daemon's
make_digest, summarize and eval. Enough files that work is made ahead while grouping, cancelled,
sent again in story order and taken over by this process; near-duplicates and shared sentences
so that grouping and the no-repeat rule have work to do."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from digest.build import build, make_digest, summarize_all, summarize_files
from digest.config import Settings
from digest.evaluate import evaluate, load_dataset
from digest.reading import read_inputs
from textgen import article_text

DAY = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 7, 0, tzinfo=dt.timezone.utc)
MTIME = dt.datetime(2026, 11, 20, 18, 30, tzinfo=dt.timezone.utc).timestamp()
OUTPUTS = ("digest-2026-11-21.html", "digest-2026-11-21.txt", "digest-2026-11-21.md", "index.html")
#: A sentence several different stories carry: summaries that pick it must be given another.
SHARED = "The county council will publish the full findings of the review in the spring."


def write_seeds(folder: Path, stories: int = 150) -> Path:
    """``stories`` distinct articles over three days, a shorter copy of every fifth, a shared sentence in every seventh."""
    folder.mkdir()
    for i in range(stories):
        text = article_text(f"Story {i}", sentences=6)
        if i % 7 == 0:
            text = text.replace("\n\n", f"\n\n{SHARED} ", 1)
        name = f"2026-11-{19 + i % 3}-story-{i:03d}.txt"
        (folder / name).write_text(text, encoding="utf-8")
        if i % 5 == 0:
            title, body = text.split("\n\n", 1)
            shorter = " ".join(body.split(". ")[:-1]) + ".\n"
            (folder / f"copy-{i:03d}.txt").write_text(f"Title: Copy of story {i}\n\n{shorter}", encoding="utf-8")
    for path in folder.iterdir():
        os.utime(path, (MTIME, MTIME))
    return folder


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> Path:
    return write_seeds(tmp_path_factory.mktemp("jobs") / "seeds")


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def settings_for(seeds: Path, out: Path, jobs: int) -> Settings:
    return Settings().override("paths", seeds=str(seeds), out=str(out)).override("output", jobs=jobs)


def test_builds_with_2_and_3_jobs_equal_one_job(seeds, tmp_path):
    results = {}
    for jobs in (1, 2, 3):
        result = build(settings_for(seeds, tmp_path / str(jobs), jobs), day=DAY, now=NOW, use_cache=False)
        results[jobs] = result
    one = outputs(tmp_path / "1")
    assert outputs(tmp_path / "2") == one and outputs(tmp_path / "3") == one
    digest = results[1].digest
    assert any(story.sources for story in digest.stories)  # the copies were grouped
    shown = [s.text for story in digest.stories for s in story.summary.sentences]
    assert shown.count(SHARED) == 1  # ... and the shared sentence is shown once


def test_cached_rebuilds_with_2_jobs_equal_a_fresh_build(seeds, tmp_path):
    work = tmp_path / "seeds"
    work.mkdir()
    for path in seeds.iterdir():
        (work / path.name).write_bytes(path.read_bytes())
        os.utime(work / path.name, (MTIME, MTIME))
    out = tmp_path / "cached"
    build(settings_for(work, out, 2), day=DAY, now=NOW)
    # Some files change, one goes, some come: files and summaries partly from the cache, the
    # rest read and summarized (ahead) in the workers.
    changed = ["2026-11-19-story-000.txt", "2026-11-20-story-001.txt"]
    changed += [f"2026-11-21-new-{i}.txt" for i in range(12)]
    for name in changed:
        (work / name).write_text(article_text(f"Changed {name}", sentences=6), encoding="utf-8")
        os.utime(work / name, (MTIME + 60, MTIME + 60))
    (work / "copy-005.txt").unlink()
    again = build(settings_for(work, out, 2), day=DAY, now=NOW)
    assert again.cache["files_hit"] > 100 and again.cache["files_miss"] == len(changed)
    # ...and copy-000, a version of story 0 until story 0 changed, is now a story of its own.
    assert again.cache["summaries_hit"] > 100 and again.cache["summaries_miss"] == len(changed) + 1
    build(settings_for(work, tmp_path / "fresh", 1), day=DAY, now=NOW, use_cache=False)
    assert outputs(out) == outputs(tmp_path / "fresh")


def test_make_digest_with_2_jobs_equals_one_job(seeds):
    # What the daemon calls, without the build's reading or cache.
    articles, skipped = read_inputs(sorted(seeds.iterdir()), Settings())
    made = [make_digest(articles, settings_for(seeds, seeds, jobs), day=DAY, now=NOW, skipped=skipped)
            for jobs in (1, 2)]
    assert made[0] == made[1]


def test_summarize_files_and_summarize_all_with_2_jobs_equal_one_job(seeds):
    paths = sorted(seeds.iterdir())
    articles, skipped = read_inputs(paths, Settings())
    one = summarize_all(articles, algorithm="news", count=3)
    assert summarize_all(articles, algorithm="news", count=3, jobs=2) == one
    seen: list[int] = []
    got, got_skipped, summaries, prints = summarize_files(paths, Settings().override("output", jobs=2),
                                                          progress=seen.append)
    assert got == articles and got_skipped == skipped and summaries == one
    assert len(prints) == len(articles) and sum(seen) == len(articles)


def test_eval_with_2_jobs_gives_the_same_scores(tmp_path):
    records = [{"id": f"e{i}", "article": article_text(f"Evaluated {i}", sentences=4 + i % 5),
                "reference": [f"Story {i} reference."], "sentences": 2} for i in range(24)]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    items = load_dataset(path)
    runs = [evaluate(items, ["news", "lead"], oracle=True, jobs=jobs) for jobs in (1, 2)]
    scores = [[(r.algorithm, r.n, r.rouge1, r.rouge2, r.rougeLsum) for r in run] for run in runs]
    assert scores[0] == scores[1]  # the same floats: summed in item order either way
