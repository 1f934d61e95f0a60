"""HTML main-text extraction: which library recovers the article and keeps the page chrome out?

Usage: python benchmarks/html_extraction.py [--pages N] [--eval-dir DIR]

Builds N web pages from news articles in ../shared/eval (the article text wrapped in page chrome
we write here: cookie banner, navigation, ads, "related"/"most read" teasers made from *other*
articles, newsletter box, share bar, comments, footer, inline scripts, JSON-LD/OpenGraph) in four
layouts (semantic HTML5, div soup, old table layout, and one with no telling class names), runs every installed extractor on them and
prints, per extractor:

* recall     share of the article's words found in the output (bag of words, with counts);
* precision  share of the output's words that belong to the article (title included);
* leak%      pages where any chrome snippet reached the output, and which kinds leaked;
* ms/page    mean extraction time;
* +MB        install size added on top of digest's other dependencies (measured from the
             installed files of the library and the dependencies it brings in).

"X + our strip" rows run each library on the page after digest's own chrome stripping (pass 1
of digest/ingest/html.py), which is how a library would be used inside digest; the last row is
digest end to end. Caveat: the chrome here was written by the same hands as digest's stripping
rules, so digest's own rows are a best case; layout 3 (no telling class names) is the fairer
test, and it is the one that separates the libraries.

Candidates not installed are listed with the pip command that adds them. Exits cleanly with a
message when the evaluation data is absent. Numbers only: no thresholds are asserted here.
"""

from __future__ import annotations

import argparse
import html
import importlib.metadata as md
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from digest.clean import derive_title  # noqa: E402
from digest.text import split_sentences  # noqa: E402

# -- page chrome (our own words) ---------------------------------------------------------------

COOKIE = ("We use cookies and similar technologies to personalise content and measure traffic on "
          "this site. By choosing Accept all you agree to the storing of cookies on your device.")
NAV = ["Crosswords and Puzzles", "Property Listings", "Obituaries Archive", "Podcast Hub",
       "Weather Centre", "Gift Vouchers"]
ADS = ["Sponsored content: discover the smart thermostat that pays for itself within a single winter.",
       "Doctors are amazed by this one simple morning habit that melts stress away in minutes."]
NEWSLETTER = "Get the morning briefing delivered to your inbox every weekday before seven o'clock."
SHARE = "Share this article on Facebook, on X or by email with a friend"
COMMENTS = ["Great reporting as always, thanks for covering this in so much detail for us readers.",
            "I disagree with the second half of this piece but it was an interesting read nonetheless."]
FOOTER = "Copyright 2026 The Lantern Media Group Limited. All rights reserved. Registered in Ardley."
FOOTER_LINKS = ["Privacy policy", "Terms of use", "Accessibility statement", "Careers at the Lantern"]
SCRIPT = ('window.dataLayer = window.dataLayer || []; dataLayer.push({"event": "pageview", '
          '"articleSection": "news", "message": "Thank you for reading the Lantern today"});')
CAPTION = "A quiet street photographed early in the morning before the shops opened. Photograph: Staff"
SITE = "The Lantern"

#: Chrome snippet kinds and the test that finds each in an extractor's output.
LEAK_KINDS = ("cookie", "nav", "ad", "related", "newsletter", "share", "comments", "footer", "script", "caption")


def load_articles(eval_dir: Path, limit: int) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) from the BBC and CNN/DailyMail dev sets, half from each."""
    out: list[tuple[str, list[str]]] = []
    for name, has_title in (("bbc_dev.jsonl", True), ("cnndm_dev.jsonl", False)):
        with open(eval_dir / name, encoding="utf-8") as f:
            for _, line in zip(range(limit // 2 + limit % 2), f):
                text = json.loads(line)["article"].strip()
                if has_title and "\n" in text:
                    title, text = (part.strip() for part in text.split("\n", 1))
                else:
                    title = ""
                sentences = split_sentences(text)
                if not title:
                    title = derive_title(sentences[0])
                # Three sentences to a paragraph, as web pages print them.
                paragraphs = [" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3)]
                if len(paragraphs) >= 2:
                    out.append((title, paragraphs))
    return out[:limit]


def _meta(title: str, date: str) -> str:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
          "datePublished": f"{date}T08:30:00Z", "author": {"@type": "Person", "name": "Morgan Vale"},
          "publisher": {"@type": "Organization", "name": SITE}}
    e = html.escape
    return (f'<meta charset="utf-8"><title>{e(title)} | {SITE}</title>'
            f'<meta property="og:title" content="{e(title)}"><meta property="og:site_name" content="{SITE}">'
            f'<meta property="article:published_time" content="{date}T08:30:00Z">'
            f'<meta name="author" content="Morgan Vale"><link rel="canonical" href="https://lantern.example/a/1">'
            f'<script type="application/ld+json">{json.dumps(ld)}</script>'
            f"<style>.ad{{border:1px solid #ccc}} .cookie{{position:fixed;bottom:0}}</style>"
            f"<script>{SCRIPT}</script>")


def _list(items: list[str], tag: str = "ul") -> str:
    return f"<{tag}>" + "".join(f'<li><a href="/x/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(items)) + f"</{tag}>"


def make_page(layout: int, title: str, paragraphs: list[str], others: list[str], date: str) -> str:
    """One page: the article in the given layout (0 semantic, 1 div soup, 2 tables, 3 no hints) plus all chrome."""
    e = html.escape
    body_ps = [f"<p>{e(p)}</p>" for p in paragraphs]
    middle = len(body_ps) // 2
    ad = f'<div class="ad-slot advert"><span>Advertisement</span><p>{e(ADS[0])}</p></div>'
    figure = f'<figure><img src="/i/1.jpg" alt=""><figcaption>{e(CAPTION)}</figcaption></figure>'
    article_html = "".join(body_ps[:1] + [figure] + body_ps[1:middle] + [ad] + body_ps[middle:])
    cookie = (f'<div class="cookie-banner" id="consent"><p>{COOKIE}</p><button>Accept all</button>'
              f"<button>Manage preferences</button></div>")
    nav = _list(NAV)
    related = f"<h3>Related stories</h3>{_list(others[:3])}"
    popular = f"<h3>Most read</h3>{_list(others[3:6], 'ol')}"
    newsletter = f'<div class="newsletter-signup"><h4>Morning briefing</h4><p>{NEWSLETTER}</p><button>Sign up</button></div>'
    share = f'<div class="share-tools"><p>{SHARE}</p></div>'
    comments = "<h3>Comments (2)</h3>" + "".join(f'<div class="comment"><p>{e(c)}</p></div>' for c in COMMENTS)
    footer = f"<p>{FOOTER}</p>{_list(FOOTER_LINKS)}"
    promo = f'<div class="partner-promo"><p>Recommended by our partners</p><p>{e(ADS[1])}</p></div>'
    byline = f'<p class="byline">By Morgan Vale, {date}</p>'
    if layout == 0:
        body = (f"{cookie}<header><a href='/'>{SITE}</a><nav>{nav}</nav></header>"
                f"<main><article><h1>{e(title)}</h1>{byline}{share}{article_html}</article>"
                f"<aside>{related}{popular}{promo}</aside>{newsletter}<section class='comments'>{comments}</section></main>"
                f"<footer>{footer}</footer>")
    elif layout == 1:
        body = (f"<div class='top'>{cookie}<div class='menu'>{nav}</div></div>"
                f"<div class='wrapper'><div class='col-8'><div class='headline'><h2>{e(title)}</h2></div>{byline}"
                f"<div class='story-body'>{article_html}</div>{share}{newsletter}<div id='disqus'>{comments}</div></div>"
                f"<div class='col-4 sidebar'>{popular}{promo}{related}</div></div><div class='bottom'>{footer}</div>")
    elif layout == 3:
        # No helpful class names or semantic tags at all: only structure and wording give chrome away.
        plain = {"cookie-banner": "box7", "ad-slot advert": "slot-b", "newsletter-signup": "box3",
                 "share-tools": "row2", "partner-promo": "box9", "comment": "entry"}
        chrome = [cookie, ad, newsletter, share, promo, comments]
        for old_name, new_name in plain.items():
            chrome = [c.replace(f'class="{old_name}"', f'class="{new_name}"').replace(' id="consent"', "") for c in chrome]
        cookie, ad, newsletter, share, promo, comments = chrome
        article_html = "".join(body_ps[:1] + [figure.replace("figcaption", "div")] + body_ps[1:middle] + [ad] + body_ps[middle:])
        body = (f"<div class='a1'>{nav}</div><div class='a2'><div class='a3'><h1>{e(title)}</h1>{byline}{article_html}"
                f"{share}{newsletter}{comments}</div><div class='a4'>{related}{popular}{promo}</div></div>"
                f"<div class='a5'>{footer}</div>{cookie}")
    else:
        body = (f"<table width='100%'><tr><td colspan='2'>{nav}</td></tr>"
                f"<tr><td width='70%'><font size='5'><b>{e(title)}</b></font>{byline}{article_html}{comments}</td>"
                f"<td>{related}{popular}{promo}{newsletter}</td></tr><tr><td colspan='2'>{footer}</td></tr></table>{cookie}")
    return f"<!DOCTYPE html><html lang='en'><head>{_meta(title, date)}</head><body>{body}<script>{SCRIPT}</script></body></html>"


def leaks(output: str, others: list[str]) -> set[str]:
    """Which kinds of chrome reached the output."""
    flat = " ".join(output.split()).lower()

    def has(snippet: str) -> bool:
        return " ".join(snippet.split()).lower()[:60] in flat

    found = set()
    checks = {
        "cookie": [COOKIE, "Manage preferences"], "nav": NAV, "ad": ADS,
        "related": others[:6], "newsletter": [NEWSLETTER], "share": [SHARE], "comments": COMMENTS,
        "footer": [FOOTER] + FOOTER_LINKS, "script": ["dataLayer", "Thank you for reading the Lantern", "ld+json"],
        "caption": [CAPTION],
    }
    for kind, snippets in checks.items():
        if any(has(s) for s in snippets):
            found.add(kind)
    # The ad label alone on a line (articles may well say "advertisements" in a sentence).
    if re.search(r"(?im)^\s*advertisement\s*$", output) or re.search(r"(?i)advertisement\s*sponsored", output):
        found.add("ad")
    return found


# -- extractors ----------------------------------------------------------------------------------


def _trafilatura(precision: bool) -> Callable[[str], str]:
    import trafilatura

    return lambda page: trafilatura.extract(page, include_comments=False, include_tables=True,
                                            favor_precision=precision) or ""


def _readability() -> Callable[[str], str]:
    import lxml.html
    from readability import Document

    def run(page: str) -> str:
        fragment = Document(page).summary(html_partial=True)
        return lxml.html.fromstring(fragment).text_content() if fragment.strip() else ""
    return run


def _justext() -> Callable[[str], str]:
    import justext

    stop = justext.get_stoplist("English")
    return lambda page: "\n".join(p.text for p in justext.justext(page.encode(), stop) if not p.is_boilerplate)


def _boilerpy3() -> Callable[[str], str]:
    from boilerpy3 import extractors

    extractor = extractors.ArticleExtractor(raise_on_failure=False)
    return lambda page: extractor.get_content(page) or ""


def _resiliparse() -> Callable[[str], str]:
    from resiliparse.extract.html2text import extract_plain_text

    return lambda page: extract_plain_text(page, main_content=True)


def _all_text() -> Callable[[str], str]:
    import lxml.html

    def run(page: str) -> str:
        tree = lxml.html.fromstring(page)
        for bad in tree.xpath("//script|//style"):
            bad.drop_tree()
        return tree.text_content()
    return run


def _stripped(factory: Callable[[], Callable[[str], str]]) -> Callable[[str], str]:
    """The extractor run on the page after digest's chrome stripping (pass 1 of ingest.html)."""
    import lxml.html

    from digest.ingest.html import parse_document, strip_chrome

    extract = factory()
    return lambda page: extract(lxml.html.tostring(strip_chrome(parse_document(page)), encoding="unicode"))


def _digest() -> Callable[[str], str]:
    from digest.ingest.html import parse_html

    def run(page: str) -> str:
        article = parse_html(page, "page.html")
        return f"{article.title}\n\n{article.body}"
    return run


#: name → (distribution to size, factory). The floor (all visible text) shows what "no extraction" leaks.
CANDIDATES: dict[str, tuple[str | None, Callable[[], Callable[[str], str]]]] = {
    "trafilatura": ("trafilatura", lambda: _trafilatura(False)),
    "trafilatura precision": ("trafilatura", lambda: _trafilatura(True)),
    "readability-lxml": ("readability-lxml", _readability),
    "justext": ("justext", _justext),
    "boilerpy3": ("boilerpy3", _boilerpy3),
    "resiliparse": ("resiliparse", _resiliparse),
    "all visible text (floor)": (None, _all_text),
    "trafilatura + our strip": ("trafilatura", lambda: _stripped(lambda: _trafilatura(False))),
    "readability + our strip": ("readability-lxml", lambda: _stripped(_readability)),
    "justext + our strip": ("justext", lambda: _stripped(_justext)),
    "boilerpy3 + our strip": ("boilerpy3", lambda: _stripped(_boilerpy3)),
    "visible text + our strip": (None, lambda: _stripped(_all_text)),
    "digest (ours, end to end)": (None, _digest),
}


def _requirement_names(dist: str) -> set[str]:
    """``dist`` and everything it needs, recursively (installed distributions only)."""
    seen: set[str] = set()
    todo = [dist]
    while todo:
        name = re.split(r"[\s\[<>=!~;]", todo.pop(), maxsplit=1)[0].lower().replace("_", "-")
        if name in seen:
            continue
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        seen.add(name)
        todo += [r for r in requires if "extra ==" not in r]
    return seen


def _size_mb(names: set[str]) -> float:
    total = 0
    for name in names:
        for f in md.files(name) or []:
            try:
                total += f.locate().stat().st_size
            except OSError:
                pass
    return total / 1e6


def added_install_mb(dist: str) -> float:
    """MB of the library and of the dependencies it brings that digest's other dependencies do not.

    "Other" leaves out every candidate, including the one digest itself picked.
    """
    candidates = {d for d, _ in CANDIDATES.values() if d}
    base: set[str] = set()
    for requirement in md.requires("digest") or []:
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()
        if "extra ==" not in requirement and name not in candidates:
            base |= _requirement_names(name)
    return _size_mb(_requirement_names(dist) - base)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=150, help="number of pages to build (default 150)")
    parser.add_argument("--eval-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "eval",
                        help="folder holding bbc_dev.jsonl and cnndm_dev.jsonl")
    args = parser.parse_args()
    if not (args.eval_dir / "bbc_dev.jsonl").is_file():
        print(f"{args.eval_dir} not found: the shared evaluation data is only present in the team's workspace")
        return 0

    articles = load_articles(args.eval_dir, args.pages)
    rng = random.Random(7)
    pages = []
    for i, (title, paragraphs) in enumerate(articles):
        others = [a[1][0][:160] for a in rng.sample(articles, 7) if a[0] != title][:6]
        page = make_page(i % 4, title, paragraphs, others, f"2026-11-{1 + i % 28:02d}")
        pages.append((title, paragraphs, others, page))
    print(f"{len(pages)} pages, {sum(len(p[3]) for p in pages) / len(pages) / 1000:.1f} KB each on average, 4 layouts")
    print(f"{'extractor':28} {'recall':>7} {'precis.':>7} {'F1':>6} {'leak%':>6} {'ms/page':>8} {'+MB':>6}  leaked kinds (pages)")

    for name, (dist, factory) in CANDIDATES.items():
        try:
            extract = factory()
        except ImportError:
            print(f"{name:28} not installed (pip install {dist})")
            continue
        recall_sum = precision_sum = 0.0
        leaked_pages = 0
        kinds: Counter[str] = Counter()
        elapsed = 0.0
        for title, paragraphs, others, page in pages:
            start = time.perf_counter()
            try:
                output = extract(page) or ""
            except Exception as exc:  # a crash counts as an empty extraction, and we say so
                output = ""
                kinds[f"crash:{type(exc).__name__}"] += 1
            elapsed += time.perf_counter() - start
            ref_body = Counter(re.findall(r"\w+", " ".join(paragraphs).lower()))
            ref_all = ref_body + Counter(re.findall(r"\w+", title.lower()))
            got = Counter(re.findall(r"\w+", output.lower()))
            recall_sum += sum((ref_body & got).values()) / max(1, sum(ref_body.values()))
            precision_sum += sum((ref_all & got).values()) / max(1, sum(got.values())) if got else 0.0
            found = leaks(output, others)
            leaked_pages += bool(found)
            kinds.update(found)
        n = len(pages)
        recall, precision = recall_sum / n, precision_sum / n
        f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
        size = f"{added_install_mb(dist):6.1f}" if dist else "     -"
        leaked = ", ".join(f"{k} {v}" for k, v in kinds.most_common()) or "none"
        print(f"{name:28} {recall:7.3f} {precision:7.3f} {f1:6.3f} {100 * leaked_pages / n:5.0f}% "
              f"{1000 * elapsed / n:8.1f} {size}  {leaked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
