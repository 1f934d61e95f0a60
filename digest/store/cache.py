"""The build cache: what a rebuild can reuse instead of recomputing.

Four kinds of entries, all in the state database of the out folder:

* **files**: the Articles (and Skipped parts) read from one file, keyed by its path, size,
  modification and change times (nanoseconds) and the timezone, so an unchanged file is not
  even opened;
* **summaries**: keyed by the article's content hash, the algorithm, the sentence count and the
  word budget;
* **groups** (versions of one story, ``digest.dedup``) keyed by the ordered content hashes of
  every article, and **composed** digests keyed by everything composing depends on: the latest
  few of each.

Everything also depends on digest's own code, so the database remembers the *fingerprint* it was
filled with (``code_fingerprint()``: a hash of every file of the package and of the versions of
the libraries that shape text or summaries) and empties itself when the code changes. Hashing
the whole package rather than chosen modules is simpler and cannot miss one: a new ranker (or
its tuned weights), a splitter fix or a cleaning rule all invalidate the cache, at the price of
a rebuild after any upgrade. Keys rest on one more fact: an article's text is a function of its
file's bytes and of the code, so the content hash stands for the text.

The cache is an optimisation and never a reason for a build to fail: any database problem
(corrupt file, locked for longer than ``BUSY_TIMEOUT`` seconds, disk full) is logged once as a
warning and the build carries on without it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.errors import StateError
from digest.models import Article, Sentence, Skipped, Summary
from digest.store import State

log = logging.getLogger(__name__)

#: Seconds to wait for another process's write before giving up on the cache for this build.
BUSY_TIMEOUT = 2.0
#: Grouping and composing results kept (each is one whole digest's worth).
KEEP_RESULTS = 4
#: Libraries whose version changes what is read from a file or how it is summarized.
_LIBRARIES = ("sumy", "nltk", "lxml", "readability-lxml", "numpy")

MIGRATIONS = [
    """
    CREATE TABLE cache_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE cache_files (
        file TEXT NOT NULL,
        part INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        ctime_ns INTEGER NOT NULL,
        context TEXT NOT NULL,
        path TEXT NOT NULL,
        title TEXT,
        body TEXT,
        date TEXT,
        date_source TEXT,
        source TEXT,
        place TEXT,
        author TEXT,
        url TEXT,
        content_hash TEXT,
        title_derived INTEGER,
        reason TEXT,
        PRIMARY KEY (file, part)
    );
    CREATE TABLE cache_summaries (
        content_hash TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        sentences INTEGER NOT NULL,
        words INTEGER NOT NULL,
        summary TEXT NOT NULL,
        PRIMARY KEY (algorithm, sentences, words, content_hash)
    );
    CREATE INDEX cache_summaries_by_hash ON cache_summaries (content_hash);
    CREATE TABLE cache_results (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        UNIQUE (kind, key)
    )
    """,
]

_TABLES = ("cache_files", "cache_summaries", "cache_results")


@functools.cache
def code_fingerprint() -> str:
    """The fingerprint of the running digest (see ``package_fingerprint``), computed once per process."""
    import digest

    return package_fingerprint(Path(digest.__file__).resolve().parent, digest.__version__)


def package_fingerprint(package: Path, version: str) -> str:
    """A hash of ``version``, every file under ``package`` (modules, and any data a ranker keeps
    beside them; not ``__pycache__``) and the versions of the libraries that shape digest's
    results. About a millisecond."""
    h = hashlib.sha256(f"digest {version}\n".encode())
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            h.update(f"{path.relative_to(package)}\n".encode())
            h.update(path.read_bytes())
    for name in _LIBRARIES:
        try:
            library = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            library = "-"
        h.update(f"{name} {library}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What says a file is unchanged: its path as given, size and modification/change times."""

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> FileStamp:
        """Stat ``path`` (raises OSError when it cannot)."""
        st = os.stat(path)
        return cls(str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _storable(text: str) -> bool:
    """False for text SQLite cannot store: a file name whose undecodable bytes Python keeps as surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def digest_key(*parts: Any) -> str:
    """A cache key: sha256 of the parts in canonical JSON."""
    return hashlib.sha256(json.dumps(parts, separators=(",", ":"), default=str).encode()).hexdigest()


class BuildCache:
    """The cache of one out folder. Counts its hits and misses per kind in ``stats``.

    Never raises for a database problem: the first one is logged and the cache turns itself off
    (every lookup then misses and every store is skipped).
    """

    def __init__(self, state: State | None):
        self.state = state
        self.stats: Counter[str] = Counter()

    @classmethod
    def open(cls, out_dir: str | os.PathLike[str]) -> BuildCache:
        """The cache in ``OUT/state``; a disabled one (with a logged warning) when unusable."""
        cache = cls(None)
        try:
            state = State.for_out_dir(out_dir, timeout=BUSY_TIMEOUT)
        except StateError as exc:
            cache._fail(exc)
            return cache
        cache.state = state
        cache._guard(cache._prepare)
        return cache

    @property
    def enabled(self) -> bool:
        """False once a database problem turned the cache off."""
        return self.state is not None

    def _fail(self, exc: BaseException) -> None:
        if self.state is None:
            log.warning("build cache unusable: %s; building without it", exc)
        else:
            log.warning("build cache unusable (%s: %s); building without it", self.state.path, exc)
        if self.state is not None:
            try:
                self.state.close()
            except sqlite3.Error:
                pass
        self.state = None

    def _guard(self, func: Any, *args: Any, default: Any = None) -> Any:
        if self.state is None:
            return default
        try:
            return func(*args)
        except (sqlite3.Error, StateError, ValueError, TypeError, KeyError, IndexError) as exc:
            # ValueError and friends: a row that does not decode (a damaged or foreign database).
            self._fail(exc)
            return default

    def _prepare(self) -> None:
        state = self.state
        assert state is not None
        state.migrate("cache", MIGRATIONS)
        fingerprint = code_fingerprint()
        row = state.connection.execute("SELECT value FROM cache_meta WHERE key = 'fingerprint'").fetchone()
        if row is None or row[0] != fingerprint:
            with state.transaction() as conn:
                for table in _TABLES:
                    conn.execute(f"DELETE FROM {table}")
                conn.execute("INSERT OR REPLACE INTO cache_meta (key, value) VALUES ('fingerprint', ?)", (fingerprint,))

    def _count(self, kind: str, hits: int, misses: int) -> None:
        for outcome, n in (("hit", hits), ("miss", misses)):
            if n:
                self.stats[f"{kind}_{outcome}"] += n

    def close(self) -> None:
        """Close the database connection."""
        if self.state is not None:
            self.state.close()
            self.state = None

    # --- files ---------------------------------------------------------------------------

    def file_items(self, stamps: Sequence[FileStamp], context: str) -> dict[str, list[Article | Skipped]]:
        """What each unchanged file held last time, by path; changed and new files are absent."""
        found = self._guard(self._file_items, stamps, context, default={})
        self._count("files", len(found), len(stamps) - len(found))
        return found

    def _file_items(self, stamps: Sequence[FileStamp], context: str) -> dict[str, list[Article | Skipped]]:
        wanted = {s.path: (s.size, s.mtime_ns, s.ctime_ns) for s in stamps}
        cursor = self.state.connection.cursor()  # type: ignore[union-attr]
        cursor.row_factory = None  # plain tuples: several times faster than sqlite3.Row for 10,000 rows
        rows = cursor.execute(
            "SELECT file, size, mtime_ns, ctime_ns, part, path, title, body, date, date_source, source, place,"
            " author, url, content_hash, title_derived, reason FROM cache_files WHERE context = ?",
            (context,),
        ).fetchall()
        parts: dict[str, list[tuple[int, Article | Skipped]]] = {}
        fromiso = dt.date.fromisoformat
        for (file, size, mtime_ns, ctime_ns, part, path, title, body, date, date_source, source, place, author,
             url, chash, derived, reason) in rows:
            if wanted.get(file) != (size, mtime_ns, ctime_ns):
                self.stats["files_stale"] += 1  # changed, deleted, or another seeds folder's
                continue
            item: Article | Skipped
            if reason is not None:
                item = Skipped(path, reason)
            else:
                item = Article(path, title, body, fromiso(date) if date else None, date_source, source, place,
                               author, url, chash, bool(derived))
            parts.setdefault(file, []).append((part, item))
        return {file: [item for _, item in sorted(items, key=lambda p: p[0])] for file, items in parts.items()}

    def store_files(self, entries: Iterable[tuple[FileStamp, Sequence[Article | Skipped]]], context: str) -> None:
        """Remember what each file held (replacing what it held before)."""
        self._guard(self._store_files, list(entries), context)

    def _store_files(self, entries: list[tuple[FileStamp, Sequence[Article | Skipped]]], context: str) -> None:
        # A file name that is not UTF-8 cannot be a SQLite text key: that file is just read every time.
        entries = [(stamp, items) for stamp, items in entries if _storable(stamp.path)]
        if not entries:
            return
        rows = []
        for stamp, items in entries:
            for part, item in enumerate(items):
                head = (stamp.path, part, stamp.size, stamp.mtime_ns, stamp.ctime_ns, context, item.path)
                if isinstance(item, Skipped):
                    rows.append((*head, None, None, None, None, None, None, None, None, None, None, item.reason))
                else:
                    rows.append((*head, item.title, item.body, item.date.isoformat() if item.date else None,
                                 item.date_source, item.source, item.place, item.author, item.url,
                                 item.content_hash, int(item.title_derived), None))
        with self.state.transaction() as conn:  # type: ignore[union-attr]
            conn.executemany("DELETE FROM cache_files WHERE file = ?", [(stamp.path,) for stamp, _ in entries])
            conn.executemany(f"INSERT INTO cache_files VALUES ({', '.join('?' * 18)})", rows)

    def forget_files_except(self, root: str, keep: Iterable[str]) -> None:
        """Drop the entries of files under the folder ``root`` that are not in ``keep`` (deleted files)."""
        self._guard(self._forget_files_except, root, set(keep))

    def _forget_files_except(self, root: str, keep: set[str]) -> None:
        if not _storable(root):
            return  # nothing under it was ever stored
        prefix = root.rstrip("/" + os.sep) + os.sep
        conn = self.state.connection  # type: ignore[union-attr]
        known = {row[0] for row in conn.execute("SELECT DISTINCT file FROM cache_files WHERE substr(file, 1, ?) = ?", (len(prefix), prefix))}
        gone = known - keep
        if gone:
            with self.state.transaction() as conn:  # type: ignore[union-attr]
                conn.executemany("DELETE FROM cache_files WHERE file = ?", [(f,) for f in gone])

    # --- summaries -----------------------------------------------------------------------

    def summaries(self, hashes: Sequence[str], algorithm: str, count: int, words: int) -> dict[str, Summary]:
        """The cached summaries of these content hashes with these settings, by hash."""
        found = self._guard(self._summaries, hashes, algorithm, count, words, default={})
        self._count("summaries", len(found), len(set(hashes)) - len(found))
        return found

    def summarized(self, hashes: Sequence[str], algorithm: str, count: int, words: int) -> set[str]:
        """Which of these content hashes have a cached summary with these settings: a cheap probe
        (nothing loaded, not counted in the statistics)."""
        return self._guard(self._summarized, list(dict.fromkeys(hashes)), algorithm, count, words, default=set())

    def _summarized(self, hashes: list[str], algorithm: str, count: int, words: int) -> set[str]:
        conn = self.state.connection  # type: ignore[union-attr]
        found: set[str] = set()
        for at in range(0, len(hashes), 500):  # SQLite's limit on parameters is 999 on old builds
            batch = hashes[at : at + 500]
            found.update(row[0] for row in conn.execute(
                "SELECT content_hash FROM cache_summaries WHERE algorithm = ? AND sentences = ? AND words = ?"
                f" AND content_hash IN ({', '.join('?' * len(batch))})",
                (algorithm, count, words, *batch),
            ))
        return found

    def _summaries(self, hashes: Sequence[str], algorithm: str, count: int, words: int) -> dict[str, Summary]:
        wanted = set(hashes)
        cursor = self.state.connection.cursor()  # type: ignore[union-attr]
        cursor.row_factory = None
        rows = cursor.execute(
            "SELECT content_hash, summary FROM cache_summaries WHERE algorithm = ? AND sentences = ? AND words = ?",
            (algorithm, count, words),
        ).fetchall()
        return {
            chash: Summary(algorithm, tuple(Sentence(text, index, score) for text, index, score in json.loads(data)))
            for chash, data in rows
            if chash in wanted
        }

    def forget_summaries_except(self, hashes: Iterable[str]) -> None:
        """Drop the summaries (whatever their settings) of articles no longer among ``hashes``."""
        self._guard(self._forget_summaries_except, set(hashes))

    def _forget_summaries_except(self, keep: set[str]) -> None:
        conn = self.state.connection  # type: ignore[union-attr]
        gone = {row[0] for row in conn.execute("SELECT DISTINCT content_hash FROM cache_summaries")} - keep
        if gone:
            with self.state.transaction() as conn:  # type: ignore[union-attr]
                conn.executemany("DELETE FROM cache_summaries WHERE content_hash = ?", [(h,) for h in gone])

    def store_summaries(self, items: Iterable[tuple[str, Summary]], count: int, words: int) -> None:
        """Remember summaries made with these settings, by content hash."""
        rows = [
            (chash, summary.algorithm, count, words,
             json.dumps([[s.text, s.index, s.score] for s in summary.sentences], ensure_ascii=False))
            for chash, summary in items
        ]
        if rows:
            self._guard(self._store_summaries, rows)

    def _store_summaries(self, rows: list[tuple[Any, ...]]) -> None:
        with self.state.transaction() as conn:  # type: ignore[union-attr]
            conn.executemany("INSERT OR REPLACE INTO cache_summaries VALUES (?, ?, ?, ?, ?)", rows)

    # --- grouping and composing results ------------------------------------------------------

    def result(self, kind: str, key: str) -> Any | None:
        """The JSON value stored under (``kind``, ``key``), or None."""
        row = self._guard(self._result, kind, key)
        self._count(kind, int(row is not None), int(row is None))
        return row

    def _result(self, kind: str, key: str) -> Any | None:
        row = self.state.connection.execute(  # type: ignore[union-attr]
            "SELECT value FROM cache_results WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def store_result(self, kind: str, key: str, value: Any) -> None:
        """Store a JSON value under (``kind``, ``key``), keeping the latest ``KEEP_RESULTS`` of that kind."""
        self._guard(self._store_result, kind, key, json.dumps(value, separators=(",", ":"), ensure_ascii=False))

    def _store_result(self, kind: str, key: str, value: str) -> None:
        with self.state.transaction() as conn:  # type: ignore[union-attr]
            conn.execute("DELETE FROM cache_results WHERE kind = ? AND key = ?", (kind, key))
            conn.execute("INSERT INTO cache_results (kind, key, value) VALUES (?, ?, ?)", (kind, key, value))
            conn.execute(
                "DELETE FROM cache_results WHERE kind = ? AND id NOT IN "
                "(SELECT id FROM cache_results WHERE kind = ? ORDER BY id DESC LIMIT ?)",
                (kind, kind, KEEP_RESULTS),
            )
