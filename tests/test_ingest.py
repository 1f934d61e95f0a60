"""Ingest: files → Articles with title, date, source, place and a clean body."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from conftest import shared_path
from digest import ingest
from digest.clean import derive_title, is_caption, parse_date, parse_text
from digest.errors import ArticleError
from digest.summarize import summarize_article


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# -- the user's two seed articles ---------------------------------------------------------------


def test_seed_with_date_prefix():
    article = ingest.read_article(shared_path("seeds", "000_286a19878007b156.txt"))
    assert article.date == dt.date(2019, 10, 8)
    assert article.date_source == "prefix"
    assert article.title == "Washington is adding 28 Chinese companies"
    assert article.title_derived
    assert article.body.startswith("Washington is adding 28 Chinese companies")
    assert "date 2019" not in article.body


def test_seed_with_dateline():
    path = shared_path("seeds", "004_171397d32f588afb.txt")
    article = ingest.read_article(path)
    assert article.source == "CNN Business"
    assert article.place == "Hong Kong"
    assert article.title == "Washington is adding 28 Chinese companies"
    # No date in the text: the file's modification time, and we say so.
    assert article.date_source == "mtime"
    assert article.date == dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).date()
    assert "CNN Business" not in article.body
    assert "contributed reporting" not in article.body
    assert "Roosevelt Room" not in article.body  # the photo caption
    assert article.body.startswith("Washington is adding 28 Chinese companies")


def test_seed_summaries_carry_no_metadata():
    for name in ("000_286a19878007b156.txt", "004_171397d32f588afb.txt"):
        article = ingest.read_article(shared_path("seeds", name))
        summary = summarize_article(article, count=3)
        assert len(summary.sentences) == 3
        text = summary.text
        for leak in ("CNN Business", "date 2019", "contributed reporting", "Roosevelt Room"):
            assert leak not in text


# -- metadata sources -------------------------------------------------------------------------------


def test_front_matter():
    parsed = parse_text(
        "---\ntitle: Bridge reopens after repairs\ndate: 2026-03-04\nsource: Valley Post\n"
        "author: Ana Reyes\nurl: https://example.org/bridge\n---\n\nThe old bridge reopened on Tuesday.\n"
    )
    assert parsed.title == "Bridge reopens after repairs"
    assert parsed.date == dt.date(2026, 3, 4)
    assert parsed.date_source == "front-matter"
    assert parsed.source == "Valley Post"
    assert parsed.author == "Ana Reyes"
    assert parsed.url == "https://example.org/bridge"
    assert parsed.body == "The old bridge reopened on Tuesday."


def test_header_block():
    parsed = parse_text("Title: Rain delays harvest\nDate: Tue, 03 Mar 2026 08:00:00 +0000\n\nFarmers waited.\n")
    assert parsed.title == "Rain delays harvest"
    assert parsed.date == dt.date(2026, 3, 3)
    assert parsed.date_source == "header"
    assert parsed.body == "Farmers waited."


def test_heading_line_is_title():
    parsed = parse_text("Library opens late on Fridays\n\nThe town library will stay open until nine. Staff agreed.\n")
    assert parsed.title == "Library opens late on Fridays"
    assert parsed.body.startswith("The town library")


def test_markdown_heading_and_markup():
    parsed = parse_text("# Markets rally\n\nShares **rose** after the [report](https://x.example) came out.\n")
    assert parsed.title == "Markets rally"
    assert parsed.body == "Shares rose after the report came out."


def test_sentence_first_line_is_not_a_title():
    parsed = parse_text("The council met on Monday.\nIt approved the budget.\n")
    assert parsed.title is None


@pytest.mark.parametrize(
    "text, source, place",
    [
        ("Washington (CNN) -- The senate voted on the bill late on Monday.", "CNN", "Washington"),
        ("(CNN)The senate voted on the bill late on Monday.", "CNN", None),
        ("LONDON, England (Reuters) - The senate voted on the bill late on Monday.", "Reuters", "London, England"),
        ("washington ( cnn ) -- the senate voted on the bill late on monday .", "CNN", "Washington"),
        ("Hong Kong CNN Business  — \n\nThe senate voted on the bill late on Monday.", "CNN Business", "Hong Kong"),
        ("Ardley (Metro Daily) -- The senate voted on the bill late on Monday.", "Metro Daily", "Ardley"),
    ],
)
def test_datelines(text, source, place):
    parsed = parse_text(text)
    assert parsed.source == source
    assert parsed.place == place
    assert parsed.body.lower().startswith("the senate voted")


def test_published_and_updated_stamps_are_removed_and_give_the_date():
    parsed = parse_text(
        "Dock workers end strike\n\nBy . Ana Reyes . PUBLISHED: 12:58 EST, 3 March 2026 | UPDATED: 13:01 EST, "
        "4 March 2026 . Dock workers voted to end the strike on Monday. Ships were unloaded the same night.\n"
    )
    assert parsed.date == dt.date(2026, 3, 3)
    assert "PUBLISHED" not in parsed.body and "UPDATED" not in parsed.body
    assert parsed.body.startswith("Dock workers voted")
    # Words near the keyword, but no stamp: nothing is taken out.
    text = "The list was updated on Monday. It was published as a leaflet in March."
    assert parse_text(text).body == text


def test_dateline_with_date():
    parsed = parse_text("PARIS, March 3, 2026 (AFP) - Museums stayed shut during the strike.")
    assert parsed.source == "AFP"
    assert parsed.date == dt.date(2026, 3, 3)
    assert parsed.date_source == "dateline"


def test_daily_mail_byline_and_stamps():
    text = (
        "By . Daily Mail Reporter . PUBLISHED: 12:58 EST, 3 March 2013 . | . UPDATED: 13:01 EST, 3 March 2013 . "
        "A swan stopped traffic on the ring road for an hour. Drivers were patient."
    )
    parsed = parse_text(text)
    assert parsed.author == "Daily Mail Reporter"
    assert parsed.source == "Daily Mail"
    assert parsed.date == dt.date(2013, 3, 3)
    assert parsed.body == "A swan stopped traffic on the ring road for an hour. Drivers were patient."


def test_boilerplate_lines_removed():
    text = (
        "Title: Tram line extended\n\n"
        "The tram line now reaches the airport.\n\n"
        "Read more: How the city pays for its trams\n\n"
        "Related: Airport passenger numbers climb\n\n"
        "Scroll down for video The first tram left at dawn.\n\n"
        "Ines Moura and Tom Reed contributed to this report.\n"
    )
    body = parse_text(text).body
    assert body == "The tram line now reaches the airport.\n\nThe first tram left at dawn."


def test_ordinary_paragraphs_starting_with_keywords_are_kept():
    body = parse_text("Video footage showed the fire spreading.\n\nWatchdogs said the rules were clear.").body
    assert "Video footage showed" in body and "Watchdogs said" in body


def test_caption_detection():
    assert is_caption("The mayor speaks during a ceremony at the town hall on October 7, 2025, in Ardley.")
    assert not is_caption("The mayor spoke for an hour on October 7, 2025, and answered questions.")
    assert not is_caption('"We speak for everyone," the mayor said on October 7, 2025.')


def test_hard_wrapped_text_is_joined():
    text = (
        "Title: Wrapped\n\nThe committee published its report on the state of the harbour walls,\n"
        "which were damaged in the storms of last winter, and asked for funds.\n"
    )
    assert parse_text(text).body == (
        "The committee published its report on the state of the harbour walls, "
        "which were damaged in the storms of last winter, and asked for funds."
    )


def test_parse_date_forms():
    assert parse_date("2026-11-21") == dt.date(2026, 11, 21)
    assert parse_date("21 November 2026") == dt.date(2026, 11, 21)
    assert parse_date("Nov. 21, 2026") == dt.date(2026, 11, 21)
    assert parse_date("Sat, 21 Nov 2026 07:00:00 +0000") == dt.date(2026, 11, 21)
    assert parse_date("2026-02-30") is None
    assert parse_date("soon") is None


def test_derive_title():
    assert derive_title("Short sentence here.") == "Short sentence here"
    long = "The regional council voted on Monday, after a debate lasting most of the night, to close three libraries"
    assert derive_title(long) == "The regional council voted on Monday"
    words = "word " * 40
    assert derive_title(words).endswith("…") and len(derive_title(words)) <= 81


# -- decoding and bad files ---------------------------------------------------------------------


def test_encodings(tmp_path):
    text = "Title: Caf\u00e9 prices\n\nA \u2018flat white\u2019 now costs \u20ac4 \u2014 up 10%.\n"
    utf8 = write(tmp_path, "utf8.txt", text.encode("utf-8"))
    bom = write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + text.encode("utf-8"))
    cp1252 = write(tmp_path, "cp1252.txt", text.encode("cp1252"))
    utf16 = write(tmp_path, "utf16.txt", text.encode("utf-16"))
    for path in (utf8, bom, cp1252, utf16):
        article = ingest.read_article(path)
        assert article.title == "Caf\u00e9 prices", path
        assert article.body == "A \u2018flat white\u2019 now costs \u20ac4 \u2014 up 10%.", path


def test_latin1_bytes_undefined_in_cp1252_do_not_crash(tmp_path):
    path = write(tmp_path, "odd.txt", b"Title: Odd bytes\n\nA byte \x81 here and \xe9 there.\n")
    article = ingest.read_article(path)
    assert article.title == "Odd bytes"
    assert "\xe9 there" in article.body


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty file"), (b"  \n\n ", "empty file"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary")],
)
def test_bad_files_raise_article_error(tmp_path, content, reason):
    path = write(tmp_path, "bad.txt", content)
    with pytest.raises(ArticleError) as info:
        ingest.read_article(path)
    assert reason in info.value.reason
    assert info.value.path == str(path)


def test_missing_file(tmp_path):
    with pytest.raises(ArticleError, match="no such file"):
        ingest.read_article(tmp_path / "nope.txt")


def test_too_large(tmp_path):
    path = write(tmp_path, "big.txt", "Title: Big\n\n" + "word " * 1000)
    with pytest.raises(ArticleError, match="too large"):
        ingest.read_article(path, max_bytes=100)


def test_read_folder_skips_bad_files_and_keeps_the_rest(tmp_path):
    write(tmp_path, "good.txt", "Title: Good one\n\nA sentence about the harbour.\n")
    write(tmp_path, "sub/also-good.md", "# Also good\n\nAnother sentence about the river.\n")
    write(tmp_path, "empty.txt", b"")
    write(tmp_path, "binary.txt", bytes(range(256)) * 4)
    os.symlink(tmp_path / "missing-target.txt", tmp_path / "dangling.txt")
    write(tmp_path, ".hidden.txt", "Title: Hidden\n\nText.\n")
    write(tmp_path, ".good.txt.swp", "swap")
    write(tmp_path, "draft.txt~", "backup")
    write(tmp_path, "download.txt.part", "partial")
    write(tmp_path, "notes.pdf", "not matched")
    articles, skipped = ingest.read_folder(tmp_path)
    assert sorted(a.title for a in articles) == ["Also good", "Good one"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons == {"binary.txt": "binary file, not text", "dangling.txt": "no such file", "empty.txt": "empty file"}


def test_missing_seeds_folder(tmp_path):
    with pytest.raises(ArticleError, match="seeds folder not found"):
        ingest.read_folder(tmp_path / "absent")


@pytest.mark.parametrize("name", [".x.swp", "a~", ".#a.txt", "a.txt.part", "a.tmp", "a.crdownload", "~$doc.txt"])
def test_ignored_names(name):
    assert ingest.is_ignored_name(name)


def test_content_hash_tracks_bytes(tmp_path):
    a = ingest.read_article(write(tmp_path, "a.txt", "Title: A\n\nOne.\n"))
    b = ingest.read_article(write(tmp_path, "b.txt", "Title: A\n\nOne.\n"))
    c = ingest.read_article(write(tmp_path, "c.txt", "Title: A\n\nTwo.\n"))
    assert a.content_hash == b.content_hash != c.content_hash


@pytest.mark.parametrize("content", ["!!!! ??? ...\n", "🎉🎉 🔥\n\n— — —\n", "# ***\n\n---\n", "Title: ...\n\n!!!\n"])
def test_text_without_a_single_word_is_not_an_article(tmp_path, content):
    # Before, "!!!!" became a story titled "Untitled article" whose summary was "!!!!".
    path = write(tmp_path, "odd.txt", content)
    with pytest.raises(ArticleError) as info:
        ingest.read_article(path)
    assert info.value.reason in ("no words in the text", "no article text found")


@pytest.mark.parametrize("content, title", [
    ("Only a title here\n", "Only a title here"),
    ("🚲 Bike week 🎉\n\nThe bike week 🚲 drew 5,000 riders 🎉 on Sunday. Organisers said it was the best yet.\n",
     "🚲 Bike week 🎉"),
    ("عنوان الخبر\n\nافتتحت المدينة جسراً جديداً يوم الاثنين. وقال رئيس البلدية إن المشروع اكتمل قبل موعده.\n",
     "عنوان الخبر"),
])
def test_odd_but_real_text_is_still_read(tmp_path, content, title):
    article = ingest.read_article(write(tmp_path, "odd.txt", content))
    assert article.title == title
    assert summarize_article(article, count=2).sentences


def _unprivileged(func):
    """``func()`` run where permissions apply: as is for a normal user, in a child as 'nobody' for root."""
    import json

    if os.geteuid() != 0:
        return func()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, run, send the result back, and leave without cleanup
        status = 1
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_end, json.dumps(func()).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    assert os.waitpid(pid, 0)[1] == 0, "the unprivileged child failed"
    return json.loads(data)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX permissions")
def test_a_folder_that_cannot_be_listed_is_reported_not_silently_missed():
    import shutil
    import tempfile

    from digest.build import build
    from digest.config import settings_from_mapping

    top = Path(tempfile.mkdtemp(prefix="digest-perm-"))  # not under pytest's root-only temp folder
    try:
        top.chmod(0o777)
        seeds = top / "seeds"
        write(seeds, "open.txt", "Title: Open\n\nThe open story is here. It has two sentences.\n")
        write(seeds / "locked", "hidden.txt", "Title: Hidden\n\nA story no one can list. It stays hidden.\n")
        seeds.chmod(0o755)
        (seeds / "locked").chmod(0)

        now = dt.datetime(2026, 11, 21, 7, tzinfo=dt.timezone.utc)

        def settings(out: str):
            return settings_from_mapping({"paths": {"seeds": str(seeds), "out": str(top / out)}})

        # A first build with every permission imports all that building needs (the unprivileged
        # child may not be allowed to read the Python installation).
        assert len(build(settings("warm"), day=now.date(), now=now).digest.stories) == 2

        def scan():
            unreadable = []
            found = ingest.find_article_files(seeds, unreadable=unreadable)
            articles, skipped = ingest.read_folder(seeds)
            built = build(settings("out"), day=now.date(), now=now)
            return ([p.name for p in found], [(s.path, s.reason) for s in unreadable],
                    [a.title for a in articles], [(s.path, s.reason) for s in skipped],
                    [(s.path, s.reason) for s in built.skipped], len(built.digest.stories))

        found, unreadable, titles, skipped, build_skipped, stories = _unprivileged(scan)
        assert found == ["open.txt"] and titles == ["Open"] and stories == 1
        expected = [[str(seeds / "locked"), "cannot list this folder: Permission denied"]]
        assert unreadable == expected and skipped == expected and build_skipped == expected
    finally:
        (top / "seeds" / "locked").chmod(0o755)
        shutil.rmtree(top)


def test_a_derived_title_skips_a_leading_run_of_punctuation():
    article = ingest.parse_article("!!!        The council met on Monday. It agreed the budget.", "odd.txt")
    assert article.title == "The council met on Monday"
    assert article.title_derived
