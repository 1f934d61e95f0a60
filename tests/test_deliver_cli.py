"""`digest send` from the command line, and a sender killed with SIGKILL in the middle of a run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, run_digest
from digest.cli import cli
from smtp_server import Recorder, free_port, start_server

SECRET_ENV = {"DIGEST_TEST_SECRET": "cli-test-secret-0123456789abcdef0123456789"}


def write_config(tmp_path: Path, port: int | None = None, **smtp: object) -> Path:
    lines = [
        "[paths]", f'seeds = "{ROOT / "seeds"}"', f'out = "{tmp_path / "out"}"',
        "[email]", 'from = "Brief <brief@example.org>"', 'secret_env = "DIGEST_TEST_SECRET"',
        f'transport = "{"smtp" if port else "outbox"}"',
    ]
    if port:
        lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {port}", 'security = "none"', "timeout = 2.0",
                  "max_per_second = 0", "retries = 2", "backoff = 0.01"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in smtp.items()]
    path = tmp_path / "digest.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def invoke(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], env=SECRET_ENV,
                                              catch_exceptions=False)


def add(config: Path, *addresses: str) -> None:
    for address in addresses:
        assert invoke(config, "subscribers", "add", address).exit_code == 0


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder):
    controller = start_server(recorder)
    yield controller
    controller.stop()


def test_send_outbox_rerun_dry_run_and_json(tmp_path):
    config = write_config(tmp_path)
    add(config, "a@example.org", "b@example.org")
    dry = invoke(config, "send", "--date", "2026-11-21", "--dry-run")
    assert dry.exit_code == 0
    assert dry.stdout.split() == ["a@example.org", "b@example.org"]
    assert "would send 2" in dry.stderr
    assert not (tmp_path / "out" / "outbox").exists()
    assert not (tmp_path / "out" / "digest-2026-11-21.html").exists()  # a dry run writes nothing

    result = invoke(config, "send", "--date", "2026-11-21")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "Digest 2026-11-21 via outbox: 2 sent, 0 already sent, 0 failed"
    assert len(list((tmp_path / "out" / "outbox" / "2026-11-21").glob("*.eml"))) == 2

    again = invoke(config, "send", "--date", "2026-11-21", "--json")
    report = json.loads(again.stdout)
    assert again.exit_code == 0
    assert report["sent"] == [] and report["already_sent"] == ["a@example.org", "b@example.org"]
    assert report["failed"] == [] and report["stopped"] is None


def test_send_to_someone_not_on_the_list_is_a_one_line_error(tmp_path):
    config = write_config(tmp_path)
    add(config, "a@example.org")
    result = invoke(config, "send", "--to", "stranger@example.org")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "digest: error: stranger@example.org is not a subscriber (add it with `digest subscribers add`)")


def test_send_exits_4_and_names_each_failure(tmp_path, recorder, server):
    config = write_config(tmp_path, server.port)
    add(config, "a@example.org", "b@example.org")
    recorder.rcpt_faults["b@example.org"] = ["550 5.1.1 Unknown user"]
    result = invoke(config, "send", "--date", "2026-11-21")
    assert result.exit_code == 4
    assert "1 sent, 0 already sent, 1 failed" in result.stdout
    assert result.stderr.strip() == "digest: failed: b@example.org: recipient refused: 550 5.1.1 Unknown user"
    assert "Traceback" not in result.stderr


def test_send_stops_with_exit_4_when_the_server_is_down(tmp_path):
    config = write_config(tmp_path, free_port())
    add(config, "a@example.org", "b@example.org")
    result = invoke(config, "send", "--date", "2026-11-21")
    assert result.exit_code == 4
    assert "stopped early: cannot connect to 127.0.0.1" in result.stderr
    assert "1 not attempted (run `digest send` again to continue)" in result.stderr


def test_one_send_at_a_time(tmp_path):
    from digest.deliver import _exclusive

    config = write_config(tmp_path)
    add(config, "a@example.org")
    with _exclusive(tmp_path / "out"):
        result = invoke(config, "send")
    assert result.exit_code == 5
    assert "another `digest send` is running" in result.stderr


def test_killed_mid_run_then_rerun_delivers_everyone_exactly_once(tmp_path, recorder, server):
    """SIGKILL while a message is in flight; the re-run completes: one copy each, the in-flight aside."""
    people = [f"reader{i:02d}@example.org" for i in range(12)]
    config = write_config(tmp_path, server.port)
    add(config, *people)
    recorder.hold_after = 5  # the 5th message is accepted by the server but never acknowledged

    env = {**os.environ, "PYTHONPATH": str(ROOT), **SECRET_ENV}
    env.pop("DIGEST_CONFIG", None)
    sender = subprocess.Popen(
        [sys.executable, "-m", "digest", "--config", str(config), "send", "--date", "2026-11-21"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert recorder.in_flight.wait(60), "the sender never reached the 5th message"
        os.kill(sender.pid, signal.SIGKILL)
        assert sender.wait(10) == -signal.SIGKILL
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait(10)
        recorder.release.set()
    assert len(recorder.received) == 5

    rerun = run_digest("--config", str(config), "send", "--date", "2026-11-21", env=SECRET_ENV, timeout=120)
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert b"8 sent, 4 already sent, 0 failed" in rerun.stdout  # 7 never sent + the one in flight

    by = recorder.by_recipient()
    assert sorted(by) == people, "every subscriber got the digest"
    copies = {rcpt: len(items) for rcpt, items in by.items()}
    twice = [rcpt for rcpt, count in copies.items() if count == 2]
    assert len(twice) == 1 and all(count == 1 for rcpt, count in copies.items() if rcpt not in twice)
    in_flight = recorder.received[4].rcpt_tos[0].lower()
    assert twice == [in_flight]
    first, second = by[in_flight]
    assert first.message["Message-ID"] == second.message["Message-ID"]  # recognisably the same message
    assert len(recorder.received) == 13
