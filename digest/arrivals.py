"""The daemon's view of the seeds folder: which files settled, were read or quarantined, and rebuilds.

``Arrivals.step`` scans the folder, reads the files that have settled, quarantines those that
cannot be read, notices removals and records all of it in state (paths relative to the seeds
folder, so state survives a change of working directory); ``Arrivals.rebuild`` writes the
day's digest from the articles selected by first-seen time. The articles are the versions read
when each file settled (kept in memory), so a file being rewritten is never re-read half-way by
a rebuild that another file triggered. No clock, no threads here: callers pass ``now`` and
``mono`` and serialise calls (``digest.schedule`` holds a lock).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from digest import ingest, output, render
from digest.build import BuildResult, make_digest
from digest.config import Settings
from digest.errors import ArticleError
from digest.models import Article, Skipped
from digest.store.articles import Accepted, ArticleStore, FileSig, Outcome, Quarantined, Removed
from digest.watch import Settler, scan_folder

log = logging.getLogger("digest.arrivals")

QUARANTINE_DIR = ".quarantine"


def file_hash(articles: tuple[Article, ...]) -> str:
    """One identity for a file's articles: the article's own hash, or a hash of all of them."""
    if len(articles) == 1:
        return articles[0].content_hash
    return hashlib.sha256("\n".join(a.content_hash for a in articles).encode("ascii")).hexdigest()


class Cancelled(Exception):
    """A rebuild was abandoned because the daemon is stopping; nothing was written."""


@dataclass(frozen=True)
class StepResult:
    """What one look at the seeds folder changed."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    quarantined: tuple[Quarantined, ...] = ()
    pending: tuple[str, ...] = ()
    #: Monotonic time at which a pending file may have settled (look again then), or None.
    wake: float | None = None
    folder_missing: bool = False
    loaded: int = 0

    @property
    def changed(self) -> bool:
        """True when the digest's inputs changed (a rebuild is due)."""
        return bool(self.added or self.updated or self.removed or self.quarantined or self.loaded)


@dataclass
class _Batch:
    outcomes: list[Outcome] = field(default_factory=list)
    articles: dict[str, tuple[Article, ...]] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)


def selection_window(
    settings: Settings, store: ArticleStore, day: dt.date, now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first-seen range ``[since, until)`` of the articles in ``day``'s digest (see [schedule] select)."""
    mode = settings.schedule.select
    if mode == "last-hours":
        return now - dt.timedelta(hours=settings.schedule.hours), None
    if mode == "since-last-send":
        return store.last_edition_before(day), None
    tz = zoneinfo.ZoneInfo(settings.digest.timezone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


class Arrivals:
    """Tracks the seeds folder for the daemon and rebuilds the day's digest from what arrived."""

    def __init__(self, settings: Settings, store: ArticleStore):
        self.settings = settings
        self.store = store
        self.seeds = Path(settings.paths.seeds)
        self.settler = Settler(settings.watch.settle_seconds)
        # One file can hold several articles (a mailbox, a multi-story newsletter).
        self._articles: dict[str, tuple[Article, ...]] = {}
        self._missing_reported = False

    @property
    def articles(self) -> dict[str, tuple[Article, ...]]:
        """Path → the settled articles of every readable file (a copy)."""
        return dict(self._articles)

    def step(self, *, now: dt.datetime, mono: float) -> StepResult:
        """Look at the folder once: read settled files, quarantine bad ones, note removals."""
        current = scan_folder(self.seeds, self.settings.input.patterns)
        if current is None:
            # Never treat a vanished folder (an unmounted share, a moved directory) as "every
            # article deleted": keep the digest as it is and wait.
            if not self._missing_reported:
                log.warning("seeds folder %s is missing; keeping the current digest", self.seeds)
                self._missing_reported = True
            return StepResult(folder_missing=True)
        self._missing_reported = False
        known = self.store.known()
        batch = _Batch()
        loaded = self._load_unchanged(current, known, batch)

        removed = [p for p, k in known.items() if p not in current and not k.moved_to]
        for path in removed:
            self._articles.pop(path, None)
            batch.outcomes.append(Removed(path))

        candidates = {
            p: sig for p, sig in current.items()
            if p not in known or known[p].sig != sig or known[p].moved_to
        }
        ready, _ = self.settler.observe(candidates, mono)
        for path in ready:
            self._read_settled(path, current[path], known.get(path), batch, mono)
        wake = self.settler.wake  # after reading: a file written to meanwhile is pending again

        self.store.apply(batch.outcomes, now)
        self._articles.update(batch.articles)
        for key in batch.added:
            log.info("new article %s", self.shown(key))
        for key in batch.updated:
            log.info("updated article %s", self.shown(key))
        for key in removed:
            log.info("removed %s", self.shown(key))
        for item in batch.quarantined:
            where = f"; moved to {self.shown(item.moved_to)}" if item.moved_to else ""
            log.warning("quarantined %s: %s%s", self.shown(item.path), item.reason, where)
        return StepResult(
            added=tuple(batch.added), updated=tuple(batch.updated), removed=tuple(removed),
            quarantined=tuple(batch.quarantined), pending=tuple(self.settler.pending), wake=wake, loaded=loaded,
        )

    def file(self, key: str) -> str:
        """The file of a state key (a path relative to the seeds folder)."""
        return str(self.seeds / key)

    def shown(self, key: str) -> str:
        """The file of a state key as text for logs and pages: a name that is not UTF-8 shows U+FFFD
        for its odd bytes, as ``ls`` does (and as ``digest build`` names it)."""
        return ingest.display_name(self.file(key))

    def _load_unchanged(self, current: dict[str, FileSig], known: dict, batch: _Batch) -> int:
        """Read known, unchanged articles not yet in memory (after a restart): no settling, no fanfare."""
        loaded = 0
        for key, sig in current.items():
            k = known.get(key)
            if k is None or k.sig != sig or k.status != "ok" or key in self._articles:
                continue
            try:
                batch.articles[key] = self._read(key)
                loaded += 1
            except ArticleError as exc:
                item = self._quarantine(key, sig, exc.reason)
                batch.outcomes.append(item)
                batch.quarantined.append(item)
        return loaded

    def _read(self, key: str) -> tuple[Article, ...]:
        """Read and parse one file's articles; any failure — even a parser bug on odd input — is an ArticleError."""
        path = self.file(key)
        try:
            return tuple(ingest.read_file_articles(
                path, timezone=self.settings.digest.timezone, max_bytes=self._max_bytes()
            ))
        except ArticleError:
            raise
        except Exception as exc:  # noqa: BLE001 - one strange file must not stop the daemon
            raise ArticleError(ingest.display_name(path), f"could not be parsed ({type(exc).__name__}: {exc})") from None

    def _read_settled(self, key: str, sig: FileSig, known, batch: _Batch, mono: float) -> None:
        try:
            articles = self._read(key)
        except ArticleError as exc:
            if exc.reason == "no such file":
                return  # deleted since the scan; the next scan handles it
            item = self._quarantine(key, sig, exc.reason)
            batch.outcomes.append(item)
            batch.quarantined.append(item)
            self._articles.pop(key, None)
            return
        try:
            st = os.stat(self.file(key))
            after = FileSig(st.st_size, st.st_mtime_ns)
        except OSError:
            return
        if after != sig:
            self.settler.retry(key, after, mono)  # written to while we read: settle again
            return
        batch.articles[key] = articles
        batch.outcomes.append(Accepted(key, sig, file_hash(articles)))
        (batch.updated if known is not None and not known.moved_to else batch.added).append(key)

    def _quarantine(self, key: str, sig: FileSig, reason: str) -> Quarantined:
        moved_to = self._move_to_quarantine(key) if self.settings.watch.quarantine_move else None
        return Quarantined(key, sig, reason, moved_to)

    def _move_to_quarantine(self, key: str) -> str | None:
        source = self.seeds / key
        relative = Path(key)
        target = self.seeds / QUARANTINE_DIR / relative
        n = 1
        while target.exists():
            target = target.with_name(f"{relative.stem}.{n}{relative.suffix}")
            n += 1
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        except OSError as exc:
            log.warning("could not move %s to %s: %s", ingest.display_name(source), ingest.display_name(target),
                        exc.strerror or exc)
            return None
        return target.relative_to(self.seeds).as_posix()

    def _max_bytes(self) -> int:
        return int(self.settings.input.max_file_mb * 1_000_000)

    def selected(self, day: dt.date, now: dt.datetime) -> tuple[list[Article], list[Skipped]]:
        """The articles of ``day``'s digest (one per distinct content) and the files quarantined in seeds/."""
        since, until = selection_window(self.settings, self.store, day, now)
        chosen: list[Article] = []
        hashes: set[str] = set()
        for key in self.store.select_paths(since, until):
            for article in self._articles.get(key, ()):  # nothing when not read in this run yet
                if article.content_hash in hashes:
                    continue  # the same text under another name
                hashes.add(article.content_hash)
                chosen.append(article)
        skipped = [Skipped(self.shown(q.path), q.reason) for q in self.store.quarantined() if not q.moved_to]
        return chosen, skipped

    def rebuild(
        self, *, day: dt.date, now: dt.datetime, should_stop: Callable[[], bool] = lambda: False
    ) -> BuildResult:
        """Write ``day``'s digest (every format, latest.html, index.html) from the selected articles.

        Raises Cancelled, having written nothing, when ``should_stop()`` turns true before writing.
        """
        articles, skipped = self.selected(day, now)

        def progress(_: int) -> None:
            if should_stop():
                raise Cancelled()

        digest, rendered = make_digest(articles, self.settings, day=day, now=now, skipped=skipped, progress=progress)
        if should_stop():
            raise Cancelled()
        # From here on we finish: five atomic writes take milliseconds.
        out = Path(self.settings.paths.out)
        written = output.write_digest(out, day, rendered)
        index_html = render.render_index(output.archive_entries(out), self.settings.digest.title)
        written.append(output.write_atomic(out / "index.html", index_html))
        return BuildResult(digest, rendered, tuple(written), tuple(skipped))
