"""The build cache: real SQLite in a temp folder, real files, real builds.

What is reused is checked with the cache's own hit/miss counters (``BuildResult.cache``) and by
counting rows; that the output never changes is checked byte for byte against a build without it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import ROOT, run_digest
from digest.build import build
from digest.config import Settings
from digest.store import state_dir
from digest.store.cache import BuildCache, package_fingerprint

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DAY = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 7, 0, tzinfo=dt.timezone.utc)
#: Files with no date of their own get this modification time, so outputs compare exactly.
MTIME = dt.datetime(2026, 11, 20, 18, 30, tzinfo=dt.timezone.utc).timestamp()
OUTPUTS = ("digest-2026-11-21.html", "digest-2026-11-21.txt", "digest-2026-11-21.md", "index.html")


def make_seeds(folder: Path) -> Path:
    """Six stories (two of them versions of one), a mailbox of several, and an empty file."""
    shutil.copytree(FIXTURES / "golden_seeds", folder)
    for name in ("tram-approved.txt", "tram-approved-copy.txt", "council-roads.txt"):
        shutil.copy(FIXTURES / "dedup" / name, folder / name)
    shutil.copy(FIXTURES / "formats" / "valley.mbox", folder / "valley.mbox")
    for path in folder.iterdir():
        os.utime(path, (MTIME, MTIME))
    return folder


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    return make_seeds(tmp_path / "seeds")


def settings_for(seeds: Path, out: Path, **summary: object) -> Settings:
    settings = Settings().override("paths", seeds=str(seeds), out=str(out))
    return settings.override("summary", **summary) if summary else settings


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def count_rows(out: Path, table: str) -> int:
    with sqlite3.connect(state_dir(out) / "digest.sqlite3") as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_unchanged_rebuild_reads_and_summarizes_nothing(seeds, tmp_path):
    settings = settings_for(seeds, tmp_path / "out")
    first = build(settings, day=DAY, now=NOW)
    files = len(list(seeds.iterdir())) - 1  # empty.txt is skipped, and never cached
    assert first.cache["files_miss"] == files + 1 and first.cache.get("files_hit", 0) == 0
    assert first.cache["summaries_miss"] == len(first.digest.stories) > 0
    assert first.cache["groups_miss"] == 1 and first.cache["composed_miss"] == 1

    again = build(settings, day=DAY, now=NOW)
    assert again.cache["files_hit"] == files and again.cache["files_miss"] == 1  # the empty file is read again
    assert again.cache["groups_hit"] == 1 and again.cache["composed_hit"] == 1
    # The composed digest came from the cache, so no summary was even looked up, let alone made.
    assert "summaries_miss" not in again.cache and "summaries_hit" not in again.cache
    assert again.digest == first.digest
    # Skipped inputs are reported every time: the empty file, and a mailbox message with no text.
    assert [s.path for s in again.skipped] == [s.path for s in first.skipped]
    assert {s.path for s in again.skipped} == {str(seeds / "empty.txt"), str(seeds / "valley.mbox")}


def test_output_is_identical_with_and_without_the_cache(seeds, tmp_path):
    plain = build(settings_for(seeds, tmp_path / "plain"), day=DAY, now=NOW, use_cache=False)
    assert plain.cache == {} and not state_dir(tmp_path / "plain").exists()
    cold = build(settings_for(seeds, tmp_path / "cached"), day=DAY, now=NOW)
    assert outputs(tmp_path / "cached") == outputs(tmp_path / "plain")
    warm = build(settings_for(seeds, tmp_path / "cached"), day=DAY, now=NOW)
    assert warm.cache["composed_hit"] == 1
    assert outputs(tmp_path / "cached") == outputs(tmp_path / "plain")
    assert warm.digest == cold.digest == plain.digest
    # A group of two versions survives the round trip through the cache.
    assert any(len(story.sources) == 2 for story in warm.digest.stories)


def test_a_later_build_time_shows_in_a_cached_rebuild(seeds, tmp_path):
    settings = settings_for(seeds, tmp_path / "out")
    build(settings, day=DAY, now=NOW)
    later = build(settings, day=DAY, now=NOW.replace(hour=9, minute=45))
    assert later.cache["composed_hit"] == 1
    assert "at 09:45" in (tmp_path / "out" / "digest-2026-11-21.txt").read_text(encoding="utf-8")


def test_changed_file_is_read_and_summarized_again(seeds, tmp_path):
    settings = settings_for(seeds, tmp_path / "out", algorithm="lead", sentences=1)
    build(settings, day=DAY, now=NOW)
    ferry = seeds / "2026-11-21-solar-ferry.txt"
    text = ferry.read_text(encoding="utf-8")
    ferry.write_text(text.replace("An electric ferry powered partly by solar panels",
                                  "A battery ferry with solar panels on its roof"), encoding="utf-8")
    os.utime(ferry, (MTIME, MTIME))  # same time, different size: still seen as changed

    result = build(settings, day=DAY, now=NOW)
    assert result.cache["files_miss"] == 2 and result.cache["files_hit"] == len(list(seeds.iterdir())) - 2
    assert result.cache["summaries_miss"] == 1
    assert result.cache["summaries_hit"] == len(result.digest.stories) - 1
    assert result.cache["groups_miss"] == 1 and result.cache["composed_miss"] == 1
    assert "A battery ferry with solar panels" in (tmp_path / "out" / "digest-2026-11-21.txt").read_text(encoding="utf-8")


def test_touched_file_with_same_size_is_read_again(seeds, tmp_path):
    settings = settings_for(seeds, tmp_path / "out")
    build(settings, day=DAY, now=NOW)
    os.utime(seeds / "council-roads.txt", (MTIME + 60, MTIME + 60))
    result = build(settings, day=DAY, now=NOW)
    assert result.cache["files_miss"] == 2  # that file, and the empty one
    # Same content: its summary, grouping and composition are still valid.
    assert result.cache["composed_hit"] == 1


@pytest.mark.parametrize("change", [{"algorithm": "lead"}, {"sentences": 2}, {"words": 40}])
def test_summary_settings_are_part_of_the_key(seeds, tmp_path, change):
    out = tmp_path / "out"
    first = build(settings_for(seeds, out), day=DAY, now=NOW)
    result = build(settings_for(seeds, out, **change), day=DAY, now=NOW)
    assert result.cache["files_miss"] == 1  # only the empty file: parsing does not depend on them
    assert result.cache["summaries_miss"] == len(result.digest.stories) and "summaries_hit" not in result.cache
    assert result.cache["composed_miss"] == 1
    assert result.digest != first.digest
    plain = build(settings_for(seeds, tmp_path / "plain", **change), day=DAY, now=NOW, use_cache=False)
    assert result.digest == plain.digest
    # Back to the first settings: both sets of summaries are kept.
    back = build(settings_for(seeds, out), day=DAY, now=NOW)
    assert back.cache["composed_hit"] == 1


def test_new_code_fingerprint_empties_the_cache(seeds, tmp_path):
    out = tmp_path / "out"
    build(settings_for(seeds, out), day=DAY, now=NOW)
    assert count_rows(out, "cache_summaries") > 0
    with sqlite3.connect(state_dir(out) / "digest.sqlite3") as conn:  # as if filled by another version
        conn.execute("UPDATE cache_meta SET value = 'an older digest' WHERE key = 'fingerprint'")
    result = build(settings_for(seeds, out), day=DAY, now=NOW)
    assert "files_hit" not in result.cache and "summaries_hit" not in result.cache
    assert result.cache["groups_miss"] == 1 and result.cache["composed_miss"] == 1


def test_fingerprint_changes_with_the_ranker_source(tmp_path):
    """A copy of the package with one line of the ranker changed has another fingerprint."""
    copy = tmp_path / "digest"
    shutil.copytree(ROOT / "digest", copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = package_fingerprint(copy, "0.1.0")
    assert before == package_fingerprint(ROOT / "digest", "0.1.0")
    assert package_fingerprint(copy, "0.2.0") != before
    ranker = copy / "newsrank.py"
    ranker.write_text(ranker.read_text(encoding="utf-8") + "\n# tuned\n", encoding="utf-8")
    edited = package_fingerprint(copy, "0.1.0")
    assert edited != before
    (copy / "weights.json").write_text('{"position": 0.7}', encoding="utf-8")  # tuned data beside the code
    with_data = package_fingerprint(copy, "0.1.0")
    assert with_data != edited
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "newsrank.cpython-311.pyc").write_bytes(b"compiled")  # not source: ignored
    assert package_fingerprint(copy, "0.1.0") == with_data


def test_deleted_files_leave_the_cache(seeds, tmp_path):
    out = tmp_path / "out"
    build(settings_for(seeds, out), day=DAY, now=NOW)
    rows = count_rows(out, "cache_files")
    (seeds / "council-roads.txt").unlink()
    result = build(settings_for(seeds, out), day=DAY, now=NOW)
    assert count_rows(out, "cache_files") == rows - 1
    assert result.cache["groups_miss"] == 1


def test_corrupt_state_file_builds_without_cache(seeds, tmp_path, caplog):
    out = tmp_path / "out"
    state_dir(out).mkdir(parents=True)
    (state_dir(out) / "digest.sqlite3").write_bytes(b"this is not a database, just bytes " * 100)
    with caplog.at_level(logging.WARNING, logger="digest.store.cache"):
        result = build(settings_for(seeds, out), day=DAY, now=NOW)
    assert "build cache unusable" in caplog.text and "building without it" in caplog.text
    assert not any(key.endswith("_hit") for key in result.cache)
    build(settings_for(seeds, tmp_path / "plain"), day=DAY, now=NOW, use_cache=False)
    assert outputs(out) == outputs(tmp_path / "plain")


def test_damaged_cache_row_falls_back(seeds, tmp_path, caplog):
    out = tmp_path / "out"
    build(settings_for(seeds, out, algorithm="lead"), day=DAY, now=NOW)
    with sqlite3.connect(state_dir(out) / "digest.sqlite3") as conn:
        conn.execute("UPDATE cache_summaries SET summary = '{not json'")
        conn.execute("DELETE FROM cache_results WHERE kind = 'composed'")  # so summaries are looked up
    with caplog.at_level(logging.WARNING, logger="digest.store.cache"):
        result = build(settings_for(seeds, out, algorithm="lead"), day=DAY, now=NOW)
    assert "build cache unusable" in caplog.text
    build(settings_for(seeds, tmp_path / "plain", algorithm="lead"), day=DAY, now=NOW, use_cache=False)
    assert outputs(out) == outputs(tmp_path / "plain")
    assert result.cache["summaries_miss"] == len(result.digest.stories)


def test_locked_state_file_builds_without_cache(seeds, tmp_path, caplog):
    out = tmp_path / "out"
    build(settings_for(seeds, out), day=DAY, now=NOW)
    # Another process holds the database's write lock for longer than the cache waits.
    holder = sqlite3.connect(state_dir(out) / "digest.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="digest.store.cache"):
            build(settings_for(seeds, out), day=DAY, now=NOW.replace(hour=8))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "build cache unusable" in caplog.text
    assert "at 08:00" in (out / "digest-2026-11-21.txt").read_text(encoding="utf-8")


def test_cache_counts_nothing_when_disabled(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the out folder should be", encoding="utf-8")
    cache = BuildCache.open(blocker)
    assert not cache.enabled
    assert cache.file_items([], "UTC") == {} and cache.result("groups", "key") is None
    cache.store_result("groups", "key", [[0]])  # a no-op, not an error


def test_cli_no_cache_and_json_counts(seeds, tmp_path):
    out = tmp_path / "out"
    args = ["build", "--date", "2026-11-21", "--seeds", str(seeds), "--out", str(out), "--json"]
    first = run_digest(*args, "--no-cache")
    assert first.returncode == 3 or first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["cache"] == {} and not state_dir(out).exists()
    run_digest(*args)
    second = json.loads(run_digest(*args).stdout)
    assert second["cache"]["composed_hit"] == 1 and second["cache"]["files_hit"] > 0


def test_jobs_2_builds_the_same_digest_as_jobs_1(seeds, tmp_path):
    for jobs in ("1", "2"):
        done = run_digest("build", "--date", "2026-11-21", "--seeds", str(seeds), "--out", str(tmp_path / jobs),
                          "--jobs", jobs, "--no-cache", "-q")
        assert done.returncode == 0, done.stderr.decode()
    assert outputs(tmp_path / "1") == outputs(tmp_path / "2")


def test_jobs_2_summarizes_the_same_as_jobs_1(seeds):
    files = sorted(str(p) for p in seeds.iterdir() if p.suffix in (".txt", ".mbox"))
    runs = [run_digest("summarize", "--format", "json", "--jobs", jobs, *files) for jobs in ("1", "2")]
    for done in runs:
        assert done.returncode == 3, done.stderr.decode()  # empty.txt, and a mailbox message with no text
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr
    records = [json.loads(line) for line in runs[0].stdout.decode().splitlines()]
    assert len(records) >= 8 and len({r["group"] for r in records}) < len(records)  # the tram versions share one
