"""Our news ranker: position-aware (directed) centrality with a sentence-length prior.

How it scores one article's sentences (the research, sweeps and what did not help are in
``benchmarks/newsrank_dev.md``; every constant below says how it was chosen):

1. **Terms.** Each sentence becomes a bag of content terms: lowercased tokens without edge
   punctuation or a possessive ``'s``, stop words and numbers dropped, plurals lightly stemmed.
   Term weight: sublinear ``1 + log(tf)``.
2. **Similarity.** Cosine between sentences, never materialised as an n×n matrix: degree
   centralities are linear in the unit vectors, so each term shared by two or more sentences
   adds its part of the cosine to every pair of its sentences (in O(total terms) for news; a
   term of one sentence only counts in that sentence's norm).
3. **Which summary is asked for.** A *lede* (``lede=True``: what a digest entry is) always
   gets the *lead-aware* score. Otherwise the length of the request decides: short relative to
   the article (three sentences of a news story), lead-aware; a large part of the article
   (fewer than ``SWITCH_WORDS`` article words per requested sentence: an abridgement), the
   *coverage* score.
4. **Lead-aware** (PACSUM, Zheng & Lapata 2019, with TF-IDF edges instead of BERT): a sentence
   gains from similarity to *later* sentences (news elaborates its lead) and loses from
   similarity to *earlier* ones (it repeats them): ``fwd + LAMBDA_BACK × back``, scaled to
   [0, 1], times a length prior that peaks at ``LEN_PEAK`` words (fragments and run-on
   "sentences" with a glued photo caption score low; ROUGE punishes them too), times a mild
   position prior (the inverted pyramid).
5. **Coverage**: plain degree centrality (tf cosine, no IDF: within one article the frequent
   terms *are* the topic) times ``words ** LEN_POW_COV``.

The title is not used: as a query it made results worse on the only dev set with titles.
Pure Python; no third-party imports.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

#: PACSUM's backward weight (forward = 1). Dev sweep −4…1: flat plateau −2.5…−1 on both
#: CNN/DailyMail forms; −2 is its middle.
LAMBDA_BACK = -2.0
#: Words at which the length prior is 1. Dev sweep 15…45: plateau 20…30.
LEN_PEAK = 25.0
#: Lead-aware scores are multiplied by (1 + position) ** −POSITION_POW: news is an inverted
#: pyramid. Dev sweep 0…1 (with LEN_PEAK 20…30): 0.15 best on the 1,000-article see set
#: (+0.2 ROUGE-1 over none), larger values drift back towards Lead-3.
POSITION_POW = 0.15
#: Coverage-mode length exponent. Dev sweep 0…0.5: plateau 0.2…0.3 on BBC.
LEN_POW_COV = 0.25
#: Coverage mode below this many article words per requested summary sentence (about three news
#: sentences per summary sentence: a third of the article or more), unless a lede is asked for.
#: Dev sweep 70…100: the value maximising the smallest gain over the best other algorithm on the
#: three dev sets (see benchmarks/newsrank_dev.md).
SWITCH_WORDS = 80.0

#: Lead-aware scores of a quotation attributed only to a pronoun ('"…," he said.') or to no one
#: (a sentence that is all quotation) are multiplied
#: by this: out of context the reader cannot tell who is speaking. ROUGE-neutral on dev (±0.05);
#: chosen for readability.
DANGLING_QUOTE = 0.5
_DANGLING = re.compile(
    r"""^\s*["“‘'`].*["”’'`]\s*,?\s*(?:he|she|they|it|we)\s+(?:said|says|added|adds|told|tells|explained|continued|insisted)\b"""
    r"""|^\s*(?:["“]|``)[^"“”]*(?:["”]|'')\s*$""",  # or a quotation standing alone, attributed nowhere
    re.IGNORECASE,
)

_STOP = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each few for from further had hadn't has hasn't have
haven't having he he'd he'll he's her here here's hers herself him himself his how how's i
i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
myself no nor not of off on once only or other ought our ours ourselves out over own same
shan't she she'd she'll she's should shouldn't so some such than that that's the their
theirs them themselves then there there's these they they'd they'll they're they've this
those through to too under until up very was wasn't we we'd we'll we're we've were weren't
what what's when when's where where's which while who who's whom why why's with won't
would wouldn't you you'd you'll you're you've your yours yourself yourselves also said says
say told would could may might will just one two new like get got n't 's 're 've 'll 'd
mr mrs ms""".split()
)
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
    if w[-1] == "s" and len(w) > 3:
        if len(w) > 4 and w.endswith("ies"):
            return w[:-3] + "y"
        if not w.endswith(("ss", "us", "is")):
            return w[:-1]
    return w


def _tf(count: int) -> float:
    """Sublinear term frequency: 1 + log(tf)."""
    return 1.0 + math.log(count)


def _idf(df: int, n: int) -> float:
    """In-document IDF of a term found in ``df`` of the article's ``n`` sentences."""
    return math.log((n + 1.0) / (df + 1.0)) + 1.0


# Cached: sentence lengths repeat. The peak is an argument, so a changed LEN_PEAK gets no stale value.
@functools.lru_cache(maxsize=4096)
def _length_prior(words: int, peak: float) -> float:
    """sqrt(x · e^(1−x)), x = words / peak (LEN_PEAK): 1 at the peak, → 0 for fragments, slow decay for run-ons."""
    x = words / peak
    return math.sqrt(x * math.exp(1.0 - x))


@functools.lru_cache(maxsize=256)
def _position_priors(n: int, power: float) -> tuple[float, ...]:
    """(1 + i) ** −power for the first n positions (the inverted pyramid)."""
    return tuple((1.0 + i) ** -power for i in range(n))


class NewsRanker:
    """Scores sentences for news summaries (see the module docstring); built once, reused."""

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
        # One pass over the tokens: each sentence's length in words, and where each term occurs:
        # the sentence, or the list of sentences in order once there are two (tf is almost
        # always 1; a repeat within a sentence is counted aside).
        lookup = _TERM_CACHE.__getitem__
        lengths: list[int] = []
        total_words = 0
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
            total_words += length
            lengths.append(length or 1)
            own.append(len(postings) - known)  # the terms new here; those found later leave
        # Sentences asked for: the count, or a word budget in typical news sentences.
        asked = count if count else max(1.0, (words or 3 * LEN_PEAK) / LEN_PEAK)
        coverage = not lede and total_words / asked < SWITCH_WORDS

        # Term weights: in-document IDF (1 in coverage mode) × tf. Norms count every term; the
        # terms of one sentence (df = 1) only there, and all of them with the same IDF.
        single = 1.0 if coverage else _idf(1, n)
        single_sq = single * single
        norm_sq = [terms * single_sq for terms in own]
        weights: list[float] = []
        idf: dict[int, float] = {}
        for post in shared.values():
            df = len(post)
            if coverage:
                weight = 1.0
            elif (weight := idf.get(df)) is None:
                weight = idf[df] = _idf(df, n)
            weights.append(weight)
            square = weight * weight
            for i in post:
                norm_sq[i] += square
        boost: dict[tuple[str, int], float] = {}  # (shared term, sentence) → tf weight, where tf > 1
        for (term, i), tf in repeats.items():
            post = postings[term]
            alone = post.__class__ is int
            weight = single if alone else 1.0 if coverage else idf[len(post)]
            factor = _tf(tf)
            norm_sq[i] += weight * weight * (factor * factor - 1.0)
            if not alone:
                boost[term, i] = factor
        boosted = {term for term, _ in boost}
        inverse = [1.0 / math.sqrt(s) if s else 1.0 for s in norm_sq]

        # A shared term's entries in the unit vectors, u = weight / ‖v‖ in each of its sentences,
        # add u_i·u_j (its part of the cosine) to both ends of every pair i < j.
        if coverage:
            # Similarity to all other sentences, summed per sentence as u_i · (Σ u − u_i): a
            # sentence that appears twice gets exactly the same score twice (ties go to the first).
            similarity = [0.0] * n
            for (term, post), weight in zip(shared.items(), weights, strict=True):
                units = [weight * boost.get((term, i), 1.0) * inverse[i] for i in post]
                total = sum(units)
                for i, u in zip(post, units):
                    similarity[i] += u * (total - u)
            return [s * length**LEN_POW_COV for s, length in zip(similarity, lengths, strict=True)]
        back = [0.0] * n  # similarity to all earlier sentences
        forward = [0.0] * n  # ... and to all later ones
        for term, post, weight in zip(shared, shared.values(), weights):
            if boosted and term in boosted:
                units = [weight * boost.get((term, i), 1.0) * inverse[i] for i in post]
            elif len(post) == 2:  # most shared terms: one pair
                i, j = post
                both = weight * inverse[i] * weight * inverse[j]
                forward[i] += both
                back[j] += both
                continue
            else:
                units = [weight * inverse[i] for i in post]
            total = sum(units)
            before = 0.0
            for i, u in zip(post, units):
                back[i] += u * before
                before += u
                forward[i] += u * (total - before)

        directed = [f + LAMBDA_BACK * b for f, b in zip(forward, back, strict=True)]
        lo, hi = min(directed), max(directed)
        span = hi - lo
        return [
            ((d - lo) / span if span > 0 else 1.0) * _length_prior(length, LEN_PEAK) * position
            * (DANGLING_QUOTE if _DANGLING.match(sentence) else 1.0)
            for d, length, position, sentence in zip(directed, lengths, _position_priors(n, POSITION_POW), sentences)
        ]
