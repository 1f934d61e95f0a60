"""Saved emails (.eml), mailboxes (.mbox) and multi-story newsletters → Articles; and a digest built from them all."""

from __future__ import annotations

import datetime as dt
import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest import ingest
from digest.build import build
from digest.config import Settings
from digest.errors import ArticleError
from digest.ingest.sections import split_sections, text_blocks
from digest.models import Article, Skipped
from digest.summarize import summarize_article

FORMATS = Path(__file__).parent / "fixtures" / "formats"
MAIL_CHROME = ("View this email", "View in browser", "Unsubscribe", "preferences", "receiving this",
               "received this", "Good morning", "Valley Solar", "sponsor", "plain-text version")


def test_bundle_newsletter_becomes_one_article_per_story():
    articles = ingest.read_file_articles(FORMATS / "weekly-bundle.eml")
    assert [(a.title, a.url) for a in articles] == [
        ("Stone bridge reopens to cyclists", "https://ardley.example/news/bridge-cyclists"),
        ("Library extends weekend hours", "https://ardley.example/news/library-hours"),
        ("Orchard co-op buys a cider press", "https://ardley.example/news/cider-press"),
    ]
    for article in articles:
        assert article.source == "Ardley Weekly"
        assert (article.date, article.date_source) == (dt.date(2026, 11, 21), "mail")
        assert article.path == str(FORMATS / "weekly-bundle.eml")
        for chrome in MAIL_CHROME + ("Read more", "Continue reading", "→"):
            assert chrome.lower() not in article.body.lower(), (article.title, chrome)
    assert articles[0].paragraphs == (
        "The old stone bridge over the Lenn reopened to cyclists on Wednesday after masons finished relaying the "
        "worn parapet stones by hand.",
        "Riders must still dismount at the narrow middle arch, where a new painted lane marks the way for walkers "
        "with prams and wheelchairs.",
    )
    assert len({a.content_hash for a in articles}) == 3


def test_read_article_refuses_to_drop_stories_of_a_bundle():
    with pytest.raises(ArticleError, match="holds 3 articles"):
        ingest.read_article(FORMATS / "weekly-bundle.eml")


def test_single_newsletter_prefers_html_and_reads_headers():
    article = ingest.read_article(FORMATS / "water-meters.eml")
    assert article.title == "Water meters arrive on Mill Lane"  # "Fwd:" dropped
    assert article.source == "Valley Post"
    assert article.date_source == "mail"
    assert article.date == dt.date(2026, 11, 20)  # 22:15 on the 19th at -05:00 is the 20th in UTC
    assert ingest.read_article(FORMATS / "water-meters.eml", timezone="America/New_York").date == dt.date(2026, 11, 19)
    assert "sixty homes" in article.body  # the HTML part, not the plain-text stub
    assert article.body.count("\n\n") == 3
    summary = summarize_article(article, count=2)
    for chrome in MAIL_CHROME:
        assert chrome.lower() not in article.body.lower() and chrome.lower() not in summary.text.lower()


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Lenn Parish Council <clerk@lenn.example>"
    message["Subject"] = "Allotment waiting list opens"
    message["Date"] = "Wed, 18 Nov 2026 09:00:00 +0000"
    return message


def test_text_only_mail(tmp_path):
    message = _message()
    message.set_content("The parish council has opened a waiting list for the twelve new allotments by the river.\n\n"
                        "Plots will be given out in the order names were added, and rent is ten pounds a year.\n")
    path = tmp_path / "allotments.eml"
    path.write_bytes(bytes(message))
    article = ingest.read_article(path)
    assert article.title == "Allotment waiting list opens"
    assert article.source == "Lenn Parish Council"
    assert article.date == dt.date(2026, 11, 18)
    assert article.paragraphs[1].startswith("Plots will be given out")


@pytest.mark.parametrize("kind", ["plain", "html"])
def test_one_story_mail_links_to_its_full_story(tmp_path, kind):
    story = "The parish council has opened a waiting list for the twelve new allotments by the river."
    message = _message()
    if kind == "plain":
        message.set_content(f"{story}\n\nRead more: https://lenn.example/allotments\n")
    else:
        message.set_content(f"<p>{story}</p><p><a href='https://lenn.example/allotments'>Read more</a></p>"
                            "<p><a href='https://lenn.example/unsubscribe'>Unsubscribe</a></p>", subtype="html")
    path = tmp_path / "one.eml"
    path.write_bytes(bytes(message))
    article = ingest.read_article(path)
    assert article.url == "https://lenn.example/allotments"
    assert article.body == story


def test_html_part_without_text_falls_back_to_the_text_part(tmp_path):
    message = _message()
    message.set_content("The parish council has opened a waiting list for the twelve new allotments by the river.")
    message.add_alternative("<html><body><p><a href='https://lenn.example/unsubscribe'>Unsubscribe</a></p></body></html>",
                            subtype="html")
    path = tmp_path / "fallback.eml"
    path.write_bytes(bytes(message))
    assert ingest.read_article(path).body.startswith("The parish council has opened")


@pytest.mark.parametrize(
    ("declared", "payload"),
    [
        ("utf-8", "Caf\u00e9 owners on the quay welcome the \u20ac2 parking cap \u2014 at last.".encode("cp1252")),
        ("us-ascii", "Caf\u00e9 owners on the quay welcome the \u20ac2 parking cap \u2014 at last.".encode("utf-8")),
        ("x-no-such-charset", "Caf\u00e9 owners on the quay welcome the \u20ac2 parking cap \u2014 at last.".encode("utf-8")),
    ],
)
def test_charset_lies_in_mail(tmp_path, declared, payload):
    raw = (b"From: Quay News <news@quay.example>\r\nSubject: Parking cap\r\nDate: Wed, 18 Nov 2026 09:00:00 +0000\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"" + declared.encode() + b"\"\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + payload + b"\r\n")
    path = tmp_path / "lie.eml"
    path.write_bytes(raw)
    assert ingest.read_article(path).body == "Caf\u00e9 owners on the quay welcome the \u20ac2 parking cap \u2014 at last."


def test_base64_html_part_in_latin1(tmp_path):
    message = _message()
    message.set_content("<html><body><h1>Caf\u00e9 reopens</h1><p>The caf\u00e9 on the quay reopened today with a "
                        "new menu.</p></body></html>".encode("latin-1"), maintype="text", subtype="html",
                        cte="base64", params={"charset": "iso-8859-1"})
    path = tmp_path / "b64.eml"
    path.write_bytes(bytes(message))
    article = ingest.read_article(path)
    assert article.title == "Allotment waiting list opens"  # the Subject wins over the mail's own heading
    assert article.body == "The caf\u00e9 on the quay reopened today with a new menu."


def test_mail_with_only_attachments_is_a_clear_error():
    with pytest.raises(ArticleError) as info:
        ingest.read_article(FORMATS / "only-attachments.eml")
    assert info.value.reason == "no text in the message, only attachments (scan-0001.pdf, logo.png)"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.eml", b"", "empty file"),
        ("notes.eml", b"just some words that are not an email at all\n", "not an email message"),
        ("box.mbox", b"Subject: no From_ line\n\nbody\n", "not an mbox mailbox"),
        ("binary.eml", bytes(range(256)) * 8, "not an email message"),
    ],
)
def test_bad_mail_files(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ArticleError) as info:
        ingest.read_article(path)
    assert reason in info.value.reason
    assert info.value.path == str(path)


def test_mbox_every_message_is_read_and_a_bad_one_is_reported():
    items = ingest.read_file_items(FORMATS / "valley.mbox")
    articles = [i for i in items if isinstance(i, Article)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [(a.title, a.source, a.url) for a in articles] == [
        ("Snow ploughs on standby for the hill road", "Valley Post", None),
        ("Cheese stall moves to the covered hall", "Thursday Market", "https://market.example/news/cheese-stall"),
        ("Bread van adds a Saturday round", "Thursday Market", "https://market.example/news/bread-van"),
    ]
    assert all(a.date == dt.date(2026, 11, 21) and a.date_source == "mail" for a in articles)
    assert [(s.path, s.reason) for s in skipped] == [
        (str(FORMATS / "valley.mbox"), "message 2: no text in the message, only attachments (scan-0002.pdf)")
    ]
    assert "unsubscribe" not in articles[2].body.lower()
    assert len({a.content_hash for a in articles}) == 3


def test_read_articles_yields_every_article_of_every_file():
    paths = [FORMATS / "valley.mbox", FORMATS / "water-meters.eml", FORMATS / "only-attachments.eml"]
    items = list(ingest.read_articles(paths))
    assert sum(isinstance(i, Article) for i in items) == 4
    assert sum(isinstance(i, Skipped) for i in items) == 2


# -- section splitting on plain text -----------------------------------------------------------------


def test_plain_text_bundle_with_markdown_and_underlined_headings():
    text = (
        "Weekly notes\n============\n\n"
        "## Ferry fares frozen\n\nThe ferry company will keep its fares at this year's level until next October, "
        "it told the island council.\n\n[Read more](https://esker.example/fares)\n\n"
        "Harbour wall repaired\n---------------------\n\nMasons finished repairing the storm damage to the harbour "
        "wall two weeks early and under budget.\nContinue reading: https://esker.example/wall\n\n"
        "Unsubscribe: https://esker.example/u\n"
    )
    sections = split_sections(text_blocks(text))
    assert [(s.title, s.url) for s in sections] == [
        ("Ferry fares frozen", "https://esker.example/fares"),
        ("Harbour wall repaired", "https://esker.example/wall"),
    ]
    assert sections[1].paragraphs == ("Masons finished repairing the storm damage to the harbour wall two weeks "
                                      "early and under budget.",)


def test_one_story_with_a_read_more_link_is_not_a_bundle():
    text = ("Ferry fares frozen\n\nThe ferry company will keep its fares at this year's level until next October, "
            "it told the island council on Tuesday evening.\n\nRead more: https://esker.example/fares\n")
    assert split_sections(text_blocks(text)) is None


# -- the digest shows them -----------------------------------------------------------------------------


def test_digest_built_from_every_format(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("night-ferry.html", "weekly-bundle.eml", "water-meters.eml", "valley.mbox", "only-attachments.eml"):
        shutil.copy(FORMATS / name, seeds / name)
    (seeds / "plain.txt").write_text("Title: Bus shelter repainted\nDate: 2026-11-21\n\nThe bus shelter on the "
                                     "green was repainted by pupils from the village school.\n", encoding="utf-8")
    with open(seeds / "huge.mbox", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    settings = Settings().override("paths", seeds=str(seeds), out=str(tmp_path / "out"))
    now = dt.datetime(2026, 11, 21, 18, 0, tzinfo=dt.timezone.utc)
    result = build(settings, day=dt.date(2026, 11, 21), now=now)

    titles = {s.article.title for s in result.digest.stories}
    assert titles == {
        "Night ferry to Esker Island returns after winter pause",
        "Stone bridge reopens to cyclists", "Library extends weekend hours", "Orchard co-op buys a cider press",
        "Water meters arrive on Mill Lane",
        "Snow ploughs on standby for the hill road", "Cheese stall moves to the covered hall",
        "Bread van adds a Saturday round",
        "Bus shelter repainted",
    }
    reasons = sorted((Path(s.path).name, s.reason) for s in result.skipped)
    assert reasons == [
        ("huge.mbox", "too large (52.4 MB; limit 20.0 MB)"),
        ("only-attachments.eml", "no text in the message, only attachments (scan-0001.pdf, logo.png)"),
        ("valley.mbox", "message 2: no text in the message, only attachments (scan-0002.pdf)"),
    ]
    text = (tmp_path / "out" / "digest-2026-11-21.txt").read_text(encoding="utf-8")
    html = (tmp_path / "out" / "digest-2026-11-21.html").read_text(encoding="utf-8")
    for expected in ("Night ferry to Esker Island returns after winter pause", "Ardley Courier", "Ardley Weekly",
                     "Valley Post", "Thursday Market", "https://ardley.example/news/cider-press",
                     "https://courier.example/news/night-ferry-returns", "Orchard co-op buys a cider press"):
        assert expected in text, expected
        assert expected.replace("&", "&amp;") in html, expected
    for chrome in ("cookies", "Advertisement", "Anchor Inn", "Unsubscribe", "View this email", "Valley Solar",
                   "Most read", "analytics"):
        assert chrome not in text, chrome


@pytest.mark.parametrize("name", ["night-ferry.html", "weekly-bundle.eml", "water-meters.eml", "valley.mbox"])
def test_damaged_copies_are_read_or_reported_never_crash(tmp_path, name):
    """Cut short, or sprinkled with NULs and stray markup: each copy gives articles or one ArticleError."""
    data = (FORMATS / name).read_bytes()
    outcomes = set()
    for i in range(1, 25):
        cut = len(data) * i // 25
        for damaged in (data[:cut], data[:cut] + b"\x00\x01<<=?utf-8?q?=\r\n--" + data[cut:]):
            path = tmp_path / name
            path.write_bytes(damaged)
            try:
                items = ingest.read_file_items(path)
            except ArticleError as exc:
                assert exc.path == str(path) and exc.reason
                outcomes.add("error")
            else:
                assert items and all(isinstance(i, (Article, Skipped)) for i in items)
                outcomes.add("read")
    assert "read" in outcomes  # most damage still leaves readable text
