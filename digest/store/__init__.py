"""SQLite state: the embedded default for everything digest remembers between runs.

One database file under the out folder (``OUT/state/digest.sqlite3``). Each kind of state lives in
its own module of this package (the summary cache, articles seen, subscribers, the send log) and
declares its tables as numbered migrations, applied once per database by ``State.migrate``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from digest.errors import StateError

STATE_DIR_NAME = "state"
DB_NAME = "digest.sqlite3"


def state_dir(out_dir: str | os.PathLike[str]) -> Path:
    """The folder holding the state database (and lock files, secrets) for an out folder."""
    return Path(out_dir) / STATE_DIR_NAME


class State:
    """A connection to the state database, with per-component schema migrations.

    Safe to share between threads of one process (one connection, serialised by a lock);
    each process opens its own. Writes go through ``transaction()``.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise StateError(f"cannot open state database {self.path}: {reason}") from None
        self._lock = threading.RLock()
        self._migrated: set[str] = set()

    @classmethod
    def for_out_dir(cls, out_dir: str | os.PathLike[str], *, timeout: float = 30) -> State:
        """Open (creating if needed) the state database of an out folder; wait up to ``timeout``
        seconds for another process's lock."""
        return cls(state_dir(out_dir) / DB_NAME, timeout=timeout)

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for reads; use ``transaction()`` to write."""
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on error; serialised within the process."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StateError(f"state database {self.path} is unavailable: {exc}") from None
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def migrate(self, component: str, migrations: Sequence[str]) -> None:
        """Apply ``migrations[i]`` (SQL scripts) not yet applied for ``component``, in order."""
        if component in self._migrated:
            return
        with self.transaction() as conn:
            row = conn.execute("SELECT version FROM schema_versions WHERE component = ?", (component,)).fetchone()
            current = row["version"] if row else 0
            for version, script in enumerate(migrations[current:], start=current + 1):
                for statement in (s.strip() for s in script.split(";")):
                    if statement:
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                    "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                    (component, version),
                )
        self._migrated.add(component)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
