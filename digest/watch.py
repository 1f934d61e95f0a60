"""Noticing files in the seeds folder: events, scans, and when a file has settled.

The only module importing watchfiles. We chose it over watchdog after measuring both here
(benchmarks/arrival_latency.py measures the whole path): its Rust core delivers a burst of 1,000
renames as one batch (watchdog: 2,000 Python callbacks), it stops cleanly on an Event, and its
polling mode — for network file systems — kept working when the watched folder was deleted and
created again, which watchdog's poller did not. Its extra latency (tens of ms) is noise next to
the settle period.

Events only say *that* something changed; what changed is decided by ``scan_folder`` (one
``stat`` per file), so a missed or merged event costs at most a delay, never a wrong digest.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import watchfiles

from digest.errors import ArticleError
from digest.ingest import find_article_files, is_ignored_name
from digest.store.articles import FileSig

log = logging.getLogger("digest.watch")

#: How long to wait before watching again after the folder vanished or the watcher failed.
RETRY_SECONDS = 1.0


def scan_folder(folder: str | os.PathLike[str], patterns: Sequence[str]) -> dict[str, FileSig] | None:
    """Every article file under ``folder`` → its size and mtime; None when the folder is missing.

    Keys are paths relative to ``folder`` (``a/b.txt``), so state does not depend on the working
    directory or on where the folder is mounted.
    """
    try:
        paths = find_article_files(folder, patterns)
    except ArticleError:
        return None  # the folder is missing (or is a file): unknown, which is not the same as empty
    if not Path(folder).is_dir():
        return None  # it went away while we listed it (os.walk then quietly skips what it cannot list)
    found: dict[str, FileSig] = {}
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue  # gone between the walk and the stat: it will be seen (or not) next time
        found[path.relative_to(folder).as_posix()] = FileSig(st.st_size, st.st_mtime_ns)
    return found


class Settler:
    """Decides when a new or changed file may be read: once its size and mtime stopped changing.

    ``observe`` is called with what every scan sees; a version must be seen unchanged for
    ``settle`` seconds (by the monotonic clock the caller passes) before it is ready.
    """

    def __init__(self, settle: float):
        self.settle = settle
        self._pending: dict[str, tuple[FileSig, float]] = {}

    def observe(self, candidates: dict[str, FileSig], mono: float) -> tuple[list[str], float | None]:
        """Paths ready to read now, and the monotonic time when a pending one may become ready."""
        ready: list[str] = []
        for path in list(self._pending):
            if path not in candidates:
                del self._pending[path]  # deleted, or back to the version already processed
        for path, sig in candidates.items():
            seen = self._pending.get(path)
            if seen is None or seen[0] != sig:
                self._pending[path] = (sig, mono)
                seen = self._pending[path]
            if mono - seen[1] >= self.settle:
                ready.append(path)
        for path in ready:
            del self._pending[path]
        return sorted(ready), self.wake

    @property
    def wake(self) -> float | None:
        """The monotonic time at which the earliest pending file may have settled, or None."""
        return min((since + self.settle for _, since in self._pending.values()), default=None)

    def retry(self, path: str, sig: FileSig, mono: float) -> None:
        """Put a file back to settle again (it changed while we read it)."""
        self._pending[path] = (sig, mono)

    @property
    def pending(self) -> list[str]:
        """Paths waiting to settle."""
        return sorted(self._pending)


def _interesting(change: watchfiles.Change, path: str) -> bool:
    """Skip events that can never matter: editor swap files, temp files, hidden folders (quarantine)."""
    parts = Path(path).parts
    return not is_ignored_name(parts[-1]) and not any(p.startswith(".") for p in parts[-2:-1])


def _snapshot(folder: Path) -> dict[str, tuple[int, int]] | None:
    """Every file under ``folder`` (links followed, loops not) → size and mtime; None when it is gone."""
    try:
        paths = find_article_files(folder, ("*",))
    except ArticleError:
        return None
    found = {}
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        found[str(path)] = (st.st_size, st.st_mtime_ns)
    return found


def _poll_by_scanning(folder: Path, identity: int, on_change: Callable[[set[str]], None], stop: threading.Event,
                      interval: float) -> None:
    """Poll with digest's own folder walk until ``stop`` or the folder is replaced.

    For when watchfiles' poller cannot start: it refuses a folder holding a symlink loop (a
    link back to a parent), which our walk survives.
    """
    last = _snapshot(folder)
    while not stop.wait(interval):
        try:
            if folder.stat().st_ino != identity:
                return
        except OSError:
            return
        now = _snapshot(folder)
        if now != last:
            before, after = last or {}, now or {}
            last = now
            on_change({path for path in before.keys() | after.keys() if before.get(path) != after.get(path)})


def _links_a_folder(changes: set[tuple[watchfiles.Change, str]]) -> bool:
    """True when a change is a new symlink to a folder (a watcher only follows the links it started with)."""
    return any(change == watchfiles.Change.added and os.path.islink(path) and os.path.isdir(path)
               for change, path in changes)


def _undecodable_name(exc: Exception) -> bool:
    """True for watchfiles' error on an event for a file whose name is not UTF-8 (watchfiles 1.x)."""
    return "Unable to decode path" in str(exc)


def watch_folder(
    folder: str | os.PathLike[str],
    on_change: Callable[[set[str]], None],
    stop: threading.Event,
    *,
    polling: bool = False,
    poll_interval: float = 1.0,
) -> None:
    """Call ``on_change(paths)`` whenever files under ``folder`` change, until ``stop`` is set.

    Blocks (run it in a thread). Survives the folder disappearing or the watcher failing: it logs
    once, waits and starts again, and calls ``on_change`` after restarting so nothing is missed.
    When file-system events cannot be had at all (the per-user inotify limit is used up, say) it
    polls instead; when watchfiles' poller cannot start either (a symlink loop under the folder)
    it polls with digest's own walk. Symlinked folders are watched like the others; a link made
    while watching restarts the watcher, so that the folder it points to is watched too.
    """
    folder = Path(folder)
    reported = False
    scanning = False
    while not stop.is_set():
        started = False
        try:
            identity = folder.stat().st_ino
        except OSError:
            if not reported:
                log.warning("seeds folder %s is missing; waiting for it to appear", folder)
                reported = True
            stop.wait(RETRY_SECONDS)
            continue
        if reported:
            log.info("seeds folder %s is back", folder)
            reported = False
            on_change({str(folder)})
        if scanning:
            _poll_by_scanning(folder, identity, on_change, stop, poll_interval)
            if not stop.is_set():
                on_change({str(folder)})
            continue
        try:
            # yield_on_timeout: wake up every rust_timeout ms to check the folder is still the
            # same one (inotify watches die with a deleted folder).
            for changes in watchfiles.watch(
                folder,
                watch_filter=_interesting,
                debounce=1_000,
                step=30,
                stop_event=stop,
                rust_timeout=1_000,
                yield_on_timeout=True,
                force_polling=polling,
                poll_delay_ms=int(poll_interval * 1000),
                raise_interrupt=False,
            ):
                started = True
                if changes:
                    on_change({path for _, path in changes})
                    if _links_a_folder(changes):
                        break
                try:
                    if folder.stat().st_ino != identity:
                        break
                except OSError:
                    break
        except Exception as exc:  # noqa: BLE001 - the watcher must never take the daemon down
            if _undecodable_name(exc):
                # watchfiles stops at an event for a file whose name is not UTF-8 (it cannot make
                # a str of it). Such a file is read like any other: look (below) and watch again.
                log.debug("a file name that is not UTF-8 changed under %s; looking at the folder", folder)
                stop.wait(0.05)  # a file being rewritten would otherwise restart the watcher per write
            elif not started and not polling:
                log.warning("file-system events unavailable for %s (%s); polling every %g s instead",
                            folder, exc, poll_interval)
                polling = True
            elif not started and polling:
                log.warning("polling %s failed (%s); polling by listing the folder every %g s instead",
                            folder, exc, poll_interval)
                scanning = True
            else:
                log.warning("watching %s failed (%s); restarting", folder, exc)
                stop.wait(RETRY_SECONDS)
        if not stop.is_set():
            on_change({str(folder)})
