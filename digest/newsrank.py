"""Our news ranker: expected-ROUGE choice of a set for news summaries, centrality for abridgements.

Which summary is asked for decides the method (the research, sweeps and what did not help are
in ``benchmarks/newsrank_dev.md``; every constant says how it was chosen):

* A *lede* (``lede=True``: what a digest entry is), or a summary short relative to the article
  (at least ``SWITCH_WORDS`` article words per requested sentence: three sentences of a news
  story): the set of sentences with the best expected ROUGE-1 against a summary a person would
  write, under a small model of which words such summaries keep (``digest.wordmodel``,
  ``digest.setchoice``). Quotations a reader cannot place (``dangling_quotes``) and fragments
  of fewer than ``MIN_WORDS`` words halve a set's worth. A lede always keeps the first sentence.
* A large part of the article (an *abridgement*): **coverage**, plain degree centrality (tf
  cosine, no IDF: within one article the frequent terms *are* the topic) times
  ``words ** LEN_POW_COV``. Sentences become bags of content terms: lowercased tokens without
  edge punctuation or a possessive ``'s``, stop words and numbers dropped, plurals lightly
  stemmed; weight ``1 + log(tf)``. Cosines are never materialised as an n×n matrix: degree
  centrality is linear in the unit vectors, so each term shared by two or more sentences adds
  its part of the cosine to every pair of its sentences.

Chosen sentences score 1 plus their own worth, the others their own worth (below 1), so
``select`` takes the chosen set and the rest come in a sensible order (composing uses them to
replace a sentence already shown). The title is not used: as a query it made results worse on
the only dev set with titles. No third-party imports; the set choice runs in C where
``digest/_setchoice.c`` is built (``digest.setchoice.analyse``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from digest import setchoice, wordmodel

#: Words per requested sentence assumed for a word budget (``words=``): a typical news sentence.
LEN_PEAK = 25.0
#: Coverage-mode length exponent. Dev sweep 0…0.5: plateau 0.2…0.3 on BBC.
LEN_POW_COV = 0.25
#: Coverage mode below this many article words per requested summary sentence (about three news
#: sentences per summary sentence: a third of the article or more), unless a lede is asked for.
#: Dev sweep 60…100 (cnndm / see / bbc ROUGE-1): 80 → 44.52 / 41.80 / 79.59, 85 → 44.28 /
#: 41.78 / 79.94, 90 → 43.89 / 41.69 / 80.20. 85 maximises the smallest gain over the best other
#: algorithm on the three dev sets (Lead-3 on CNN/DailyMail, Reduction on BBC); see
#: benchmarks/newsrank_dev.md.
SWITCH_WORDS = 85.0
#: A sentence of fewer words ("Watch the video:", "Nailed it!", a split-off "california gov .")
#: counts like a dangling quotation: it halves a set's worth. Dev sweep (cnndm / see / bbc): 0 →
#: 44.26 / 41.77 / 79.89, 4 → 44.47 / 41.76 / 79.89, 6 → 44.40 / 41.79 / 79.90, 8 → 44.52 / 41.72 /
#: 79.91; chosen for readers (picks under 8 words fell by two thirds), ROUGE-neutral.
MIN_WORDS = 6

#: A quotation attributed only to a pronoun ('"…," he said.') or to no one (a sentence that is
#: all quotation): out of context the reader cannot tell who is speaking, so a set holding one
#: is worth ``setchoice.DANGLING_QUOTE`` as much. ROUGE-neutral on dev; chosen for readability.
_DANGLING = re.compile(
    r"""^\s*["“‘'`].*["”’'`]\s*,?\s*(?:he|she|they|it|we)\s+(?:said|says|added|adds|told|tells|explained|continued|insisted)\b"""
    r"""|^\s*(?:["“]|``)[^"“”]*(?:["”]|'')\s*$""",  # or a quotation standing alone, attributed nowhere
    re.IGNORECASE,
)

_STOP = wordmodel.STOP_WORDS


_OPEN_CLOSE = re.compile(r"[“”\"]|``|''")
_QUOTE_FIRST = frozenset("\"“‘'`")


def dangling_quotes(sentences: Sequence[str]) -> list[bool]:
    """Which sentences are quotations a reader cannot place out of context: attributed only to a
    pronoun or to no one (``_DANGLING``), or going on with a quotation opened in an earlier
    sentence ('We’re doing well.”' after '… Trump said “my inclination is to get a big deal.')."""
    flags = []
    inside = False  # a quotation opened in an earlier sentence is still open
    for sentence in sentences:
        # Most sentences neither start with a quotation mark nor hold a double one: a few
        # substring tests say so (``_DANGLING`` needs a quotation mark first).
        if not inside and sentence.lstrip()[:1] not in _QUOTE_FIRST and '"' not in sentence \
                and "“" not in sentence and "”" not in sentence and "``" not in sentence and "''" not in sentence:
            flags.append(False)
            continue
        marks = _OPEN_CLOSE.findall(sentence)
        # Opening with a quotation it does not close: the words of someone not yet named.
        opens = bool(marks) and not inside and sentence.lstrip().startswith(marks[0]) and marks[0] != "”"
        dangling = inside or _DANGLING.match(sentence) is not None
        for mark in marks:
            if mark in ("“", "``"):
                inside = True
            elif mark in ("”", "''"):
                inside = False
            else:  # a straight quote opens or closes
                inside = not inside
        flags.append(dangling or (opens and inside))
    return flags


_CORE = re.compile(r"\w(?:.*\w)?", re.DOTALL)  # a token from its first to its last word character
_ALPHA = re.compile(r"[^\W\d_]")

#: Entries of the token cache before it starts afresh (some tens of MB at most).
_CACHE_MAX = 500_000


class _TermCache(dict):
    """Lowercased whitespace token → its term ("" = dropped word, None = not a word at all).

    Process-wide and bounded: fills itself on a miss, starts afresh when full. A term spelled
    like its token is stored as the token itself: one string object, less memory to go through.
    """

    def __missing__(self, token: str) -> str | None:
        if len(self) >= _CACHE_MAX:
            self.clear()
        term = _term(token)
        if term == token:
            term = token
        self[token] = term
        return term


_TERM_CACHE = _TermCache()


def _term(token: str) -> str | None:
    """A lowercased whitespace token → its content term; "" for a dropped word, None for punctuation."""
    m = _CORE.search(token)
    if m is None:
        return None
    w = m.group().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) < 2 or w in _STOP or _ALPHA.search(w) is None:
        return ""
    return wordmodel.stem(w)


def _tf(count: int) -> float:
    """Sublinear term frequency: 1 + log(tf)."""
    return 1.0 + math.log(count)


class NewsRanker:
    """Scores sentences for news summaries (see the module docstring); built once, reused.

    ``pure_python`` keeps the set choice in Python even where its C version is built (the same
    summaries, several times slower: for tests and comparisons).
    """

    def __init__(self, *, pure_python: bool = False):
        self._pure_python = pure_python

    def __call__(
        self,
        sentences: Sequence[str],
        title: str | None,
        *,
        count: int | None = None,
        words: int | None = None,
        lede: bool = False,
    ) -> list[float]:
        n = len(sentences)
        if n == 0:
            return []
        # Sentences asked for: the count, or a word budget in typical news sentences.
        asked = count if count else max(1.0, (words or 3 * LEN_PEAK) / LEN_PEAK)
        article = setchoice.analyse(sentences, pure_python=self._pure_python)
        if lede or article.tokens / asked >= SWITCH_WORDS:
            unusable = [d or size < MIN_WORDS for d, size in zip(dangling_quotes(sentences), article.sizes)]
            chosen, own = article.choose(count or max(1, round(asked)), unusable, first_fixed=lede)
            for i in chosen:
                own[i] += 1.0
            return own
        return self._coverage(sentences)

    def _coverage(self, sentences: Sequence[str]) -> list[float]:
        """Degree centrality × length prior (see the module docstring)."""
        n = len(sentences)
        # One pass over the tokens: each sentence's length in words, and where each term occurs:
        # the sentence, or the list of sentences in order once there are two (tf is almost
        # always 1; a repeat within a sentence is counted aside).
        lookup = _TERM_CACHE.__getitem__
        lengths: list[int] = []
        own: list[int] = []  # terms of each sentence found in no other sentence
        postings: dict[str, int | list[int]] = {}
        get = postings.get
        shared: dict[str, list[int]] = {}  # the terms of two or more sentences
        repeats: dict[tuple[str, int], int] = {}  # (term, sentence) → tf, where tf > 1
        for i, tokens in enumerate(map(str.split, map(str.lower, sentences))):
            length = len(tokens)
            known = len(postings)
            for term in map(lookup, tokens):
                if not term:
                    if term is None:  # punctuation: not a word
                        length -= 1
                    continue
                post = get(term)
                if post is None:
                    postings[term] = i  # no list for the many terms of one sentence
                elif post.__class__ is int:
                    if post != i:
                        postings[term] = shared[term] = [post, i]
                        own[post] -= 1
                    else:
                        repeats[term, i] = repeats.get((term, i), 1) + 1
                elif post[-1] != i:
                    post.append(i)
                else:
                    repeats[term, i] = repeats.get((term, i), 1) + 1
            lengths.append(length or 1)
            own.append(len(postings) - known)  # the terms new here; those found later leave

        # Term weights: tf only (no IDF). Norms count every term; the terms of one sentence
        # (df = 1) only there.
        norm_sq = [float(terms) for terms in own]
        for post in shared.values():
            for i in post:
                norm_sq[i] += 1.0
        boost: dict[tuple[str, int], float] = {}  # (shared term, sentence) → tf weight, where tf > 1
        for (term, i), tf in repeats.items():
            factor = _tf(tf)
            norm_sq[i] += factor * factor - 1.0
            if postings[term].__class__ is not int:
                boost[term, i] = factor
        inverse = [1.0 / math.sqrt(s) if s else 1.0 for s in norm_sq]

        # A shared term's entries in the unit vectors, u = weight / ‖v‖ in each of its sentences,
        # add u_i·u_j (its part of the cosine) to both ends of every pair: similarity to all other
        # sentences, summed per sentence as u_i · (Σ u − u_i). A sentence that appears twice gets
        # exactly the same score twice (ties go to the first).
        similarity = [0.0] * n
        for term, post in shared.items():
            units = [boost.get((term, i), 1.0) * inverse[i] for i in post]
            total = sum(units)
            for i, u in zip(post, units):
                similarity[i] += u * (total - u)
        return [s * length**LEN_POW_COV for s, length in zip(similarity, lengths, strict=True)]
