"""Our news ranker: position-aware centrality over word overlap, with length and title priors.

News puts what matters first, so a sentence's score blends how early it comes with how much of
the rest of the article it sums up (its similarity to later sentences: PACSUM's directed
centrality) and how close it is to the headline. Pure Python; no third-party imports.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from digest import text as textmod


class NewsRanker:
    """Scores sentences for news summaries; every parameter is fixed at construction."""

    def __init__(self, position_weight: float = 1.0, centrality_weight: float = 0.5, title_weight: float = 0.3):
        self.position_weight = position_weight
        self.centrality_weight = centrality_weight
        self.title_weight = title_weight

    def __call__(self, sentences: Sequence[str], title: str | None) -> list[float]:
        n = len(sentences)
        if n == 0:
            return []
        terms = [set(textmod.content_terms(s)) for s in sentences]
        df = Counter(t for ts in terms for t in ts)
        idf = {t: math.log(1 + n / c) for t, c in df.items()}
        norms = [math.sqrt(sum(idf[t] ** 2 for t in ts)) or 1.0 for ts in terms]
        title_terms = set(textmod.content_terms(title)) if title else set()
        scores = []
        for i, ts in enumerate(terms):
            forward = 0.0
            for j in range(i + 1, n):
                shared = ts & terms[j]
                if shared:
                    forward += sum(idf[t] ** 2 for t in shared) / (norms[i] * norms[j])
            centrality = forward / max(1, n - 1)
            title_sim = len(ts & title_terms) / (len(title_terms) or 1)
            position = 1.0 / math.sqrt(1 + i)
            length = len(sentences[i].split())
            length_prior = 1.0 if 8 <= length <= 45 else 0.5
            scores.append(
                length_prior
                * (self.position_weight * position + self.centrality_weight * centrality + self.title_weight * title_sim)
            )
        return scores
