"""The send log: which subscriber got which day's digest, and the frozen message of each day.

One row per (digest date, subscriber key). A row goes ``queued`` → ``sending`` (committed *before*
the message leaves) → ``sent`` or ``failed`` (committed after). A ``sending`` row found by a later
run is a message that was in flight when a process died: it may or may not have arrived, so it is
sent again with the same Message-ID. ``generation`` counts forced re-sends (``--resend``) and is
part of the Message-ID, so a deliberate re-send is not mistaken for a duplicate.

``send_letters`` keeps each day's subject, HTML and text (with the unsubscribe placeholder) as
first sent, so a re-run after a crash sends exactly the same digest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from digest.store import State

STATUSES = ("queued", "sending", "sent", "failed")

MIGRATIONS = [
    """
    CREATE TABLE send_log (
        day TEXT NOT NULL,
        key TEXT NOT NULL,
        email TEXT NOT NULL,
        generation INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
        message_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (day, key)
    );
    CREATE TABLE send_letters (
        day TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        placeholder TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
]


@dataclass(frozen=True)
class LogEntry:
    """Where one subscriber stands for one day."""

    key: str
    email: str
    generation: int
    status: str
    message_id: str | None
    attempts: int
    error: str | None


@dataclass(frozen=True)
class Letter:
    """A day's message before personalisation: ``placeholder`` stands where each token goes."""

    subject: str
    html: str
    text: str
    placeholder: str


def ensure(state: State) -> State:
    """Create or upgrade the send-log tables; returns ``state`` for chaining."""
    state.migrate("sends", MIGRATIONS)
    return state


def entries(state: State, day: dt.date) -> dict[str, LogEntry]:
    """The log of one day, by subscriber key."""
    rows = ensure(state).connection.execute(
        "SELECT key, email, generation, status, message_id, attempts, error FROM send_log WHERE day = ?",
        (day.isoformat(),),
    ).fetchall()
    return {row["key"]: LogEntry(**dict(row)) for row in rows}


def mark_sending(state: State, day: dt.date, key: str, email: str, message_id: str, *, now: dt.datetime) -> None:
    """Record the intent to send, durably, before the message leaves."""
    with ensure(state).transaction() as conn:
        conn.execute(
            "INSERT INTO send_log (day, key, email, status, message_id, attempts, updated_at) "
            "VALUES (?, ?, ?, 'sending', ?, 1, ?) "
            "ON CONFLICT(day, key) DO UPDATE SET status = 'sending', message_id = excluded.message_id, "
            "email = excluded.email, attempts = attempts + 1, updated_at = excluded.updated_at",
            (day.isoformat(), key, email, message_id, now.isoformat()),
        )


def mark_done(state: State, day: dt.date, key: str, *, error: str | None, now: dt.datetime) -> None:
    """Record the outcome: ``sent`` when ``error`` is None, else ``failed`` with the reason."""
    with ensure(state).transaction() as conn:
        conn.execute(
            "UPDATE send_log SET status = ?, error = ?, updated_at = ? WHERE day = ? AND key = ?",
            ("sent" if error is None else "failed", error, now.isoformat(), day.isoformat(), key),
        )


def requeue(state: State, day: dt.date, keys: list[str], *, now: dt.datetime) -> None:
    """Force a new copy for these subscribers (``--resend``): a new generation, status ``queued``."""
    with ensure(state).transaction() as conn:
        conn.executemany(
            "UPDATE send_log SET status = 'queued', generation = generation + 1, error = NULL, updated_at = ? "
            "WHERE day = ? AND key = ?",
            [(now.isoformat(), day.isoformat(), key) for key in keys],
        )


def letter(state: State, day: dt.date) -> Letter | None:
    """The frozen message of a day, if one was sent before."""
    row = ensure(state).connection.execute(
        "SELECT subject, html, text, placeholder FROM send_letters WHERE day = ?", (day.isoformat(),)
    ).fetchone()
    return Letter(**dict(row)) if row else None


def save_letter(state: State, day: dt.date, value: Letter, *, now: dt.datetime) -> None:
    """Freeze (or, for ``--resend``, replace) the message of a day."""
    with ensure(state).transaction() as conn:
        conn.execute(
            "INSERT INTO send_letters (day, subject, html, text, placeholder, created_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(day) DO UPDATE SET subject = excluded.subject, html = excluded.html, "
            "text = excluded.text, placeholder = excluded.placeholder, created_at = excluded.created_at",
            (day.isoformat(), value.subject, value.html, value.text, value.placeholder, now.isoformat()),
        )
