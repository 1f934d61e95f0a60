"""Lists of articles and summaries that cross between processes as plain tuples.

Unpickling a frozen dataclass with slots goes through dataclasses' generic ``__setstate__``,
several times slower than calling the class: for thousands of articles and summaries a worker
pool spent more time there than on some of the work. These lists pickle their items as tuples
of fields and rebuild them with the constructor. Only what actually goes through a pipe is
converted: work that stays in this process uses the lists as they are.
"""

from __future__ import annotations

import dataclasses
import operator

from digest.models import Article, Sentence, Summary

_article_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(Article)))


class Articles(list):
    """A list of Articles (and Skipped parts) that pickles compactly."""

    def __reduce__(self) -> tuple:
        return _articles, ([_article_fields(a) if type(a) is Article else a for a in self],)


def _articles(rows: list) -> Articles:
    return Articles([Article(*row) if type(row) is tuple else row for row in rows])


class Summaries(list):
    """A list of Summaries that pickles compactly."""

    def __reduce__(self) -> tuple:
        return _summaries, ([(s.algorithm, [(x.text, x.index, x.score) for x in s.sentences]) for s in self],)


def _summaries(rows: list) -> Summaries:
    return Summaries([Summary(algorithm, tuple(Sentence(*s) for s in sentences)) for algorithm, sentences in rows])



