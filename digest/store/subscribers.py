"""The subscriber list: one row per address, with a status and a count of permanent failures.

Plain SQL over ``State``; validation lives in ``digest.subscribers``. An address is identified by
its lower-cased form (``key``), so duplicates are rejected whatever their case.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from digest.models import Subscriber
from digest.store import State

STATUSES = ("active", "unsubscribed", "bounced")

MIGRATIONS = [
    """
    CREATE TABLE subscribers (
        key TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unsubscribed', 'bounced')),
        failures INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX subscribers_status ON subscribers (status)
    """,
]


def key_of(email: str) -> str:
    """The identity of an address: its lower-cased form (case never makes two subscribers)."""
    return email.strip().lower()


def ensure(state: State) -> State:
    """Create or upgrade the subscribers table; returns ``state`` for chaining."""
    state.migrate("subscribers", MIGRATIONS)
    return state


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(
        email=row["email"],
        name=row["name"],
        status=row["status"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
    )


def insert(state: State, email: str, name: str | None, *, status: str = "active", now: dt.datetime) -> bool:
    """Add a subscriber; False (and nothing changed) when the address is already on the list."""
    with ensure(state).transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO subscribers (key, email, name, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO NOTHING",
            (key_of(email), email, name or None, status, now.isoformat(), now.isoformat()),
        )
        return cursor.rowcount == 1


def delete(state: State, email: str) -> bool:
    """Remove a subscriber entirely; False when the address was not on the list."""
    with ensure(state).transaction() as conn:
        return conn.execute("DELETE FROM subscribers WHERE key = ?", (key_of(email),)).rowcount == 1


def get(state: State, email: str) -> Subscriber | None:
    """The subscriber with this address (any case), or None."""
    row = ensure(state).connection.execute("SELECT * FROM subscribers WHERE key = ?", (key_of(email),)).fetchone()
    return _subscriber(row) if row else None


def all_subscribers(state: State, status: str | None = None) -> list[Subscriber]:
    """Every subscriber (optionally only those with ``status``), oldest first."""
    sql = "SELECT * FROM subscribers"
    args: tuple[str, ...] = ()
    if status:
        sql += " WHERE status = ?"
        args = (status,)
    rows = ensure(state).connection.execute(sql + " ORDER BY created_at, key", args).fetchall()
    return [_subscriber(row) for row in rows]


def set_status(state: State, email: str, status: str, *, now: dt.datetime) -> str | None:
    """Change a subscriber's status; returns the previous status, or None when not on the list."""
    with ensure(state).transaction() as conn:
        row = conn.execute("SELECT status FROM subscribers WHERE key = ?", (key_of(email),)).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE subscribers SET status = ?, failures = CASE WHEN ? = 'active' THEN 0 ELSE failures END, "
            "updated_at = ? WHERE key = ?",
            (status, status, now.isoformat(), key_of(email)),
        )
        return row["status"]


def record_delivery(state: State, email: str, *, now: dt.datetime) -> None:
    """A message was accepted for this address: its run of permanent failures is over."""
    with ensure(state).transaction() as conn:
        conn.execute(
            "UPDATE subscribers SET failures = 0, updated_at = ? WHERE key = ? AND failures != 0",
            (now.isoformat(), key_of(email)),
        )


def record_permanent_failure(state: State, email: str, *, bounce_after: int, now: dt.datetime) -> str | None:
    """Count a permanent (5xx) failure; mark the subscriber ``bounced`` at ``bounce_after`` in a row.

    Returns the subscriber's status afterwards (None when not on the list).
    """
    with ensure(state).transaction() as conn:
        row = conn.execute("SELECT status, failures FROM subscribers WHERE key = ?", (key_of(email),)).fetchone()
        if row is None:
            return None
        failures = row["failures"] + 1
        status = "bounced" if failures >= bounce_after and row["status"] == "active" else row["status"]
        conn.execute(
            "UPDATE subscribers SET failures = ?, status = ?, updated_at = ? WHERE key = ?",
            (failures, status, now.isoformat(), key_of(email)),
        )
        return status


def failures(state: State, email: str) -> int:
    """Permanent failures in a row for this address (0 when unknown)."""
    row = ensure(state).connection.execute("SELECT failures FROM subscribers WHERE key = ?", (key_of(email),)).fetchone()
    return row["failures"] if row else 0
