"""HTML pages and HTML mail → Articles. The only module importing lxml and the extractor (readability-lxml).

Three passes, each keeping page chrome out of the summary in its own way:

1. ``strip_chrome`` drops what is never article text, by tag (script, style, nav, aside, footer,
   forms, iframes, captions), by ARIA role, when hidden, and by class/id names (cookie banners,
   ads, sponsors, share bars, related/most-read lists, comments, newsletter boxes) — never an
   element holding the headline or a large share of the page's text;
2. readability-lxml picks the main content of what is left (benchmarks/html_extraction.py
   compares it with trafilatura, jusText, boilerpy3 and resiliparse: same recall and no
   leaks after pass 1, for ~0.3 MB instead of ~40 MB of dependencies);
3. the text goes through the same cleaning as every other format (``plain.make_article``),
   after dropping mail/page envelope lines (``sections.is_chrome``).

A newsletter bundling several stories becomes one article per story (``sections``).
Metadata comes from ``<meta>``, JSON-LD and OpenGraph (``meta``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import urljoin

import lxml.etree
import lxml.html
from readability import Document

from digest.errors import ArticleError

# readability logs a traceback when it gives up on a page; we fall back quietly and say so ourselves.
logging.getLogger("readability").addHandler(logging.NullHandler())
logging.getLogger("readability").propagate = False
from digest.ingest.files import content_hash, decode, part_hash
from digest.ingest.meta import RawMeta, page_metadata
from digest.ingest.plain import make_article
from digest.ingest.sections import (
    Block,
    drop_chrome,
    is_furniture_heading,
    is_read_more,
    sole_read_more,
    split_sections,
)
from digest.models import Article

_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr html li main menu nav ol p pre section summary table tbody "
    "td tfoot th thead tr ul".split()
)
_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_EMPHASIS_TAGS = frozenset("a b strong".split())
_DROP_TAGS = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "form", "button",
    "input", "select", "textarea", "nav", "aside", "footer", "dialog", "figure", "figcaption", "menu",
)
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog", "search",
                 "menu", "menubar", "toolbar", "alert"}
_CHROME_NAME = re.compile(
    r"""(?ix)^(?:
      ads? | adv | advert\w* | advertis\w* | ad[-_]\w+ | \w+[-_]ads? | dfp[-_]?\w* | gpt[-_]ad\w* | sponsor\w*
    | promo\w* | partner[-_]\w+ | outbrain\w* | taboola\w*
    | cookies? | cookie[-_]?\w+ | consent\w* | gdpr\w* | cmp[-_]\w+ | onetrust\w*
    | newsletter[-_]?(?:signup|sign[-_]up|form|box|promo|cta|subscribe\w*) | signup\w* | sign[-_]up\w* | subscribe\w*
    | paywall\w* | share | sharing | share[-_]\w+ | \w+[-_]share | social\w*
    | related\w* | recommend\w* | popular\w* | most[-_]?(?:read|popular|viewed)\w* | trending\w* | read[-_]?next
    | more[-_]?stories | comments? | comment[-_]\w+ | disqus\w*
    | footer\w* | \w+[-_]footer | nav | navbar | navigation\w* | nav[-_]\w+ | menu\w* | breadcrumbs?\w* | masthead
    | sidebar\w* | side[-_]bar | widget\w* | banner\w* | modal\w* | popup\w* | overlay\w* | toolbar\w*
    | skip[-_]?link\w* | sr[-_]only | visually[-_]hidden | screen[-_]reader\w* | hidden
    )$"""
)
_AD_LABEL = re.compile(r"(?i)^\s*(?:advertisement|advert|ad|ads|sponsored|promoted|anzeige|publicité)\s*$")
_HIDDEN_STYLE = re.compile(r"(?i)display\s*:\s*none|visibility\s*:\s*hidden")
#: An element holding more than this share of the page's text is never dropped as chrome.
_MAX_CHROME_SHARE = 0.4
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHARSET = re.compile(rb"""(?i)<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""")


def decode_html(data: bytes, path: str = "-") -> str:
    """Bytes → text, using the page's declared charset when UTF-8 does not fit (see ``files.decode``)."""
    m = _CHARSET.search(data[:4096])
    declared = (m.group(1) or m.group(2)).decode("ascii") if m else None
    return decode(data, path, declared)


def parse_document(text: str, path: str = "-") -> lxml.html.HtmlElement:
    """HTML text → an lxml tree; ArticleError when there is no document to speak of.

    libxml2 stops at a text run over 10 MB or at elements nested over 255 deep (unclosed
    ``<font>`` tags in an old newsletter will do) and silently drops the rest of the page. A
    page with a longer text run is parsed again without that limit; one nested deeper is read
    flattened (only its paragraph breaks kept), since the tree walks here recurse.
    """
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str input carrying an encoding declaration
    text = _CONTROL_CHARS.sub("", text)  # lxml parses them but refuses them in any text it is later given
    if not text.strip():
        raise ArticleError(path, "empty file")
    try:
        tree, limit = _parse_whole(text)
        if limit == "depth":
            tree, limit = _parse_whole(_flatten(text))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ArticleError(path, f"malformed HTML: {exc}") from None
    if limit:
        raise ArticleError(path, f"HTML too deeply nested to read (over {_MAX_DEPTH} levels)")
    return tree


#: libxml2's own limit on nesting; deeper trees are flattened (see parse_document).
_MAX_DEPTH = 255


def _parse_whole(text: str) -> tuple[lxml.html.HtmlElement, str | None]:
    """The tree, and "depth" when the page nests too deep to be read whole (else None)."""
    tree, limit = _parse(text, huge=False)
    if limit == "size":
        tree, limit = _parse(text, huge=True)
        if limit is None and _depth(tree) > _MAX_DEPTH:
            limit = "depth"  # huge_tree also lets nesting go to 2048
    return tree, limit


def _parse(text: str, *, huge: bool) -> tuple[lxml.html.HtmlElement, str | None]:
    """The tree, and which libxml2 limit ("depth", "size") cut the page short, if one did."""
    parser = lxml.html.HTMLParser(huge_tree=huge)
    tree = lxml.html.document_fromstring(text, parser=parser)
    for error in parser.error_log:
        if "xcessive depth" in error.message:
            return tree, "depth"
        if error.type_name == "ERR_RESOURCE_LIMIT":
            return tree, "size"
    return tree, None


def _depth(tree: lxml.html.HtmlElement) -> int:
    depth = deepest = 0
    for event, _ in lxml.etree.iterwalk(tree, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


_TAG = re.compile(r"</?([a-zA-Z][\w:-]*+)[^<>]*+>")  # possessive, and never past a "<": linear on "<a<a<a..."
#: Tags kept when flattening: they never nest in libxml2's tree (a new one closes the last) or hold no text.
_FLAT_KEEP = frozenset("a br head html body li link meta p script style time title".split())


def _flatten(text: str) -> str:
    """The page with no nesting left: block tags become paragraph breaks, other tags are dropped."""
    def tag(m: re.Match[str]) -> str:
        name = m.group(1).lower()
        if name in _FLAT_KEEP:
            return m.group(0)
        return "<p>" if name in _BLOCK_TAGS else ""
    return _TAG.sub(tag, text)


def raw_meta(tree: lxml.html.HtmlElement) -> RawMeta:
    """Every ``<meta>`` key/value, JSON-LD blob, ``<time>`` stamp, ``<title>``, first ``<h1>`` and canonical link."""
    metas = []
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        if key and el.get("content"):
            metas.append((key, el.get("content")))
    jsonld = tuple(el.text or "" for el in tree.iter("script") if (el.get("type") or "").lower() == "application/ld+json")
    times = [el.get("datetime") or el.text_content() for el in tree.iter("time")
             if el.get("itemprop") == "datePublished" or el.get("pubdate") is not None]
    times += [el.get("datetime") for el in tree.iter("time") if el.get("datetime")]
    title = next((" ".join(el.text_content().split()) for el in tree.iter("title")), "")
    h1 = next((" ".join(el.text_content().split()) for el in tree.iter("h1") if el.text_content().strip()), "")
    canonical = next((el.get("href", "") for el in tree.iter("link") if "canonical" in (el.get("rel") or "").lower().split()), "")
    return RawMeta(tuple(metas), jsonld, tuple(t for t in times if t), title, h1, canonical)


def strip_chrome(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """A copy of ``tree`` without scripts, navigation, ads, cookie banners and other chrome (see module docs)."""
    # huge_tree: a page read past libxml2's limits (see parse_document) must not lose them here.
    tree = lxml.html.fromstring(lxml.html.tostring(tree), parser=lxml.html.HTMLParser(huge_tree=True))
    for el in list(tree.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction)):
        _drop(el)
    for el in list(tree.iter("script", "style", "noscript", "template", "head")):
        _drop(el)
    total = max(1, len(_text_of(tree)))
    for el in list(tree.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el.tag in ("html", "body", "main", "article"):
            continue
        if _is_chrome_element(el) and not _holds_content(el, total):
            _drop(el)
    for el in list(tree.iter(*_HEADING_TAGS)):
        if el.getparent() is not None and is_furniture_heading(el.text_content()):
            _drop_section(el, total)
    for el in list(tree.iter()):
        # An "Advertisement" label marks its box: drop the box with whatever copy it carries.
        if isinstance(el.tag, str) and _AD_LABEL.match(el.text_content()) and (parent := el.getparent()) is not None:
            small = len(_text_of(parent)) < 600 and parent.tag not in ("html", "body", "main", "article")
            _drop(parent if small and not _holds_content(parent, total) else el)
    return tree


def _drop_section(heading: lxml.html.HtmlElement, total: int) -> None:
    """Drop a furniture heading and what follows it up to the next heading (the comments, the related list)."""
    sibling = heading.getnext()
    while sibling is not None:
        if not isinstance(sibling.tag, str):
            sibling = sibling.getnext()
            continue
        if sibling.tag in _HEADING_TAGS or any(True for _ in sibling.iter(*_HEADING_TAGS)) or _holds_content(sibling, total):
            break
        following = sibling.getnext()
        _drop(sibling)
        sibling = following
    _drop(heading)


def _is_chrome_element(el: lxml.html.HtmlElement) -> bool:
    if el.tag in _DROP_TAGS or (el.tag == "header" and not any(True for _ in el.iter("h1"))):
        return True
    if el.get("hidden") is not None or el.get("aria-hidden") == "true" or _HIDDEN_STYLE.search(el.get("style") or ""):
        return True
    if (el.get("role") or "").lower() in _CHROME_ROLES or (el.get("aria-modal") == "true"):
        return True
    names = (el.get("class") or "").split() + (el.get("id") or "").split()
    return any(_CHROME_NAME.match(name) for name in names)


def _holds_content(el: lxml.html.HtmlElement, total: int) -> bool:
    """The headline, or a large share of the page's text: too important to drop on a name alone."""
    if el.tag not in _DROP_TAGS and any(True for _ in el.iter("h1")):
        return True
    return len(_text_of(el)) > _MAX_CHROME_SHARE * total


def _text_of(el: lxml.html.HtmlElement) -> str:
    return "".join(el.text_content().split())


def _drop(el: lxml.etree._Element) -> None:
    """Remove an element but keep the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    previous = el.getprevious()
    parent.remove(el)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def page_blocks(root: lxml.html.HtmlElement) -> list[Block]:
    """The element's text as Blocks: one per paragraph-like element, with headings and links marked."""
    collector = _Collector()
    collector.walk(root, emphasis=False, link=None)
    collector.flush()
    return collector.blocks


class _Collector:
    """Walks a tree once, cutting text at block elements and ``<br>``."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._reset()

    def _reset(self) -> None:
        self.parts: list[str] = []
        self.emphasized = 0
        self.in_heading = False
        self.links: list[tuple[str, str]] = []
        self._linked: set[tuple[str, str]] = set()  # the same, for the membership test: a list made it quadratic

    def flush(self) -> None:
        text = " ".join("".join(self.parts).split())
        if text:
            chars = len(text.replace(" ", ""))
            heading = self.in_heading or (
                self.emphasized >= 0.9 * chars and len(text.split()) <= 14
                and not text.endswith((".", ",", ";", ":", "!")) and not is_read_more(text)
            )
            self.blocks.append(Block(text, heading=heading, links=tuple(self.links)))
        self._reset()

    def add(self, text: str, emphasis: bool, link: tuple[str, str] | None) -> None:
        self.parts.append(text)
        if emphasis:
            self.emphasized += len("".join(text.split()))
        if link and text.strip() and link not in self._linked:
            self._linked.add(link)
            self.links.append(link)

    def walk(self, node: lxml.etree._Element, emphasis: bool, link: tuple[str, str] | None) -> None:
        if not isinstance(node.tag, str):
            return
        tag = node.tag.lower()
        if tag in _BLOCK_TAGS or tag == "br":
            self.flush()
        if tag in _HEADING_TAGS:
            self.in_heading = True
        emphasis = emphasis or tag in _EMPHASIS_TAGS
        href = (node.get("href") or "").strip()
        if tag == "a" and href and not href.startswith(("#", "javascript:")):
            link = (" ".join(node.text_content().split()), href)
        if node.text:
            self.add(node.text, emphasis, link)
        for child in node:
            self.walk(child, emphasis, link)
            if child.tail:
                self.add(child.tail, emphasis, link)
        if tag in _BLOCK_TAGS:
            self.flush()


def main_text(stripped: lxml.html.HtmlElement) -> list[str]:
    """The main article's paragraphs, chosen by readability-lxml; the whole stripped page when it finds too little."""
    everything = [b.text for b in drop_chrome(page_blocks(stripped))]
    try:
        fragment = Document(lxml.html.tostring(stripped, encoding="unicode")).summary(html_partial=True)
        chosen = [b.text for b in drop_chrome(page_blocks(lxml.html.fragment_fromstring(fragment, create_parent="div")))]
    except Exception:  # readability raises bare Exceptions (Unparseable) on odd pages; the whole text is the fallback
        chosen = []
    words = sum(len(p.split()) for p in chosen)
    if words < 20 or words < 0.2 * sum(len(p.split()) for p in everything):
        return everything
    return chosen


def html_articles(html: bytes | str, path: str = "-", **options) -> list[Article]:
    """An HTML page or mail body → its article, or one article per story of a newsletter.

    Options: ``timezone``, ``modified`` (the file's mtime, the date of last resort),
    ``digest_hash``, ``title``/``date``/``date_source``/``source`` (e.g. from mail headers; they win
    over the page's own metadata), ``base_url`` (where the page came from) and ``split`` (False:
    never split into stories). Raises ArticleError when no text is found or the page cannot be parsed.
    """
    try:
        return _html_articles(html, path, **options)
    except ArticleError:
        raise
    except Exception as exc:  # noqa: BLE001 — lxml/readability on hostile input may raise anything
        raise ArticleError(path, f"could not be parsed ({type(exc).__name__}: {exc})") from None


def _html_articles(
    html: bytes | str,
    path: str = "-",
    *,
    timezone: str = "UTC",
    modified: dt.datetime | None = None,
    digest_hash: str | None = None,
    title: str | None = None,
    date: dt.date | None = None,
    date_source: str = "meta",
    source: str | None = None,
    base_url: str | None = None,
    split: bool = True,
) -> list[Article]:
    digest_hash = digest_hash or content_hash(html if isinstance(html, bytes) else html.encode("utf-8"))
    text = decode_html(html, path) if isinstance(html, bytes) else html
    tree = parse_document(text, path)
    raw = raw_meta(tree)
    meta = page_metadata(raw, timezone)
    if date is None and meta.date is not None:
        date, date_source = meta.date, "meta"
    base = base_url or meta.url or ""
    source = source or meta.site
    stripped = strip_chrome(tree)
    blocks = page_blocks(stripped)
    sections = split_sections(blocks) if split else None
    if sections:
        return [
            make_article("\n\n".join(s.paragraphs), path, title=s.title, date=date, date_source=date_source,
                         source=source, url=urljoin(base, s.url) if s.url else None, modified=modified,
                         digest_hash=part_hash(digest_hash, i))
            for i, s in enumerate(sections)
        ]
    paragraphs = main_text(stripped)
    if paragraphs and raw.h1 and paragraphs[0] == raw.h1:
        paragraphs = paragraphs[1:]  # the visible headline, when the metadata's title words it differently
    if not paragraphs:
        raise ArticleError(path, "no article text found in the HTML")
    url = urljoin(base_url, meta.url) if base_url and meta.url else (meta.url or base_url)
    if url is None and split and (more := sole_read_more(blocks)):
        url = urljoin(base, more)  # a one-story newsletter links to its full story
    return [make_article("\n\n".join(paragraphs), path, title=title or meta.title, date=date, date_source=date_source,
                         source=source, author=meta.author, url=url, modified=modified, digest_hash=digest_hash)]


def parse_html(html: bytes | str, path: str = "-", **options) -> Article:
    """An HTML page → one Article (no newsletter splitting); options as for ``html_articles``."""
    return html_articles(html, path, split=False, **options)[0]


def html_to_text(fragment: str) -> str:
    """A snippet of HTML (a feed item's content) → clean paragraphs separated by blank lines."""
    if not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(_CONTROL_CHARS.sub("", fragment), create_parent="div")
        return "\n\n".join(b.text for b in drop_chrome(page_blocks(strip_chrome(root))))
    except (lxml.etree.ParserError, ValueError):
        return ""

