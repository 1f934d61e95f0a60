"""The state database: migrations apply once, transactions roll back on error."""

from __future__ import annotations

import pytest

from digest.errors import StateError
from digest.store import State, state_dir


def test_migrations_apply_once_and_in_order(tmp_path):
    migrations = ["CREATE TABLE t (x INTEGER)", "ALTER TABLE t ADD COLUMN y TEXT; INSERT INTO t VALUES (1, 'a')"]
    with State.for_out_dir(tmp_path) as state:
        state.migrate("demo", migrations)
        state.migrate("demo", migrations)
    assert (state_dir(tmp_path) / "digest.sqlite3").is_file()
    with State.for_out_dir(tmp_path) as state:
        state.migrate("demo", migrations + ["INSERT INTO t VALUES (2, 'b')"])
        rows = state.connection.execute("SELECT x, y FROM t ORDER BY x").fetchall()
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b")]


def test_transaction_rolls_back(tmp_path):
    with State.for_out_dir(tmp_path) as state:
        state.migrate("demo", ["CREATE TABLE t (x INTEGER)"])
        with pytest.raises(RuntimeError):
            with state.transaction() as conn:
                conn.execute("INSERT INTO t VALUES (1)")
                raise RuntimeError("boom")
        assert state.connection.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0


def test_unusable_location(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StateError, match="cannot open state database"):
        State.for_out_dir(blocker)
