"""The ``digest`` command line: a thin click layer over the library.

This is the only module that prints or exits. Library errors (``DigestError``) become one line on
stderr and a non-zero exit code; there are no tracebacks for user mistakes.

Exit codes: 0 success · 1 failure · 2 bad usage or configuration · 3 some inputs could not be read
· 4 delivery failed · 5 state folder unusable · 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from digest import __version__, clock
from digest.config import Settings, describe_settings, load_settings
from digest.errors import ArticleError, DigestError
from digest.models import Article, Skipped, Summary

EXIT_INPUT_SKIPPED = 3
#: Show a progress bar from this many items on (and only on a terminal).
PROGRESS_THRESHOLD = 20


class DigestGroup(click.Group):
    """A click group that turns library errors into one clean line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            click.echo(f"digest: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("digest: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # `digest summarize ... | head` closes our stdout early; that is not an error.
            sys.stderr.close()
            ctx.exit(0)


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings_loader"]()


@contextmanager
def _progress(total: int, label: str) -> Iterator[Any]:
    """A progress bar on stderr for long runs; silent when few items or stderr is not a terminal."""
    if total < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield lambda n=1: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True) as bar:
        yield bar.update


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digest")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="DIGEST_CONFIG",
    help="Settings file (TOML). Default: $DIGEST_CONFIG, else config/digest.toml when present.",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Summarize news articles and compose a dated, email-ready digest.

    Drop articles (.txt, .md) into the seeds folder and run `digest build`; or summarize single
    files with `digest summarize FILE`. Every command takes --help.
    """
    cache: dict[str, Settings] = {}

    def loader() -> Settings:
        if "settings" not in cache:
            cache["settings"] = load_settings(config_path)
        return cache["settings"]

    ctx.obj = {"settings_loader": loader}


# -- build --------------------------------------------------------------------------------------


@cli.command()
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), help="Digest date (YYYY-MM-DD). Default: today in the configured timezone.")
@click.option("--seeds", type=click.Path(file_okay=False), help="Folder of input articles. Overrides paths.seeds.")
@click.option("--out", type=click.Path(file_okay=False), help="Output folder. Overrides paths.out.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Settings file (same as the global --config).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for summarizing. Overrides output.jobs.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
@click.pass_context
def build(ctx: click.Context, day, seeds, out, config_path, jobs, as_json, quiet) -> None:
    """Build the digest for a day from the seeds folder.

    Writes OUT/digest-YYYY-MM-DD.html, .txt and .md, updates OUT/latest.html and the archive page
    OUT/index.html. Files that cannot be read are reported and skipped.
    """
    from digest.build import build as run_build

    settings = load_settings(config_path) if config_path else _settings(ctx)
    settings = settings.override("paths", seeds=seeds, out=out).override("output", jobs=jobs)
    now = clock.now(settings.digest.timezone)
    target = day.date() if day else now.date()

    total = {"n": 0}
    with _progress_lazy(total) as (on_files, progress):
        result = run_build(settings, day=target, now=now, progress=progress, on_files=on_files)

    for item in result.skipped:
        click.echo(f"digest: skipped {item.path}: {item.reason}", err=True)
    if as_json:
        click.echo(json.dumps({
            "date": target.isoformat(),
            "stories": len(result.digest.stories),
            "title_only": result.digest.omitted,
            "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
            "written": [str(p) for p in result.written],
        }))
    elif not quiet:
        html = result.written[0]
        click.echo(f"Built {result.digest.heading}: {len(result.digest.stories)} stories → {html}")


@contextmanager
def _progress_lazy(total: dict[str, int]) -> Iterator[tuple[Any, Any]]:
    """Progress for a build, whose length is known only after the seeds folder is listed."""
    state: dict[str, Any] = {}

    def on_files(n: int) -> None:
        if n >= PROGRESS_THRESHOLD and sys.stderr.isatty():
            bar = click.progressbar(length=n, label="Summarizing", file=sys.stderr, show_eta=True)
            state["bar"] = bar.__enter__()

    def progress(n: int = 1) -> None:
        if "bar" in state:
            state["bar"].update(n)

    try:
        yield on_files, progress
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)


# -- summarize ----------------------------------------------------------------------------------


def _article_json(article: Article, summary: Summary) -> dict[str, Any]:
    return {
        "path": article.path,
        "title": article.title,
        "date": article.date.isoformat() if article.date else None,
        "date_source": article.date_source,
        "source": article.source,
        "place": article.place,
        "algorithm": summary.algorithm,
        "sentences": [{"text": s.text, "index": s.index, "score": s.score} for s in summary.sentences],
    }


def _meta_line(article: Article) -> str:
    parts = [p for p in (article.source, article.place) if p]
    if article.date:
        parts.append(article.date.isoformat())
    parts.append(article.path)
    return " · ".join(parts)


def _read_inputs(paths: tuple[str, ...], settings: Settings) -> Iterator[Article | Skipped]:
    from digest import ingest

    max_bytes = int(settings.input.max_file_mb * 1_000_000)
    for path in paths:
        if path == "-":
            try:
                data = sys.stdin.buffer.read()
                yield ingest.parse_article(ingest.decode(data, "<stdin>"), "-", digest_hash=ingest.content_hash(data))
            except ArticleError as exc:
                yield Skipped(exc.path, exc.reason)
        else:
            yield from ingest.read_articles([path], timezone=settings.digest.timezone, max_bytes=max_bytes)


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-n", "--sentences", type=click.IntRange(min=1), help="Sentences per summary (default from config: 3).")
@click.option("--words", type=click.IntRange(min=1), help="Word budget per summary, instead of a sentence count.")
@click.option("--algorithm", "-a", help="news (default), lead, lexrank, textrank, lsa, luhn, edmundson, sumbasic, kl, reduction.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True, help="Output format; json prints one object per line per article.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for many files.")
@click.pass_context
def summarize(ctx: click.Context, paths, sentences, words, algorithm, fmt, jobs) -> None:
    """Summarize article files (use - for standard input).

    Files that cannot be read are reported on stderr and skipped; the exit code is then 3.
    """
    from digest.build import summarize_all
    from digest.summarize import get_scorer

    if sentences and words:
        raise click.UsageError("use either -n/--sentences or --words, not both")
    settings = _settings(ctx).override("summary", algorithm=algorithm, sentences=sentences, words=words)
    if sentences:
        settings = settings.override("summary", words=0)
    get_scorer(settings.summary.algorithm)  # fail fast on an unknown name, before reading files

    articles: list[Article] = []
    skipped: list[Skipped] = []
    with _progress(len(paths), "Reading") as advance:
        for item in _read_inputs(paths, settings):
            (skipped if isinstance(item, Skipped) else articles).append(item)
            advance(1)
    with _progress(len(articles), "Summarizing") as advance:
        summaries = summarize_all(
            articles,
            algorithm=settings.summary.algorithm,
            count=settings.summary.sentences,
            words=settings.summary.words,
            jobs=jobs or settings.output.jobs,
            progress=advance,
        )

    for article, summary in zip(articles, summaries):
        if fmt == "json":
            click.echo(json.dumps(_article_json(article, summary), ensure_ascii=False))
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
        click.echo(f"digest: error: {item.path}: {item.reason}", err=True)
    if skipped:
        ctx.exit(EXIT_INPUT_SKIPPED)


# -- small helpers ------------------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def algorithms(as_json: bool) -> None:
    """List the summarization algorithms."""
    from digest.summarize import DEFAULT_ALGORITHM, algorithm_names

    names = algorithm_names()
    if as_json:
        click.echo(json.dumps({"default": DEFAULT_ALGORITHM, "algorithms": names}))
        return
    for name in names:
        click.echo(f"{name}{'  (default)' if name == DEFAULT_ALGORITHM else ''}")


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print the effective settings as JSON.")
@click.option("--keys", is_flag=True, help="List every setting with its meaning and default.")
@click.pass_context
def config_cmd(ctx: click.Context, as_json: bool, keys: bool) -> None:
    """Check the settings file and print the effective settings."""
    if keys:
        for key, doc, default in describe_settings():
            click.echo(f"{key} = {json.dumps(default if not isinstance(default, tuple) else list(default))}\n    {doc}")
        return
    settings = _settings(ctx)
    data = {
        name: {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(section).items()}
        for name, section in ((n, getattr(settings, n)) for n in ("digest", "paths", "input", "summary", "output"))
    }
    if as_json:
        click.echo(json.dumps({"source": settings.source, **data}, indent=2))
        return
    click.echo(f"# settings from {settings.source or 'built-in defaults'}: valid")
    for name, values in data.items():
        click.echo(f"[{name}]")
        for key, value in values.items():
            click.echo(f"{key} = {json.dumps(value)}")
        click.echo()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="digest")


if __name__ == "__main__":  # pragma: no cover
    main()
