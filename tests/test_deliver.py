"""Sending the digest through a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, and failures."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from conftest import ROOT
from digest import subscribers as subs
from digest.config import settings_from_mapping
from digest.deliver import send_digest
from digest.errors import ConfigError
from digest.store import State
from digest.store import sends
from digest.unsubscribe import read_token
from smtp_server import (
    Recorder, free_port, make_certificate, password_checker, server_tls_context, start_server,
)

DAY = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 7, 30, tzinfo=dt.timezone.utc)
SECRET = "test-secret-0123456789abcdef0123456789abcdef"
PEOPLE = [
    ("ann@example.org", "Ann Example"),
    ("Bob.Smith@example.com", "Zoë Ünal-Łukasz"),
    ("carol@example.net", None),
    ("dan@example.org", "Dan\r\nBcc: eve@example.org"),
]


def deep_merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = deep_merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def make_settings(tmp_path: Path, port: int, **sections: dict):
    data = {
        "digest": {"title": "Morning brief"},
        "paths": {"seeds": str(ROOT / "seeds"), "out": str(tmp_path / "out")},
        "email": {
            "transport": "smtp", "from": "Morning Brief <brief@example.org>", "reply_to": "editor@example.org",
            "message_id_domain": "mail.example.org", "public_url": "https://digest.example.org/",
            "secret_env": "DIGEST_TEST_SECRET", "bounce_after": 2,
        },
        "smtp": {
            "host": "127.0.0.1", "port": port, "security": "none", "timeout": 1.0, "max_per_second": 0,
            "retries": 3, "backoff": 0.01, "backoff_max": 0.05,
        },
    }
    return settings_from_mapping(deep_merge(data, sections))


def add_people(settings, people=PEOPLE) -> None:
    with State.for_out_dir(settings.paths.out) as state:
        for address, name in people:
            subs.add(state, address, name=name, now=NOW)


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("DIGEST_TEST_SECRET", SECRET)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder):
    controller = start_server(recorder)
    yield controller
    controller.stop()


def statuses(settings) -> dict[str, str]:
    with State.for_out_dir(settings.paths.out) as state:
        return {s.email: s.status for s in subs.list_subscribers(state)}


def log_of(settings) -> dict[str, sends.LogEntry]:
    with State.for_out_dir(settings.paths.out) as state:
        return {e.email: e for e in sends.entries(state, DAY).values()}


def test_one_message_per_subscriber_with_every_header_and_part(tmp_path, recorder, server):
    settings = make_settings(tmp_path, server.port)
    add_people(settings)
    report = send_digest(settings, DAY, now=NOW)

    assert report.ok and len(report.sent) == 4 and not report.failed
    assert len(recorder.received) == 4
    addresses = [a.lower() for a, _ in PEOPLE]
    message_ids = set()
    for item in recorder.received:
        assert len(item.rcpt_tos) == 1, "never more than one recipient per message"
        me = item.rcpt_tos[0].lower()
        others = [a for a in addresses if a != me]
        raw = item.data.decode("ascii").lower()  # 7-bit clean: headers encoded, bodies base64
        msg = item.message
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        for other in others:
            assert other not in raw and other not in text.lower() and other not in html.lower()
        assert item.mail_from == "brief@example.org"
        assert not item.tls and not item.authenticated  # security "none" on 127.0.0.1, no AUTH

        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        for part in parts:
            assert part.get_content_charset() == "utf-8"
            assert part["Content-Transfer-Encoding"] == "base64"
        assert "Ardley" in text and "<html" in html.lower() and 'style="' in html  # the inlined email HTML
        assert msg["Subject"] == "Morning brief — Saturday, 21 November 2026"
        assert msg["From"].addresses[0].addr_spec == "brief@example.org"
        assert msg["From"].addresses[0].display_name == "Morning Brief"
        assert msg["Reply-To"] == "editor@example.org"
        assert msg["To"].addresses[0].addr_spec.lower() == me and len(msg["To"].addresses) == 1
        assert msg["Date"].datetime == NOW
        assert re.fullmatch(r"<digest\.20261121\.[A-Za-z0-9]{16}@mail\.example\.org>", msg["Message-ID"])
        message_ids.add(msg["Message-ID"])
        assert msg["List-Id"] == "Morning brief <digest.mail.example.org>"
        assert msg["Cc"] is None and msg["Bcc"] is None

        # List-Unsubscribe: a mailto and an HTTPS one-click URL carrying the same token, and the
        # footer of both parts links to it. The token names this recipient and no one else.
        links = re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])
        assert links[0].startswith("mailto:brief@example.org?subject=unsubscribe%20")
        assert links[1].startswith("https://digest.example.org/unsubscribe?token=")
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        token = links[1].split("token=")[1]
        assert links[0].endswith(token)
        assert read_token(SECRET.encode(), token) == me
        assert f'href="{links[1]}"' in html
        assert f"Unsubscribe: {links[1]}" in text
        assert "UNSUBSCRIBETOKEN" not in html + text  # no placeholder left behind
    assert len(message_ids) == 4

    by = recorder.by_recipient()
    names = {rcpt: items[0].message["To"].addresses[0].display_name for rcpt, items in by.items()}
    assert names["bob.smith@example.com"] == "Zoë Ünal-Łukasz"
    assert names["carol@example.net"] == ""
    # CR/LF in a name never makes a header: it is folded into the display name.
    dan = by["dan@example.org"][0]
    assert names["dan@example.org"] == "Dan Bcc: eve@example.org"
    assert b"\nBcc:" not in dan.data and dan.message["Bcc"] is None


def test_a_title_with_line_breaks_cannot_inject_headers(tmp_path, recorder, server):
    settings = make_settings(tmp_path, server.port, digest={"title": "News\r\nBcc: eve@example.org\nX-Evil: 1"})
    add_people(settings, PEOPLE[:1])
    assert send_digest(settings, DAY, now=NOW).ok
    item = recorder.received[0]
    msg = item.message
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"].startswith("News Bcc: eve@example.org X-Evil: 1 — ")
    assert item.rcpt_tos == ["ann@example.org"]
    headers = item.data.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^(Bcc|X-Evil):", headers, re.M | re.I)


def test_rerun_sends_only_to_those_not_yet_sent_and_resend_forces(tmp_path, recorder, server):
    settings = make_settings(tmp_path, server.port)
    add_people(settings, PEOPLE[:2])
    first = send_digest(settings, DAY, now=NOW)
    add_people(settings, PEOPLE[2:3])
    again = send_digest(settings, DAY, now=NOW)
    assert len(first.sent) == 2
    assert again.sent == ("carol@example.net",) and len(again.already_sent) == 2
    assert len(recorder.received) == 3

    forced = send_digest(settings, DAY, now=NOW, resend=True, to=["ANN@example.org"])
    assert forced.sent == ("ann@example.org",)
    ann = recorder.by_recipient()["ann@example.org"]
    assert len(ann) == 2
    first_id, second_id = (m.message["Message-ID"] for m in ann)
    assert second_id != first_id and ".r1@" in second_id  # a deliberate re-send is a new message
    assert len(recorder.received) == 4


def test_starttls_with_a_verified_certificate_and_auth(tmp_path, recorder, monkeypatch):
    cert, key = make_certificate(tmp_path)
    controller = start_server(
        recorder, tls_context=server_tls_context(cert, key), require_starttls=True,
        auth_required=True, authenticator=password_checker("digest-user", "s3cret pass"),
    )
    try:
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret pass")
        settings = make_settings(tmp_path, controller.port, smtp={
            "host": "localhost", "security": "starttls", "ca_file": str(cert),
            "username": "digest-user", "password_env": "TEST_SMTP_PASSWORD",
        })
        add_people(settings, PEOPLE[:2])
        report = send_digest(settings, DAY, now=NOW)
        assert report.ok and len(report.sent) == 2
        assert all(item.tls and item.authenticated for item in recorder.received)

        # The same server without trusting its certificate: the run stops before sending anything.
        add_people(settings, PEOPLE[2:3])
        untrusted = make_settings(tmp_path, controller.port, smtp={
            "host": "localhost", "security": "starttls", "username": "digest-user", "password_env": "TEST_SMTP_PASSWORD",
        })
        refused = send_digest(untrusted, DAY, now=NOW)
        assert refused.stopped and "certificate" in refused.stopped
        assert not refused.sent and len(recorder.received) == 2

        # A wrong password stops the run too, and bounces nobody.
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
        wrong = send_digest(settings, DAY, now=NOW)
        assert wrong.stopped and "login refused" in wrong.stopped
        assert statuses(settings)["carol@example.net"] == "active"
        assert log_of(settings)["carol@example.net"].status == "failed"
    finally:
        controller.stop()


def test_implicit_tls(tmp_path, recorder):
    cert, key = make_certificate(tmp_path)
    controller = start_server(recorder, ssl_context=server_tls_context(cert, key))
    try:
        settings = make_settings(tmp_path, controller.port, smtp={
            "host": "localhost", "security": "ssl", "ca_file": str(cert)})
        add_people(settings, PEOPLE[:2])
        report = send_digest(settings, DAY, now=NOW)
        assert report.ok and len(recorder.received) == 2
        assert all(item.tls for item in recorder.received)
    finally:
        controller.stop()


def test_starttls_required_by_default_never_falls_back_to_plain_text(tmp_path, recorder, server):
    settings = make_settings(tmp_path, server.port, smtp={"host": "localhost", "security": "starttls"})
    add_people(settings, PEOPLE[:1])
    report = send_digest(settings, DAY, now=NOW)
    assert report.stopped and "does not offer STARTTLS" in report.stopped
    assert not recorder.received


@pytest.mark.parametrize("smtp, problem", [
    ({"host": "mail.example.org"}, "smtp.security: 'none'.*only allowed for localhost"),
    ({"username": "me", "password_env": "UNSET_TEST_PASSWORD"},
     r"^smtp.password_env: no password for 'me': the environment variable UNSET_TEST_PASSWORD is not set$"),
    ({"username": "me"}, r"^smtp.password_env: no password for 'me': set it to the name of the environment "
                         r"variable that holds the password$"),
    ({"security": "starttls", "ca_file": "/nonexistent/ca.pem"}, "smtp.ca_file: cannot load"),
])
def test_smtp_settings_are_checked_before_anything_is_sent(tmp_path, monkeypatch, smtp, problem):
    monkeypatch.delenv("UNSET_TEST_PASSWORD", raising=False)
    settings = make_settings(tmp_path, 25, smtp=smtp)
    add_people(settings, PEOPLE[:1])
    with pytest.raises(ConfigError, match=problem):
        send_digest(settings, DAY, now=NOW)
    assert log_of(settings) == {}


def test_temporary_failures_are_retried_after_reconnecting(tmp_path, recorder, server):
    settings = make_settings(tmp_path, server.port, smtp={"retries": 4})
    add_people(settings)
    # ann: RCPT 450, then MAIL 421 (the server closes), then RCPT 451, then accepted.
    recorder.rcpt_faults["ann@example.org"] = ["450 4.2.1 Mailbox busy", "451 4.3.0 Try again"]
    recorder.mail_faults = [None, "421 4.3.2 Closing, too busy"]
    recorder.data_faults["carol@example.net"] = ["drop"]            # connection lost mid-DATA
    recorder.data_faults["dan@example.org"] = ["stall"]             # no reply within the timeout
    recorder.stall_seconds = 1.5

    report = send_digest(settings, DAY, now=NOW)

    assert report.ok, report.failed
    by = recorder.by_recipient()
    assert sorted(by) == sorted(a.lower() for a, _ in PEOPLE)
    assert all(len(items) == 1 for items in by.values()), "each retried message arrives once"
    assert recorder.attempts["carol@example.net"] == 2 and recorder.attempts["dan@example.org"] == 2
    assert all(entry.status == "sent" for entry in log_of(settings).values())


def test_permanent_failures_fail_that_subscriber_then_bounce_them(tmp_path, recorder, server):
    settings = make_settings(tmp_path, server.port)  # bounce_after = 2
    add_people(settings, PEOPLE[:3])
    recorder.rcpt_faults["bob.smith@example.com"] = ["550 5.1.1 No such user"] * 2
    recorder.data_faults["carol@example.net"] = ["554 5.7.1 Message rejected"]

    first = send_digest(settings, DAY, now=NOW)
    assert first.sent == ("ann@example.org",)  # the run went on past the failures
    failed = {f.email: f for f in first.failed}
    assert set(failed) == {"Bob.Smith@example.com", "carol@example.net"}
    assert "550 5.1.1 No such user" in failed["Bob.Smith@example.com"].reason
    assert "554 5.7.1" in failed["carol@example.net"].reason
    assert all(f.permanent and not f.bounced for f in first.failed)
    assert statuses(settings)["Bob.Smith@example.com"] == "active"

    second = send_digest(settings, DAY, now=NOW)  # the failed are tried again; carol gets through
    assert second.sent == ("carol@example.net",) and second.already_sent == ("ann@example.org",)
    assert [f.email for f in second.failed] == ["Bob.Smith@example.com"] and second.failed[0].bounced
    assert statuses(settings)["Bob.Smith@example.com"] == "bounced"

    third = send_digest(settings, DAY, now=NOW)  # bounced subscribers are no longer mailed
    assert third.ok and not third.sent and len(third.already_sent) == 2
    assert recorder.attempts["bob.smith@example.com"] == 0  # refused at RCPT both times


def test_a_delivery_resets_the_run_of_permanent_failures(tmp_path, recorder, server):
    settings = make_settings(tmp_path, server.port)
    add_people(settings, PEOPLE[:1])
    recorder.rcpt_faults["ann@example.org"] = ["550 5.2.2 Mailbox full"]
    assert not send_digest(settings, DAY, now=NOW).ok
    assert send_digest(settings, DAY, now=NOW).ok
    recorder.rcpt_faults["ann@example.org"] = ["550 5.2.2 Mailbox full"]
    later = send_digest(settings, DAY + dt.timedelta(days=1), now=NOW)
    assert not later.ok and not later.failed[0].bounced
    assert statuses(settings)["ann@example.org"] == "active"


def test_temporary_failures_that_persist_fail_without_bouncing(tmp_path, recorder, server):
    from digest.transport import SmtpTransport

    settings = make_settings(tmp_path, server.port, smtp={"retries": 5, "backoff": 0.01, "backoff_max": 0.03})
    add_people(settings, PEOPLE[:2])
    recorder.rcpt_faults["ann@example.org"] = ["452 4.2.2 Over quota"] * 5
    waits: list[float] = []
    report = send_digest(settings, DAY, now=NOW, transport=SmtpTransport(settings, sleep=waits.append))
    assert report.sent == ("Bob.Smith@example.com",)
    assert len(report.failed) == 1 and not report.failed[0].permanent
    assert "452 4.2.2 Over quota" in report.failed[0].reason and "after 5 attempts" in report.failed[0].reason
    assert waits == [0.01, 0.02, 0.03, 0.03]  # exponential backoff, capped, between the 5 attempts
    assert statuses(settings)["ann@example.org"] == "active"


def test_an_unreachable_server_stops_the_run_and_a_rerun_finishes_it(tmp_path, recorder, server):
    settings = make_settings(tmp_path, free_port())
    add_people(settings)
    report = send_digest(settings, DAY, now=NOW)
    assert report.stopped and "cannot connect" in report.stopped and "after 3 attempts" in report.stopped
    assert not report.sent and len(report.failed) == 1 and len(report.not_attempted) == 3

    settings = make_settings(tmp_path, server.port)
    report = send_digest(settings, DAY, now=NOW)
    assert report.ok and len(report.sent) == 4 and len(recorder.received) == 4


def test_messages_per_connection_and_pacing(tmp_path, recorder, server):
    settings = make_settings(tmp_path, server.port, smtp={"max_per_connection": 2, "max_per_second": 40})
    add_people(settings)
    from digest.transport import SmtpTransport

    waited: list[float] = []
    import time

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        time.sleep(seconds)

    transport = SmtpTransport(settings, sleep=sleep)
    report = send_digest(settings, DAY, now=NOW, transport=transport)
    assert report.ok and len(recorder.received) == 4
    assert transport.connections == 2  # 4 messages, 2 per connection
    assert sum(waited) >= 0.05  # 4 messages at 40/s: the last three wait ~25 ms each (minus build time)
