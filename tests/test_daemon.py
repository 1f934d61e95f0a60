"""`digest run` as a real subprocess on temp folders, driven the way a user's files would drive it.

Short settle/debounce values come from the config file so the suite stays fast; every wait
polls for the digest on disk (or a log line) with a deadline rather than sleeping.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import pytest

from textgen import article_text

from conftest import ROOT, run_digest

SETTLE = 0.4
CONFIG = f"""
[digest]
timezone = "UTC"
[paths]
seeds = "seeds"
out = "out"
[schedule]
cron = "{{cron}}"
timezone = "{{tz}}"
log_file = "daemon.log"
[watch]
settle_seconds = {SETTLE}
debounce_seconds = 0.1
rescan_seconds = {{rescan}}
polling = {{polling}}
poll_interval_seconds = {{poll}}
"""


def article(title: str, n: int = 0) -> str:
    return article_text(title, n)


def wait_until(condition: Callable[[], object], timeout: float, what: str, log: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    if not condition():
        pytest.fail(f"timed out after {timeout} s waiting for {what}\n--- daemon log ---\n{log()}")


class DigestRun:
    """One `digest run` subprocess in ``folder`` (which holds digest.toml, seeds/ and out/)."""

    def __init__(self, folder: Path, name: str = "run"):
        self.folder = folder
        self.log_path = folder / f"{name}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DIGEST_CONFIG", None)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "digest", "--config", "digest.toml", "run"],
                cwd=folder, stdout=subprocess.DEVNULL, stderr=log, env=env,
            )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, pattern: str, timeout: float = 10, count: int = 1) -> None:
        wait_until(lambda: len(re.findall(pattern, self.log())) >= count or self.proc.poll() is not None,
                   timeout, f"log line {pattern!r}", self.log)
        assert len(re.findall(pattern, self.log())) >= count, f"daemon exited early:\n{self.log()}"

    def stop(self, timeout: float = 5, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"digest run did not stop within {timeout} s of SIGTERM\n{self.log()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def site(tmp_path):
    """A folder with digest.toml, seeds/ and a helper to start daemons there (killed at the end)."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "stage").mkdir()
    started: list[DigestRun] = []

    def configure(cron: str = "", tz: str = "", polling: bool = False, poll: float = 0.2, rescan: float = 30) -> None:
        text = CONFIG.replace("{cron}", cron).replace("{tz}", tz).replace("{polling}", str(polling).lower())
        text = text.replace("{poll}", str(poll)).replace("{rescan}", str(rescan))
        (tmp_path / "digest.toml").write_text(text, encoding="utf-8")

    def start(name: str = "run") -> DigestRun:
        run = DigestRun(tmp_path, name)
        started.append(run)
        return run

    configure()
    yield tmp_path, configure, start
    for run in started:
        run.kill()


def arrive(folder: Path, name: str, content: str | bytes) -> None:
    """Write the file elsewhere, then rename it into seeds/ (how finished files should arrive)."""
    staged = folder / "stage" / name
    staged.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    os.replace(staged, folder / "seeds" / name)


def digest_text(folder: Path) -> str:
    files = sorted((folder / "out").glob("digest-*.txt"))
    return files[-1].read_text(encoding="utf-8") if files else ""


def story_count(folder: Path, title: str) -> int:
    return len(re.findall(rf"^\d+\. {re.escape(title)}$", digest_text(folder), flags=re.M))


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in (folder / "out").rglob("*") if p.name.endswith(".tmp")]


def test_daemon_follows_the_seeds_folder_and_restarts_cleanly(site):
    folder, _, start = site
    seeds = folder / "seeds"
    (seeds / "a.txt").write_text(article("Harbour wall"), encoding="utf-8")
    (seeds / "b.txt").write_text(article("Tram depot"), encoding="utf-8")
    run = start()
    has = lambda title: lambda: story_count(folder, title) == 1  # noqa: E731
    wait_until(lambda: has("Harbour wall")() and has("Tram depot")(), 15, "the first build", run.log)

    # a file arrives
    arrive(folder, "c.txt", article("Ferry timetable"))
    wait_until(has("Ferry timetable"), 10, "the new article in the digest", run.log)

    # a file written slowly, in pauses shorter than the settle period, is read once, whole
    slow = seeds / "slow.txt"
    with open(slow, "w", encoding="utf-8") as f:
        f.write(article("Slow arrival"))
        for i in range(6):
            f.flush()
            time.sleep(SETTLE / 3)
            f.write(f"Paragraph {i} of a long report that is still being written.\n\n")
    wait_until(has("Slow arrival"), 10, "the slowly written article", run.log)
    assert run.log().count("slow.txt") == 1, run.log()  # "new article": never read half-way, then again
    with sqlite3.connect(folder / "out" / "state" / "digest.sqlite3") as db:
        assert db.execute("SELECT size FROM articles WHERE path = 'slow.txt'").fetchone()[0] == slow.stat().st_size

    # a binary file is quarantined, logged once; the digest keeps every good article
    arrive(folder, "bin.txt", b"\x00\x01\x02\x03\xff\xfe binary \x00\x00")
    run.wait_log(r"quarantined seeds/bin\.txt: binary file, not text")
    wait_until(lambda: "1 input skipped" in digest_text(folder), 5, "the skipped note", run.log)
    assert all(story_count(folder, t) == 1 for t in ("Harbour wall", "Tram depot", "Ferry timetable", "Slow arrival"))

    # editor swap files, backups and partial downloads are ignored
    for name in (".c.txt.swp", "c.txt~", ".#c.txt", "d.txt.part", "e.txt.tmp", "f.txt.crdownload"):
        (seeds / name).write_text(article("Swap content"), encoding="utf-8")
    arrive(folder, "marker.txt", article("Marker story"))
    wait_until(has("Marker story"), 10, "the marker article", run.log)
    assert "Swap content" not in digest_text(folder)
    assert not re.search(r"swp|c\.txt~|\.#c|\.part|e\.txt\.tmp|crdownload", run.log()), run.log()

    # a deleted file leaves the digest
    (seeds / "b.txt").unlink()
    wait_until(lambda: story_count(folder, "Tram depot") == 0, 10, "the deleted article to go", run.log)

    # fixing the bad file (new mtime) retries it
    (seeds / "bin.txt").write_text(article("Repaired story"), encoding="utf-8")
    wait_until(has("Repaired story"), 10, "the repaired article", run.log)
    assert run.log().count("quarantined seeds/bin.txt") == 1

    # status while running
    status = run_digest("--config", "digest.toml", "status", "--json", cwd=folder)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["daemon"] == {"running": True, "pid": run.proc.pid}
    assert report["quarantined"] == [] and report["pending"] == []
    assert report["last_build"]["result"] == "ok" and report["last_build"]["trigger"] == "arrival"
    assert report["articles"]["in_todays_digest"] == 5

    # a second daemon on the same out folder refuses at once
    second = run_digest("--config", "digest.toml", "run", cwd=folder, timeout=30)
    assert second.returncode == 5
    assert second.stderr.decode().strip() == (
        f"digest: error: another `digest run` (pid {run.proc.pid}) is already using out/state")

    assert run.stop() == 0
    assert not (folder / "out" / "state" / "daemon.lock").exists()
    assert leftovers(folder) == []

    # while it is down: one article arrives, one bad file appears
    arrive(folder, "g.txt", article("Arrived while down"))
    (seeds / "empty.txt").write_bytes(b"")

    again = start("again")
    wait_until(has("Arrived while down"), 15, "the article that arrived while down", again.log)
    again.wait_log(r"quarantined seeds/empty\.txt: empty file")
    for title in ("Harbour wall", "Ferry timetable", "Slow arrival", "Marker story", "Repaired story"):
        assert story_count(folder, title) == 1, title  # nothing lost, nothing twice
    new_lines = re.findall(r"new article (\S+)", again.log())
    assert new_lines == ["seeds/g.txt"]  # nothing re-announced
    assert again.stop() == 0

    third = start("third")
    third.wait_log("watching seeds")
    assert third.stop(sig=signal.SIGINT) == 0
    assert "SIGINT received: stopping" in third.log()
    assert "empty.txt" not in third.log() and "new article" not in third.log()
    # everything went to the configured log file too, all three runs
    assert (folder / "daemon.log").read_text(encoding="utf-8").count("digest run started") == 3


@pytest.mark.parametrize("polling", [False, True], ids=["events", "polling"])
def test_a_replaced_seeds_folder_is_followed(site, polling):
    """The seeds folder moved away and a new one put in its place (a remount, a sync tool)."""
    folder, configure, start = site
    configure(polling=polling)
    seeds = folder / "seeds"
    (seeds / "a.txt").write_text(article("Harbour wall"), encoding="utf-8")
    run = start()
    wait_until(lambda: story_count(folder, "Harbour wall") == 1, 15, "the first build", run.log)
    arrive(folder, "b.txt", article("Tram depot"))
    wait_until(lambda: story_count(folder, "Tram depot") == 1, 10, "an arrival", run.log)

    os.rename(seeds, folder / "seeds.old")
    run.wait_log("seeds folder seeds is missing")
    assert story_count(folder, "Harbour wall") == 1  # a missing folder is not "everything deleted"
    fresh = folder / "stage" / "seeds"
    fresh.mkdir()
    (fresh / "c.txt").write_text(article("Ferry timetable"), encoding="utf-8")
    os.rename(fresh, seeds)
    wait_until(lambda: story_count(folder, "Ferry timetable") == 1 and story_count(folder, "Harbour wall") == 0,
               10, "the digest of the new folder", run.log)
    assert run.stop() == 0


def test_the_periodic_rescan_catches_what_the_watcher_missed(site):
    # A poller that looks once an hour stands in for a watcher that lost an event.
    folder, configure, start = site
    configure(polling=True, poll=3600, rescan=0.5)
    run = start()
    run.wait_log("watching seeds")
    arrive(folder, "a.txt", article("Harbour wall"))
    wait_until(lambda: story_count(folder, "Harbour wall") == 1, 10, "the rescan to find the file", run.log)
    assert run.stop() == 0


def test_burst_is_coalesced_and_sigterm_during_a_rebuild_leaves_no_partial_files(site):
    folder, _, start = site
    run = start()
    run.wait_log("watching seeds")
    for i in range(400):
        (folder / "stage" / f"burst-{i:04d}.txt").write_text(article(f"Burst story {i}", i), encoding="utf-8")
    for i in range(400):
        os.replace(folder / "stage" / f"burst-{i:04d}.txt", folder / "seeds" / f"burst-{i:04d}.txt")
    run.wait_log(r"wrote digest-\S+: 400 stories", timeout=20)
    assert len(re.findall(r"rebuilding the digest for \S+ \(arrival\)", run.log())) <= 3  # not 400

    # a second, bigger burst; stop while its rebuild runs
    for i in range(400, 1200):
        (folder / "stage" / f"burst-{i:04d}.txt").write_text(article(f"Burst story {i}", i), encoding="utf-8")
    for i in range(400, 1200):
        os.replace(folder / "stage" / f"burst-{i:04d}.txt", folder / "seeds" / f"burst-{i:04d}.txt")
    run.wait_log(r"rebuilding the digest for \S+ \(arrival\)", count=2, timeout=20)
    stopped_at = time.monotonic()
    assert run.stop(timeout=5) == 0
    assert time.monotonic() - stopped_at < 5
    log = run.log()
    assert "SIGTERM received: stopping" in log and "stopped" in log

    assert leftovers(folder) == []
    text = digest_text(folder)
    assert re.search(r"· (400|1,?200) stories", text), text[-300:]  # the old digest or the new one, whole
    html = (folder / "out" / "latest.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    if "rebuild abandoned" in log:
        assert "· 400 stories" in text


def test_scheduled_digest_fires_once_across_a_restart_in_the_configured_timezone(site):
    folder, configure, start = site
    tz = zoneinfo.ZoneInfo("America/St_Johns")  # UTC-03:30: wrong by hours if UTC were used
    (folder / "seeds" / "a.txt").write_text(article("Harbour wall"), encoding="utf-8")
    for attempt in range(3):
        fire = dt.datetime.now(tz).replace(microsecond=0) + dt.timedelta(seconds=6)
        configure(cron=f"{fire.second} {fire.minute} {fire.hour} * * *", tz="America/St_Johns")
        first = start(f"first-{attempt}")
        first.wait_log(r"scheduled digest .*next run ", timeout=20)
        assert first.stop() == 0  # stopped before it is due: the job stays in the job store
        if f"next run {fire.isoformat()}" in first.log():
            break
        # this machine is so busy that the daemon came up after the fire time: try a later one
    else:
        pytest.fail("the daemon never started within 6 s")

    second = start("second")
    second.wait_log(r"delivery not configured", timeout=15)
    wait_until(lambda: dt.datetime.now(tz) > fire + dt.timedelta(seconds=1), 5, "the fire time to pass")
    time.sleep(0.5)  # a duplicated job would have fired at the same second
    status = json.loads(run_digest("--config", "digest.toml", "status", "--json", cwd=folder).stdout)
    assert second.stop() == 0

    assert second.log().count("delivery not configured") == 1
    assert status["last_scheduled_run"]["count"] == 1 and status["last_scheduled_run"]["result"] == "built"
    assert status["schedule"]["next_runs"][0] == (fire + dt.timedelta(days=1)).isoformat()
    assert status["schedule"]["timezone"] == "America/St_Johns"
    with sqlite3.connect(folder / "out" / "state" / "digest.sqlite3") as db:
        assert db.execute("SELECT id FROM apscheduler_jobs").fetchall() == [("scheduled-digest",)]
        assert db.execute("SELECT trigger FROM builds ORDER BY id").fetchall()[-1] == ("schedule",)


def test_status_without_a_daemon(site):
    folder, configure, _ = site
    configure(cron="0 7 * * 1-5", tz="Europe/Paris")
    (folder / "seeds" / "a.txt").write_text(article("Harbour wall"), encoding="utf-8")
    done = run_digest("--config", "digest.toml", "status", "--json", cwd=folder)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["daemon"] == {"running": False, "pid": None}
    assert report["pending"] == ["seeds/a.txt"] and report["articles"]["pending"] == 1
    assert report["last_build"] is None and report["quarantined"] == []
    runs = [dt.datetime.fromisoformat(r) for r in report["schedule"]["next_runs"]]
    assert len(runs) == 3 and all(r.hour == 7 and r.weekday() < 5 and r.utcoffset() in
                                  (dt.timedelta(hours=1), dt.timedelta(hours=2)) for r in runs)
    assert not (folder / "out").exists()  # status creates nothing
    text = run_digest("--config", "digest.toml", "status", cwd=folder)
    assert text.returncode == 0
    assert "daemon: not running" in text.stdout.decode() and "pending: seeds/a.txt" in text.stdout.decode()


def test_run_with_a_missing_seeds_folder_is_one_line(tmp_path):
    done = run_digest("run", "--seeds", str(tmp_path / "nothing"), "--out", str(tmp_path / "out"), timeout=30)
    assert done.returncode == 3
    assert done.stderr.decode().strip() == f"digest: error: {tmp_path / 'nothing'}: seeds folder not found"


def test_a_file_whose_name_is_not_utf8_arrives_like_any_other(site):
    # The daemon used to ignore it ("rename the file"); `digest build` always read it.
    folder, _, start = site
    staged = os.path.join(os.fsencode(folder / "stage"), b"caf\xe9.txt")
    try:
        with open(staged, "w", encoding="utf-8") as handle:
            handle.write(article("Latin-1 named"))
    except OSError:
        pytest.skip("this file system refuses file names that are not UTF-8")
    run = start()
    run.wait_log("watching seeds")
    os.replace(staged, os.path.join(os.fsencode(folder / "seeds"), b"caf\xe9.txt"))
    wait_until(lambda: story_count(folder, "Latin-1 named") == 1, 10, "the article in the digest", run.log)
    run.wait_log("new article seeds/caf\ufffd.txt")
    assert run.stop() == 0
    assert "failed" not in run.log() and "Traceback" not in run.log(), run.log()
    built = run_digest("build", "--seeds", "seeds", "--out", "built", "--json", cwd=folder)
    assert built.returncode == 0 and json.loads(built.stdout)["stories"] == 1
