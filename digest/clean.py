"""Text → metadata + clean body: headers, front matter, datelines, bylines and page boilerplate.

Pure functions over strings; ``ingest.py`` does the file handling. The same cleaning runs on
files from seeds/ and on evaluation articles, so what we measure is what users get.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass

from digest.markdown import drop_code_blocks, markdown_heading, strip_markdown

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DAY_MONTH_YEAR = re.compile(rf"(?i)(?<!\w)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?,?\s+(\d{{4}})(?!\d)")
_MONTH_DAY_YEAR = re.compile(rf"(?i)(?<!\w)({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)")

#: News organisations recognised in datelines such as "Hong Kong CNN Business —".
_OUTLETS = (
    r"CNN(?:\s+(?:Business|Money|Politics|Travel|Style|Sport|Health|Digital))?|Reuters|AP|AFP|"
    r"Associated Press|Bloomberg|BBC(?:\s+News)?|Daily Mail|Mail Online|MailOnline|NPR|UPI|"
    r"Sky News|The Guardian|The Independent"
)
_DASH = r"(?:--|—|–|-)"

# "Washington (CNN) --", "(CNN)", "LONDON, England (Reuters) -", "washington ( cnn ) --",
# and any capitalised outlet in parentheses when a dash follows: "Ardley (Metro Daily) --".
# Possessive spaces after the place: plain "\s*,?\s*" split a run of spaces every way before
# failing, ~40 times over (once per place length): minutes for a line with 20,000 spaces.
_PLACE = r"(?:(?P<place>[A-Za-z][\w.'’ -]{0,40}?(?:,\s*[A-Za-z][\w.'’ -]{0,30}?)?)\s*+,?\s*+)?"
_DATE_IN_DATELINE = rf"(?:(?P<date>(?:{_MONTH})\.?\s+\d{{1,2}},?\s+\d{{4}})\s*)?"
_PAREN_DATELINE = re.compile(
    rf"^\s*{_PLACE}{_DATE_IN_DATELINE}\(\s*(?P<source>{_OUTLETS})\s*\)\s*{_DASH}?\s*"
    rf"|^\s*{_PLACE.replace('place', 'place2')}{_DATE_IN_DATELINE.replace('date', 'date2')}"
    rf"\((?P<source2>(?-i:[A-Z][\w&.'’]*(?:\s+[A-Z][\w&.'’]*){{0,3}}))\)\s*{_DASH}\s+",
    re.IGNORECASE,
)
# "Hong Kong CNN Business  —", "NEW YORK Reuters -"  (a dash is required: no parentheses)
_BARE_DATELINE = re.compile(  # possessive spaces: see _PLACE
    rf"^\s*+(?P<place>[A-Z][\w.'’]*(?:\s++[A-Z][\w.'’]*){{0,3}})?,?\s*+(?P<source>{_OUTLETS})\s*+{_DASH}\s*",
)
# "By . Daily Mail Reporter . ", "By Jane Smith, Daily Mail Reporter", "by . sam webb . "
# The spaces after the name possessive (a newline, which "\s*+" would eat, is tried apart):
# "\s*(?:…|\s*\|\s*|$)" split them every way for every name length: 2.5 s for "By Jane" and
# 2,400 spaces, minutes for 10,000. (A second name after "and" is now never read as starting
# with a space: "and  X." with one letter, which matched only that way, no longer does.)
_BYLINE = re.compile(
    r"^\s*by\s*(?:\.\s*)?(?P<who>[^.\n|]{2,80}?)(?:\s*+(?:\.\s++|\|\s*+|$)|[^\S\n]*+\n)"
    r"(?:\s*+and\s++[^.\n]{2,60}?\s*+\.\s*+)?",  # a second name: its spaces possessive too
    re.IGNORECASE,
)
# "PUBLISHED: 12:58 EST, 3 March 2013 | UPDATED: 13:01 EST, 3 March 2013", in raw or tokenized form.
# The lookahead changes no match (the separators are a run of [\s.|] before the keyword either
# way) but lets the scan leave most positions at once: 2.4x faster on paragraphs with a keyword.
# Possessive spaces throughout: every run of spaces is followed by a mark, a word or a digit,
# so no match needs a run split; plain "\s*(?:am|est…)?\s*,?\s*" split it every way before
# failing, cubic time: 12 s for "Updated 10:30" and 400 spaces, minutes for 1,000.
_STAMP_FROM_KEYWORD = re.compile(
    r"(?:published|updated|last updated)\s*+:?\s*+(?:at\s*+)?"
    r"(?P<when>[\w:, ]{0,12}?(?:\d{1,2}:\d{2}\s*+(?:[ap]\.?m\.?|est|edt|gmt|bst|utc)?\s*+,?\s*+(?:on\s*+)?)?"
    r"(?:\d{1,2}(?:st|nd|rd|th)?\s++" + _MONTH + r"\s++\d{4}|" + _MONTH + r"\s++\d{1,2},?\s++\d{4}))"
    r"\s*+\.?",
    re.IGNORECASE,
)
_STAMP = re.compile(r"(?=[\s.|]*(?:published|updated|last updated))(?:\s*+\.?\s*+\|?\s*+\.?\s*+)"
                    + _STAMP_FROM_KEYWORD.pattern, re.IGNORECASE)
_BOILERPLATE_PHRASE = re.compile(r"(?i)\bscroll down for (?:the )?videos?\b\s*\.?\.*\s*")
# Possessive "\s*+" before an optional "." and the final "\s*$": two runs over the same spaces
# were quadratic ("Read more" and 30,000 spaces: 4 s).
_BOILERPLATE_LINE = re.compile(
    r"""(?ix)^\s*(?:
        (?:read\s+more|related(?:\s+(?:articles?|stories|coverage|content|links?))?|more\s+on\s+this(?:\s+story)?|
           see\s+also|watch(?:\s+(?:the\s+)?video)?|videos?|photos?|gallery|advertisement|sponsored)\s*+(?:[:|>»]|-\s).*
      | (?:read\s+more|related(?:\s+(?:articles?|stories|coverage|content|links?))?|advertisement|sponsored|share\s+this(?:\s+article)?)\s*+\.?
      | (?:click\s+here|sign\s+up\s+(?:for|to)|subscribe\s+to\s+(?:our|the)|follow\s+us\s+on)\b.*
      | .{0,120}\bcontributed\s+(?:to\s+)?(?:this\s+|the\s+)?(?:report(?:ing)?|story|article)\s*+\.?
      | (?:image|photo|picture)\s+(?:copyright|caption|credit)\b.*
      | (?:caption|credit|source)\s*:.*
      | copyright\s+(?:©\s*)?\d{4}.*
      | ©.*
      | \[?(?:getty\s+images|ap\s+photo|reuters|afp\s+via\s+getty\s+images)\]?\s*+\.?
    )\s*$""",
)
# A caption describes a photo in the present tense and names when/where it was taken.
_CAPTION_VERB = re.compile(
    r"(?i)\b(?:speaks|speak|attends|arrives|arrive|walks|walk|poses|pose|gestures|waves|stands|stand|sits|sit|"
    r"holds|hold|listens|listen|delivers|leaves|leave|talks|smiles|reacts|react|looks\s+on|looks|is\s+seen|are\s+seen|"
    r"watches|watch|greets|shakes\s+hands|participates|gather|gathers|march|marches|protest|protests|pictured)\b"
)
_CAPTION_PREFIX = re.compile(r"(?i)^\s*(?:photo|pictured|picture|above|left|right|top|below|file photo|in this photo)\s*[:(]")


@dataclass(frozen=True, slots=True)
class Parsed:
    """What ``parse_text`` found: metadata (any may be None) and the clean body."""

    body: str
    title: str | None = None
    date: dt.date | None = None
    date_source: str = "none"
    source: str | None = None
    place: str | None = None
    author: str | None = None
    url: str | None = None


# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F; newlines are kept. One regex
# pass instead of a per-character category check (that was half the cost of cleaning). Also the
# bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): left unclosed
# in a title or sentence, one turns the rest of a line of the digest around. Right-to-left text
# needs none of them (the marks U+200E/U+200F stay).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")


def normalize(text: str) -> str:
    """Unify newlines and odd spaces; drop BOMs, zero-width, control and bidi override characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufeff", "").replace("\u200b", "").replace("\u200c", "").replace("\u2060", "")
    text = text.replace("\xa0", " ").replace("\u2009", " ").replace("\u202f", " ").replace("\t", " ")
    return _CONTROL.sub("", text)


def parse_date(value: str) -> dt.date | None:
    """A date from ISO, RFC 2822 or English long forms ("3 March 2013", "Oct. 8, 2019"); else None."""
    value = value.strip()
    for pattern, order in ((_ISO_DATE, "ymd"), (_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy")):
        if m := pattern.search(value):
            parts = dict(zip(order, m.groups()))
            month = parts["m"]
            month_number = int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip("."))
            try:
                return dt.date(int(parts["y"]), month_number or 0, int(parts["d"]))
            except (TypeError, ValueError):
                continue
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.date() if parsed else None


_HEADER_KEYS = {"title", "date", "source", "author", "url", "link", "published", "subject", "from", "place", "byline"}
# The value is stripped by the callers: "\s*(.*?)\s*$" tried every end for the value against a
# run of spaces inside it, quadratic on a first line such as "Note: a" and 100,000 spaces.
_HEADER_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z -]{0,20}?)\s*:(.*)$")
_DATE_PREFIX = re.compile(r"^\s*date\s*:?\s*(\d{4}-\d{2}-\d{2})\b\s*", re.IGNORECASE)


def _front_matter(text: str) -> tuple[dict[str, str], str, str]:
    """Leading ``---`` YAML-style front matter or ``Key: value`` headers → (fields, origin, rest)."""
    stripped = text.lstrip("\n ")
    if stripped.startswith("---\n"):
        end = stripped.find("\n---", 4)
        if end != -1:
            block, rest = stripped[4:end], stripped[end + 4 :]
            fields = {}
            for line in block.splitlines():
                if m := _HEADER_LINE.match(line):
                    fields[m.group(1).strip().lower()] = m.group(2).strip().strip("\"'")
            return fields, "front-matter", rest.split("\n", 1)[1] if "\n" in rest else ""
    lines = stripped.split("\n")
    fields: dict[str, str] = {}
    for i, line in enumerate(lines):
        if not line.strip():
            if fields:
                return fields, "header", "\n".join(lines[i + 1 :])
            break
        m = _HEADER_LINE.match(line)
        if not m or m.group(1).strip().lower() not in _HEADER_KEYS:
            break
        fields[m.group(1).strip().lower()] = m.group(2).strip()
    else:
        if fields:
            return fields, "header", ""
    return {}, "", text


def _looks_like_title(line: str) -> bool:
    """A short heading line: few words, no sentence-ending punctuation, not a dateline."""
    words = line.split()
    if not 1 <= len(words) <= 20 or len(line) > 160:
        return False
    if line.rstrip().endswith((".", "?", "!", ":", ";", ",", '"', "”", "'")) and not line.rstrip().endswith("?"):
        return False
    return not (_PAREN_DATELINE.match(line) or _BARE_DATELINE.match(line))


def _dateline(paragraph: str) -> tuple[str, dict[str, str]]:
    """Strip a leading dateline/byline/stamp from the first paragraph, returning what it said."""
    found: dict[str, str] = {}
    for _ in range(4):  # bylines, stamps and datelines come in any order, a few at most
        if m := _PAREN_DATELINE.match(paragraph) or _BARE_DATELINE.match(paragraph):
            groups = {k.rstrip("2"): v for k, v in m.groupdict().items() if v}
            if groups.get("source"):
                found.setdefault("source", _outlet_name(groups["source"]))
            if groups.get("place", "").strip():
                found.setdefault("place", _place_name(groups["place"]))
            if groups.get("date"):
                found.setdefault("date", groups["date"])
            paragraph = paragraph[m.end() :]
            continue
        if (m := _BYLINE.match(paragraph)) and len(m.group("who").split()) <= 8:
            who = m.group("who").strip(" ,")
            found.setdefault("author", who)
            if re.search(r"(?i)daily mail|mailonline", who):
                found.setdefault("source", "Daily Mail")
            paragraph = paragraph[m.end() :]
            continue
        if (m := _STAMP.match(paragraph)) and m.start() == 0:
            found.setdefault("date", m.group("when"))
            paragraph = paragraph[m.end() :]
            continue
        break
    return paragraph.lstrip(" .|-—–\n"), found


def _outlet_name(raw: str) -> str:
    """'cnn' (tokenized lowercase text) → 'CNN'; other names keep their spelling."""
    name = " ".join(raw.split())
    return name.upper() if name.islower() and len(name) <= 4 else name


def _place_name(raw: str) -> str:
    """'WASHINGTON' → 'Washington'; 'washington' → 'Washington'; 'Hong Kong' unchanged."""
    parts = [" ".join(part.split()) for part in raw.strip(" ,").split(",")]
    return ", ".join(p.title() if p.isupper() or p.islower() else p for p in parts if p)


_STAMP_KEYWORD = re.compile(r"published|updated|last updated", re.IGNORECASE)


def _remove_stamps(text: str, found: dict[str, str]) -> str:
    """``_STAMP.sub`` (the first stamp's date kept in ``found``), tried only at the keywords.

    Tried at every position, the pattern's leading separators rescanned a run of dots, bars or
    spaces from each of its characters: minutes for a long dotted line ("Last updated .....").
    """
    lowered = text.casefold()
    if "published" not in lowered and "updated" not in lowered:
        return text
    out: list[str] = []
    done = 0
    for keyword in _STAMP_KEYWORD.finditer(text):
        if keyword.start() < done or not (m := _STAMP_FROM_KEYWORD.match(text, keyword.start())):
            continue
        found.setdefault("date", m.group("when"))
        out.append(text[done : max(_stamp_start(text, keyword.start()), done)])
        out.append(" ")
        done = m.end()
    return "".join(out) + text[done:] if out else text


def _stamp_start(text: str, keyword: int) -> int:
    """Where the separators before a stamp's keyword begin: ``\\s*\\.?\\s*\\|?\\s*\\.?\\s*``, read backwards."""
    i = keyword
    for mark in ("", ".", "|", "."):
        if mark and i > 0 and text[i - 1] == mark:
            i -= 1
        while i > 0 and text[i - 1].isspace():
            i -= 1
    return i


_PHOTO_CREDIT = re.compile(r"(?i)\((?:getty images|ap photo|reuters|afp)")


def _ends_with_photo_credit(text: str) -> bool:
    """Whether ``text`` (stripped) ends in "(Getty Images …)", "(AP Photo …)" and the like.

    Looked for in the last bracket only: searching the whole text for "\\((?:getty…)[^)]*\\)$"
    scanned to the end from every "(Getty" of a long paragraph.
    """
    if not text.endswith(")"):
        return False
    return _PHOTO_CREDIT.search(text, text.rfind(")", 0, len(text) - 1) + 1) is not None


def is_caption(paragraph: str) -> bool:
    """True when a one-sentence paragraph reads like a photo caption rather than prose."""
    text = paragraph.strip()
    if _CAPTION_PREFIX.match(text) or _ends_with_photo_credit(text):
        return True
    if len(text) > 300 or any(q in text for q in '"“”') or text.count(". ") > 1:
        return False
    dated = _MONTH_DAY_YEAR.search(text) or _DAY_MONTH_YEAR.search(text)
    return bool(dated and _CAPTION_VERB.search(text))


def _paragraphs(text: str) -> list[str]:
    """Blank-line blocks; inside a block, hard-wrapped lines are joined, other lines kept apart."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        wrapped = len(lines) > 1 and all(
            40 <= len(ln) <= 100 and not re.match(r"^([-*•+]|\d+[.)])\s", ln) for ln in lines[:-1]
        ) and not all(ln.endswith((".", "!", "?", '"', "”")) for ln in lines[:-1])
        paragraphs.extend([" ".join(lines)] if wrapped else lines)
    return paragraphs


def derive_title(first_sentence: str, limit: int = 80) -> str:
    """A short title from a sentence: the whole sentence when short, else its first clause or words."""
    sentence = re.sub(r"\s+", " ", first_sentence).strip().rstrip(".!?;:")
    if len(sentence) <= limit:
        return sentence
    head = sentence[:limit]
    # The first clause long enough to say something reads most like a headline.
    cuts = [i for mark in (";", " — ", " – ", " -- ", ",") if (i := head.find(mark, 30)) != -1]
    if cuts:
        return head[: min(cuts)].rstrip()
    cut = head.rfind(" ")
    return (head[:cut] if cut > 20 else head).rstrip(" ,;:") + "…"


def parse_text(text: str, *, markdown: bool = False) -> Parsed:
    """Find title, date, source, place and author in an article's text, and clean its body.

    With ``markdown`` (a .md file), fenced code blocks are dropped: elsewhere a line of
    tildes or backticks is a divider between stories, and the text between two is kept.
    """
    text = normalize(text)
    fields, origin, text = _front_matter(text)
    if markdown:
        text = drop_code_blocks(text)
    title = fields.get("title") or fields.get("subject")
    date = None
    date_source = "none"
    if raw_date := fields.get("date") or fields.get("published"):
        if (date := parse_date(raw_date)) is not None:
            date_source = origin
    if m := _DATE_PREFIX.match(text):
        if date is None and (date := parse_date(m.group(1))) is not None:
            date_source = "prefix"
        text = text[m.end() :]

    paragraphs = _paragraphs(text)
    if not title and paragraphs:
        first = paragraphs[0]
        if (heading := markdown_heading(first)) is not None:
            title, paragraphs = heading.strip(), paragraphs[1:]
        elif len(paragraphs) > 1 and _looks_like_title(first):
            title, paragraphs = first.strip(), paragraphs[1:]

    if paragraphs and (m := _DATE_PREFIX.match(paragraphs[0])):
        if date is None and (date := parse_date(m.group(1))) is not None:
            date_source = "prefix"
        paragraphs[0] = paragraphs[0][m.end() :]

    found: dict[str, str] = {}
    if paragraphs:
        head, found = _dateline(paragraphs[0])
        paragraphs[0] = head
        # A dateline alone on its line (as in "Hong Kong CNN Business —" then a blank line).
        if not head.strip() and len(paragraphs) > 1:
            paragraphs = paragraphs[1:]
            head, more = _dateline(paragraphs[0])
            paragraphs[0] = head
            found = more | found

    body: list[str] = []
    for paragraph in paragraphs:
        paragraph = _remove_stamps(paragraph, found)
        if "scroll down for" in paragraph.casefold():  # a cheap test first: the regex is slow to miss
            paragraph = _BOILERPLATE_PHRASE.sub("", paragraph)
        paragraph = strip_markdown(paragraph)
        if not paragraph or _BOILERPLATE_LINE.match(paragraph) or is_caption(paragraph):
            continue
        body.append(paragraph)
    # A divider line ("-----", "* * *", "~~~~") has nothing to summarize: it would be a "sentence".
    body = [p for p in body if any(ch.isalnum() for ch in p)] or body  # all wordless: make_article says so

    if date is None and (raw := found.get("date")) and (date := parse_date(raw)) is not None:
        date_source = "dateline"
    return Parsed(
        body="\n\n".join(body),
        title=title.strip() if title else None,
        date=date,
        date_source=date_source,
        source=(fields.get("source") or fields.get("from") or found.get("source") or None),
        place=fields.get("place") or found.get("place"),
        author=fields.get("author") or fields.get("byline") or found.get("author"),
        url=fields.get("url") or fields.get("link"),
    )
