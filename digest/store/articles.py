"""State of the ``digest run`` daemon: every article file seen, quarantined files, builds and scheduled runs.

``articles`` has one row per path ever seen in the seeds folder: the version last processed (size,
mtime, content hash), when digest first saw the article, and its status — ``ok``, ``quarantined``
(with the reason, and where it was moved if it was) or ``removed``. A day's digest is chosen by
first-seen time, so the table is what makes restarts lose nothing and announce nothing twice.

Paths are the names the file system gives, as Python holds them: a name that is not UTF-8 keeps
its odd bytes as lone surrogates, which SQLite's UTF-8 text cannot hold. Such a path is stored
as a BLOB of its bytes instead (a BLOB never equals a TEXT, so no other name can collide with
it) and read back as the same ``str``: the daemon handles that file like any other.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass

from digest.store import State

ARTICLES_MIGRATIONS = [
    """
    CREATE TABLE articles (
        path TEXT PRIMARY KEY,
        content_hash TEXT,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'quarantined', 'removed')),
        reason TEXT,
        moved_to TEXT
    );
    CREATE INDEX articles_first_seen ON articles (status, first_seen);
    CREATE INDEX articles_content_hash ON articles (content_hash);
    CREATE TABLE builds (
        id INTEGER PRIMARY KEY,
        trigger TEXT NOT NULL,
        day TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        stories INTEGER NOT NULL,
        skipped INTEGER NOT NULL,
        result TEXT NOT NULL,
        detail TEXT
    );
    CREATE TABLE schedule_runs (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        fired_at TEXT NOT NULL,
        cutoff TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        result TEXT NOT NULL,
        detail TEXT,
        closes_edition INTEGER NOT NULL
    )
    """,
]

#: Rows of ``builds`` kept; older ones are pruned (a busy day rebuilds often).
BUILDS_KEPT = 500


def _iso(moment: dt.datetime) -> str:
    """Aware datetime → ISO text in UTC, so text order is time order."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def _from_iso(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _stored(path: str | None) -> str | bytes | None:
    """A path as a database value: text, or its bytes when it is not UTF-8 (see the module docstring)."""
    if path is None:
        return None
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def _loaded(value: str | bytes | None) -> str | None:
    """A path from the database, as it was given to ``_stored``."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


@dataclass(frozen=True, slots=True)
class FileSig:
    """What a file looks like from outside: a change of either means a new version."""

    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class Known:
    """The last processed version of a path, as recorded."""

    path: str
    sig: FileSig
    status: str
    moved_to: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """A file read successfully."""

    path: str
    sig: FileSig
    content_hash: str


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A file that could not be read, why, and where it was moved (if it was)."""

    path: str
    sig: FileSig
    reason: str
    moved_to: str | None = None
    since: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Removed:
    """A file that is no longer in the seeds folder."""

    path: str


Outcome = Accepted | Quarantined | Removed


@dataclass(frozen=True, slots=True)
class BuildRecord:
    """One rebuild of a digest by the daemon."""

    trigger: str
    day: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime
    stories: int
    skipped: int
    result: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleRun:
    """One run of the scheduled job: built, then sent / built only / failed.

    ``cutoff`` is when its articles were chosen: those first seen later belong to the next edition.
    """

    day: dt.date
    fired_at: dt.datetime
    cutoff: dt.datetime
    finished_at: dt.datetime
    result: str
    detail: str | None
    closes_edition: bool


class ArticleStore:
    """The daemon's tables in the state database."""

    def __init__(self, state: State):
        self.state = state
        state.migrate("articles", ARTICLES_MIGRATIONS)

    # -- articles -------------------------------------------------------------------------------

    def known(self) -> dict[str, Known]:
        """Every path not marked removed → its last processed version."""
        rows = self.state.connection.execute(
            "SELECT path, size, mtime_ns, status, moved_to FROM articles WHERE status != 'removed'"
        ).fetchall()
        known = (Known(_loaded(r["path"]), FileSig(r["size"], r["mtime_ns"]), r["status"], _loaded(r["moved_to"]))
                 for r in rows)
        return {k.path: k for k in known}

    def apply(self, outcomes: Iterable[Outcome], now: dt.datetime) -> dict[str, dt.datetime]:
        """Record what happened to each file, in one transaction; return first-seen times of accepted files.

        A path keeps its first-seen time across edits and quarantine; a new path whose content was
        seen before (a file renamed or copied within the folder) inherits the earliest first-seen
        time of that content, so it is not a new arrival.
        """
        stamp = _iso(now)
        first_seen: dict[str, dt.datetime] = {}
        with self.state.transaction() as conn:
            for item in outcomes:
                path = _stored(item.path)
                if isinstance(item, Removed):
                    conn.execute(
                        "UPDATE articles SET status = 'removed', updated_at = ? WHERE path = ?", (stamp, path)
                    )
                    continue
                row = conn.execute("SELECT first_seen, status FROM articles WHERE path = ?", (path,)).fetchone()
                seen = row["first_seen"] if row and row["status"] != "removed" else None
                if isinstance(item, Accepted):
                    if seen is None:
                        earlier = conn.execute(
                            "SELECT MIN(first_seen) FROM articles WHERE content_hash = ? AND status != 'quarantined'",
                            (item.content_hash,),
                        ).fetchone()[0]
                        seen = earlier or stamp
                    conn.execute(
                        "INSERT INTO articles (path, content_hash, size, mtime_ns, first_seen, updated_at, status)"
                        " VALUES (?, ?, ?, ?, ?, ?, 'ok') ON CONFLICT(path) DO UPDATE SET"
                        " content_hash = excluded.content_hash, size = excluded.size, mtime_ns = excluded.mtime_ns,"
                        " first_seen = excluded.first_seen, updated_at = excluded.updated_at, status = 'ok',"
                        " reason = NULL, moved_to = NULL",
                        (path, item.content_hash, item.sig.size, item.sig.mtime_ns, seen, stamp),
                    )
                    first_seen[item.path] = dt.datetime.fromisoformat(seen)
                else:
                    conn.execute(
                        "INSERT INTO articles (path, content_hash, size, mtime_ns, first_seen, updated_at, status,"
                        " reason, moved_to) VALUES (?, NULL, ?, ?, ?, ?, 'quarantined', ?, ?)"
                        " ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,"
                        " first_seen = excluded.first_seen, updated_at = excluded.updated_at, status = 'quarantined',"
                        " reason = excluded.reason, moved_to = excluded.moved_to",
                        (path, item.sig.size, item.sig.mtime_ns, seen or stamp, stamp, item.reason, _stored(item.moved_to)),
                    )
        return first_seen

    def select_paths(self, since: dt.datetime | None, until: dt.datetime | None) -> list[str]:
        """Paths of readable articles first seen in ``[since, until)`` (either end open when None)."""
        query = "SELECT path FROM articles WHERE status = 'ok'"
        params: list[str] = []
        if since is not None:
            query += " AND first_seen >= ?"
            params.append(_iso(since))
        if until is not None:
            query += " AND first_seen < ?"
            params.append(_iso(until))
        return [_loaded(r["path"]) for r in self.state.connection.execute(query + " ORDER BY first_seen, path", params)]

    def count_selected(self, since: dt.datetime | None, until: dt.datetime | None) -> int:
        """How many distinct articles ``select_paths`` would give (same text under two names counts once)."""
        query = "SELECT COUNT(DISTINCT content_hash) FROM articles WHERE status = 'ok'"
        params: list[str] = []
        if since is not None:
            query += " AND first_seen >= ?"
            params.append(_iso(since))
        if until is not None:
            query += " AND first_seen < ?"
            params.append(_iso(until))
        return self.state.connection.execute(query, params).fetchone()[0]

    def quarantined(self) -> list[Quarantined]:
        """Files that could not be read, with the reason, oldest first."""
        rows = self.state.connection.execute(
            "SELECT path, size, mtime_ns, reason, moved_to, updated_at FROM articles"
            " WHERE status = 'quarantined' ORDER BY updated_at, path"
        ).fetchall()
        return [
            Quarantined(_loaded(r["path"]), FileSig(r["size"], r["mtime_ns"]), r["reason"], _loaded(r["moved_to"]),
                        _from_iso(r["updated_at"]))
            for r in rows
        ]

    def counts(self) -> dict[str, int]:
        """Number of paths by status."""
        rows = self.state.connection.execute("SELECT status, COUNT(*) AS n FROM articles GROUP BY status")
        return {"ok": 0, "quarantined": 0, "removed": 0} | {r["status"]: r["n"] for r in rows}

    # -- builds and scheduled runs --------------------------------------------------------------

    def log_build(self, record: BuildRecord) -> None:
        """Remember one rebuild (and forget all but the latest ``BUILDS_KEPT``)."""
        with self.state.transaction() as conn:
            conn.execute(
                "INSERT INTO builds (trigger, day, started_at, finished_at, stories, skipped, result, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.trigger, record.day.isoformat(), _iso(record.started_at), _iso(record.finished_at),
                 record.stories, record.skipped, record.result, record.detail),
            )
            conn.execute("DELETE FROM builds WHERE id <= (SELECT MAX(id) FROM builds) - ?", (BUILDS_KEPT,))

    def last_build(self) -> BuildRecord | None:
        """The most recent rebuild, or None."""
        r = self.state.connection.execute("SELECT * FROM builds ORDER BY id DESC LIMIT 1").fetchone()
        if r is None:
            return None
        return BuildRecord(r["trigger"], dt.date.fromisoformat(r["day"]), _from_iso(r["started_at"]),
                           _from_iso(r["finished_at"]), r["stories"], r["skipped"], r["result"], r["detail"])

    def builds_count(self, trigger: str | None = None) -> int:
        """How many rebuilds are on record (of one trigger, or all)."""
        if trigger is None:
            return self.state.connection.execute("SELECT COUNT(*) FROM builds").fetchone()[0]
        return self.state.connection.execute("SELECT COUNT(*) FROM builds WHERE trigger = ?", (trigger,)).fetchone()[0]

    def log_schedule_run(self, run: ScheduleRun) -> None:
        """Remember one run of the scheduled job."""
        with self.state.transaction() as conn:
            conn.execute(
                "INSERT INTO schedule_runs (day, fired_at, cutoff, finished_at, result, detail, closes_edition)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run.day.isoformat(), _iso(run.fired_at), _iso(run.cutoff), _iso(run.finished_at), run.result, run.detail,
                 int(run.closes_edition)),
            )

    def schedule_runs(self) -> list[ScheduleRun]:
        """Every run of the scheduled job, oldest first."""
        rows = self.state.connection.execute("SELECT * FROM schedule_runs ORDER BY id").fetchall()
        return [ScheduleRun(dt.date.fromisoformat(r["day"]), _from_iso(r["fired_at"]), _from_iso(r["cutoff"]),
                            _from_iso(r["finished_at"]),
                            r["result"], r["detail"], bool(r["closes_edition"])) for r in rows]

    def last_edition_before(self, day: dt.date) -> dt.datetime | None:
        """The cutoff of the latest scheduled digest for a day before ``day`` that went out (or was built, sending off)."""
        row = self.state.connection.execute(
            "SELECT MAX(cutoff) FROM schedule_runs WHERE closes_edition = 1 AND day < ?", (day.isoformat(),)
        ).fetchone()
        return _from_iso(row[0]) if row and row[0] else None
