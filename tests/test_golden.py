"""The golden end-to-end test: a fixed seeds folder → exactly this digest.

When output changes on purpose (a template, the ranker), regenerate and review the diff:
    UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from digest.build import build
from digest.config import Settings

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "golden_seeds"
GOLDEN = HERE / "golden"
DAY = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 7, 0, tzinfo=dt.timezone.utc)
#: The one fixture without a date in its text gets this modification time.
MTIME = dt.datetime(2026, 11, 20, 18, 30, tzinfo=dt.timezone.utc).timestamp()


@pytest.fixture
def built(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(FIXTURE, seeds)
    for path in seeds.iterdir():
        os.utime(path, (MTIME, MTIME))
    settings = Settings().override("paths", seeds=str(seeds), out=str(tmp_path / "out"))
    return build(settings, day=DAY, now=NOW), tmp_path / "out"


@pytest.mark.parametrize("suffix", ["txt", "md", "html"])
def test_golden_digest(built, suffix):
    result, out = built
    produced = (out / f"digest-{DAY}.{suffix}").read_text(encoding="utf-8")
    golden = GOLDEN / f"digest-{DAY}.{suffix}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    assert golden.is_file(), f"{golden} missing: run with UPDATE_GOLDEN=1 once and review it"
    assert produced == golden.read_text(encoding="utf-8")


def test_golden_build_reports_the_empty_file(built):
    result, _ = built
    assert [(Path(s.path).name, s.reason) for s in result.skipped] == [("empty.txt", "empty file")]
    # newest first; same-day stories by title
    assert [(s.article.date.isoformat(), s.article.title) for s in result.digest.stories] == [
        ("2026-11-21", "Solar ferry completes first winter crossing"),
        ("2026-11-20", "Ardley's shared bicycle scheme recorded its busiest month in October"),
        ("2026-11-20", "Floating library opens on the River Wend"),
        ("2026-11-19", "Early frost leaves apple growers counting the cost"),
    ]
