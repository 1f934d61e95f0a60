"""Symlinked folders in seeds/: followed by `digest build` and the daemon alike, each file once.

Real symlinks in temp folders. A user links a folder of newsletters into seeds/ and expects its
articles in the digest; a link back to a parent (a loop) or a second link to the same folder
must neither hang the walk nor list a file twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from pathlib import Path

import pytest

from textgen import article_text

from conftest import run_digest
from digest import ingest
from digest.arrivals import Arrivals
from digest.config import settings_from_mapping
from digest.store import State
from digest.store.articles import ArticleStore
from digest.watch import scan_folder, watch_folder

NOW = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.timezone.utc)


def linked_tree(base: Path) -> Path:
    """seeds/ with its own files, a folder linked in from outside (twice), and links that loop.

    seeds/
      real/a.txt, real/sub/s.txt, real/up -> ..            (a loop back to seeds/)
      linked -> ../newsletters, linked-again -> ../newsletters
      again -> real                                        (a folder of seeds/ linked inside it)
      alias.txt -> real/a.txt                              (a file linked inside seeds/)
      .hidden-link -> ../newsletters                       (hidden: ignored like hidden folders)
    newsletters/b.txt, newsletters/nested/c.txt, newsletters/nested/back -> ../../seeds
    """
    seeds = base / "seeds"
    letters = base / "newsletters"
    (seeds / "real" / "sub").mkdir(parents=True)
    (letters / "nested").mkdir(parents=True)
    for path, title in ((seeds / "real" / "a.txt", "Harbour wall"), (seeds / "real" / "sub" / "s.txt", "Tram depot"),
                        (letters / "b.txt", "Ferry timetable"), (letters / "nested" / "c.txt", "Orchard market")):
        path.write_text(article_text(title), encoding="utf-8")
    os.symlink("..", seeds / "real" / "up")
    os.symlink("../newsletters", seeds / "linked")
    os.symlink("../newsletters", seeds / "linked-again")
    os.symlink("real", seeds / "again")
    os.symlink("real/a.txt", seeds / "alias.txt")
    os.symlink("../newsletters", seeds / ".hidden-link")
    os.symlink("../../seeds", letters / "nested" / "back")
    return seeds


EXPECTED = ["linked/b.txt", "linked/nested/c.txt", "real/a.txt", "real/sub/s.txt"]


def test_linked_folders_are_followed_once_and_loops_end(tmp_path):
    seeds = linked_tree(tmp_path)
    paths = ingest.find_article_files(seeds)
    assert [p.relative_to(seeds).as_posix() for p in paths] == EXPECTED
    # Entered from the other side, the loop back into seeds/ is walked once, by its real files.
    letters = tmp_path / "newsletters"
    assert [p.relative_to(letters).as_posix() for p in ingest.find_article_files(letters)] == [
        "b.txt", "nested/back/real/a.txt", "nested/back/real/sub/s.txt", "nested/c.txt"]


def test_a_file_reached_by_two_paths_is_listed_by_its_own(tmp_path):
    seeds = tmp_path / "seeds"
    (seeds / "z-real").mkdir(parents=True)
    (seeds / "z-real" / "story.txt").write_text(article_text("Harbour wall"), encoding="utf-8")
    os.symlink("z-real", seeds / "a-link")  # sorts first, but is a link
    os.symlink("z-real/story.txt", seeds / "a-alias.txt")
    os.link(seeds / "z-real" / "story.txt", seeds / "z-real" / "z-hard.txt")  # the same file, a second name
    os.symlink("missing.txt", seeds / "dangling.txt")
    _, skipped = ingest.read_folder(seeds)
    paths = [p.relative_to(seeds).as_posix() for p in ingest.find_article_files(seeds)]
    assert paths == ["dangling.txt", "z-real/story.txt"]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [("dangling.txt", "no such file")]


def test_build_reads_linked_folders_once(tmp_path):
    seeds = linked_tree(tmp_path)
    out = tmp_path / "out"
    done = run_digest("build", "--date", "2026-11-21", "--seeds", str(seeds), "--out", str(out), "--json")
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    result = json.loads(done.stdout)
    assert result["stories"] == 4 and result["skipped"] == []
    text = (out / "digest-2026-11-21.txt").read_text(encoding="utf-8")
    for title in ("Harbour wall", "Tram depot", "Ferry timetable", "Orchard market"):
        assert text.count(f". {title}\n") == 1, title
    assert "sources" not in text  # no story is shown as several versions of itself


@pytest.fixture
def arrivals(tmp_path):
    seeds = linked_tree(tmp_path)
    state = State.for_out_dir(tmp_path / "out")
    settings = settings_from_mapping({"paths": {"seeds": str(seeds), "out": str(tmp_path / "out")},
                                      "watch": {"settle_seconds": 1.0}})
    yield seeds, Arrivals(settings, ArticleStore(state))
    state.close()


def test_the_daemon_reads_linked_folders_once_and_sees_arrivals_there(arrivals, tmp_path):
    seeds, watcher = arrivals
    assert sorted(scan_folder(seeds, ["*.txt"])) == EXPECTED
    watcher.step(now=NOW, mono=0.0)
    watcher.step(now=NOW, mono=2.0)
    chosen, _ = watcher.selected(NOW.date(), NOW)
    assert sorted(a.title for a in chosen) == ["Ferry timetable", "Harbour wall", "Orchard market", "Tram depot"]
    assert sorted(watcher.store.known()) == EXPECTED

    (tmp_path / "newsletters" / "d.txt").write_text(article_text("Lighthouse keeper"), encoding="utf-8")
    watcher.step(now=NOW, mono=3.0)
    result = watcher.step(now=NOW, mono=5.0)
    assert result.added == ("linked/d.txt",)
    chosen, _ = watcher.selected(NOW.date(), NOW)
    assert [a.title for a in chosen].count("Lighthouse keeper") == 1


def _watch(folder: Path, **kwargs) -> tuple[list[set[str]], threading.Event, threading.Thread]:
    seen: list[set[str]] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch_folder, args=(folder, seen.append, stop), kwargs=kwargs, daemon=True)
    thread.start()
    return seen, stop, thread


def _wait_for(seen: list[set[str]], name: str, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(path.endswith(name) for batch in list(seen) for path in batch):
            return True
        time.sleep(0.02)
    return False


def test_polling_a_folder_with_a_symlink_loop_still_reports_changes(tmp_path, caplog):
    # watchfiles' poller refuses a tree with a loop ("File system loop found") and used to fail
    # and restart every second for ever; digest's own walk survives the loop.
    caplog.set_level(logging.INFO, logger="digest")
    seeds = linked_tree(tmp_path)
    seen, stop, thread = _watch(seeds, polling=True, poll_interval=0.1)
    try:
        time.sleep(0.3)
        (tmp_path / "newsletters" / "e.txt").write_text(article_text("Quay repairs"), encoding="utf-8")
        assert _wait_for(seen, "e.txt"), seen
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert "restarting" not in caplog.text


def test_a_folder_linked_while_watching_is_watched_too(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    letters = tmp_path / "newsletters"
    letters.mkdir()
    seen, stop, thread = _watch(seeds)
    try:
        time.sleep(0.5)  # the watcher is up
        os.symlink(letters, seeds / "letters")
        assert _wait_for(seen, "letters")
        time.sleep(0.5)  # the watcher restarts, following the new link
        (letters / "f.txt").write_text(article_text("Bell tower"), encoding="utf-8")
        assert _wait_for(seen, "f.txt"), seen
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
