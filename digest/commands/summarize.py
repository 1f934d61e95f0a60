"""``digest summarize``: summaries of single articles, as text, Markdown or JSON lines."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

import click

from digest.commands._common import EXIT_INPUT_SKIPPED, echo_err, one_line, progress_bar, settings_from
from digest.config import Settings
from digest.errors import ArticleError
from digest.models import Article, Skipped, Summary


def _article_json(article: Article, summary: Summary, group: int, members: list[str]) -> dict[str, Any]:
    return {
        "path": article.path,
        "title": article.title,
        "date": article.date.isoformat() if article.date else None,
        "date_source": article.date_source,
        "source": article.source,
        "place": article.place,
        "algorithm": summary.algorithm,
        "sentences": [{"text": s.text, "index": s.index, "score": s.score} for s in summary.sentences],
        # Inputs that are versions of one story share a group number (1, 2, ... in input order);
        # group_members lists their paths, fullest version (the one a digest shows) first.
        "group": group,
        "group_members": members,
    }


def _meta_line(article: Article) -> str:
    parts = [p for p in (article.source, article.place) if p]
    if article.date:
        parts.append(article.date.isoformat())
    parts.append(article.path)
    return one_line(" · ".join(parts))  # a newline in a file name would break the layout


def _is_pipe(path: str) -> bool:
    """True for a named pipe, such as the ``/dev/fd/63`` of ``digest summarize <(command)``."""
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _read_limited(handle: BinaryIO, name: str, max_bytes: int) -> bytes:
    """All of a stream, but no more than ``max_bytes`` ([input] max_file_mb, as for files): ArticleError past it."""
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ArticleError(name, f"too large (over {max_bytes / 1e6:.1f} MB, the limit)")
    return data


def _read_inputs(paths: tuple[str, ...], settings: Settings) -> Iterator[Article | Skipped]:
    from digest import ingest

    max_bytes = int(settings.input.max_file_mb * 1_000_000)
    for path in paths:
        if path == "-":
            try:
                data = _read_limited(sys.stdin.buffer, "<stdin>", max_bytes)
                yield ingest.parse_article(ingest.decode(data, "<stdin>"), "-", digest_hash=ingest.content_hash(data))
            except ArticleError as exc:
                yield Skipped(exc.path, exc.reason)
        elif _is_pipe(path):
            # Named on the command line, a pipe is read like standard input (the library refuses
            # pipes, which would hang a build if one sat in the seeds folder).
            try:
                with open(path, "rb") as handle:
                    data = _read_limited(handle, path, max_bytes)
                yield ingest.parse_article(ingest.decode(data, path), path, digest_hash=ingest.content_hash(data))
            except ArticleError as exc:
                yield Skipped(exc.path, exc.reason)
            except OSError as exc:
                yield Skipped(path, f"cannot read: {exc.strerror or exc}")
        else:
            yield from ingest.read_articles([path], timezone=settings.digest.timezone, max_bytes=max_bytes)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-n", "--sentences", type=click.IntRange(min=1), help="Sentences per summary (default from config: 3).")
@click.option("--words", type=click.IntRange(min=1), help="Word budget per summary, instead of a sentence count.")
@click.option("--algorithm", "-a", help="news (default), lead, lexrank, textrank, lsa, luhn, edmundson, sumbasic, kl, reduction.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True, help="Output format; json prints one object per line per article, with its story group.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes for many files: this one and N-1 workers.")
@click.option("--lede", is_flag=True, help="Summarize as a digest entry: the story's opening points, even when much of a short article is asked for (default: such a request gets the sentences that best cover the whole article).")
@click.pass_context
def summarize(ctx: click.Context, paths, sentences, words, algorithm, fmt, as_json, jobs, lede) -> None:
    """Summarize article files (use - for standard input).

    Files that cannot be read are reported on stderr and skipped; the exit code is then 3.
    """
    from digest.build import summarize_all
    from digest.summarize import get_scorer

    if sentences and words:
        raise click.UsageError("use either -n/--sentences or --words, not both")
    if as_json:
        if fmt != "json" and ctx.get_parameter_source("fmt") is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError(f"--json is --format json; it cannot go with --format {fmt}")
        fmt = "json"
    if algorithm:
        get_scorer(algorithm)  # a name given with -a is reported as such, not as the config key it overrides
    settings = settings_from(ctx).override("summary", algorithm=algorithm, sentences=sentences, words=words)
    if sentences:
        settings = settings.override("summary", words=0)
    get_scorer(settings.summary.algorithm)  # fail fast on an unknown name, before reading files

    articles: list[Article] = []
    skipped: list[Skipped] = []
    summaries: list[Summary] = []
    prints = None
    jobs = jobs or settings.output.jobs
    if jobs > 1 and "-" not in paths and not any(_is_pipe(p) for p in paths):
        from digest.build import summarize_files

        # Read and summarized in worker processes, each batch of files as soon as it is read.
        with progress_bar(None, "Summarizing") as advance:
            articles, skipped, summaries, prints = summarize_files(
                paths, settings.override("output", jobs=jobs), progress=advance, lede=lede)
    else:
        with progress_bar(len(paths), "Reading") as advance:
            for item in _read_inputs(paths, settings):
                (skipped if isinstance(item, Skipped) else articles).append(item)
                advance(1)
        with progress_bar(len(articles), "Summarizing") as advance:
            summaries = summarize_all(
                articles,
                algorithm=settings.summary.algorithm,
                count=settings.summary.sentences,
                words=settings.summary.words,
                jobs=jobs,  # standard input or a pipe among the files: read here, summarized in workers
                progress=advance,
                lede=lede,
            )

    group_of: dict[int, tuple[int, list[str]]] = {}
    if fmt == "json":
        from digest.dedup import group_indices

        for number, members in enumerate(group_indices(articles, prints), start=1):
            paths = [articles[i].path for i in members]
            group_of.update((i, (number, paths)) for i in members)
    for position, (article, summary) in enumerate(zip(articles, summaries)):
        if fmt == "json":
            click.echo(json.dumps(_article_json(article, summary, *group_of[position]), ensure_ascii=False))
        elif fmt == "markdown":
            click.echo(f"## {article.title}\n\n*{_meta_line(article)}*\n")
            for s in summary.sentences:
                click.echo(f"- {s.text}")
            click.echo()
        else:
            click.echo(article.title)
            click.echo(_meta_line(article))
            for s in summary.sentences:
                click.echo(f"  {s.text}")
            click.echo()
    for item in skipped:
        echo_err(f"error: {item.path}: {item.reason}")
    if skipped:
        ctx.exit(EXIT_INPUT_SKIPPED)
