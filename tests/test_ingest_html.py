"""HTML pages → Articles: main text without page chrome, metadata from JSON-LD/OpenGraph/<meta>, bad pages."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from digest import ingest
from digest.errors import ArticleError
from digest.ingest.html import html_articles, parse_html
from digest.summarize import summarize_article

FORMATS = Path(__file__).parent / "fixtures" / "formats"

#: Words of the night-ferry page's chrome: none may reach the body or a summary.
FERRY_CHROME = (
    "cookies", "Accept all", "Manage preferences", "Harbour Notices", "Puzzles and Games", "Subscribe",
    "Share on social", "Email this story", "Photograph", "Advertisement", "Sponsored", "Anchor Inn",
    "Related stories", "dredging", "second nurse", "Most read", "Town hall clock", "newsletter", "Sign up",
    "Comments", "waited long enough", "Sunday evenings", "Copyright", "Privacy", "JavaScript", "analytics",
    "courierAnalytics", "querySelectorAll",
)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_news_page_title_date_source_author_url_and_body():
    article = ingest.read_article(FORMATS / "night-ferry.html")
    assert article.title == "Night ferry to Esker Island returns after winter pause"
    assert not article.title_derived
    assert article.date == dt.date(2026, 11, 20)
    assert article.date_source == "meta"
    assert article.source == "Ardley Courier"
    assert article.author == "Priya Nandakumar"
    assert article.url == "https://courier.example/news/night-ferry-returns"
    assert len(article.paragraphs) == 6
    assert article.paragraphs[0].startswith("The night ferry between Ardley harbour and Esker Island")
    assert article.paragraphs[-1].startswith("Local councillor Ines Marlow")


def test_news_page_chrome_never_reaches_body_or_summary():
    article = ingest.read_article(FORMATS / "night-ferry.html")
    summary = summarize_article(article, count=3)
    for chrome in FERRY_CHROME:
        assert chrome.lower() not in article.body.lower(), chrome
        assert chrome.lower() not in summary.text.lower(), chrome


PAGE = """<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"""
STORY = ("<p>The county opened a new footbridge over the railway at Lenn Halt on Monday morning.</p>"
         "<p>It replaces a level crossing that walkers had used for more than a century, and it has lifts at both ends.</p>"
         "<p>Rail staff said the crossing gates would be removed before the end of the month.</p>")


def page(head: str = "", body: str = f"<article><h1>Footbridge opens at Lenn Halt</h1>{STORY}</article>") -> str:
    return PAGE.format(head=head, body=body)


@pytest.mark.parametrize(
    ("head", "title", "date", "source", "author"),
    [
        # JSON-LD wins over OpenGraph, OpenGraph over <title>.
        ('<title>Bridge news | Lenn Weekly</title><meta property="og:title" content="OG title">'
         '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "LD headline", '
         '"datePublished": "2026-11-18", "author": {"name": "Sam Ode"}, "publisher": {"name": "Lenn Weekly"}}</script>',
         "LD headline", dt.date(2026, 11, 18), "Lenn Weekly", "Sam Ode"),
        # Broken JSON-LD is ignored; OpenGraph and named <meta> tags still count.
        ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
         '<meta property="og:title" content="OG title"><meta property="og:site_name" content="Lenn Weekly">'
         '<meta name="date" content="18 November 2026"><meta name="author" content="Sam Ode">',
         "OG title", dt.date(2026, 11, 18), "Lenn Weekly", "Sam Ode"),
        # Only a <title>: the site's name is cut from it when known.
        ('<title>Footbridge opens at Lenn Halt - Lenn Weekly</title><meta name="application-name" content="Lenn Weekly">',
         "Footbridge opens at Lenn Halt", None, "Lenn Weekly", None),
        # Author as a URL is no name; a list of authors is joined.
        ('<meta property="article:author" content="https://lenn.example/staff/sam">'
         '<script type="application/ld+json">[{"@type": "BreadcrumbList"}, {"@type": "BlogPosting", '
         '"author": [{"name": "Sam Ode"}, {"name": "Ria Lund"}], "dateCreated": "2026-11-17T10:00:00Z"}]</script>',
         "Footbridge opens at Lenn Halt", dt.date(2026, 11, 17), None, "Sam Ode, Ria Lund"),
    ],
)
def test_metadata_sources(head, title, date, source, author):
    article = parse_html(page(head), "p.html")
    assert article.title == title
    assert article.date == date
    assert article.date_source == ("meta" if date else "none")
    assert article.source == source
    assert article.author == author
    assert article.body.startswith("The county opened a new footbridge")


def test_date_with_offset_is_read_in_the_configured_timezone():
    head = '<meta property="article:published_time" content="2026-11-20T23:30:00-05:00">'
    assert parse_html(page(head), timezone="UTC").date == dt.date(2026, 11, 21)
    assert parse_html(page(head), timezone="America/New_York").date == dt.date(2026, 11, 20)


def test_time_element_and_mtime_fallback(tmp_path):
    dated = page(body=f'<h1>Footbridge opens</h1><time datetime="2026-11-16">Monday</time>{STORY}')
    assert parse_html(dated).date == dt.date(2026, 11, 16)
    path = write(tmp_path, "plain.html", page(body=f"<h1>Footbridge opens</h1>{STORY}"))
    os.utime(path, (0, dt.datetime(2026, 11, 15, 12, tzinfo=dt.timezone.utc).timestamp()))
    article = ingest.read_article(path)
    assert article.title == "Footbridge opens"
    assert (article.date, article.date_source) == (dt.date(2026, 11, 15), "mtime")


def test_page_without_title_gets_a_derived_one():
    article = parse_html(page(body=STORY))
    assert article.title_derived
    assert article.title.startswith("The county opened a new footbridge")


def test_linked_teasers_under_an_article_do_not_split_it():
    teasers = "".join(
        f'<h3><a href="/t/{i}">Teaser headline number {i}</a></h3><p>A short teaser sentence about another story '
        f'that readers might like to open next week.</p><p><a href="/t/{i}">Read more</a></p>'
        for i in range(2)
    )
    body = f"<article><h1>Footbridge opens at Lenn Halt</h1>{STORY * 3}</article><div>{teasers}</div>"
    articles = html_articles(page(body=body), "p.html")
    assert len(articles) == 1
    assert articles[0].title == "Footbridge opens at Lenn Halt"


def test_newsletter_saved_as_a_page_splits_into_stories():
    stories = "".join(
        f"<h2>{title}</h2><p>{text}</p><p><a href='https://lenn.example/{slug}'>Read the full story</a></p>"
        for title, slug, text in [
            ("Footbridge opens", "bridge", "The county opened a new footbridge over the railway at Lenn Halt on Monday morning."),
            ("Market moves indoors", "market", "The Thursday market will move into the old corn exchange for the winter months."),
        ]
    )
    articles = html_articles(page(body=f"<p>Hello readers.</p>{stories}"), "news.html")
    assert [(a.title, a.url) for a in articles] == [
        ("Footbridge opens", "https://lenn.example/bridge"),
        ("Market moves indoors", "https://lenn.example/market"),
    ]
    assert len({a.content_hash for a in articles}) == 2


# -- bad input ---------------------------------------------------------------------------------------


def test_malformed_html_still_yields_its_text(tmp_path):
    broken = (b"<html><head><title>Footbridge opens</title><body><div><p>The county opened a new footbridge "
              b"over the railway <b>on Monday<p>It replaces a level crossing << that walkers used </i></span>"
              b"<p>Rail staff said the gates would go.<table><tr><td>")
    article = ingest.read_article(write(tmp_path, "broken.html", broken))
    assert article.title == "Footbridge opens"
    assert "level crossing" in article.body and "gates would go" in article.body


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"<html><head><script>var x = 1;</script></head><body><nav><a href='/'>Home</a></nav></body></html>",
         "no article text found"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
        (b'<?xml version="1.0" encoding="utf-8"?>\n', "empty file"),
    ],
)
def test_pages_without_text_are_clear_errors(tmp_path, content, reason):
    path = write(tmp_path, "bad.html", content)
    with pytest.raises(ArticleError) as info:
        ingest.read_article(path)
    assert info.value.path == str(path)
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [("utf-8", "cp1252"), ("iso-8859-1", "utf-8"), ("x-made-up", "cp1252"), ("windows-1252", "cp1252")],
)
def test_charset_lies_are_survived(tmp_path, declared, encoding):
    html = (f'<html><head><meta charset="{declared}"><title>Café terrace reopens</title></head><body>'
            "<p>The café’s terrace on the quay reopened with heaters — and a €2 discount on soup.</p></body></html>")
    article = ingest.read_article(write(tmp_path, "cafe.html", html.encode(encoding)))
    assert article.title == "Café terrace reopens"
    assert "café’s terrace" in article.body and "— and a €2 discount" in article.body


def test_utf16_page_with_bom(tmp_path):
    html = "<html><head><title>Café terrace reopens</title></head><body><p>The café reopened.</p></body></html>"
    article = ingest.read_article(write(tmp_path, "u16.htm", html.encode("utf-16")))
    assert article.title == "Café terrace reopens"


def test_a_50_mb_page_is_skipped_and_the_rest_are_read(tmp_path):
    huge = tmp_path / "huge.html"
    with open(huge, "wb") as handle:  # sparse: 50 MB on paper, nothing written
        handle.truncate(50 * 1024 * 1024)
    write(tmp_path, "ok.html", page())
    articles, skipped = ingest.read_folder(tmp_path, max_bytes=20_000_000)
    assert [a.title for a in articles] == ["Footbridge opens at Lenn Halt"]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [("huge.html", "too large (52.4 MB; limit 20.0 MB)")]


def test_control_characters_in_a_page(tmp_path):
    html = ("<html><head><title>Footbridge\x0b opens</title></head><body><p>The county\x01 opened a footbridge\x07"
            " at Lenn Halt.</p><div class='x'>\x1b</div></body></html>")
    article = ingest.read_article(write(tmp_path, "ctrl.html", html))
    assert article.title == "Footbridge opens"
    assert article.body == "The county opened a footbridge at Lenn Halt."
