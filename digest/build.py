"""``build()``: seeds folder → summarized, composed, rendered and written digest. Reads top to bottom."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from digest import compose, dedup, ingest, output, render
from digest.config import Settings
from digest.models import Article, Digest, Rendered, Skipped, Summary
from digest.summarize import summarize_article

#: Called once per article processed (for progress bars).
Progress = Callable[[int], None]


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: the digest, its rendering, the files written and the inputs skipped."""

    digest: Digest
    rendered: Rendered
    written: tuple[Path, ...]
    skipped: tuple[Skipped, ...]


def _summarize_one(job: tuple[Article, str, int, int]) -> Summary:
    article, algorithm, count, words = job
    return summarize_article(article, algorithm=algorithm, count=count, words=words or None)


def summarize_all(
    articles: Sequence[Article],
    *,
    algorithm: str,
    count: int,
    words: int = 0,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Summary]:
    """Summarize every article, in order; with ``jobs`` > 1 across worker processes."""
    work = [(a, algorithm, count, words) for a in articles]
    results: list[Summary] = []
    if jobs > 1 and len(work) > 1:
        chunk = max(1, min(64, len(work) // (jobs * 4)))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for summary in pool.map(_summarize_one, work, chunksize=chunk):
                results.append(summary)
                if progress:
                    progress(1)
    else:
        for item in work:
            results.append(_summarize_one(item))
            if progress:
                progress(1)
    return results


def make_digest(
    articles: Sequence[Article],
    settings: Settings,
    *,
    day: dt.date,
    now: dt.datetime,
    skipped: Iterable[Skipped] = (),
    progress: Progress | None = None,
) -> tuple[Digest, Rendered]:
    """Group versions of one story, summarize, compose and render (within the email size limit).

    Writes nothing. Each story is summarized from its fullest version; the others become its sources.
    """
    groups = dedup.group_articles(articles)
    if progress and len(groups) < len(articles):
        progress(len(articles) - len(groups))  # merged versions need no summary of their own
    articles = [group[0] for group in groups]
    summaries = summarize_all(
        articles,
        algorithm=settings.summary.algorithm,
        count=settings.summary.sentences,
        words=settings.summary.words,
        jobs=settings.output.jobs,
        progress=progress,
    )
    digest = compose.compose(
        list(zip(articles, summaries)),
        day=day,
        generated_at=now,
        title=settings.digest.title,
        timezone=settings.digest.timezone,
        preheader=settings.digest.preheader,
        skipped=tuple(skipped),
        sources=groups,
    )
    return render.fit_for_email(
        digest,
        templates_dir=settings.paths.templates or None,
        max_html_bytes=settings.output.max_html_kb * 1000,
    )


def build(
    settings: Settings,
    *,
    day: dt.date,
    now: dt.datetime,
    progress: Progress | None = None,
    on_files: Callable[[int], None] | None = None,
) -> BuildResult:
    """Read the seeds folder, build the digest for ``day`` and write it to the out folder.

    Unreadable files are skipped and listed in the result; they never stop the build.
    """
    paths = ingest.find_article_files(settings.paths.seeds, settings.input.patterns)
    if on_files:
        on_files(len(paths))
    articles: list[Article] = []
    skipped: list[Skipped] = []
    max_bytes = int(settings.input.max_file_mb * 1_000_000)
    for item in ingest.read_articles(paths, timezone=settings.digest.timezone, max_bytes=max_bytes):
        (skipped if isinstance(item, Skipped) else articles).append(item)

    digest, rendered = make_digest(articles, settings, day=day, now=now, skipped=skipped, progress=progress)
    out = Path(settings.paths.out)
    written = output.write_digest(out, day, rendered)
    index_html = render.render_index(output.archive_entries(out), settings.digest.title)
    written.append(output.write_atomic(out / "index.html", index_html))
    return BuildResult(digest, rendered, tuple(written), tuple(skipped))

