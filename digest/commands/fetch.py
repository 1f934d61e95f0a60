"""``digest fetch``: download feeds (and pages) into the seeds folder."""

from __future__ import annotations

import json

import click

from digest import clock
from digest.commands._common import EXIT_INPUT_SKIPPED, config_option, echo_err, progress_bar, settings_from


@click.command()
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option("--into", type=click.Path(file_okay=False), help="Folder to save items in. Default: feeds.into, else the seeds folder.")
@click.option("--out", type=click.Path(file_okay=False), help="Out folder whose state database remembers what was fetched. Overrides paths.out.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds to wait for each server. Overrides feeds.timeout.")
@click.option("--max-items", type=click.IntRange(min=1), help="Newest items taken from each feed. Overrides feeds.max_items.")
@click.option("--no-pages", is_flag=True, help="Save the text the feed carries; do not download each item's page.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
@click.pass_context
def fetch(ctx: click.Context, urls, into, out, timeout, max_items, no_pages, config_path, as_json, quiet) -> None:
    """Download RSS/Atom feeds (or web pages) and save each new item into the seeds folder.

    With no URL, fetches the feeds listed in [feeds] urls. Each item becomes a Markdown file
    (DATE-title.md, with title, date, source and link in its front matter) that `digest build`
    and the daemon read like any other article. Items fetched before (same link or GUID) are
    skipped; unchanged feeds cost a conditional GET. A URL that fails is reported and the
    others go on; the exit code is then 3.
    """
    from digest.fetch import fetch as run_fetch
    from digest.store import State

    settings = settings_from(ctx, config_path)
    settings = settings.override("paths", out=out).override("feeds", timeout=timeout, max_items=max_items)
    targets = list(urls) or list(settings.feeds.urls)
    if not targets:
        raise click.UsageError("no URLs: give some, or list feeds in [feeds] urls of the config file")
    folder = into or settings.feeds.into or settings.paths.seeds
    now = clock.now(settings.digest.timezone)

    with State.for_out_dir(settings.paths.out) as state, progress_bar(len(targets), "Fetching") as advance:
        report = run_fetch(
            targets, into=folder, state=state, now=now, timezone=settings.digest.timezone,
            timeout=settings.feeds.timeout, max_bytes=int(settings.feeds.max_mb * 1_000_000),
            pages=settings.feeds.pages and not no_pages, max_items=settings.feeds.max_items, progress=advance,
        )

    for error in report.errors:
        echo_err(f"error: fetch failed: {error}")
    if as_json:
        click.echo(json.dumps({
            "saved": [{"path": str(s.path), "title": s.title, "url": s.url} for s in report.saved],
            "already_fetched": report.already_fetched,
            "not_modified": list(report.not_modified),
            "errors": [{"url": e.url, "reason": e.reason} for e in report.errors],
        }, ensure_ascii=False))
    elif not quiet:
        from digest.formatting import plural

        unchanged = f", {plural(len(report.not_modified), 'feed')} unchanged" if report.not_modified else ""
        click.echo(f"Fetched {plural(len(report.saved), 'new item')} into {folder} "
                   f"({report.already_fetched} already fetched{unchanged})")
    if report.errors:
        ctx.exit(EXIT_INPUT_SKIPPED)
