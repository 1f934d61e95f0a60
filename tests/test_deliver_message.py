"""Building the messages: one render per day, a correct token swapped in for each recipient."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import stat

import pytest

from conftest import ROOT
from digest import subscribers as subs
from digest.config import settings_from_mapping
from digest.deliver import day_digest, send_digest
from digest.errors import DeliveryError
from digest.message import MessageFactory, make_letter, subject_for
from digest.models import Subscriber
from digest.store import State
from digest.store.sends import Letter
from digest.transport import OutboxTransport
from digest.unsubscribe import make_token, message_tag, read_token

DAY = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.timezone.utc)
KEY = b"k" * 40


def settings_for(tmp_path, **email_values):
    return settings_from_mapping({
        "digest": {"title": "Morning brief"},
        "paths": {"seeds": str(ROOT / "seeds"), "out": str(tmp_path / "out")},
        "email": {"from": "Brief <brief@example.org>", "public_url": "https://news.example.org/d", **email_values},
    })


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


@pytest.mark.parametrize("position", [0, 1, 56, 57, 58, 113, 114, 5000])
def test_every_token_lands_exactly_where_the_placeholder_was(tmp_path, position):
    """The body is encoded once up to the placeholder (cut at a base64 line) and per recipient after."""
    placeholder = "UNSUBSCRIBETOKENabc123"
    filler = "é—x" * 2000
    html = filler[:position] + f'<a href="https://news.example.org/d/unsubscribe?token={placeholder}">u</a>' \
        + filler[position:] + f" again {placeholder}!"
    text = f"{placeholder} first; " + filler
    letter = Letter(subject="S", html=html, text=text, placeholder=placeholder)
    factory = MessageFactory(letter, settings_for(tmp_path), now=NOW)
    for address in ("a@example.org", "someone.with.a.very.long.address.indeed@sub.example.org"):
        token = make_token(KEY, address)
        msg = parse(factory.build(Subscriber(address), token=token, message_id="<x@example.org>"))
        assert msg.get_body(("html",)).get_content() == html.replace(placeholder, token)
        assert msg.get_body(("plain",)).get_content() == text.replace(placeholder, token)


def test_hundreds_of_recipients_each_get_their_own_link_from_one_render(tmp_path):
    settings = settings_for(tmp_path)
    digest = day_digest(settings, DAY, now=NOW)
    _fitted, letter = make_letter(digest, settings)
    factory = MessageFactory(letter, settings, now=NOW)
    people = [f"reader{i}@example.org" for i in range(300)]
    seen_tokens = set()
    for address in people:
        token = make_token(KEY, address)
        data = factory.build(Subscriber(address), token=token, message_id=factory.message_id(DAY, message_tag(KEY, address)))
        msg = parse(data)
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        url = f"https://news.example.org/d/unsubscribe?token={token}"
        assert html.count(url) == 1 and text.count(url) == 1
        assert f"<{url}>" in msg["List-Unsubscribe"]
        assert read_token(KEY, token) == address
        assert letter.placeholder not in html + text
        seen_tokens.add(token)
    assert len(seen_tokens) == len(people)


def test_a_template_that_alters_the_link_is_refused(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text("{{ digest.heading }}\nUnsubscribe: {{ unsubscribe_url|urlencode }}\n",
                                             encoding="utf-8")
    settings = settings_from_mapping({
        "paths": {"seeds": str(ROOT / "seeds"), "out": str(tmp_path / "out"), "templates": str(templates)},
    })
    digest = day_digest(settings, DAY, now=NOW)
    with pytest.raises(DeliveryError, match="text template changes the unsubscribe URL"):
        make_letter(digest, settings)


def test_subject_template_and_footer_without_public_url(tmp_path):
    settings = settings_from_mapping({
        "digest": {"title": "Brief"},
        "paths": {"seeds": str(ROOT / "seeds"), "out": str(tmp_path / "out")},
        "email": {"subject": "{iso_date}: {title} {unknown}", "unsubscribe_mailto": "leave@example.org"},
    })
    digest = day_digest(settings, DAY, now=NOW)
    assert subject_for(settings, digest) == "2026-11-21: Brief {unknown}"
    _fitted, letter = make_letter(digest, settings)
    factory = MessageFactory(letter, settings, now=NOW)
    token = make_token(KEY, "a@example.org")
    msg = parse(factory.build(Subscriber("a@example.org"), token=token, message_id="<m@localhost>"))
    mailto = f"mailto:leave@example.org?subject=unsubscribe%20{token}"
    assert msg["List-Unsubscribe"] == f"<{mailto}>"  # no HTTPS URL configured: no one-click
    assert msg["List-Unsubscribe-Post"] is None
    assert f'href="{mailto}"' in msg.get_body(("html",)).get_content()


def test_message_ids_are_fixed_per_day_subscriber_and_resend(tmp_path):
    settings = settings_for(tmp_path, message_id_domain="mail.example.org")
    letter = Letter(subject="S", html="<p>h</p>", text="t", placeholder="UNSUBSCRIBETOKENx")
    one, two = (MessageFactory(letter, settings, now=NOW) for _ in range(2))
    tag = message_tag(KEY, "Ann@Example.org")
    assert one.message_id(DAY, tag) == two.message_id(DAY, tag) == two.message_id(DAY, message_tag(KEY, "ann@example.org"))
    assert one.message_id(DAY, tag) != one.message_id(DAY, message_tag(KEY, "bob@example.org"))
    assert one.message_id(DAY, tag) != one.message_id(DAY + dt.timedelta(days=1), tag)
    assert one.message_id(DAY, tag, 1) != one.message_id(DAY, tag)
    assert "ann" not in one.message_id(DAY, tag).lower()  # the id reveals nothing about the address
    assert one.message_id(DAY, tag).endswith("@mail.example.org>")


def test_outbox_writes_one_private_eml_per_subscriber_and_the_run_is_idempotent(tmp_path):
    settings = settings_for(tmp_path)
    with State.for_out_dir(settings.paths.out) as state:
        for address in ("a@example.org", "b@example.org", "c@example.org"):
            subs.add(state, address, now=NOW)
    report = send_digest(settings, DAY, now=NOW)
    assert report.ok and len(report.sent) == 3
    folder = tmp_path / "out" / "outbox" / "2026-11-21"
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 3
    assert (tmp_path / "out" / "digest-2026-11-21.html").is_file()  # the day's digest was built too
    recipients = []
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        msg = parse(path.read_bytes())
        recipients.append(msg["To"].addresses[0].addr_spec)
        assert path == OutboxTransport(settings.paths.out, DAY).path_for(msg["Message-ID"])
    assert sorted(recipients) == ["a@example.org", "b@example.org", "c@example.org"]
    again = send_digest(settings, DAY, now=NOW)
    assert not again.sent and len(again.already_sent) == 3
    assert sorted(folder.glob("*.eml")) == files


def test_a_reused_digest_is_frozen_for_the_day(tmp_path):
    """A re-run sends the very message of the first run, even if the seeds changed since."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "one.txt").write_text("Title: Ferry trials\n\nThe solar ferry began trials on Monday. "
                                   "It carries forty people. Crews say it is quiet.\n", encoding="utf-8")
    settings = settings_from_mapping({"paths": {"seeds": str(seeds), "out": str(tmp_path / "out")}})
    with State.for_out_dir(settings.paths.out) as state:
        subs.add(state, "a@example.org", now=NOW)
    send_digest(settings, DAY, now=NOW)
    (seeds / "two.txt").write_text("Title: Library opens\n\nThe river library opened its doors. "
                                   "It lends boats as well as books.\n", encoding="utf-8")
    with State.for_out_dir(settings.paths.out) as state:
        subs.add(state, "b@example.org", now=NOW)
    send_digest(settings, DAY, now=NOW)
    folder = tmp_path / "out" / "outbox" / "2026-11-21"
    bodies = {parse(p.read_bytes())["To"].addresses[0].addr_spec: parse(p.read_bytes()).get_body(("plain",)).get_content()
              for p in folder.glob("*.eml")}
    assert "Ferry trials" in bodies["b@example.org"] and "Library opens" not in bodies["b@example.org"]
    # --resend takes the digest afresh.
    send_digest(settings, DAY, now=NOW, resend=True, to=["b@example.org"])
    latest = [parse(p.read_bytes()) for p in folder.glob("*.r1.eml")]
    assert len(latest) == 1 and "Library opens" in latest[0].get_body(("plain",)).get_content()
