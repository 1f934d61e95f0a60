"""What ``digest fetch`` remembers: items already saved (by GUID and URL) and each feed's validators.

The validators (ETag, Last-Modified) make the next download of an unchanged feed a cheap
``304 Not Modified``; the item keys make a second fetch save nothing twice.
"""

from __future__ import annotations

import datetime as dt

from digest.store import State

MIGRATIONS = [
    """
    CREATE TABLE fetched_items (
        key TEXT PRIMARY KEY,
        url TEXT,
        feed_url TEXT NOT NULL,
        path TEXT NOT NULL,
        fetched_at TEXT NOT NULL
    );
    CREATE INDEX fetched_items_by_url ON fetched_items (url);
    CREATE TABLE fetched_feeds (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        checked_at TEXT NOT NULL
    )
    """,
]


class FetchedStore:
    """Items fetched and feed validators, in the state database of an out folder."""

    def __init__(self, state: State):
        self.state = state
        state.migrate("fetched", MIGRATIONS)

    def is_fetched(self, *keys: str | None) -> bool:
        """True when any of ``keys`` (GUID, link) was saved before, as a key or as a URL."""
        wanted = [k for k in keys if k]
        if not wanted:
            return False
        marks = ", ".join("?" for _ in wanted)
        row = self.state.connection.execute(
            f"SELECT 1 FROM fetched_items WHERE key IN ({marks}) OR url IN ({marks}) LIMIT 1", wanted + wanted
        ).fetchone()
        return row is not None

    def record(self, key: str, url: str | None, feed_url: str, path: str, when: dt.datetime) -> None:
        """Remember that the item ``key`` (its GUID, else its link) was saved to ``path``."""
        with self.state.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO fetched_items (key, url, feed_url, path, fetched_at) VALUES (?, ?, ?, ?, ?)",
                (key, url, feed_url, path, when.isoformat()),
            )

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) sent by ``url`` last time, for a conditional GET."""
        row = self.state.connection.execute(
            "SELECT etag, last_modified FROM fetched_feeds WHERE url = ?", (url,)
        ).fetchone()
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None, when: dt.datetime) -> None:
        """Store what ``url`` answered with, for next time."""
        with self.state.transaction() as conn:
            conn.execute(
                "INSERT INTO fetched_feeds (url, etag, last_modified, checked_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "checked_at = excluded.checked_at",
                (url, etag, last_modified, when.isoformat()),
            )

