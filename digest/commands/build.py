"""``digest build``: the day's digest from the seeds folder."""

from __future__ import annotations

import json

import click

from digest import clock
from digest.commands._common import config_option, echo_err, progress_bar, settings_from


@click.command()
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD", help="Digest date (YYYY-MM-DD). Default: today in the configured timezone.")
@click.option("--seeds", type=click.Path(file_okay=False), help="Folder of input articles. Overrides paths.seeds.")
@click.option("--out", type=click.Path(file_okay=False), help="Output folder. Overrides paths.out.")
@config_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes that read and summarize: this one and N-1 workers. Overrides output.jobs.")
@click.option("--no-cache", is_flag=True, help="Do not use or update the build cache in OUT/state (same output, slower).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
@click.pass_context
def build(ctx: click.Context, day, seeds, out, config_path, jobs, no_cache, as_json, quiet) -> None:
    """Build the digest for a day from the seeds folder.

    Writes OUT/digest-YYYY-MM-DD.html, .txt and .md, updates OUT/latest.html (unless a later
    day's digest is there) and the archive page OUT/index.html. Files that cannot be read are reported and skipped; the build goes on.
    Files, summaries and layouts of earlier builds are reused from the cache in OUT/state.
    """
    from digest.build import build as run_build

    settings = settings_from(ctx, config_path)
    settings = settings.override("paths", seeds=seeds, out=out).override("output", jobs=jobs)
    now = clock.now(settings.digest.timezone)
    target = day.date() if day else now.date()

    with progress_bar(None, "Summarizing") as advance:
        result = run_build(settings, day=target, now=now, progress=advance, on_files=advance.start,
                           use_cache=not no_cache)

    for item in result.skipped:
        echo_err(f"skipped {item.path}: {item.reason}")
    if as_json:
        click.echo(json.dumps({
            "date": target.isoformat(),
            "stories": len(result.digest.stories),
            "title_only": result.digest.omitted,
            "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
            "written": [str(p) for p in result.written],
            "cache": result.cache,
        }))
    elif not quiet:
        count = len(result.digest.stories)
        click.echo(f"Built {result.digest.heading}: {count} {'story' if count == 1 else 'stories'} → {result.written[0]}")
