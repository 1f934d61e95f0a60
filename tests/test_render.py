"""Rendering a Digest to HTML email, plain text and Markdown, and the archive page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
import sys

import jinja2
import pytest

from digest import render
from digest.models import Article, Digest, Sentence, Skipped, Story, Summary
from digest.render import RenderError, fit_for_email, render_digest, render_index
from tests.conftest import ROOT

HEADING = "Daily digest — Saturday, 21 November 2026"
HOSTILE_TAG = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(1)>'


def make_article(n: int, title: str | None = None, **fields) -> Article:
    values = dict(
        path=f"/inbox/story-{n}.txt",
        title=title or f"Sample story number {n} about the harbour",
        body="word " * 460,  # 2 min read
        date=dt.date(2026, 11, 21),
        source="Harbour Gazette",
        place="Bergen",
    )
    values.update(fields)
    return Article(**values)


def make_story(n: int, title: str | None = None, summary: str | None = None,
               sources: tuple[Article, ...] = (), **fields) -> Story:
    article = make_article(n, title, **fields)
    text = summary or f"First summary sentence of story {n}. Second sentence of story {n}."
    sentences = tuple(Sentence(part, i, 1.0) for i, part in enumerate(text.split("|")))
    if sources:
        sources = (article, *sources)
    return Story(article=article, summary=Summary("lead", sentences), sources=sources)


def make_digest(*stories: Story, **fields) -> Digest:
    values = dict(
        date=dt.date(2026, 11, 21),
        title="Morning Brief",
        heading=HEADING,
        stories=stories or tuple(make_story(n) for n in range(1, 4)),
        generated_at=dt.datetime(2026, 11, 21, 7, 5),
        timezone="UTC",
    )
    values.update(fields)
    return Digest(**values)


def style_block(html: str) -> str:
    blocks = re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


# --- content in every format -----------------------------------------------------------------


def test_every_format_has_heading_titles_meta_and_summary():
    digest = make_digest()
    rendered = render_digest(digest)

    for output in (rendered.html, rendered.text, rendered.markdown):
        assert HEADING in output
        assert "Morning Brief" in output  # the title, as it differs from the heading
        for story in digest.stories:
            assert story.article.title in output
            assert story.summary.text in output
        assert "Harbour Gazette, Bergen · 21 Nov 2026 · 2 min read" in output


def test_formats_keep_the_digest_order():
    stories = tuple(make_story(n, title=f"Ordered title {n:02d}") for n in (3, 1, 2))
    rendered = render_digest(make_digest(*stories))

    for output in (rendered.html, rendered.text, rendered.markdown):
        positions = [output.index(f"Ordered title {n:02d}") for n in (3, 1, 2)]
        assert positions == sorted(positions)


def test_title_is_not_repeated_when_it_equals_the_heading():
    rendered = render_digest(make_digest(title=HEADING))
    assert rendered.html.count(HEADING) == 2  # <title> and <h1>
    assert rendered.text.count(HEADING) == 1
    assert rendered.markdown.count(HEADING) == 1


def test_text_and_markdown_layout():
    rendered = render_digest(make_digest())
    lines = rendered.text.splitlines()
    assert lines[0] == HEADING
    assert lines[1] == "=" * len(HEADING)
    assert "1. Sample story number 1 about the harbour" in lines
    assert "   Harbour Gazette, Bergen · 21 Nov 2026 · 2 min read" in lines

    markdown = rendered.markdown
    assert markdown.startswith(f"# {HEADING}\n")
    assert "\n## 2. Sample story number 2 about the harbour\n" in markdown
    assert "\n*Harbour Gazette, Bergen · 21 Nov 2026 · 2 min read*\n" in markdown


def test_story_titles_link_to_the_article_url():
    story = make_story(1, url="https://example.com/news/1")
    rendered = render_digest(make_digest(story))
    assert 'href="https://example.com/news/1"' in rendered.html
    assert ("## 1. [Sample story number 1 about the harbour](https://example.com/news/1)"
            in rendered.markdown)
    assert "   https://example.com/news/1" in rendered.text.splitlines()


def test_several_sources_are_listed_with_name_date_and_file():
    other = Article(path="/inbox/valley/ferry.md", title="Ferry", body="x", source="Valley Post",
                    date=dt.date(2026, 11, 20))
    nameless = Article(path="/inbox/clip-7.html", title="Ferry", body="x",
                       date=dt.date(2026, 11, 19))
    rendered = render_digest(make_digest(make_story(1, sources=(other, nameless))))

    for output in (rendered.html, rendered.text, rendered.markdown):
        assert "3 sources:" in output
        assert "Harbour Gazette (21 Nov 2026, story-1.txt)" in output
        assert "Valley Post (20 Nov 2026, ferry.md)" in output
        assert "clip-7.html (19 Nov 2026)" in output


def test_single_source_story_has_no_sources_list():
    rendered = render_digest(make_digest())
    for output in (rendered.html, rendered.text, rendered.markdown):
        assert "sources:" not in output


def test_footer_gives_time_story_count_and_skipped_inputs():
    digest = make_digest(skipped=(Skipped("/inbox/a.bin", "binary"), Skipped("/inbox/b", "empty")))
    rendered = render_digest(digest)
    for output in (rendered.html, rendered.text, rendered.markdown):
        assert "Generated 21 Nov 2026 at 07:05 UTC · 3 stories · 2 inputs skipped" in output

    clean_run = render_digest(make_digest())
    assert "skipped" not in clean_run.html and "skipped" not in clean_run.text


def test_unsubscribe_link_only_when_given():
    digest = make_digest()
    plain = render_digest(digest)
    for output in (plain.html, plain.text, plain.markdown):
        assert "Unsubscribe" not in output

    url = "https://digest.example/unsubscribe?token=a1&list=daily"
    personal = render_digest(digest, unsubscribe_url=url)
    assert 'href="https://digest.example/unsubscribe?token=a1&amp;list=daily"' in personal.html
    assert f"Unsubscribe: {url}" in personal.text
    assert f"[Unsubscribe]({url})" in personal.markdown


# --- escaping and odd input ------------------------------------------------------------------


def test_html_escapes_hostile_titles_and_summaries():
    story = make_story(1, title=f"Council {HOSTILE_TAG} vote {HOSTILE_ATTR}",
                       summary=f"It said {HOSTILE_TAG} and {HOSTILE_ATTR} twice.",
                       url="javascript:alert(1)", source=f"Gazette {HOSTILE_ATTR}")
    rendered = render_digest(make_digest(story, preheader=f"Pre {HOSTILE_TAG}"))
    html = rendered.html

    assert "<script" not in html
    assert "<img" not in html
    assert "javascript:" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&gt;&lt;img src=x onerror=alert(1)&gt;" in html  # quotes need no escaping in text

    markdown = rendered.markdown
    assert not re.search(r"(?<!\\)[<>]", markdown)  # every angle bracket is escaped
    assert "javascript:" not in markdown
    assert r"\<script\>alert(1)\</script\>" in markdown

    # Plain text is never interpreted, so it shows exactly what the article said.
    assert HOSTILE_TAG in rendered.text
    assert "javascript:" not in rendered.text


def test_markdown_escapes_markup_in_titles():
    story = make_story(1, title="*Breaking* [news] #1 under_score `code`",
                       summary="2026. A year of <b>bold</b> claims.")
    markdown = render_digest(make_digest(story)).markdown
    assert r"## 1. \*Breaking\* \[news\] \#1 under\_score \`code\`" in markdown
    assert "\n2026\\. A year of \\<b\\>bold\\</b\\> claims.\n" in markdown


def test_markdown_link_destination_cannot_be_broken_by_the_url():
    story = make_story(1, url="https://example.com/a (b)/c")
    markdown = render_digest(make_digest(story)).markdown
    assert "](https://example.com/a%20%28b%29/c)" in markdown


def test_line_breaks_and_control_characters_in_titles_do_not_break_the_text():
    title = "First line\r\nsecond line\rthird\u2028fourth\x00\x1b[31m red\u202e"
    rendered = render_digest(make_digest(make_story(1, title=title), make_story(2)))

    expected = "First line second line third fourth[31m red"
    assert f"1. {expected}" in rendered.text.splitlines()
    assert f"## 1. {expected.replace('[', chr(92) + '[')}" in rendered.markdown.splitlines()
    assert "2. Sample story number 2 about the harbour" in rendered.text.splitlines()
    for output in (rendered.html, rendered.text, rendered.markdown):
        assert not re.search(r"[\r\x00\x1b\u2028\u202e]", output)


def test_text_is_wrapped_at_72_columns():
    summary = " ".join(["A long summary sentence that keeps going for quite a while."] * 6)
    rendered = render_digest(make_digest(make_story(1, title="Headline " * 12, summary=summary)))
    for line in rendered.text.splitlines():
        assert len(line) <= 72, line


def test_long_urls_are_not_broken_in_text():
    url = "https://example.com/" + "x" * 90
    rendered = render_digest(make_digest(make_story(1, summary=f"See {url} now.")))
    assert url in rendered.text


# --- email-ready HTML ------------------------------------------------------------------------


def test_css_is_inlined_and_media_queries_survive():
    html = render_digest(make_digest()).html

    story_cell = re.search(r'<td class="story text"[^>]*>', html).group(0)
    assert 'style="' in story_cell
    assert "overflow-wrap:anywhere" in story_cell and "word-break:break-word" in story_cell
    assert re.search(r'<h2 class="story-title" style="[^"]*font-size:19px', html)
    assert re.search(r'<p class="summary" style="[^"]+"', html)

    css = style_block(html)
    assert re.search(r"@media \(prefers-color-scheme: dark\)\s*\{", css)
    assert re.search(r"@media \(max-width: 620px\)\s*\{", css)
    assert "!important" in css
    # Plain rules went into the attributes; only the at-rules stay in <style>.
    assert "overflow-wrap" not in css
    assert css.strip().startswith("@media")


def test_html_head_declares_colour_schemes_viewport_language_and_title():
    html = render_digest(make_digest()).html
    assert '<html lang="en"' in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="supported-color-schemes" content="light dark">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert f"<title>{HEADING}</title>" in html


def test_layout_is_a_centred_600px_presentation_table_with_no_external_resources():
    html = render_digest(make_digest(make_story(1, url="https://example.com/x"))).html
    container = re.search(r'<table [^>]*class="container"[^>]*>', html).group(0)
    assert 'role="presentation"' in container
    assert 'width="100%"' in container
    assert "max-width:600px" in container
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert not re.search(r"\bsrc=", html)
    assert "-apple-system" in html and "sans-serif" in html


def test_preheader_is_the_first_thing_in_the_body_and_hidden():
    html = render_digest(make_digest(preheader="Stripes, rye bread and a new ferry")).html
    body = html[html.index("<body"):]
    first = re.search(r"<body[^>]*>\s*(<div[^>]*>)([^<]*)", body)
    tag, text = first.group(1), first.group(2)
    for rule in ("display:none", "max-height:0", "overflow:hidden", "mso-hide:all"):
        assert rule in tag
    assert text.startswith("Stripes, rye bread and a new ferry")


def test_preheader_falls_back_to_the_first_story_titles():
    html = render_digest(make_digest()).html
    assert ("Sample story number 1 about the harbour · Sample story number 2 about the harbour · "
            "Sample story number 3 about the harbour") in html


# --- fitting into Gmail's limit --------------------------------------------------------------


def test_fit_for_email_leaves_a_small_digest_unchanged():
    digest = make_digest()
    fitted, rendered = fit_for_email(digest)
    assert fitted is digest
    assert rendered == render_digest(digest)
    assert "title only" not in rendered.html


def test_fit_for_email_lists_later_stories_by_title_until_under_102_kb():
    digest = make_digest(*(make_story(n, title=f"Story {n}") for n in range(1, 2001)))
    assert len(render_digest(digest).html.encode()) > 102_000

    fitted, rendered = fit_for_email(digest)

    assert len(rendered.html.encode("utf-8")) < 102_000
    assert len(fitted.stories) == 2000
    assert [s.article.title for s in fitted.stories] == [s.article.title for s in digest.stories]
    flags = [s.title_only for s in fitted.stories]
    shown = flags.index(True)
    assert shown > 0 and not any(flags[:shown]) and all(flags[shown:])  # cut from the end
    assert fitted.omitted == 2000 - shown

    note = f"{fitted.omitted:,} more stories listed by title only"
    assert note in rendered.html and note in rendered.text and note in rendered.markdown
    assert rendered == render_digest(fitted)

    # The largest number of full stories that fits: one more would not.
    one_more = dataclasses.replace(fitted, stories=tuple(
        dataclasses.replace(s, title_only=False) if i == shown else s
        for i, s in enumerate(fitted.stories)))
    assert len(render_digest(one_more).html.encode()) > 102_000


def test_title_only_stories_keep_their_numbers_and_links():
    stories = (make_story(1), make_story(2, url="https://example.com/2"), make_story(3))
    later = (dataclasses.replace(s, title_only=True) for s in stories[1:])
    digest = make_digest(stories[0], *later)
    rendered = render_digest(digest)

    assert "2 more stories listed by title only" in rendered.html
    assert '<ol class="brief-list" start="2"' in rendered.html
    assert '<a href="https://example.com/2"' in rendered.html
    assert "2. Sample story number 2 about the harbour — Harbour Gazette" in rendered.text
    assert "3. [Sample story number 3 about the harbour]" not in rendered.markdown
    assert ("2. [Sample story number 2 about the harbour](https://example.com/2) — Harbour Gazette"
            in rendered.markdown)
    assert stories[1].summary.text not in rendered.text


def test_fit_for_email_drops_stories_when_even_titles_do_not_fit():
    stories = (make_story(n, title=f"A fairly long title for story {n}") for n in range(1, 301))
    digest = make_digest(*stories)
    fitted, rendered = fit_for_email(digest, max_html_bytes=20_000)
    assert len(rendered.html.encode()) <= 20_000
    assert 0 < len(fitted.stories) < 300
    assert all(s.title_only for s in fitted.stories)
    assert f"{len(fitted.stories)} stories listed by title only" in rendered.html
    assert fitted.unlisted == 300 - len(fitted.stories)
    note = f"…and {fitted.unlisted:,} more stories not shown in this email"
    assert note in rendered.html and note in rendered.text and note in rendered.markdown


# --- archive page ----------------------------------------------------------------------------


def test_index_links_every_digest_newest_first():
    days = [dt.date(2026, 11, 20), dt.date(2026, 11, 21), dt.date(2026, 10, 31),
            dt.date(2026, 11, 1)]
    entries = [(day, f"digest-{day.isoformat()}.html") for day in days]
    html = render_index(entries, title="Morning Brief <archive>")

    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs == [f"digest-{day.isoformat()}.html" for day in sorted(days, reverse=True)]
    assert "Saturday, 21 November 2026" in html
    assert "October 2026" in html and "November 2026" in html
    assert "<title>Morning Brief &lt;archive&gt;</title>" in html
    assert "4 digests" in html


def test_index_with_no_entries():
    html = render_index([], title="Morning Brief")
    assert "No digests yet." in html and "0 digests" in html


# --- templates folder ------------------------------------------------------------------------


def test_a_users_template_overrides_the_project_one(tmp_path):
    (tmp_path / "digest.txt.j2").write_text("{{ digest.heading }}: {{ digest.stories|length }}\n")
    rendered = render_digest(make_digest(), tmp_path)
    assert rendered.text == f"{HEADING}: 3\n"
    assert HEADING in rendered.html  # the project's template is still used for HTML


def test_compiled_templates_are_kept_between_runs_and_an_edited_one_is_recompiled(tmp_path):
    # Each run is a new process (as each `digest` command is): the first compiles the templates
    # and keeps the bytecode; a later run with the template edited must render the new text.
    cache = tmp_path / "bytecode"
    cache.mkdir()
    templates = tmp_path / "templates"
    templates.mkdir()
    script = (
        "import sys\n"
        "from digest import render\n"
        "make_cache = render._bytecode_cache\n"
        "render._bytecode_cache = lambda: make_cache(sys.argv[2])\n"
        "from tests.test_render import make_digest\n"
        "print(render.render_digest(make_digest(), sys.argv[1]).text, end='')\n"
    )

    def run() -> str:
        out = subprocess.run([sys.executable, "-c", script, str(templates), str(cache)], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True)
        return out.stdout

    (templates / "digest.txt.j2").write_text("first: {{ digest.stories|length }}\n")
    assert run() == "first: 3\n"
    kept = sorted(p.name for p in cache.iterdir())
    assert kept  # the compiled templates were stored
    (templates / "digest.txt.j2").write_text("second: {{ digest.stories|length }}\n")
    assert run() == "second: 3\n"
    assert render._bytecode_cache() is not None  # the real one: jinja2's private folder in the temp dir


@pytest.fixture
def fresh_environments():
    """Templates environments made during the test, with whatever cache it sets, are dropped after."""
    render._environment.cache_clear()
    yield
    render._environment.cache_clear()


@pytest.mark.parametrize("damage", ["parent is a file", "folder removed", "files damaged"])
def test_a_bytecode_cache_problem_never_stops_a_render(tmp_path, monkeypatch, fresh_environments, damage):
    # Jinja2 itself lets these through: NotADirectoryError on reading, FileNotFoundError on
    # writing (a temp cleaner removed the folder under the daemon), a bad pickle in a cache file.
    # (Tests run as root here, where chmod would not stop the writes.)
    make_cache = render._bytecode_cache
    monkeypatch.setattr(render, "_bytecode_cache", lambda: None)
    expected = render_digest(make_digest(), None)  # compiled, no cache
    render._environment.cache_clear()

    cache = tmp_path / "bytecode"
    if damage == "parent is a file":
        (tmp_path / "file").write_text("not a folder\n")
        cache = tmp_path / "file" / "bytecode"
    else:
        cache.mkdir()
    monkeypatch.setattr(render, "_bytecode_cache", lambda: make_cache(str(cache)))
    if damage == "folder removed":
        render._environment(None)  # made while the folder was there
        cache.rmdir()
    elif damage == "files damaged":
        render_digest(make_digest(), None)
        render._environment.cache_clear()
        kept = list(cache.iterdir())
        assert kept  # the compiled templates were stored, to be damaged now
        for path in kept:
            path.write_bytes(jinja2.bccache.bc_magic + b"\x80 not a pickle")

    rendered = render_digest(make_digest(), None)
    assert (rendered.text, rendered.markdown, rendered.html) == (expected.text, expected.markdown, expected.html)


def test_template_errors_are_render_errors(tmp_path):
    (tmp_path / "digest.txt.j2").write_text("line one\n{{ digest.no_such_field }}\n")
    with pytest.raises(RenderError, match="no_such_field"):
        render_digest(make_digest(), tmp_path)

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "digest.md.j2").write_text("ok\n{% if %}\n")
    with pytest.raises(RenderError, match=r"digest\.md\.j2:2"):
        render_digest(make_digest(), broken)


def test_missing_templates_folder_is_a_render_error(tmp_path):
    with pytest.raises(RenderError, match="templates folder not found"):
        render_digest(make_digest(), tmp_path / "nope")


def test_a_digest_without_stories_says_so_in_every_format():
    rendered = render_digest(make_digest(stories=()))
    for output in (rendered.html, rendered.text, rendered.markdown):
        assert HEADING in output
        assert "No stories in this digest." in output
        assert "0 stories ·" not in output.split("Generated")[0]  # the count line, not the footer
    failed = render_digest(make_digest(stories=(), skipped=(Skipped("/inbox/a.bin", "binary"),
                                                             Skipped("/inbox/b", "empty"))))
    for output in (failed.html, failed.text, failed.markdown):
        assert "No stories in this digest: 2 inputs could not be read." in output
    assert "</html>" in rendered.html.rstrip()[-20:]


def test_a_huge_summary_sentence_is_clipped_so_later_stories_stay_in_full():
    # A file without sentence punctuation is one enormous "sentence"; shown whole, it pushed its
    # story and every later one out of the email (listed by title only).
    from digest.compose import MAX_SENTENCE_CHARS, compose

    huge = make_article(1, title="No full stops anywhere", body="word " * 50_000)
    topics = {2: "The ferry timetable changes on Monday.", 3: "Bakers in Ardley won a regional prize.",
              4: "Snow closed the mountain pass overnight."}
    normal = [make_article(n, date=dt.date(2026, 11, 20), body=text) for n, text in topics.items()]
    items = [(huge, Summary("news", (Sentence(huge.body.strip(), 0, 1.0),)))] + [
        (a, Summary("news", (Sentence(a.body, 0, 1.0),))) for a in normal
    ]
    digest = compose(items, day=dt.date(2026, 11, 21), generated_at=dt.datetime(2026, 11, 21, 7, 5))
    clipped = digest.stories[0].summary.sentences[0].text
    assert digest.stories[0].article.title == "No full stops anywhere"
    assert clipped.endswith("word…") and len(clipped) <= MAX_SENTENCE_CHARS + 1
    fitted, rendered = fit_for_email(digest, max_html_bytes=102_000)
    assert fitted.omitted == 0 and len(fitted.full_stories) == 4
    assert all(text in rendered.text for text in topics.values())
    # an ordinary long sentence is left alone
    ordinary = "A long but real sentence, " * 30 + "ends here."
    plain = compose([(normal[0], Summary("news", (Sentence(ordinary, 0, 1.0),)))], day=dt.date(2026, 11, 21),
                    generated_at=dt.datetime(2026, 11, 21, 7, 5))
    assert plain.stories[0].summary.sentences[0].text == ordinary


def test_a_failing_expression_or_a_non_utf8_template_is_a_render_error(tmp_path):
    (tmp_path / "digest.txt.j2").write_text("fine\n{{ 1 // 0 }}\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"digest\.txt\.j2:2: ZeroDivisionError: "):
        render_digest(make_digest(), tmp_path)
    latin = tmp_path / "latin"
    latin.mkdir()
    (latin / "digest.md.j2").write_bytes("Caf\xe9 {{ digest.title }}\n".encode("latin-1"))
    with pytest.raises(RenderError, match=r"digest\.md\.j2 \(or a template it uses\) is not UTF-8 text"):
        render_digest(make_digest(), latin)
