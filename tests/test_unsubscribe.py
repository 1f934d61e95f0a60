"""Unsubscribe tokens, `digest unsubscribe`, and the HTTP server with valid and forged tokens."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import stat
import threading
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from digest import subscribers as subs
from digest.cli import cli
from digest.config import settings_from_mapping
from digest.store import State
from digest.unsubscribe import InvalidToken, load_key, make_token, read_token
from digest.unsubscribe_server import make_server

NOW = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGEST_SECRET", raising=False)
    return settings_from_mapping({"digest": {"title": "Brief"}, "paths": {"out": str(tmp_path / "out")}})


@pytest.fixture
def people(settings):
    with State.for_out_dir(settings.paths.out) as state:
        subs.add(state, "Ann@example.org", now=NOW)
        subs.add(state, "bob@example.org", now=NOW)


def status_of(settings, address: str) -> str:
    with State.for_out_dir(settings.paths.out) as state:
        return subs.find(state, address).status


def forgeries(key: bytes) -> list[str]:
    good = make_token(key, "ann@example.org")
    encoded, signature = good.split(".")
    other = make_token(key, "bob@example.org").split(".")[1]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        "", "garbage", good + "x", flipped + "", f"{encoded}.{flipped}", f"{encoded}.{other}",
        make_token(b"another key entirely, 32+ chars long", "ann@example.org"),
        f"{encoded}.{signature}.extra", f"{encoded}", "é." + signature, "../../etc/passwd",
    ]


def test_tokens_round_trip_and_forgeries_are_refused(settings):
    key = load_key(settings)
    token = make_token(key, "Ann@Example.org")
    assert token == make_token(key, "ann@example.org")
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert read_token(key, token) == "ann@example.org"
    for forged in forgeries(key):
        with pytest.raises(InvalidToken):
            read_token(key, forged)


def test_the_key_is_generated_once_with_private_permissions(settings, tmp_path, monkeypatch):
    key = load_key(settings)
    path = tmp_path / "out" / "state" / "unsubscribe.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key(settings) == key and len(key) >= 32
    monkeypatch.setenv("DIGEST_SECRET", "from-the-environment")
    assert load_key(settings) == b"from-the-environment"  # the environment wins when set


def test_cli_unsubscribe(settings, people, tmp_path):
    token = make_token(load_key(settings), "ann@example.org")
    run = lambda *args: CliRunner().invoke(cli, ["unsubscribe", "--out", str(tmp_path / "out"), *args])  # noqa: E731
    forged = run(token[:-2] + "zz")
    assert forged.exit_code == 2
    assert forged.stderr.strip() == "digest: error: invalid unsubscribe token (bad signature)"
    assert status_of(settings, "ann@example.org") == "active"
    result = run(token)
    assert result.exit_code == 0 and result.stdout.strip() == "Unsubscribed Ann@example.org"
    assert status_of(settings, "ann@example.org") == "unsubscribed"
    assert run(token).stdout.strip() == "Ann@example.org was already unsubscribed"
    assert status_of(settings, "bob@example.org") == "active"


@pytest.fixture
def web(settings):
    server = make_server(settings, "127.0.0.1", 0, now=lambda: NOW)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


def request(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8"), dict(response.getheaders())
    finally:
        conn.close()


ONE_CLICK = {"Content-Type": "application/x-www-form-urlencoded"}


def test_server_refuses_forged_tokens_and_changes_nothing(settings, people, web):
    for forged in forgeries(load_key(settings)):
        path = f"/unsubscribe?token={quote(forged)}"
        assert request(web, "GET", path)[0] == 400, forged
        status, body, _ = request(web, "POST", path, "List-Unsubscribe=One-Click", ONE_CLICK)
        assert status == 400 and "not valid" in body, forged
    assert status_of(settings, "ann@example.org") == "active"
    assert status_of(settings, "bob@example.org") == "active"


def test_get_asks_and_one_click_post_unsubscribes(settings, people, web):
    token = make_token(load_key(settings), "ann@example.org")
    path = f"/unsubscribe?token={token}"

    status, body, headers = request(web, "GET", path)
    assert status == 200 and "ann@example.org" in body and 'method="post"' in body
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert status_of(settings, "ann@example.org") == "active"  # link scanners that GET change nothing

    status, body, _ = request(web, "POST", path, "List-Unsubscribe=One-Click", ONE_CLICK)  # RFC 8058
    assert status == 200 and "will no longer receive" in body
    assert status_of(settings, "ann@example.org") == "unsubscribed"
    assert status_of(settings, "bob@example.org") == "active"
    assert request(web, "POST", path, "List-Unsubscribe=One-Click", ONE_CLICK)[0] == 200  # idempotent

    bob = make_token(load_key(settings), "bob@example.org")  # the token may also come in the form body
    assert request(web, "POST", "/unsubscribe", f"token={bob}", ONE_CLICK)[0] == 200
    assert status_of(settings, "bob@example.org") == "unsubscribed"


def test_server_other_paths_and_oversized_bodies(settings, people, web):
    token = make_token(load_key(settings), "ann@example.org")
    assert request(web, "GET", "/")[0] == 404
    assert request(web, "POST", f"/elsewhere?token={token}", "x", ONE_CLICK)[0] == 404
    assert request(web, "POST", f"/unsubscribe?token={token}", "x" * 10_000, ONE_CLICK)[0] == 413
    assert request(web, "POST", f"/unsubscribe?token={token}", "", {"Content-Length": "-5"})[0] == 400
    assert status_of(settings, "ann@example.org") == "active"


def test_digest_serve_command_answers_and_stops_on_sigterm(settings, people, tmp_path):
    import signal
    import subprocess
    import sys

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DIGEST_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "serve", "--port", "0", "--out", str(tmp_path / "out")],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
    )
    try:
        line = proc.stderr.readline().decode()
        assert "Serving unsubscribe links on http://127.0.0.1:" in line, line
        port = int(line.split("127.0.0.1:")[1].split("/")[0])
        token = make_token(load_key(settings), "bob@example.org")
        assert request(port, "POST", f"/unsubscribe?token={token}", "List-Unsubscribe=One-Click", ONE_CLICK)[0] == 200
        assert status_of(settings, "bob@example.org") == "unsubscribed"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
