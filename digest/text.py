"""Sentence splitting, word tokens and stemming, all offline.

This is the only module that imports nltk, and it uses only the stemmers, which
need no downloaded NLTK data. Sentence splitting is our own rule-based scanner:

* text is cut into paragraphs first (blank lines; single newlines too, unless
  the text is hard-wrapped or a line breaks off mid-sentence), and a paragraph
  break always ends a sentence;
* inside a paragraph one regex finds every *candidate* end (``.`` ``!`` ``?``
  ``…`` runs, plus any closing quotes/brackets) followed by a space, and a
  small decision function looks only at the word before and the word after;
* lowercased, PTB-tokenized text (``he said . '' she added``) is handled by
  treating a free-standing ``.`` ``?`` ``!`` token as a certain boundary.

Every step is a single left-to-right pass with bounded look-around, so time is
linear in the input (a 0.5 MB paragraph splits in a fraction of a second).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nltk.stem.snowball import SnowballStemmer

__all__ = [
    "STOP_WORDS",
    "content_terms",
    "split_paragraphs",
    "split_sentences",
    "stem",
    "words",
]

STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all almost also although always am among an and
    another any anyone anything are aren't around as at be became because become been
    before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't done down during each either else enough even ever every
    few for from further had hadn't has hasn't have haven't having he he'd he'll he's her
    here here's hers herself him himself his how how's however i i'd i'll i'm i've if in
    into is isn't it it's its itself just least less let's like made make many may me
    might more most much must mustn't my myself neither never no nor not now of off often
    on once one only or other others ought our ours ourselves out over own per perhaps
    quite rather really said same say says shall shan't she she'd she'll she's should
    shouldn't since so some such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those though through
    thus to too toward towards under until up upon us very via was wasn't we we'd we'll
    we're we've were weren't what what's whatever when when's where where's whether
    which while who who's whom whose why why's will with within without won't would
    wouldn't yet you you'd you'll you're you've your yours yourself yourselves
    """.split()
)

# Capitalised words that start sentences but hardly ever follow an abbreviation
# inside one ("in the U.S. How ..." ends; "in the U.S. Senate ..." does not).
# Stop words minus those that are also names, months or the "US" pronoun.
_SENTENCE_STARTERS = (STOP_WORDS - {"will", "may", "us", "who", "am", "no", "said", "says", "say"}) | {
    "meanwhile", "instead", "still", "today", "yesterday", "earlier", "later", "despite",
    "according", "officials", "police",
}

# Abbreviations matched case-insensitively (the word before the period, no dot).
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms messrs mme dr prof rev hon gen lt col maj capt cmdr cdr sgt cpl pvt adm brig
    gov sen rep reps pres supt insp det atty msgr fr sr jr st mt ft rt esq
    inc corp co cos ltd llc plc bros assn assoc dept univ inst intl govt
    etc vs approx apt ave blvd rd hwy est sec ed eds op cf al ibid viz ca c tel ext oz lb
    lbs yr yrs min mins hr hrs
    """.split()
)
# Abbreviations that stand before a number ("Jan. 5", "No. 10", "vol. 3").
_NUMBER_ABBREVIATIONS = frozenset(
    """
    jan feb mar apr jun jul aug sep sept oct nov dec no nos nr n° nº p pp pg fig figs vol
    vols ch chap art para
    """.split()
)
# Only abbreviations when capitalised: "Sat." is Saturday, "sat." is a verb.
_CAPITALISED_ABBREVIATIONS = frozenset(
    """
    Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun
    Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Kans Ky La Md Mass Mich Minn Miss
    Mo Mont Neb Nev Okla Ore Pa Penn Tenn Tex Va Vt Wash Wis Wyo
    """.split()
)
# After "a.m."/"p.m." a capitalised day, month or time zone continues the sentence.
_TIME_FOLLOWERS = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december jan feb mar apr jun jul aug
    sep sept oct nov dec et est edt ct cst cdt mt mst mdt pt pst pdt gmt bst utc cet
    """.split()
)
_SPEECH_VERBS = frozenset(
    """
    said says asked asks added adds told tells replied replies explained shouted wrote
    writes tweeted insisted continued recalled joked laughed whispered cried answered
    admitted noted declared wondered exclaimed claimed stated warned suggested argued
    remarked responded conceded quipped yelled screamed sighed demanded
    """.split()
)

_BULLETS = "•⁃‣◦▪▫●■□►▶➢✓✔"
_OPENERS = "\"'“‘«([{¿¡`*_-–—"
_DASHES = frozenset({"-", "--", "–", "—", "―"})
_CLOSER_TOKENS = frozenset({"''", "’", "’’", "”", "»", ")", "]", "}"})

# A candidate sentence end: a run of terminators (a spaced ". . ." counts as one
# run), then closing quotes/brackets, then a space or the end. The look-behinds
# (placed after the first terminator, so that the regex engine can skip ahead to
# the next terminator instead of trying every position: 8x faster) make a run
# start only at its first character, and the atomic group/possessive quantifier
# forbid backtracking, so a long run of dots costs linear time.
_CANDIDATE = re.compile(
    r"[.!?…](?<![.!?…][.!?…])(?<!\. [.!?…])"
    r"(?>[.!?…]*(?: \.(?![.!?…]))*(?:[.!?…]+(?: \.(?![.!?…]))*)*)([\"'”’»)\]}]*+)(?= |$)"
)
_SPACED_DOTS = re.compile(r"\.(?: \.)+")
_NUMBER = re.compile(r"[$£€¥]?\d[\d.,:/%]*$")
_DOTTED = re.compile(r"[A-Za-z]{1,3}(?:\.[A-Za-z]{1,3})+")  # U.S, a.m, e.g, Ph.D
_LIST_MARKER_SENTENCE = re.compile(
    rf"[{_BULLETS}*-]? ?\(?(?:\d{{1,3}}|[A-Za-z]|[ivxIVX]{{1,4}})(?:\.\)|\.|\))"
)
_INLINE_MARKER = re.compile(r"(?<![^ ])(\d{1,2}|[A-Za-z])(\.\)|\)|\.)(?= \S)")
_LINE_LIST_START = re.compile(rf"(?:[{_BULLETS}*+–—-]|\(?\d{{1,3}}[.)]|[a-z][.)]|\([a-z]\)) ")
_LINE_END_TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_BULLET_SPLIT = re.compile(rf" (?=[{_BULLETS}])")
_WORD = re.compile(r"(?:[^\W\d_]\.){2,}(?=\W|$)|[^\W_]+(?:(?:['’\-]|(?<=\d)[.,](?=\d))[^\W_]+)*")


def split_paragraphs(text: str) -> list[str]:
    """Split text into paragraphs, each with its whitespace collapsed to single spaces.

    Blank lines always separate paragraphs. A single newline separates them too,
    unless the paragraph is hard-wrapped (e.g. an email at 72 columns), in which
    case filled lines are joined and a short line or a list item starts anew, or
    the next line continues a sentence in lowercase ("a cold\nnight in the city.").
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        # Already one normalised line (as every paragraph of an Article is): the only whitespace
        # in printable text is the space, so there is nothing to split or collapse.
        return [text] if text else []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[str] = []
    for chunk in _BLANK_LINE.split(text):
        lines = [line.strip() for line in chunk.split("\n")]
        paragraphs.extend(" ".join(p.split()) for p in _unwrap([ln for ln in lines if ln]))
    return [p for p in paragraphs if p]


def _unwrap(lines: list[str]) -> list[str]:
    """Join the lines of one blank-line-free chunk into paragraphs."""
    if len(lines) < 2:
        return lines
    width = max(len(line) for line in lines)
    filled = [line for line in lines[:-1] if len(line) >= 0.65 * width]
    mid_sentence = [line for line in filled if not _LINE_END_TERMINAL.search(line)]
    # Wrapped text fills its lines to a fixed width and often breaks mid-sentence;
    # one-paragraph-per-line text has long, uneven lines that end sentences.
    if not (40 <= width <= 100 and mid_sentence and 2 * len(mid_sentence) >= len(filled)):
        return _join_broken_lines(lines)
    paragraphs = [lines[0]]
    for prev, line in zip(lines, lines[1:]):
        if len(prev) >= 0.65 * width and not _LINE_LIST_START.match(line):
            joiner = "" if prev.endswith("-") and prev[-2:-1].isalpha() and line[:1].islower() else " "
            paragraphs[-1] += joiner + line
        else:
            paragraphs.append(line)
    return paragraphs


def _join_broken_lines(lines: list[str]) -> list[str]:
    """Rejoin a sentence broken across lines ("It was a cold\nnight in the city.").

    A run of lines that each continue in lowercase after a line without end
    punctuation is one sentence if the run ends with end punctuation; otherwise
    (e.g. "features\ncontact manager") its lines stay separate list items.
    """
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        j = i
        while j + 1 < n and lines[j + 1][:1].islower() and not _LINE_END_TERMINAL.search(lines[j]):
            j += 1
        if j > i and _LINE_END_TERMINAL.search(lines[j]):
            out.append(" ".join(lines[i : j + 1]))
        else:
            out.extend(lines[i : j + 1])  # every shorter run would fail the same way
        i = j + 1
    return out


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, in order, each stripped and whitespace-normalised."""
    # Without capital letters (e.g. lowercased corpora) case cannot signal a new
    # sentence, so some rules below fall back to token shape.
    caseless = text.islower()
    sentences: list[str] = []
    for paragraph in split_paragraphs(text):
        for piece in _BULLET_SPLIT.split(paragraph):
            sentences.extend(_split_piece(piece, caseless))
    return sentences


def _split_piece(s: str, caseless: bool) -> list[str]:
    """Split one whitespace-normalised paragraph (or bullet item) into sentences."""
    list_cuts = _inline_list_cuts(s)
    cuts: list[int] = []
    last_cut = 0
    li = 0
    for m in _CANDIDATE.finditer(s):
        while li < len(list_cuts) and list_cuts[li] <= m.start():
            if list_cuts[li] > last_cut:
                cuts.append(list_cuts[li])
                last_cut = list_cuts[li]
            li += 1
        cut = _decide(s, m, last_cut, caseless)
        if cut is not None and last_cut < cut < len(s):
            cuts.append(cut)
            last_cut = cut
    cuts.extend(c for c in list_cuts[li:] if c > last_cut)
    bounds = [0, *cuts, len(s)]
    pieces = (s[a:b].strip() for a, b in zip(bounds, bounds[1:]))
    return [p for p in pieces if p]


def _inline_list_cuts(s: str) -> list[int]:
    """Cut positions before items of an inline list like '1) a 2) b' or 'a. x b. y'.

    Only a run that starts the paragraph and counts up one by one in the same
    style qualifies, so a stray "p." or "2." in prose is left alone.
    """
    head = s.lstrip(_BULLETS + " ")
    first = _INLINE_MARKER.match(head)
    if not first:
        return []
    expected, style = _successor(first.group(1)), first.group(2)
    cuts = []
    for m in _INLINE_MARKER.finditer(s, len(s) - len(head) + first.end()):
        if m.group(1) == expected and m.group(2) == style:
            cuts.append(m.start())
            expected = _successor(expected)
    return cuts


def _successor(marker: str) -> str:
    return str(int(marker) + 1) if marker.isdigit() else chr(ord(marker) + 1)


def _decide(s: str, m: re.Match[str], last_cut: int, caseless: bool) -> int | None:
    """Return the cut position if candidate ``m`` ends a sentence, else None."""
    start, end = m.start(), m.end()
    if end >= len(s):
        return None
    run = s[start : m.start(1)]
    closers = m.group(1)
    prev_start = s.rfind(" ", 0, start) + 1
    prev = s[prev_start:start]
    nxt = s[end + 1 : _find(s, " ", end + 1)]
    core = nxt.lstrip(_OPENERS)
    standalone = not prev  # a free-standing "." token: tokenized text
    lower_next = core[:1].islower()

    if end - last_cut <= 9 and _LIST_MARKER_SENTENCE.fullmatch(s[last_cut:end].strip()):
        return None  # "1." / "a)" / "• 9." opening a list item is not a sentence
    if "!" in run or "?" in run:
        if standalone or caseless:
            return _absorb_closers(s, end)
        if lower_next or nxt in _DASHES or (closers and _is_attribution(s, end)):
            return None  # 'Yahoo! in', 'and -- voila! -- you', '"Okay?" Trump added.'
        return end
    if run.count(".") > 1 or "…" in run:
        return _decide_ellipsis(s, m, run, prev, core, caseless)
    if standalone:
        return _absorb_closers(s, end)
    # A single period attached to a word.
    if nxt[:1] in ",;:" or (lower_next and not caseless):
        return None
    # Classify the last part of "then-Sen." / "Korea-U.S."; a closing quote or
    # bracket after the period ('Block H." Labour') makes it a real ending.
    word = prev.lstrip(_OPENERS)
    tail = word[max(word.rfind("-"), word.rfind("/")) + 1 :]
    word = tail if len(tail) > 1 else word  # but "Jay-Z." is not an initial
    kind = "word" if closers else _word_kind(word, caseless)
    if kind == "word":
        return end
    if caseless:
        return None  # "mr. smith", "p.m. ( ...": lowercase text gives no evidence
    if kind == "number":
        return end
    if core[:1].isdigit():
        return None  # "p. 55", "Jan. 5", "No. 10"
    if kind == "before-number":
        return end  # "Ant and Dec. Natalie": month/number abbreviations need a number
    starter = core.rstrip(".,;:!?\"'”’)").lower().replace("’", "'") in _SENTENCE_STARTERS
    if kind == "ampm" and not starter:
        if core.rstrip(".,").lower() in _TIME_FOLLOWERS:
            return None
        # "At 5 a.m. Mr. Smith went" : a fronted time phrase is no sentence.
        return end if s[last_cut : min(start, last_cut + 60)].strip().count(" ") >= 3 else None
    return end if starter else None


def _decide_ellipsis(s: str, m: re.Match[str], run: str, prev: str, core: str, caseless: bool) -> int | None:
    """Ellipses end a sentence only before a capitalised word (not "I")."""
    if caseless:
        # No case evidence, but tokenized text ends a sentence with a free-standing
        # "." after the ellipsis ("advertised.. . it"); ". . ." alone is an ellipsis.
        if run.endswith(" .") and not _SPACED_DOTS.fullmatch(run):
            return _absorb_closers(s, m.end())
        return None
    if prev.endswith(("[", "(")):
        return None  # an omission mark: "[...]"
    first = core.split("’")[0].split("'")[0]
    if not core[:1].isupper() or first == "I":
        return None
    # "compounds. . . . The": a period, then an ellipsis opening the next sentence.
    if prev and run.startswith(". .") and run.count(".") >= 4:
        return m.start() + 1
    return m.end()


def _word_kind(word: str, caseless: bool) -> str:
    """Classify the token before a period: abbreviation, initial, number, word..."""
    if not word:
        return "word"
    if _NUMBER.fullmatch(word):
        return "number"
    lowered = word.lower()
    if lowered in ("a.m", "p.m"):
        return "ampm"
    if len(word) == 1 and word.isalpha():
        return "initial"
    if len(word) > 2 and word.isupper() and word.isalpha():
        return "word"  # an acronym: "the SEC." is not "sec."
    if lowered in _NUMBER_ABBREVIATIONS:
        return "before-number"
    if lowered in _ABBREVIATIONS or _DOTTED.fullmatch(word):
        return "abbreviation"
    if word in _CAPITALISED_ABBREVIATIONS or (caseless and word.capitalize() in _CAPITALISED_ABBREVIATIONS):
        return "abbreviation"
    return "word"


def _is_attribution(s: str, end: int) -> bool:
    """True if a quote is followed by its speaker: '"Okay?" Trump added.'"""
    for token in s[end + 1 : end + 80].split(" ")[:4]:
        bare = token.rstrip(".,;:")
        if bare.lower() in _SPEECH_VERBS:
            return True
        if not bare[:1].isupper():
            return False
    return False


def _absorb_closers(s: str, end: int) -> int:
    """Move a cut past free-standing closing quotes: "said . '' He" keeps the ''."""
    while end < len(s):
        token_end = _find(s, " ", end + 1)
        if s[end + 1 : token_end] not in _CLOSER_TOKENS:
            break
        end = token_end
    return end


def _find(s: str, sub: str, start: int) -> int:
    i = s.find(sub, start)
    return len(s) if i < 0 else i


def words(text: str) -> list[str]:
    """Word tokens in original case: letters/digits with inner apostrophes, hyphens, decimals.

    Dotted abbreviations keep their dots ("U.S.", "e.g."); other punctuation is dropped.
    """
    return _WORD.findall(text)


_stemmer: SnowballStemmer | None = None


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Lowercase and stem one word with the Snowball (Porter2) English stemmer."""
    global _stemmer
    if _stemmer is None:
        # Imported on first use: importing nltk takes 0.15 s, more than a cached rebuild needs.
        from nltk.stem.snowball import SnowballStemmer

        _stemmer = SnowballStemmer("english")  # Porter2; needs no NLTK data
    return _stemmer.stem(word.lower())


def content_terms(text: str) -> list[str]:
    """Stemmed, lowercased tokens of text, stop words removed."""
    tokens = _WORD.findall(text.lower().replace("’", "'"))
    return [stem(t) for t in tokens if t not in STOP_WORDS]
