"""``digest run``: keep the day's digest current as articles arrive, and build it on schedule.

Threads: the main thread runs APScheduler's BlockingScheduler (``digest.schedule``); a watcher
thread turns file-system events into ``notify()``; a worker thread looks at the folder at once
after the first change, waits for quiet while changes keep coming (debounce), wakes when a
pending file should have settled, and rebuilds when anything changed. Every look and rebuild
holds ``build_lock``, so the scheduled job and arrivals never build at the same time.
SIGINT/SIGTERM set ``stop``: watching ends, a rebuild in progress is abandoned before it writes
(or finishes its few milliseconds of atomic writes), and the process exits 0.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from digest import clock, schedule
from digest.arrivals import Arrivals, Cancelled, StepResult
from digest.build import BuildResult
from digest.config import Settings
from digest.errors import ArticleError, DigestError
from digest.store import DB_NAME, State, state_dir
from digest.store.articles import ArticleStore, BuildRecord
from digest.store.lock import DaemonLock
from digest.watch import watch_folder

log = logging.getLogger("digest.daemon")

#: However busy the folder, look at it at least this often (a file written slowly for minutes
#: keeps producing events; other files that settled meanwhile must not wait for it).
MAX_QUIET_WAIT = 2.0
#: A stop that takes longer than this (a hung mail server, say) ends the process the hard way.
STOP_TIMEOUT = 15.0


class Daemon:
    """The running daemon: arrivals worker, watcher, scheduler, and a clean stop."""

    def __init__(self, settings: Settings, store: ArticleStore, db_path: str | Path):
        self.settings = settings
        self.store = store
        self.db_path = Path(db_path)
        self.arrivals = Arrivals(settings, store)
        self.stop = threading.Event()
        self.build_lock = threading.Lock()
        self._cond = threading.Condition()
        self._dirty_since: float | None = None
        self._last_event = float("-inf")
        self._wake: float | None = None
        self._deferred_since: float | None = None
        self._leading = False
        self._scheduler = None
        self._finished = threading.Event()

    # -- events and looking ---------------------------------------------------------------------

    def notify(self, paths: set[str] | None = None) -> None:
        """Something in the seeds folder changed (or may have): look soon.

        ``paths`` (from the watcher) is only a hint: every look rescans the folder.
        """
        with self._cond:
            now = clock.monotonic()
            if self._dirty_since is None:
                self._dirty_since = now
                self._leading = now - self._last_event >= self.settings.watch.debounce_seconds
            self._last_event = now
            self._cond.notify()

    def step(self) -> StepResult:
        """Look at the folder once (caller holds ``build_lock``)."""
        result = self.arrivals.step(now=self.now(), mono=clock.monotonic())
        with self._cond:
            if result.wake is not None:
                self._wake = result.wake if self._wake is None else min(self._wake, result.wake)
            self._cond.notify()
        return result

    def now(self) -> dt.datetime:
        """The current time in the digest's timezone."""
        return clock.now(self.settings.digest.timezone)

    def rebuild(self, trigger: str, now: dt.datetime | None = None) -> BuildResult | None:
        """Rebuild today's digest (caller holds ``build_lock``); None if it failed or was abandoned."""
        now = now or self.now()
        day = now.date()
        started = clock.monotonic()
        log.info("rebuilding the digest for %s (%s)", day, trigger)
        try:
            result = self.arrivals.rebuild(day=day, now=now, should_stop=self.stop.is_set)
        except Cancelled:
            log.info("rebuild abandoned: stopping (nothing written)")
            return None
        except Exception as exc:  # noqa: BLE001 - one failed rebuild must not end the daemon
            if isinstance(exc, DigestError):
                log.error("rebuild failed: %s", exc)
            else:
                log.exception("rebuild failed: %s", exc)
            self._record(trigger, day, now, None, f"failed: {exc}")
            return None
        seconds = clock.monotonic() - started
        log.info("wrote %s: %d stories, %d skipped, in %.2f s", result.written[0].name,
                 len(result.digest.stories), len(result.skipped), seconds)
        self._record(trigger, day, now, result, "ok")
        return result

    def _record(self, trigger: str, day: dt.date, now: dt.datetime, result: BuildResult | None, outcome: str) -> None:
        try:
            self.store.log_build(BuildRecord(
                trigger=trigger, day=day, started_at=now, finished_at=self.now(),
                stories=len(result.digest.stories) if result else 0, skipped=len(result.skipped) if result else 0,
                result="ok" if result else "failed", detail=None if result else outcome,
            ))
        except DigestError as exc:
            log.error("could not record the build: %s", exc)

    # -- threads --------------------------------------------------------------------------------

    def _due(self) -> float | None:
        """When the worker should look next (monotonic), or None to wait for an event."""
        times = []
        if self._dirty_since is not None:
            debounce = self.settings.watch.debounce_seconds
            if self._leading:
                # The first change after a quiet spell: look at once, so a file's settle period
                # starts now rather than after the debounce.
                times.append(self._dirty_since)
            else:
                # Changes keep coming (a burst, a slow writer): wait for quiet, within bounds.
                times.append(min(self._last_event + debounce, self._dirty_since + max(MAX_QUIET_WAIT, debounce)))
        if self._wake is not None:
            times.append(self._wake)
        return min(times, default=None)

    def _work(self) -> None:
        """Arrivals worker: wait for quiet (or a settle time), look, rebuild when something changed."""
        while True:
            with self._cond:
                while not self.stop.is_set():
                    due, mono = self._due(), clock.monotonic()
                    if due is not None and mono >= due:
                        break
                    self._cond.wait(None if due is None else due - mono)
                if self.stop.is_set():
                    return
                self._dirty_since = self._wake = None
            with self.build_lock:
                if self.stop.is_set():
                    return
                try:
                    result = self.step()
                    if result.changed or self._deferred_since is not None:
                        if self._defer(result):
                            continue
                        self._deferred_since = None
                        self.rebuild("arrival")
                except Exception as exc:  # noqa: BLE001 - e.g. the state database busy: retry soon
                    log.error("looking at the seeds folder failed: %s; retrying", exc)
                    with self._cond:
                        self._wake = clock.monotonic() + 1.0

    def _defer(self, result: StepResult) -> bool:
        """Hold a rebuild back while other files are about to settle (a rename, a burst), within bounds.

        A rename is a removal (no settling needed) plus a new file (settling): rebuilding at once
        would publish a digest missing the article for a second. So while files are pending we
        wait for them — for at most one settle period plus ``MAX_QUIET_WAIT``.
        """
        if not result.pending:
            return False
        mono = clock.monotonic()
        if self._deferred_since is None:
            self._deferred_since = mono
        return mono - self._deferred_since < self.settings.watch.settle_seconds + MAX_QUIET_WAIT

    def _watch(self) -> None:
        watch = self.settings.watch
        watch_folder(self.settings.paths.seeds, self.notify, self.stop,
                     polling=watch.polling, poll_interval=watch.poll_interval_seconds)

    def prime(self) -> None:
        """On start: load what is known, let new files settle once, and build so the digest is current."""
        with self.build_lock:
            first = self.step()
        counts = self.store.counts()
        log.info("%d articles known, %d quarantined; %d new or changed file(s) settling",
                 counts["ok"], counts["quarantined"], len(first.pending))
        if first.pending and first.wake is not None:
            self.stop.wait(max(0.0, first.wake - clock.monotonic()))
            if self.stop.is_set():
                return
            with self.build_lock:
                self.step()
        with self.build_lock:
            self.rebuild("start")

    def run(self) -> None:
        """Run until ``request_stop``: initial build, then watcher, worker and scheduler."""
        schedule.register_daemon(self)
        threads = []
        try:
            self.prime()
            if self.stop.is_set():
                return
            for target, name in ((self._watch, "digest-watch"), (self._work, "digest-arrivals")):
                thread = threading.Thread(target=target, name=name, daemon=True)
                thread.start()
                threads.append(thread)
            watch = self.settings.watch
            how = f"polling every {watch.poll_interval_seconds:g} s" if watch.polling else "file-system events"
            log.info("watching %s (%s; settle %g s, debounce %g s)", self.settings.paths.seeds, how,
                     watch.settle_seconds, watch.debounce_seconds)
            self._scheduler = schedule.build_scheduler(self.settings, self.db_path, rescan=self.notify)
            if not self.stop.is_set():
                schedule.run_scheduler(self._scheduler)
        finally:
            self.stop.set()
            with self._cond:
                self._cond.notify_all()
            for thread in threads:
                thread.join(timeout=STOP_TIMEOUT)
            schedule.register_daemon(self, running=False)
            self._finished.set()

    def request_stop(self, reason: str) -> None:
        """Stop everything (called from the signal thread); returns once the scheduler has stopped."""
        if self.stop.is_set():
            return
        log.info("%s received: stopping", reason)
        self.stop.set()
        with self._cond:
            self._cond.notify_all()
        timer = threading.Timer(STOP_TIMEOUT, self._stop_took_too_long)
        timer.daemon = True
        timer.start()
        while not self._finished.wait(0.05):
            if self._scheduler is not None and schedule.stop_scheduler(self._scheduler):
                break

    def _stop_took_too_long(self) -> None:
        if not self._finished.is_set():
            log.error("could not stop cleanly within %g s; exiting", STOP_TIMEOUT)
            logging.shutdown()
            os._exit(1)


class _StopOnSignals:
    """Route SIGINT/SIGTERM to a callback on a thread of its own.

    The Python-level handler does nothing; the interpreter writes the signal number to a pipe
    (``signal.set_wakeup_fd``) that our thread reads. So no lock is ever taken inside a signal
    handler (which could deadlock against the interrupted main thread).
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, callback: Callable[[str], None]):
        self.callback = callback

    def __enter__(self) -> _StopOnSignals:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._old_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._old = {s: signal.signal(s, lambda *_: None) for s in self.SIGNALS}
        threading.Thread(target=self._listen, name="digest-signals", daemon=True).start()
        return self

    def _listen(self) -> None:
        while True:
            try:
                data = os.read(self._read, 64)
            except OSError:
                return
            if not data:
                return
            for number in data:
                if number in self.SIGNALS:
                    self.callback(signal.Signals(number).name)

    def __exit__(self, *exc: object) -> None:
        signal.set_wakeup_fd(self._old_fd)
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        os.close(self._write)
        os.close(self._read)


def run_daemon(settings: Settings) -> None:
    """Run ``digest run`` in the foreground until SIGINT/SIGTERM (then return normally).

    Raises StateError when another daemon uses the same state folder, ArticleError when the
    seeds folder does not exist.
    """
    seeds = Path(settings.paths.seeds)
    if not seeds.is_dir():
        raise ArticleError(str(seeds), "seeds folder not found" if not seeds.exists() else "not a folder")
    folder = state_dir(settings.paths.out)
    with DaemonLock(folder) as lock:
        if lock.stale_pid:
            log.info("took over the lock of pid %d, which is no longer running", lock.stale_pid)
        with State(folder / DB_NAME) as state:
            daemon = Daemon(settings, ArticleStore(state), state.path)
            log.info("digest run started (pid %d); state in %s", os.getpid(), folder)
            with _StopOnSignals(daemon.request_stop):
                daemon.run()
            log.info("stopped")


def _when(moment: dt.datetime | None, tz: str) -> str | None:
    return moment.astimezone(clock.now(tz).tzinfo).isoformat(timespec="seconds") if moment else None


def daemon_status(settings: Settings, now: dt.datetime) -> dict:
    """What ``digest status`` reports: daemon, next scheduled runs, last build, pending and quarantined files.

    Read-only: it never takes the daemon's lock and never creates the state database.
    """
    from digest.arrivals import selection_window
    from digest.ingest import display_name
    from digest.store.lock import holder
    from digest.watch import scan_folder

    tz = settings.digest.timezone
    folder = state_dir(settings.paths.out)
    db_path = folder / DB_NAME
    stored = schedule.stored_next_run(settings, db_path) if settings.schedule.cron else None
    runs = schedule.upcoming(settings, stored - dt.timedelta(microseconds=1) if stored else now)
    pid = holder(folder)
    report: dict = {
        "seeds": str(settings.paths.seeds),
        "out": str(settings.paths.out),
        "state": str(db_path),
        "daemon": {"running": pid is not None, "pid": pid if pid and pid > 0 else None},
        "schedule": {
            "cron": settings.schedule.cron or None,
            "timezone": schedule.schedule_timezone(settings),
            "send": settings.schedule.send,
            "select": settings.schedule.select,
            "next_runs": [_when(t, schedule.schedule_timezone(settings)) for t in runs],
        },
        "last_build": None,
        "last_scheduled_run": None,
        "articles": {"ok": 0, "quarantined": 0, "removed": 0, "pending": 0, "in_todays_digest": 0},
        "pending": [],
        "quarantined": [],
    }
    seeds = Path(settings.paths.seeds)
    current = scan_folder(seeds, settings.input.patterns)
    report["seeds_missing"] = current is None  # a folder not found (or not a folder) has no pending files
    if not db_path.is_file():
        report["pending"] = [display_name(seeds / key) for key in sorted(current or {})]
        report["articles"]["pending"] = len(report["pending"])
        return report
    with State(db_path) as state:
        store = ArticleStore(state)
        known = store.known()
        pending = sorted(p for p, sig in (current or {}).items()
                         if p not in known or known[p].sig != sig or known[p].moved_to)
        since, until = selection_window(settings, store, now.date(), now)
        report["articles"] = store.counts() | {
            "pending": len(pending), "in_todays_digest": store.count_selected(since, until),
        }
        report["pending"] = [display_name(seeds / key) for key in pending]
        report["quarantined"] = [
            {"path": display_name(seeds / q.path), "reason": q.reason, "since": _when(q.since, tz),
             "moved_to": display_name(seeds / q.moved_to) if q.moved_to else None}
            for q in store.quarantined()
        ]
        if (build := store.last_build()) is not None:
            report["last_build"] = {
                "trigger": build.trigger, "day": build.day.isoformat(), "started_at": _when(build.started_at, tz),
                "finished_at": _when(build.finished_at, tz), "stories": build.stories, "skipped": build.skipped,
                "result": build.result, "detail": build.detail,
            }
        if runs_done := store.schedule_runs():
            last = runs_done[-1]
            report["last_scheduled_run"] = {
                "day": last.day.isoformat(), "fired_at": _when(last.fired_at, tz), "result": last.result,
                "detail": last.detail, "count": len(runs_done),
            }
    return report
