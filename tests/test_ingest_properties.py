"""Property tests: whatever text or bytes land in seeds/, reading and summarizing them never crash.

A file either becomes articles or an ArticleError (reported and skipped); any other exception
would stop `digest summarize` with a traceback. Examples mix the odd things real files hold:
Windows line endings, NULs, right-to-left text and overrides, emoji and joiners, byte-order
marks, header and front-matter fragments, datelines, markup and very long runs. Kept small
(a few hundred examples) so the suite stays fast.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import compose, dedup, ingest, render
from digest.errors import ArticleError
from digest.models import Article
from digest.summarize import summarize_article

PIECES = st.sampled_from([
    "The council met on Monday.", "Ferry fares rise 5% in May. ", "Mr. Lee said the U.S. plan was new. ",
    "\r\n", "\n", "\n\n", "\r", "\x00", "\t", "\x0c", "\u00a0", "\u200b", "\ufeff", "\u2028",
    "\u202e", "\u202b", "مرحبا بالعالم. ", "שלום עולם. ", "🎉", "👨\u200d👩\u200d👧", "ﬁ", "İ", "ß",
    "Title: ", "title: x\n", "# ", "---\n", "Date: 2026-11-21\n", "Source: Wire\n", "date 2026-11-21 ",
    "(CNN) -- ", "LONDON (Reuters) - ", "By Ann Lee\n", "PUBLISHED: 12:00 | UPDATED: 13:00\n", "Read more\n",
    "...", "!!!", "?", "*", "_", "[", "](", ")", "`", "|", ">", "<b>", "</p>", "&amp;", "http://example.org/a?b=c ",
    " " * 40, "word " * 300, "x" * 2000,
])
TEXTS = st.one_of(st.lists(PIECES, max_size=25).map("".join), st.text(max_size=300))
DATA = st.one_of(
    TEXTS.map(lambda t: t.encode("utf-8")),
    TEXTS.map(lambda t: t.encode("utf-16")),
    TEXTS.map(lambda t: t.encode("cp1252", "ignore")),
    st.binary(max_size=200),
)
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
NOW = dt.datetime(2026, 11, 21, 7, 5, tzinfo=dt.timezone.utc)


@QUICK
@given(TEXTS)
def test_any_text_is_an_article_or_an_article_error_and_renders(text):
    try:
        article = ingest.parse_article(text, "odd.txt")
    except ArticleError:
        return
    assert article.title.strip() and article.body.strip()
    summaries = [summarize_article(article, count=3), summarize_article(article, algorithm="lead", words=20)]
    for summary in summaries:
        assert [s.index for s in summary.sentences] == sorted(s.index for s in summary.sentences)
    digest = compose.compose([(article, summaries[0])], day=NOW.date(), generated_at=NOW)
    _, rendered = render.fit_for_email(digest, max_html_bytes=102_000)
    assert rendered.html.rstrip().endswith("</html>")
    rendered.html.encode("utf-8")  # no lone surrogates or other unencodable text


@QUICK
@given(DATA, st.sampled_from([".txt", ".md", ".html", ".eml", ".mbox"]))
def test_any_file_is_articles_or_an_article_error(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("seeds") / f"odd{suffix}"
    path.write_bytes(data)
    try:
        items = ingest.read_file_items(path)
    except ArticleError as exc:
        assert exc.reason
        return
    articles = [item for item in items if isinstance(item, Article)]
    for article in articles:
        summarize_article(article, count=2)
    dedup.group_articles(articles + articles)
