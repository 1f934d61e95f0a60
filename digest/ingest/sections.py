"""Newsletters that bundle several stories → one section per story, each with its title and link.

Pure: works on ``Block``s (a paragraph's text, whether it is a heading, and its links), which
``ingest.html`` makes from an HTML mail or page and ``text_blocks`` makes from plain text.

A document is a bundle when at least two headed sections each carry a link (a "Read more" link,
or a linked heading) and enough words of their own, and together they hold most of the text; so
an ordinary article with a few linked teasers under it stays one article. Sponsor sections and
mail chrome ("View in browser", "Unsubscribe", cookie notices) never become stories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.markdown import markdown_heading

#: Words a section needs, besides its heading, to count as a story.
MIN_STORY_WORDS = 12
#: Share of the document's words the stories must hold together.
MIN_STORY_SHARE = 0.5

_READ_MORE = re.compile(
    r"""(?ix)^\W*(?:
        read\s+(?:more|on|the\s+(?:full\s+|whole\s+|rest\s+of\s+the\s+)?(?:story|article|piece|post|report|interview))
      | continue\s+reading | keep\s+reading | full\s+(?:story|article) | more\s+(?:here|details|on\s+this)
      | learn\s+more | find\s+out\s+more | see\s+more | go\s+to\s+(?:the\s+)?(?:story|article)
    )\b[^.!?]{0,60}$
    | ^\W*(?:more|read)\s*[→»›>]+\W*$""",
)
_SPONSOR = re.compile(
    r"(?i)\b(?:sponsor(?:ed|s|ship)?|advertisement|advertiser|advertising|partner\s+content|paid\s+(?:post|content)|"
    r"promoted|presented\s+by|in\s+partnership\s+with|brought\s+to\s+you\s+by)\b"
)
#: Lines that belong to the envelope of a page or mail, never to a story.
_CHROME = re.compile(
    r"""(?ix)
      \bunsubscribe\b | \bview\s+(?:this\s+(?:e-?mail|newsletter|message)\s+)?(?:in|on)\s+(?:your\s+|a\s+|the\s+)?(?:web\s+)?browser\b
    | \bupdate\s+(?:your\s+)?(?:e-?mail\s+)?preferences\b | \bmanage\s+(?:your\s+)?(?:subscription|preferences|e-?mail\s+settings)\b
    | \byou(?:'re|\s+are)\s+receiving\s+this\b | \byou\s+received\s+this\s+(?:e-?mail|message|newsletter)\b
    | \b(?:was|were)\s+you\s+forwarded\s+this\b | \bforwarded\s+this\s+(?:e-?mail|newsletter)\b
    | \badd\s+us\s+to\s+your\s+address\s+book\b | \bwe\s+use\s+cookies\b | \b(?:this|our)\s+(?:web)?site\s+uses\s+cookies\b
    | \baccept\s+(?:all\s+)?cookies\b | \bcookie\s+(?:settings|preferences|policy)\b
    | ^\s*(?:advertisement|sponsored|skip\s+to\s+(?:main\s+)?content|accept\s+all|reject\s+all|manage\s+preferences)\s*$
    | ^\s*share\s+(?:this|on)\b.{0,60}$ | ^\s*follow\s+us\b.{0,80}$
    | ^\s*(?:sponsored(?:\s+content)?|advertisement|promoted|paid\s+(?:post|content)|partner\s+content)\s*[:|·—–-]
    | \b(?:delivered|sent|straight|direct(?:ly)?)\s+to\s+your\s+inbox\b | \bsign\s+up\s+(?:for|to)\s+(?:our|the)\b
    | (?:^|[.!?]\s+)(?:photograph|photo|picture|image|illustration)(?:\s+credit)?\s*:\s*[\w .,'&/-]{1,60}$
    """
)
#: Headings of page/newsletter furniture: the heading and the paragraphs under it are dropped.
_CHROME_HEADING = re.compile(
    r"""(?ix)^\W*(?:
        comments? | \d+\s+comments? | comments?\s*\(\d+\) | join\s+the\s+(?:conversation|discussion)
      | leave\s+a\s+(?:comment|reply) | related(?:\s+(?:stories|articles|content|links|coverage|reading))?
      | more\s+(?:from|on|stories|news|to\s+read)\b.{0,40} | most\s+(?:read|popular|viewed|shared)
      | you\s+(?:may|might)\s+also\s+(?:like|enjoy) | recommended(?:\s+for\s+you)? | trending(?:\s+now)?
      | read\s+next | (?:get\s+(?:our|the)\s+)?newsletters? | sign\s+up\b.{0,40} | advertisement | sponsored
      | share\s+this(?:\s+(?:story|article))? | follow\s+us\b.{0,30}
    )\W*$"""
)


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of a document: its text, whether it reads as a heading, and its links (text, href)."""

    text: str
    heading: bool = False
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """One story of a bundle: its heading, its paragraphs and its link."""

    title: str
    paragraphs: tuple[str, ...]
    url: str | None

    @property
    def words(self) -> int:
        """Words in the paragraphs (the heading not counted)."""
        return sum(len(p.split()) for p in self.paragraphs)


def is_read_more(text: str) -> bool:
    """True for link texts such as "Read more", "Continue reading →", "Read the full story"."""
    return bool(_READ_MORE.match(text.strip()))


#: A word each alternative of _CHROME holds (casefolded): a line with none of them is no chrome,
#: found without the regex, which tries its twenty alternatives at every character (0.1 ms a line).
_CHROME_WORDS = ("unsubscribe", "browser", "preferences", "manage", "receiv", "forwarded", "address", "cookie",
                 "advertisement", "sponsored", "skip", "accept", "reject", "share", "follow", "promoted", "paid",
                 "partner", "inbox", "sign", "photo", "picture", "image", "illustration")


def is_chrome(text: str) -> bool:
    """True for envelope lines: unsubscribe/view-in-browser/preferences, cookie notices, share bars."""
    folded = text.casefold()
    # casefold() maps every character the regex's IGNORECASE matches to an ASCII letter to that
    # letter, but for the Turkish dotted and dotless i: with those, ask the regex.
    if "\u0131" not in folded and "\u0307" not in folded and not any(w in folded for w in _CHROME_WORDS):
        return False
    return bool(_CHROME.search(text))


def drop_chrome(blocks: list[Block]) -> list[Block]:
    """The blocks that are neither envelope lines (``is_chrome``) nor under a furniture heading ("Comments", "Related")."""
    kept: list[Block] = []
    in_furniture = False
    for block in blocks:
        if block.heading:
            in_furniture = bool(_CHROME_HEADING.match(block.text))
        if in_furniture or not block.text.strip() or is_chrome(block.text):
            continue
        kept.append(block)
    # A heading left with no text under it (its box was chrome) is chrome too.
    return [b for i, b in enumerate(kept) if not b.heading or (i + 1 < len(kept) and not kept[i + 1].heading)]


def sole_read_more(blocks: list[Block]) -> str | None:
    """The link of a one-story newsletter: the href of its only "Read more" link, else None."""
    hrefs = {href for b in drop_chrome(blocks) for text, href in b.links if is_read_more(text)}
    return hrefs.pop() if len(hrefs) == 1 else None


def is_furniture_heading(text: str) -> bool:
    """True for headings of page furniture: "Comments (4)", "Related stories", "Most read", "Sign up"."""
    return bool(_CHROME_HEADING.match(text.strip()))


def split_sections(blocks: list[Block]) -> list[Section] | None:
    """The stories of a bundle, in order; None when the document is not a bundle (see module docs)."""
    blocks = drop_chrome(blocks)
    sections: list[tuple[str, list[str], str | None, str | None]] = []  # title, paragraphs, read-more, heading link
    for block in blocks:
        if block.heading and not is_read_more(block.text):
            heading_link = block.links[0][1] if len(block.links) == 1 else None
            sections.append((block.text, [], None, heading_link))
            continue
        if not sections:
            continue  # the greeting before the first story
        title, paragraphs, read_more, heading_link = sections[-1]
        more = next((href for text, href in block.links if is_read_more(text)), None)
        if more and read_more is None:
            sections[-1] = (title, paragraphs, more, heading_link)
        text = block.text
        for link_text, _ in block.links:
            if is_read_more(link_text):
                text = text.replace(link_text, " ")
        if text.strip() and not is_read_more(text):
            paragraphs.append(" ".join(text.split()))

    stories = [
        Section(title=title, paragraphs=tuple(paragraphs), url=read_more or heading_link)
        for title, paragraphs, read_more, heading_link in sections
        if (read_more or heading_link) and not _SPONSOR.search(title)
    ]
    stories = [s for s in stories if s.words >= MIN_STORY_WORDS and not _SPONSOR.search(" ".join(s.paragraphs[:1]))]
    total = sum(len(b.text.split()) for b in blocks if not b.heading)
    if len(stories) < 2 or sum(s.words for s in stories) < MIN_STORY_SHARE * total:
        return None
    return stories


_URL = r"https?://[^\s<>()\"']+[^\s<>()\"'.,;:!?]"
_MD_LINK = re.compile(rf"\[([^\]]+)\]\(({_URL})\)")
# The same, for finding links inside a line: a "[" run that is no link is consumed whole (and
# given back), since trying afresh from every "[" of "[a [a [a ..." took quadratic time.
_MD_LINK_RUN = re.compile(rf"\[(?:([^\]]++)(?:\]\(({_URL})\))?)?")
_URL_START = re.compile(r"https?://")
_NOT_IN_URL = "<>()\"'"
_UNDERLINE = re.compile(r"^\s*(?:=+|-+)\s*$")


def _labelled_url(line: str) -> tuple[str, str] | None:
    """(label, url) for a line ending in a URL, such as "Read more: https://…" or "<https://…>"; else None.

    What ``^(?P<label>[^<>]*?)\\s*[:\\-–—]?\\s*<?(?P<url>URL)>?\\s*$`` would match, found from the
    end of the line: that regex retried every label length, which took minutes on a line
    with a long run of spaces.
    """
    end = len(line.rstrip())
    if line.endswith(">", 0, end):
        end -= 1
    if not end or line[end - 1].isspace():
        return None
    token = line[:end].rsplit(None, 1)[-1]
    run = token[max(token.rfind(c) for c in _NOT_IN_URL) + 1 :]  # the characters a URL may hold
    start = _URL_START.search(run)
    if start is None or len(run) - start.end() < 2 or run[-1] in ".,;:!?":
        return None
    url_at = end - len(run) + start.start()
    prefix = line[:url_at]
    if prefix.endswith("<"):
        prefix = prefix[:-1]
    if "<" in prefix or ">" in prefix:
        return None
    label = prefix.rstrip()
    if label.endswith((":", "-", "–", "—")):
        label = label[:-1].rstrip()
    return label, line[url_at:end]


def text_blocks(text: str) -> list[Block]:
    """Plain-text (or Markdown) newsletter → Blocks.

    Headings are ``# Markdown`` lines, underlined lines, or a short line standing alone; links are
    ``[text](url)``, ``Read more: URL`` or a bare URL on its own line.
    """
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [ln.rstrip() for ln in chunk.split("\n") if ln.strip()]
        if not lines:
            continue
        if len(lines) == 2 and _UNDERLINE.match(lines[1]):
            blocks.append(Block(lines[0].strip(), heading=True))
            continue
        if len(lines) > 1 and _heading_over_text(lines[0], lines[1]):
            blocks.append(Block(lines[0].strip(), heading=True))
            lines = lines[1:]
        for line in _group_lines(lines):
            blocks.append(_text_block(line, standalone=len(lines) == 1))
    return blocks


def _heading_over_text(line: str, following: str) -> bool:
    """A short unpunctuated line right above a much longer one: a heading without a blank line under it.

    The length ratio keeps the first line of a hard-wrapped paragraph from passing as a heading.
    """
    line = line.strip()
    if markdown_heading(line) is not None or _labelled_url(line) or is_read_more(line):
        return False
    return (1 <= len(line.split()) <= 12 and not line.endswith((".", "!", ",", ";", ":"))
            and len(line) < 0.75 * len(following.strip()))


def _group_lines(lines: list[str]) -> list[str]:
    """Hard-wrapped lines joined into one paragraph; heading and link lines kept apart."""
    out: list[str] = []
    for line in lines:
        special = (markdown_heading(line) is not None or _labelled_url(line.strip())
                   or _MD_LINK.fullmatch(line.strip()))
        if out and not special and not out[-1].startswith("\x00"):
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(("\x00" if special else "") + line.strip())
    return [ln.lstrip("\x00") for ln in out]


def _links(line: str) -> tuple[tuple[str, str], ...]:
    """The ``[text](url)`` links of a line."""
    return tuple((m.group(1), m.group(2)) for m in _MD_LINK_RUN.finditer(line) if m.group(2))


def _unlink(line: str) -> str:
    """A line with each ``[text](url)`` link replaced by its text."""
    return _MD_LINK_RUN.sub(lambda m: m.group(1) if m.group(2) else m.group(0), line)


def _text_block(line: str, standalone: bool) -> Block:
    if (heading := markdown_heading(line)) is not None:
        return Block(_unlink(heading).strip(), heading=True, links=_links(heading))
    if labelled := _labelled_url(line):
        label = labelled[0].strip(" :-–—[]()") or labelled[1]
        return Block(label, links=((label, labelled[1]),))
    links = _links(line)
    plain = _unlink(line).strip()
    words = plain.split()
    heading = standalone and 1 <= len(words) <= 14 and not plain.endswith((".", "!", ",", ";", ":")) and not is_read_more(plain)
    return Block(plain, heading=heading, links=links)
