"""Arrivals, state and the lock, in-process: settling, quarantine, selection, restarts.

Real files in temp folders and a real state database; time is passed in (``now`` and a
monotonic ``mono``), so settle periods are exercised without sleeping.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from textgen import article_text

from conftest import run_digest
from digest import ingest
from digest.arrivals import Arrivals, Cancelled, selection_window
from digest.config import settings_from_mapping
from digest.errors import StateError
from digest.store import State
from digest.store.articles import ArticleStore, ScheduleRun
from digest.store.lock import DaemonLock, holder
from digest.watch import Settler, scan_folder

NOW = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.timezone.utc)


def text(title: str, n: int = 0) -> str:
    return article_text(title, n)


@pytest.fixture
def env(tmp_path):
    """Seeds and out folders, a state store, and a way to make Arrivals with given settings."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    state = State.for_out_dir(tmp_path / "out")
    store = ArticleStore(state)

    def arrivals(**sections) -> Arrivals:
        data = {"paths": {"seeds": str(seeds), "out": str(tmp_path / "out")}, "watch": {"settle_seconds": 1.0}}
        for name, values in sections.items():
            data[name] = data.get(name, {}) | values
        return Arrivals(settings_from_mapping(data), store)

    yield seeds, store, arrivals
    state.close()


def titles(arrivals: Arrivals, day: dt.date = NOW.date(), now: dt.datetime = NOW) -> list[str]:
    chosen, _ = arrivals.selected(day, now)
    return sorted(a.title for a in chosen)


def test_scan_keys_are_relative_and_skip_editor_and_temp_files(env):
    seeds, _, _ = env
    (seeds / "sub").mkdir()
    (seeds / "sub" / "a.txt").write_text("x", encoding="utf-8")
    (seeds / "b.md").write_text("x", encoding="utf-8")
    for name in (".b.md.swp", "b.md~", ".#b.md", "c.txt.part", "c.txt.tmp", "d.txt.crdownload", "notes.pdf"):
        (seeds / name).write_text("x", encoding="utf-8")
    (seeds / ".quarantine").mkdir()
    (seeds / ".quarantine" / "old.txt").write_text("x", encoding="utf-8")
    assert sorted(scan_folder(seeds, ["*.txt", "*.md"])) == ["b.md", "sub/a.txt"]
    assert scan_folder(seeds / "missing", ["*.txt"]) is None


def test_settler_waits_for_a_quiet_period():
    settler = Settler(1.0)
    from digest.store.articles import FileSig

    assert settler.observe({"a": FileSig(10, 1)}, mono=0.0) == ([], 1.0)
    assert settler.observe({"a": FileSig(20, 2)}, mono=0.8) == ([], 1.8)   # still growing: start again
    assert settler.observe({"a": FileSig(20, 2)}, mono=1.5) == ([], 1.8)
    assert settler.observe({"a": FileSig(20, 2)}, mono=1.8) == (["a"], None)
    assert settler.observe({}, mono=2.0) == ([], None)


def test_new_files_are_read_only_after_settling(env):
    seeds, store, make = env
    arrivals = make()
    (seeds / "library.txt").write_text(text("Floating library"), encoding="utf-8")
    first = arrivals.step(now=NOW, mono=0.0)
    assert not first.changed and first.pending == ("library.txt",) and first.wake == 1.0
    assert titles(arrivals) == []
    second = arrivals.step(now=NOW, mono=1.0)
    assert second.added == ("library.txt",) and second.changed
    assert titles(arrivals) == ["Floating library"]
    assert arrivals.step(now=NOW, mono=5.0).changed is False  # nothing new: no rebuild


def test_a_mailbox_arrives_as_every_story_it_holds(env):
    """One file, several articles: the daemon reads them all instead of quarantining the file."""
    import shutil
    from pathlib import Path

    seeds, store, make = env
    arrivals = make(input={"patterns": ["*.txt", "*.mbox"]})
    shutil.copy(Path(__file__).parent / "fixtures" / "formats" / "valley.mbox", seeds / "valley.mbox")
    arrivals.step(now=NOW, mono=0.0)
    result = arrivals.step(now=NOW, mono=1.0)
    assert result.added == ("valley.mbox",) and not result.quarantined
    from digest.ingest import read_file_articles

    expected = sorted(a.title for a in read_file_articles(seeds / "valley.mbox"))
    assert len(expected) >= 2 and "Snow ploughs on standby for the hill road" in expected
    assert titles(arrivals) == expected


def test_a_file_changed_while_being_read_settles_again(env, monkeypatch):
    seeds, _, make = env
    arrivals = make()
    path = seeds / "growing.txt"
    path.write_text(text("Growing file"), encoding="utf-8")
    arrivals.step(now=NOW, mono=0.0)
    real_read = arrivals._read

    def read_then_append(key):  # the writer adds a paragraph just as we read
        article = real_read(key)
        with open(path, "a", encoding="utf-8") as f:
            f.write("A late paragraph arrives.\n")
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
        return article

    monkeypatch.setattr(arrivals, "_read", read_then_append)
    result = arrivals.step(now=NOW, mono=1.0)
    assert result.added == () and result.pending == ("growing.txt",)
    monkeypatch.setattr(arrivals, "_read", real_read)
    assert arrivals.step(now=NOW, mono=2.0).added == ("growing.txt",)
    assert "late paragraph" in arrivals.articles["growing.txt"][0].body


def test_bad_file_is_quarantined_once_and_retried_when_fixed(env, caplog):
    seeds, store, make = env
    caplog.set_level(logging.INFO, logger="digest")
    arrivals = make()
    (seeds / "good.txt").write_text(text("Night market"), encoding="utf-8")
    bad = seeds / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02\x03 not text \x00")
    arrivals.step(now=NOW, mono=0.0)
    result = arrivals.step(now=NOW, mono=1.0)
    assert [(q.path, q.reason) for q in result.quarantined] == [("bad.txt", "binary file, not text")]
    assert titles(arrivals) == ["Night market"]
    chosen, skipped = arrivals.selected(NOW.date(), NOW)
    assert [(Path(s.path).name, s.reason) for s in skipped] == [("bad.txt", "binary file, not text")]
    for mono in (2.0, 3.0, 10.0):
        assert not arrivals.step(now=NOW, mono=mono).changed
    assert caplog.text.count(f"quarantined {bad}: binary file") == 1

    bad.write_text(text("Repaired article"), encoding="utf-8")
    arrivals.step(now=NOW, mono=11.0)
    fixed = arrivals.step(now=NOW, mono=12.0)
    assert fixed.updated == ("bad.txt",)
    assert store.quarantined() == []
    assert titles(arrivals) == ["Night market", "Repaired article"]


def test_quarantine_can_move_files_out_of_the_way(env):
    seeds, store, make = env
    arrivals = make(watch={"quarantine_move": True})
    (seeds / "sub").mkdir()
    (seeds / "sub" / "empty.txt").write_bytes(b"")
    arrivals.step(now=NOW, mono=0.0)
    arrivals.step(now=NOW, mono=1.0)
    assert not (seeds / "sub" / "empty.txt").exists()
    assert (seeds / ".quarantine" / "sub" / "empty.txt").exists()
    (entry,) = store.quarantined()
    assert (entry.path, entry.reason, entry.moved_to) == ("sub/empty.txt", "empty file", ".quarantine/sub/empty.txt")
    assert arrivals.selected(NOW.date(), NOW)[1] == []  # moved away: not listed as skipped in the digest
    assert not arrivals.step(now=NOW, mono=5.0).changed  # and not mistaken for a deletion


def test_removed_files_leave_the_digest_and_a_renamed_file_keeps_its_first_seen_time(env):
    seeds, store, make = env
    arrivals = make()
    (seeds / "a.txt").write_text(text("Harbour wall"), encoding="utf-8")
    (seeds / "b.txt").write_text(text("Tram depot"), encoding="utf-8")
    arrivals.step(now=NOW, mono=0.0)
    arrivals.step(now=NOW, mono=1.0)
    (seeds / "b.txt").unlink()
    assert arrivals.step(now=NOW, mono=2.0).removed == ("b.txt",)
    assert titles(arrivals) == ["Harbour wall"]

    # the next day, a.txt is renamed: same article, so still yesterday's arrival
    tomorrow = NOW + dt.timedelta(days=1)
    os.rename(seeds / "a.txt", seeds / "harbour.txt")
    arrivals.step(now=tomorrow, mono=3.0)
    arrivals.step(now=tomorrow, mono=4.0)
    assert titles(arrivals, tomorrow.date(), tomorrow) == []
    assert titles(arrivals) == ["Harbour wall"]


def test_same_text_under_two_names_is_one_story(env):
    seeds, _, make = env
    arrivals = make()
    (seeds / "one.txt").write_text(text("Bridge repairs"), encoding="utf-8")
    (seeds / "copy of one.txt").write_text(text("Bridge repairs"), encoding="utf-8")
    arrivals.step(now=NOW, mono=0.0)
    arrivals.step(now=NOW, mono=1.0)
    assert titles(arrivals) == ["Bridge repairs"]


def test_restart_loads_known_articles_without_settling_or_announcing(env, caplog):
    seeds, store, make = env
    (seeds / "a.txt").write_text(text("Harbour wall"), encoding="utf-8")
    (seeds / "bad.txt").write_bytes(b"")
    first = make()
    first.step(now=NOW, mono=0.0)
    first.step(now=NOW, mono=1.0)
    (seeds / "while-down.txt").write_text(text("Arrived while stopped"), encoding="utf-8")

    caplog.clear()
    caplog.set_level(logging.INFO, logger="digest")
    later = NOW + dt.timedelta(hours=2)
    restarted = make()
    result = restarted.step(now=later, mono=100.0)
    assert result.loaded == 1 and result.pending == ("while-down.txt",)
    assert titles(restarted) == ["Harbour wall"]
    restarted.step(now=later, mono=101.0)
    assert titles(restarted) == ["Arrived while stopped", "Harbour wall"]
    assert "a.txt" not in caplog.text and "bad.txt" not in caplog.text  # nothing re-announced
    assert "new article" in caplog.text and "while-down.txt" in caplog.text


def test_selection_modes(env):
    seeds, store, make = env
    yesterday = NOW - dt.timedelta(days=1)
    arrivals = make()
    (seeds / "old.txt").write_text(text("Yesterday's story"), encoding="utf-8")
    arrivals.step(now=yesterday, mono=0.0)
    arrivals.step(now=yesterday, mono=1.0)
    (seeds / "new.txt").write_text(text("Today's story"), encoding="utf-8")
    arrivals.step(now=NOW, mono=2.0)
    arrivals.step(now=NOW, mono=3.0)

    assert titles(arrivals) == ["Today's story"]                                     # arrived-today
    assert titles(make(schedule={"select": "last-hours", "hours": 30}), now=NOW) == []  # not loaded there
    last_hours = make(schedule={"select": "last-hours", "hours": 30})
    last_hours.step(now=NOW, mono=0.0)
    assert titles(last_hours) == ["Today's story", "Yesterday's story"]
    last_hours = make(schedule={"select": "last-hours", "hours": 12})
    last_hours.step(now=NOW, mono=0.0)
    assert titles(last_hours) == ["Today's story"]

    since = make(schedule={"select": "since-last-send"})
    since.step(now=NOW, mono=0.0)
    assert titles(since) == ["Today's story", "Yesterday's story"]  # nothing sent yet: everything
    cutoff = yesterday + dt.timedelta(hours=1)
    store.log_schedule_run(ScheduleRun(yesterday.date(), cutoff, cutoff, cutoff, "sent", "1 sent", True))
    assert selection_window(since.settings, store, NOW.date(), NOW) == (cutoff, None)
    assert titles(since) == ["Today's story"]
    # a failed send does not close the edition
    store.log_schedule_run(ScheduleRun(NOW.date(), NOW, NOW, NOW, "failed", "smtp down", False))
    assert titles(since, NOW.date() + dt.timedelta(days=1), NOW) == ["Today's story"]


def test_rebuild_writes_every_output_and_can_be_abandoned(env):
    seeds, _, make = env
    arrivals = make()
    (seeds / "a.txt").write_text(text("Harbour wall"), encoding="utf-8")
    arrivals.step(now=NOW, mono=0.0)
    arrivals.step(now=NOW, mono=1.0)
    out = Path(arrivals.settings.paths.out)
    with pytest.raises(Cancelled):
        arrivals.rebuild(day=NOW.date(), now=NOW, should_stop=lambda: True)
    assert not list(out.glob("digest-*")) and not list(out.glob(".*.tmp"))
    result = arrivals.rebuild(day=NOW.date(), now=NOW)
    assert sorted(p.name for p in result.written) == [
        "digest-2026-11-21.html", "digest-2026-11-21.md", "digest-2026-11-21.txt", "index.html", "latest.html"]
    assert "Harbour wall" in (out / "digest-2026-11-21.txt").read_text(encoding="utf-8")


def test_missing_seeds_folder_is_not_a_mass_deletion(env):
    seeds, store, make = env
    arrivals = make()
    (seeds / "a.txt").write_text(text("Harbour wall"), encoding="utf-8")
    arrivals.step(now=NOW, mono=0.0)
    arrivals.step(now=NOW, mono=1.0)
    os.rename(seeds, seeds.with_name("unmounted"))
    result = arrivals.step(now=NOW, mono=2.0)
    assert result.folder_missing and not result.changed
    assert store.counts()["ok"] == 1 and titles(arrivals) == ["Harbour wall"]


# -- the lock -----------------------------------------------------------------------------------


def test_lock_is_exclusive_and_released(tmp_path):
    folder = tmp_path / "state"
    with DaemonLock(folder) as lock:
        assert lock.stale_pid is None
        assert holder(folder) == os.getpid()
        with pytest.raises(StateError, match=rf"another `digest run` \(pid {os.getpid()}\) is already using"):
            DaemonLock(folder).acquire()
    assert not (folder / "daemon.lock").exists()
    assert holder(folder) is None


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    folder = tmp_path / "state"
    folder.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    (folder / "daemon.lock").write_text(f"{dead_pid}\n", encoding="ascii")
    assert holder(folder) is None
    with DaemonLock(folder) as lock:
        assert lock.stale_pid == dead_pid
        assert (folder / "daemon.lock").read_text(encoding="ascii").strip() == str(os.getpid())


# -- the watcher --------------------------------------------------------------------------------


def test_watcher_reports_changes_and_falls_back_to_polling(tmp_path, monkeypatch, caplog):
    """Without file-system events (inotify instances are a per-user limit) the watcher polls.

    The failure is simulated by making the events watcher raise as watchfiles does when that
    limit is reached ("Too many open files"): using the limit up for real would break every
    other process of this user on the machine.
    """
    import threading
    import time

    import watchfiles

    from digest import watch

    real_watch = watchfiles.watch
    modes: list[bool] = []

    def events_unavailable(*args, **kwargs):
        modes.append(kwargs["force_polling"])
        if not kwargs["force_polling"]:
            raise RuntimeError("Error creating recommended watcher: Too many open files (os error 24)")
        return real_watch(*args, **kwargs)

    monkeypatch.setattr(watch.watchfiles, "watch", events_unavailable)
    caplog.set_level(logging.INFO, logger="digest")
    seen: list[set[str]] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch.watch_folder, args=(tmp_path, seen.append, stop),
                              kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:  # the catch-up call after switching
            time.sleep(0.02)
        (tmp_path / "late.txt").write_text("x", encoding="utf-8")
        (tmp_path / ".late.txt.swp").write_text("x", encoding="utf-8")
        while not any(str(tmp_path / "late.txt") in batch for batch in seen) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(5)
    assert modes[:2] == [False, True]
    assert "file-system events unavailable" in caplog.text and "polling every 0.1 s instead" in caplog.text
    assert any(str(tmp_path / "late.txt") in batch for batch in seen)
    assert not any(".swp" in path for batch in seen for path in batch)
    assert not thread.is_alive()


def _non_utf8_file(folder: Path, content: str) -> Path:
    """A file whose name has a latin-1 byte (b'caf\\xe9.txt'), as old archives and SMB shares have."""
    raw = os.path.join(os.fsencode(folder), b"caf\xe9.txt")
    try:
        with open(raw, "w", encoding="utf-8") as handle:
            handle.write(content)
    except OSError:
        pytest.skip("this file system refuses file names that are not UTF-8")
    return Path(os.fsdecode(raw))


def test_a_file_name_that_is_not_utf8_is_read_like_any_other(env, caplog):
    # State keys files by name, and SQLite text cannot hold such a name: the daemon used to
    # ignore the file (and before that, crash). It is stored as the name's bytes instead.
    seeds, store, make = env
    caplog.set_level(logging.INFO, logger="digest")
    arrivals = make()
    (seeds / "good.txt").write_text(text("Night market"), encoding="utf-8")
    odd = _non_utf8_file(seeds, text("Latin-1 named"))
    arrivals.step(now=NOW, mono=0.0)
    result = arrivals.step(now=NOW, mono=1.0)
    assert sorted(result.added) == ["caf\udce9.txt", "good.txt"]
    assert titles(arrivals) == ["Latin-1 named", "Night market"]
    assert sorted(store.known()) == ["caf\udce9.txt", "good.txt"]
    assert f"new article {seeds}/caf\ufffd.txt" in caplog.text  # logged as `ls` shows it
    assert "not valid UTF-8" not in caplog.text
    # The article is named as `digest build` names it.
    (chosen,) = [a for a in arrivals.selected(NOW.date(), NOW)[0] if a.title == "Latin-1 named"]
    built = {a.title: a.path for a in ingest.read_folder(seeds)[0]}
    assert chosen.path == built["Latin-1 named"] == f"{seeds}/caf\ufffd.txt"
    for mono in (2.0, 3.0, 10.0):
        assert not arrivals.step(now=NOW, mono=mono).changed  # known: not read again

    caplog.clear()
    restarted = make()
    assert restarted.step(now=NOW, mono=20.0).loaded == 2  # a restart finds it in state, announces nothing
    assert titles(restarted) == ["Latin-1 named", "Night market"] and "new article" not in caplog.text

    odd.rename(seeds / "cafe.txt")  # a rename keeps its first-seen time (matched by content)
    later = NOW + dt.timedelta(hours=1)
    assert restarted.step(now=later, mono=21.0).removed == ("caf\udce9.txt",)
    assert restarted.step(now=later, mono=22.0).added == ("cafe.txt",)
    assert store.select_paths(NOW, NOW + dt.timedelta(minutes=1)) == ["cafe.txt", "good.txt"]
    assert titles(restarted) == ["Latin-1 named", "Night market"]


def test_a_bad_file_whose_name_is_not_utf8_is_quarantined_not_lost(env, caplog):
    seeds, store, make = env
    caplog.set_level(logging.INFO, logger="digest")
    arrivals = make(watch={"quarantine_move": True})
    raw = os.path.join(os.fsencode(seeds), b"caf\xe9.txt")
    try:
        with open(raw, "wb") as handle:
            handle.write(b"\x00\x01 binary \x00")
    except OSError:
        pytest.skip("this file system refuses file names that are not UTF-8")
    arrivals.step(now=NOW, mono=0.0)
    result = arrivals.step(now=NOW, mono=1.0)
    assert [(q.path, q.reason, q.moved_to) for q in result.quarantined] == [
        ("caf\udce9.txt", "binary file, not text", ".quarantine/caf\udce9.txt")]
    moved = os.path.join(os.fsencode(seeds), b".quarantine", b"caf\xe9.txt")
    with open(moved, "rb") as handle:
        assert handle.read() == b"\x00\x01 binary \x00"  # same name, same bytes: nothing lost
    assert [(q.path, q.moved_to) for q in store.quarantined()] == [("caf\udce9.txt", ".quarantine/caf\udce9.txt")]
    assert caplog.text.count(f"quarantined {seeds}/caf\ufffd.txt: binary file, not text; moved to "
                             f"{seeds}/.quarantine/caf\ufffd.txt") == 1
    assert not arrivals.step(now=NOW, mono=5.0).changed  # moved away: not mistaken for a deletion


def test_status_lists_pending_and_quarantined_files_whose_names_are_not_utf8(env):
    seeds, store, make = env
    out = seeds.parent / "out"
    _non_utf8_file(seeds, "")  # empty: quarantined in place
    arrivals = make()
    arrivals.step(now=NOW, mono=0.0)
    arrivals.step(now=NOW, mono=1.0)
    raw = os.path.join(os.fsencode(seeds), b"na\xefve.txt")
    with open(raw, "w", encoding="utf-8") as handle:  # not yet read: pending
        handle.write(text("Pending one"))
    args = ("status", "--seeds", str(seeds), "--out", str(out))
    shown = run_digest(*args)
    assert shown.returncode == 0 and shown.stderr == b"", shown.stderr
    lines = shown.stdout.decode("utf-8").splitlines()
    assert f"  pending: {seeds}/na\ufffdve.txt" in lines
    assert f"  {seeds}/caf\ufffd.txt: empty file" in lines
    report = json.loads(run_digest(*args, "--json").stdout)
    assert report["pending"] == [f"{seeds}/na\ufffdve.txt"]
    assert [q["path"] for q in report["quarantined"]] == [f"{seeds}/caf\ufffd.txt"]


@pytest.mark.parametrize("polling", [False, True])
def test_the_watcher_reports_a_file_whose_name_is_not_utf8_and_keeps_watching(tmp_path, caplog, polling):
    # watchfiles cannot make a str of such a name: it stops with an error ("Unable to decode
    # path"), which was logged as a failed watcher and followed by a second's pause.
    import threading
    import time

    from digest import watch

    caplog.set_level(logging.DEBUG, logger="digest")
    seen: list[set[str]] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch.watch_folder, args=(tmp_path, seen.append, stop),
                              kwargs={"polling": polling, "poll_interval": 0.1}, daemon=True)
    thread.start()

    def reported(name: str) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(path.endswith(name) for batch in list(seen) for path in batch):
                return True
            time.sleep(0.02)
        return False

    try:
        time.sleep(1.2)  # the watcher is up
        (tmp_path / "first.txt").write_text("x", encoding="utf-8")
        assert reported("first.txt")
        seen.clear()
        _non_utf8_file(tmp_path, "x")
        assert reported(str(tmp_path))  # the folder is to be looked at (the event itself could not be had)
        (tmp_path / "later.txt").write_text("x", encoding="utf-8")
        assert reported("later.txt")  # and watching goes on
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert "failed" not in caplog.text and "polling by listing" not in caplog.text, caplog.text
