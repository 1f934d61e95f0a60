"""Hostile and odd inputs: each is read, or skipped with a one-line reason, in reasonable time.

The inputs are made in tmp_path by each test. The big ones are sized so that the code they
guard against (quadratic regex scans, an unbounded read) would take minutes: the subprocess
timeout is a hang guard, not a benchmark; the fixed code takes about a second.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import quopri
import re
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_digest
from digest import clean, ingest
from digest.markdown import drop_code_blocks, markdown_heading, strip_markdown
from digest.ingest import sections
from digest.ingest.html import _depth, parse_document

HANG_GUARD = 60  # seconds; the fixed code needs about one
LEAD = "Quarry road\n\nThe council voted on Tuesday to reopen the quarry road after the long repairs. "


def _summaries(done) -> dict[str, dict]:
    return {json.loads(line)["path"].rsplit("/", 1)[-1]: json.loads(line) for line in done.stdout.decode().splitlines()}


def test_long_runs_of_marks_spaces_or_dots_are_read_in_linear_time(tmp_path):
    mail = "From: Valley Post <news@valley.test>\nSubject: Road news\nContent-Type: text/plain\n\n"
    files = {
        "bold.md": LEAD + "**a " * 80_000,            # unclosed bold marks
        "bold2.md": LEAD + "** " * 100_000 + "__a__",  # marks that open nothing, then the other kind
        "links.md": LEAD + "[a " * 100_000,           # unclosed link brackets
        "images.md": LEAD + "![a " * 80_000,          # unclosed image brackets
        "heading.md": "# Road" + "#" * 100_000 + "x\n\n" + LEAD,  # a heading's closing run of #s
        "spaces.eml": mail + LEAD + "\n\nx" + " " * 100_000 + "y\n",  # a line that might end in a URL
        "brackets.eml": mail + LEAD + "\n\n" + "[a " * 100_000 + "\n",
        # A first paragraph with a long run of spaces, read for a dateline ("Washington (CNN) --").
        "dateline.txt": "Quarry road\n\nThe council voted on Tuesday to reopen the quarry road. It was"
                        + " " * 20_000 + " done.\n",
        # A dotted leader in a paragraph naming "updated", read for "UPDATED: 3 March 2013" stamps.
        "leader.txt": LEAD + "\n\nLast updated" + " ." * 60_000 + " never\n",
        # Photo credits: a caption ends in one, looked for from every "(Getty Images".
        "credits.txt": LEAD + "\n\n" + "(Getty Images " * 120_000 + "\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    done = run_digest("summarize", "--format", "json", *sorted(str(tmp_path / n) for n in files), timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr.decode()
    found = _summaries(done)
    assert sorted(found) == sorted(files)
    for name, summary in found.items():
        assert any("reopen the quarry road" in s["text"] for s in summary["sentences"]), name


# The patterns the linear code replaced: on short inputs they are the specification.
_OLD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_OLD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_OLD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_OLD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_URL = r"https?://[^\s<>()\"']+[^\s<>()\"'.,;:!?]"
_OLD_LABELLED_URL = re.compile(rf"^(?P<label>[^<>]*?)\s*[:\-–—]?\s*<?(?P<url>{_URL})>?\s*$")
_OLD_TEXT_LINK = re.compile(rf"\[([^\]]+)\]\(({_URL})\)")

_MARKS = st.lists(st.sampled_from(
    ["!", "[", "]", "(", ")", "*", "**", "_", "__", " ", "\t", "\u00a0", "a", "b c", '"', "#", "# ", "(u v)",
     "<", ">", ":", "-", "—", ".", "http://", "https://", "x.test/p", "s"]), max_size=16).map("".join)


def _old_markdown(text: str) -> str:
    text = _OLD_LINK.sub(r"\1", _OLD_IMAGE.sub("", text))
    if "**" in text or "__" in text:
        text = _OLD_EMPHASIS.sub(r"\2", text)
    if m := _OLD_HEADING.match(text):
        text = m.group(1)
    return text.strip()


@settings(max_examples=400, deadline=None)
@given(_MARKS)
def test_linear_markdown_and_link_parsing_gives_what_the_old_patterns_gave(line):
    assert strip_markdown(line) == _old_markdown(line)
    old_heading = _OLD_HEADING.match(line)
    assert markdown_heading(line) == (old_heading.group(1) if old_heading else None)
    old_url = _OLD_LABELLED_URL.match(line)
    assert sections._labelled_url(line) == ((old_url["label"], old_url["url"]) if old_url else None)
    assert sections._links(line) == tuple(_OLD_TEXT_LINK.findall(line))
    assert sections._unlink(line) == _OLD_TEXT_LINK.sub(r"\1", line)


def _run_python(script: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=HANG_GUARD,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_dateline_after_a_run_of_spaces_is_looked_for_in_linear_time():
    done = _run_python("from digest.clean import _BARE_DATELINE as d\n"
                       "print(d.match(' ' * 100_000) is None, d.match(' ' * 50_000 + 'LONDON Reuters - x') is not None)")
    assert done.stdout.split() == ["True", "True"], done.stderr


def test_a_stamp_time_followed_by_a_run_of_spaces_is_looked_for_in_linear_time():
    # "\s*(?:am|est…)?\s*,?\s*" after a stamp's time split the run every way: cubic, minutes here.
    script = ("from digest.clean import parse_text\n"
              "for lead in ('Updated 10:30', 'The road reopened. Last updated 10:30', '(CNN) -- . ' + ' ' * 3000 + '| updated'):\n"
              "    parsed = parse_text('Quarry road\\n\\n' + lead + ' ' * 3000 + 'x\\n\\nThe council met on Tuesday.')\n"
              "    print('council' in parsed.body)\n")
    done = _run_python(script)
    assert done.stdout.split() == ["True"] * 3, done.stderr


def test_a_first_line_like_a_header_with_a_run_of_spaces_is_read_in_linear_time():
    # "Key: value" headers are looked for on the first lines; "\s*(.*?)\s*$" was quadratic here.
    script = ("from digest.clean import parse_text\n"
              "parsed = parse_text('Note: the road' + ' ' * 200_000 + 'reopens\\n\\nThe council met on Tuesday.')\n"
              "print('council' in parsed.body, parse_text('Title:  Quarry road  \\n\\nThe council met.').title)\n")
    done = _run_python(script)
    assert done.stdout.split() == ["True", "Quarry", "road"], done.stderr


def test_bylines_and_boilerplate_lines_with_runs_of_spaces_are_read_in_linear_time():
    # Runs of spaces split every way between neighbouring "\s*": cubic for "By Jane", quadratic
    # for "Read more"; each of these took minutes.
    script = ("from digest.clean import parse_text\n"
              "for lead in ('By Jane' + ' ' * 20_000 + 'Doe', 'By . Jane Doe . and' + ' ' * 30_000 + 'x',\n"
              "             'Read more' + ' ' * 200_000 + 'x'):\n"
              "    print('council' in parse_text('Quarry road\\n\\n' + lead + '\\n\\nThe council met on Tuesday.').body)\n"
              "print(parse_text('Quarry road\\n\\nBy Jane Doe. The council met on Tuesday.').author)\n")
    done = _run_python(script)
    assert done.stdout.split() == ["True"] * 3 + ["Jane", "Doe"], done.stderr


def test_a_paragraph_of_many_links_is_read_in_linear_time(tmp_path):
    # Each link of a block was checked against a list of the block's links: quadratic.
    script = (
        "import lxml.html\n"
        "from digest.ingest.html import page_blocks\n"
        "links = ''.join(f'<a href=\"/n{i}\">w{i}</a> ' for i in range(60_000))\n"
        "blocks = page_blocks(lxml.html.document_fromstring(f'<html><body><p>{links}</p></body></html>'))\n"
        "print(len(blocks), len(blocks[0].links))\n"
    )
    done = _run_python(script)
    assert done.stdout.split() == ["1", "60000"], done.stderr


def test_html_past_libxml2s_limits_loses_no_text(tmp_path):
    # Past 255 levels of nesting, or a text run over 10 MB, libxml2 silently dropped the rest of the page.
    story = "<p>The council voted on Tuesday to reopen the quarry road after the long repairs.</p>"
    tail = "<p>The ribbon will be cut next Saturday near the old mill bridge.</p>"
    pages = {
        "fonts.html": "<p>Opening words stay.</p>" + "<font size=2>" * 300 + story + tail,  # never closed
        "divs.html": "<p>Opening words stay.</p>" + "<div>" * 5000 + story + "</div>" * 5000 + tail,
        # Deeper than Python's recursion limit, within huge_tree's: must not come back whole.
        "deep.html": "<p>Opening words stay.</p>" + "<div>" * 1500 + story + "</div>" * 1500 + tail,
    }
    for name, body in pages.items():
        (tmp_path / name).write_text(f"<html><head><title>Road</title></head><body>{body}</body></html>")
        article = ingest.read_article(tmp_path / name)
        assert "Opening words stay" in article.body and "quarry road" in article.body and "mill bridge" in article.body
    big = parse_document(f"<html><body><p>{'word ' * 2_200_000}</p>{tail}</body></html>")
    assert "mill bridge" in big.text_content() and len(big.text_content()) > 11_000_000
    big_and_deep = parse_document("<html><body>" + "<div>" * 1500 + f"<p>{'word ' * 2_200_000}</p>"
                                  + "</div>" * 1500 + f"{tail}</body></html>")
    assert "mill bridge" in big_and_deep.text_content() and _depth(big_and_deep) < 20


def test_file_names_with_newlines_or_escapes_give_one_line_messages(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "evil\nname.txt").write_bytes(b"")
    (seeds / "red\x1b[31m.txt").write_bytes(b"")
    (seeds / "-dash name.txt").write_text(LEAD + "The ribbon will be cut next Saturday.\n")
    done = run_digest("build", "--seeds", str(seeds), "--out", str(tmp_path / "out"), "--json")
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stderr.decode().splitlines()
    assert sorted(lines) == [f"digest: skipped {seeds}/evil\\nname.txt: empty file",
                             f"digest: skipped {seeds}/red\\x1b[31m.txt: empty file"]
    assert json.loads(done.stdout)["stories"] == 1
    done = run_digest("summarize", str(seeds / "gone\n.txt"))
    assert done.returncode == 3 and done.stderr.decode() == f"digest: error: {seeds}/gone\\n.txt: no such file\n"


def test_the_daemon_logs_one_line_per_message():
    from digest.commands.run import LOG_FORMAT, _OneLineFormatter

    record = logging.LogRecord("digest", logging.WARNING, __file__, 1, "quarantined %s: %s", ("a\nb.txt", "empty file"), None)
    assert _OneLineFormatter(LOG_FORMAT).format(record).endswith("WARNING quarantined a\\nb.txt: empty file")


def test_standard_input_has_the_same_size_limit_as_files(tmp_path):
    # It was read whole, whatever its size: 50 MB of one line took 750 MB of memory.
    config = tmp_path / "digest.toml"
    config.write_text("[input]\nmax_file_mb = 0.5\n")
    big = b"word " * 200_000  # 1 MB
    done = run_digest("--config", str(config), "summarize", "-", input=big)
    assert done.returncode == 3 and done.stdout == b""
    assert done.stderr.decode() == "digest: error: <stdin>: too large (over 0.5 MB, the limit)\n"
    done = run_digest("--config", str(config), "summarize", "-", input=LEAD.encode())
    assert done.returncode == 0 and b"reopen the quarry road" in done.stdout


STORY = ("The council voted on Tuesday to reopen the quarry road after the long repairs. "
         "Residents said the detour had added twenty minutes to every trip into town. "
         "The ribbon will be cut next Saturday near the old mill bridge.\n")


def _mail(headers: str, body: bytes) -> bytes:
    return ("From: Valley Post <news@valley.test>\r\nSubject: Road news\r\nMIME-Version: 1.0\r\n" + headers
            + "\r\n\r\n").encode() + body


def test_mail_whose_labels_or_encoding_lie_is_read_or_skipped_with_a_reason(tmp_path):
    mails = {
        # ASCII text labelled UTF-16 was decoded as UTF-16: a line of CJK-looking nonsense.
        "utf16_label.eml": _mail("Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: quoted-printable",
                                 quopri.encodestring(STORY.encode())),
        # A multipart with no boundary: the parser cannot split it, and its text was ignored.
        "no_boundary.eml": _mail("Content-Type: multipart/mixed", STORY.encode()),
        # Real UTF-16 text labelled so is still UTF-16.
        "utf16_real.eml": _mail("Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64",
                                base64.encodebytes(STORY.encode("utf-16"))),
        # Broken base64 used to become a "story" of cp1252 nonsense.
        "broken_base64.eml": _mail("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64",
                                   b"!!!!not base64 at all ====\r\n%%%%\r\n"),
    }
    for name, data in mails.items():
        (tmp_path / name).write_bytes(data)
    done = run_digest("summarize", "--format", "json", *sorted(str(tmp_path / n) for n in mails))
    assert done.returncode == 3
    found = _summaries(done)
    assert sorted(found) == ["no_boundary.eml", "utf16_label.eml", "utf16_real.eml"]
    for summary in found.values():
        assert summary["sentences"][0]["text"].startswith("The council voted on Tuesday")
    assert done.stderr.decode() == (f"digest: error: {tmp_path}/broken_base64.eml: "
                                    "the message's text is damaged (its base64 encoding is broken)\n")


def test_an_empty_file_name_is_named_as_such():
    done = run_digest("summarize", "")
    assert done.returncode == 3 and done.stderr.decode() == "digest: error: '': empty file name\n"


def test_summaries_and_status_show_a_file_name_with_a_newline_on_one_line(tmp_path):
    import datetime as dt

    from digest.arrivals import Arrivals
    from digest.config import settings_from_mapping
    from digest.store import State
    from digest.store.articles import ArticleStore

    seeds, out = tmp_path / "seeds", tmp_path / "out"
    seeds.mkdir()
    (seeds / "good\nname.txt").write_text(LEAD + "The ribbon will be cut next Saturday.\n")
    done = run_digest("summarize", str(seeds / "good\nname.txt"))
    assert done.returncode == 0 and f"{seeds}/good\\nname.txt" in done.stdout.decode().splitlines()[1]

    (seeds / "bad\nname.txt").write_bytes(b"")
    now = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.timezone.utc)
    settings = settings_from_mapping({"paths": {"seeds": str(seeds), "out": str(out)}, "watch": {"settle_seconds": 1.0}})
    arrivals = Arrivals(settings, ArticleStore(State.for_out_dir(out)))
    arrivals.step(now=now, mono=0.0)
    arrivals.step(now=now, mono=1.0)  # settled: read, and the empty one quarantined
    shown = run_digest("status", "--seeds", str(seeds), "--out", str(out))
    assert shown.returncode == 0, shown.stderr
    assert f"  {seeds}/bad\\nname.txt: empty file" in shown.stdout.decode().splitlines()


def test_a_mail_of_thousands_of_nested_parts_is_skipped_with_a_plain_reason(tmp_path):
    nested = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n" for i in range(3000))
    mail = tmp_path / "nested.eml"
    mail.write_bytes(_mail(nested + "Content-Type: text/plain", STORY.encode()))
    items = list(ingest.read_articles([mail]))
    assert [(item.path, item.reason) for item in items] == [(str(mail), "nested too deeply to read")]


def test_a_deeply_nested_page_full_of_broken_tags_is_flattened_in_linear_time(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<html><body>" + "<div>" * 300 + "<p>The council voted on Tuesday to reopen the quarry road.</p>"
                    + "<a" * 400_000 + "</body></html>")
    done = run_digest("summarize", "--format", "json", str(page), timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr.decode()
    assert "reopen the quarry road" in done.stdout.decode()


_OLD_BARE_DATELINE = re.compile(
    rf"^\s*(?P<place>[A-Z][\w.'’]*(?:\s+[A-Z][\w.'’]*){{0,3}})?,?\s*(?P<source>{clean._OUTLETS})\s*{clean._DASH}\s*")
_OLD_STAMP = re.compile(
    r"(?=[\s.|]*(?:published|updated|last updated))(?:\s*\.?\s*\|?\s*\.?\s*)"
    r"(?:published|updated|last updated)\s*:?\s*(?:at\s*)?"
    r"(?P<when>[\w:, ]{0,12}?(?:\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?|est|edt|gmt|bst|utc)?\s*,?\s*(?:on\s*)?)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{clean._MONTH}\s+\d{{4}}|{clean._MONTH}\s+\d{{1,2}},?\s+\d{{4}}))"
    r"\s*\.?", re.IGNORECASE)
_OLD_PHOTO_CREDIT = re.compile(r"(?i)\((?:getty images|ap photo|reuters|afp)[^)]*\)\s*$")
_STAMPY = st.lists(st.sampled_from(
    [" ", "  ", ".", "|", "\t", "published", "UPDATED", "last updated", "Updated:", " at ", "12:58 EST, ", "3 March 2013",
     "10:30", "am", "3", "2013", "mar", "1st",
     "March 3, 2013", "on ", "x", "un", ",", "(", ")", "Getty Images", "(AP Photo", "(CNN) -- ", "Washington ",
     "LONDON Reuters - ", "\u00a0"]), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_STAMPY)
def test_linear_stamp_dateline_and_credit_finding_gives_what_the_old_patterns_gave(text):
    old_found: dict[str, str] = {}

    def keep_first(m):
        old_found.setdefault("date", m.group("when"))
        return " "

    lowered = text.casefold()
    old = _OLD_STAMP.sub(keep_first, text) if "published" in lowered or "updated" in lowered else text
    found: dict[str, str] = {}
    assert (clean._remove_stamps(text, found), found) == (old, old_found)
    new, was = clean._STAMP.match(text), _OLD_STAMP.match(text)
    assert (new and (new.span(), new.groupdict())) == (was and (was.span(), was.groupdict()))
    old_dateline = re.compile(clean._PAREN_DATELINE.pattern.replace(r"\s*+,?\s*+", r"\s*,?\s*"), re.IGNORECASE)
    new, was = clean._PAREN_DATELINE.match(text), old_dateline.match(text)
    assert (new and (new.span(), new.groupdict())) == (was and (was.span(), was.groupdict()))
    new, was = clean._BARE_DATELINE.match(text), _OLD_BARE_DATELINE.match(text)
    assert (new and (new.span(), new.groupdict())) == (was and (was.span(), was.groupdict()))
    stripped = text.strip()
    assert clean._ends_with_photo_credit(stripped) == bool(_OLD_PHOTO_CREDIT.search(stripped))


def test_bidi_overrides_are_dropped_from_titles_and_summaries(tmp_path):
    # An unclosed right-to-left override (U+202E) in a title would turn the rest of its line of the
    # digest around; isolates and embeddings likewise. Hebrew text itself is kept as it is.
    path = tmp_path / "flipped.txt"
    path.write_text(
        "Quarry \u202eroad\u202c news \u2067today\u2069\n\n"
        "The council voted on Tuesday to reopen the quarry \u202droad\u202c after the long repairs. "
        "Work crews finished the last stretch of new asphalt \u202aon Monday\u202c evening. "
        "Residents in \u05d4\u05e2\u05d9\u05e8 said the detour had added twenty minutes to each trip.\n",
        encoding="utf-8",
    )
    done = run_digest("summarize", "--format", "json", "-n", "3", str(path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    shown = result["title"] + " ".join(s["text"] for s in result["sentences"])
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", shown)
    assert result["title"] == "Quarry road news today"
    assert "\u05d4\u05e2\u05d9\u05e8" in shown


def test_bidi_overrides_and_controls_are_dropped_from_page_and_mail_titles(tmp_path):
    body = ("The council voted on Tuesday to reopen the quarry road after the long repairs were done.\n\n"
            "Work crews finished the last stretch of new asphalt on Monday evening before the rain.\n")
    (tmp_path / "page.html").write_text(
        "<html><head><title>Quarry \u202eroad\x1b[2J news</title></head><body>"
        + "".join(f"<p>{p}</p>" for p in body.split("\n\n")) + "</body></html>", encoding="utf-8")
    (tmp_path / "letter.eml").write_text(
        "From: Valley Post <news@valley.test>\nSubject: Quarry \u202eroad\x1b[2J news\n"
        "Content-Type: text/plain; charset=utf-8\n\n" + body, encoding="utf-8")
    done = run_digest("summarize", "--format", "json", str(tmp_path / "page.html"), str(tmp_path / "letter.eml"))
    assert done.returncode == 0, done.stderr
    titles = [json.loads(line)["title"] for line in done.stdout.splitlines()]
    assert titles == ["Quarry road[2J news"] * 2


def _plain_drop_code_blocks(text: str) -> str:
    """What ``drop_code_blocks`` does, the obvious way: from each opening fence, look for its closer."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        m = re.fullmatch(r" {0,3}(`{3,}(?=[^`]*$)|~{3,})(.*)", lines[i])
        if m is None:
            out.append(lines[i])
            i += 1
            continue
        marks = m.group(1)
        end = next((j for j in range(i + 1, len(lines))
                    if re.fullmatch(rf" {{0,3}}{re.escape(marks[0])}{{{len(marks)},}}\s*", lines[j])), None)
        if end is None:
            out.append("")
            i += 1
        else:
            out.extend([""] * (end - i + 1))
            i = end + 1
    return "\n".join(out)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["```", "````", "```py", "~~~", "~~~~", "  ```", "    ```", "``` x ```",
                                 "code", "", "text.", "`````"]), max_size=14))
def test_code_blocks_are_dropped_as_the_obvious_way_drops_them(lines):
    text = "\n".join(lines)
    assert drop_code_blocks(text) == _plain_drop_code_blocks(text)


def test_code_blocks_are_not_summarized_and_many_fences_take_linear_time(tmp_path):
    prose = ("The council voted on Tuesday to reopen the quarry road after the long repairs were done.\n\n"
             "Work crews finished the last stretch of new asphalt on Monday evening before the rain.\n")
    (tmp_path / "fenced.md").write_text("```\nprint('first')\n\nmore()\n```\n\n" + prose + "\n~~~\nx = 1\n~~~\n",
                                        encoding="utf-8")
    (tmp_path / "fences.md").write_text(prose + "\n" + "```x\n" * 60_000, encoding="utf-8")  # none closed
    done = run_digest("summarize", "--format", "json", "-n", "5", str(tmp_path / "fenced.md"),
                      str(tmp_path / "fences.md"), timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr
    fenced, fences = (json.loads(line) for line in done.stdout.splitlines())
    assert fenced["title"].startswith("The council voted")
    assert [s["text"] for s in fenced["sentences"]] == prose.replace("\n\n", "\n").split("\n")[:2]
    assert fences["sentences"][0]["text"].startswith("The council voted")


_CHROME_PIECES = ["Unsubscribe", "view this email in your browser", "update your preferences", "Manage subscription",
                  "you're receiving this", "You received this newsletter", "were you forwarded this",
                  "add us to your address book", "We use cookies", "Accept all", "Reject all", "Skip to content",
                  "Share this story", "Follow us on", "Sponsored:", "Paid post |", "Partner content -",
                  "delivered to your inbox", "sign up for our", "Photo: Ana Lima", "Image credit: K. Roe",
                  "Advertisement", "promoted", "the council", "road", ". ", "\n", " ", "İ", "ı", "ſ", "\u212a",
                  "SIGN", "UNSUBSCRİBE", "unſubscribe", "cookıe settings"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_CHROME_PIECES), max_size=6).map("".join))
def test_the_chrome_check_with_its_word_filter_answers_as_the_regex_alone(text):
    assert sections.is_chrome(text) == bool(sections._CHROME.search(text))


def test_divider_lines_between_stories_are_not_summarized_as_sentences(tmp_path):
    stories = ["The council voted on Tuesday to reopen the quarry road after the long repairs.",
               "The library will open on Sundays from next month, the board said on Friday.",
               "Volunteers planted two hundred trees along the river path over the weekend."]
    for i, divider in enumerate(["----------", "* * *", "**********", "=========="]):
        (tmp_path / f"letter{i}.txt").write_text("Valley weekly\n\n" + f"\n\n{divider}\n\n".join(stories) + "\n")
    done = run_digest("summarize", "--format", "json", "-n", "5", *(str(tmp_path / f"letter{i}.txt") for i in range(4)))
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        assert [s["text"] for s in json.loads(line)["sentences"]] == stories, line


def test_tilde_dividers_in_a_text_file_or_mail_lose_no_story(tmp_path):
    # Plain-text newsletters set stories apart with lines of tildes; read as Markdown code
    # fences, the story between two of them was dropped. Fences are code in Markdown files only.
    stories = ["The council voted on Tuesday to reopen the quarry road after the long repairs.",
               "The library will open on Sundays from next month, the board said on Friday.",
               "Volunteers planted two hundred trees along the river path over the weekend."]
    body = "Valley weekly\n\n" + "\n\n~~~~~~~~~~\n\n".join(stories) + "\n"
    (tmp_path / "letter.txt").write_text(body, encoding="utf-8")
    (tmp_path / "letter.eml").write_text("From: Valley Post <news@valley.test>\nSubject: Valley weekly\n"
                                         "Content-Type: text/plain; charset=utf-8\n\n" + body, encoding="utf-8")
    (tmp_path / "letter.md").write_text(body, encoding="utf-8")
    done = run_digest("summarize", "--format", "json", "-n", "5",
                      *(str(tmp_path / f"letter.{ext}") for ext in ("eml", "md", "txt")))
    assert done.returncode == 0, done.stderr
    found = {json.loads(line)["path"].rsplit(".", 1)[-1]: [s["text"] for s in json.loads(line)["sentences"]]
             for line in done.stdout.splitlines()}
    assert found["txt"] == stories
    assert found["eml"] == stories
    assert found["md"] == [stories[0], stories[2]]  # in Markdown, the fenced middle is code
