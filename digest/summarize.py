"""Summarizer registry: our news ranker, Lead, and every sumy algorithm, behind one call.

Every algorithm is a ``Scorer``: built once with everything it needs, it maps an article's
sentences (and title) to one score per sentence. Selection is shared: the top ``count`` sentences
(or as many as fit a word budget), returned in document order. This is the only module that
imports sumy; sumy gets our offline tokenizer, so it never needs NLTK data.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Protocol

from digest import text as textmod
from digest.errors import UnknownAlgorithm
from digest.models import Article, Sentence, Summary
from digest.newsrank import NewsRanker

DEFAULT_ALGORITHM = "news"


class Scorer(Protocol):
    """Scores every sentence of one article; higher is more summary-worthy.

    ``count``/``words`` say how long the summary will be, for algorithms that adapt to it;
    ``lede`` asks for a story's opening summary (a digest entry) rather than an abridgement,
    whatever the length (only our ranker tells the two apart).
    """

    def __call__(
        self,
        sentences: Sequence[str],
        title: str | None,
        *,
        count: int | None = None,
        words: int | None = None,
        lede: bool = False,
    ) -> list[float]: ...


class LeadScorer:
    """The classic news baseline: earlier sentences first."""

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
        return [float(n - i) / n for i in range(n)]


class _OfflineTokenizer:
    """The tokenizer interface sumy expects, backed by ``digest.text`` (no NLTK data needed)."""

    language = "english"

    @staticmethod
    def to_sentences(paragraph: str) -> tuple[str, ...]:
        return tuple(textmod.split_sentences(paragraph))

    @staticmethod
    def to_words(sentence: str) -> tuple[str, ...]:
        return tuple(textmod.words(sentence))


class SumyScorer:
    """Adapts a sumy summarizer: the ratings sumy computes become our per-sentence scores."""

    def __init__(self, name: str, factory: Callable[[], object], *, uses_title: bool = False):
        self.name = name
        self._factory = factory
        self._uses_title = uses_title

    def __call__(
        self,
        sentences: Sequence[str],
        title: str | None,
        *,
        count: int | None = None,
        words: int | None = None,
        lede: bool = False,
    ) -> list[float]:
        from sumy.models.dom import ObjectDocumentModel, Paragraph
        from sumy.models.dom import Sentence as SumySentence

        tokenizer = _OfflineTokenizer()
        body = [SumySentence(s, tokenizer) for s in sentences]
        paragraphs = []
        if title and self._uses_title:
            paragraphs.append(Paragraph([SumySentence(title, tokenizer, is_heading=True)]))
        paragraphs.append(Paragraph(body))
        document = ObjectDocumentModel(tuple(paragraphs))

        summarizer = self._factory()
        captured: dict[str, object] = {}

        def capture(doc_sentences, count, rating, *args, **kwargs):
            captured.update(sentences=doc_sentences, rating=rating, args=args, kwargs=kwargs)
            return ()

        # sumy computes ratings, then hands them to _get_best_sentences; we take them there.
        summarizer._get_best_sentences = capture  # type: ignore[attr-defined]
        with warnings.catch_warnings():
            # On degenerate input (one sentence, no word shared) sumy's numpy maths divides by
            # zero: the RuntimeWarning reached the user's terminal, and the NaN ratings made the
            # choice arbitrary and the JSON output invalid. A NaN rates 0 (ties go to the earlier).
            warnings.simplefilter("ignore", RuntimeWarning)
            summarizer(document, len(sentences))
            rating = captured.get("rating")
            if rating is None:
                return [0.0] * len(sentences)
            if isinstance(rating, dict):
                ratings = [float(rating.get(s, 0.0)) for s in body]
            else:
                args, kwargs = captured["args"], captured["kwargs"]
                ratings = [float(rating(s, *args, **kwargs)) for s in body]  # type: ignore[operator]
        return [r if math.isfinite(r) else 0.0 for r in ratings]


def _sumy_factories() -> dict[str, tuple[Callable[[], object], bool]]:
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.edmundson import EdmundsonSummarizer
    from sumy.summarizers.kl import KLSummarizer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.luhn import LuhnSummarizer
    from sumy.summarizers.reduction import ReductionSummarizer
    from sumy.summarizers.sum_basic import SumBasicSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    stemmer = Stemmer("english")
    stop_words = frozenset(get_stop_words("english"))

    def build(cls: type) -> Callable[[], object]:
        def make() -> object:
            summarizer = cls(stemmer)
            summarizer.stop_words = stop_words
            return summarizer

        return make

    def edmundson() -> object:
        summarizer = EdmundsonSummarizer(stemmer)
        # sumy's Edmundson is configured by attributes; its cue method needs word lists.
        summarizer.null_words = stop_words
        summarizer.bonus_words = ("significant", "important", "announced", "first", "new", "major")
        summarizer.stigma_words = ("pictured", "photo", "click", "video", "scroll", "hardly", "impossible")
        return summarizer

    return {
        "lexrank": (build(LexRankSummarizer), False),
        "textrank": (build(TextRankSummarizer), False),
        "lsa": (build(LsaSummarizer), False),
        "luhn": (build(LuhnSummarizer), False),
        "edmundson": (edmundson, True),
        "sumbasic": (build(SumBasicSummarizer), False),
        "kl": (build(KLSummarizer), False),
        "reduction": (build(ReductionSummarizer), False),
    }


SUMY_ALGORITHMS = ("lexrank", "textrank", "lsa", "luhn", "edmundson", "sumbasic", "kl", "reduction")


def algorithm_names() -> list[str]:
    """Every algorithm name, ours first."""
    return [DEFAULT_ALGORITHM, "lead", *SUMY_ALGORITHMS]


@functools.lru_cache(maxsize=None)
def get_scorer(name: str) -> Scorer:
    """The scorer registered under ``name``; raises UnknownAlgorithm for anything else."""
    if name == DEFAULT_ALGORITHM:
        return NewsRanker()
    if name == "lead":
        return LeadScorer()
    if name in SUMY_ALGORITHMS:
        factory, uses_title = _sumy_factories()[name]
        return SumyScorer(name, factory, uses_title=uses_title)
    raise UnknownAlgorithm(name, algorithm_names())


def select(
    sentences: Sequence[str], scores: Sequence[float], *, count: int | None = 3, words: int | None = None
) -> list[int]:
    """Indices of the best sentences, in document order: ``count`` of them, or as many as fit ``words``.

    Ties go to the earlier sentence. With a word budget, at least one sentence is always chosen.
    """
    order = sorted(range(len(sentences)), key=scores.__getitem__, reverse=True)  # stable: ties keep document order
    if words:
        chosen: list[int] = []
        used = 0
        for i in order:
            length = len(sentences[i].split())
            if used + length <= words or not chosen:
                chosen.append(i)
                used += length
            if used >= words:
                break
        return sorted(chosen)
    return sorted(order[: max(0, count or 0)])


def article_sentences(article: Article) -> list[str]:
    """The article body split into sentences, paragraph by paragraph."""
    sentences: list[str] = []
    for paragraph in article.paragraphs:
        sentences.extend(textmod.split_sentences(paragraph))
    return sentences


def summarize_sentences(
    sentences: Sequence[str],
    title: str | None = None,
    *,
    algorithm: str = DEFAULT_ALGORITHM,
    count: int | None = 3,
    words: int | None = None,
    lede: bool = False,
) -> Summary:
    """Pick the best of ``sentences`` with ``algorithm``; chosen sentences come back in document order.

    ``lede=True`` asks for a story's opening summary, as a digest entry shows it (see ``Scorer``).
    """
    scorer = get_scorer(algorithm)
    if not sentences:
        return Summary(algorithm, ())
    scores = scorer(sentences, title, count=count, words=words, lede=lede)
    chosen = select(sentences, scores, count=count, words=words)
    return Summary(algorithm, tuple(Sentence(sentences[i], i, round(float(scores[i]), 6)) for i in chosen))


def summarize_article(
    article: Article,
    *,
    algorithm: str = DEFAULT_ALGORITHM,
    count: int | None = 3,
    words: int | None = None,
    lede: bool = False,
) -> Summary:
    """Summarize one article's body (its title guides algorithms that use one); ``lede`` as above."""
    return summarize_sentences(
        article_sentences(article),
        None if article.title_derived else article.title,
        algorithm=algorithm,
        count=count,
        words=words,
        lede=lede,
    )
