"""``digest status``: what the daemon is doing — next runs, last build, pending and quarantined files."""

from __future__ import annotations

import json

import click

from digest import clock
from digest.commands._common import config_option, one_line, settings_from


def _format(report: dict) -> list[str]:
    daemon = report["daemon"]
    sched = report["schedule"]
    lines = [f"daemon: {'running (pid %d)' % daemon['pid'] if daemon['running'] else 'not running'}"]
    if sched["cron"]:
        runs = ", ".join(sched["next_runs"]) or "none"
        lines.append(f"schedule: {sched['cron']!r} ({sched['timezone']}), sending {'on' if sched['send'] else 'off'};"
                     f" next runs: {runs}")
    else:
        lines.append("schedule: none (rebuilds on arrival only)")
    build = report["last_build"]
    if build:
        what = f"{build['stories']} stories, {build['skipped']} skipped" if build["result"] == "ok" else build["detail"]
        lines.append(f"last build: {build['finished_at']} ({build['trigger']}) for {build['day']}: {what}")
    else:
        lines.append("last build: none by the daemon")
    run = report["last_scheduled_run"]
    if run:
        lines.append(f"last scheduled run: {run['fired_at']} for {run['day']}: {run['result']}"
                     + (f" ({run['detail']})" if run["detail"] else ""))
    counts = report["articles"]
    lines.append(f"articles: {counts['ok']} known, {counts['in_todays_digest']} in today's digest "
                 f"({sched['select']}), {counts['pending']} pending")
    if report.get("seeds_missing"):
        lines.append(f"  seeds folder {report['seeds']} not found")
    for path in report["pending"]:
        lines.append(f"  pending: {path}")
    lines.append(f"quarantined: {len(report['quarantined'])}")
    for item in report["quarantined"]:
        moved = f" (moved to {item['moved_to']})" if item["moved_to"] else ""
        lines.append(f"  {item['path']}: {item['reason']}{moved}")
    return lines


@click.command()
@click.option("--seeds", type=click.Path(file_okay=False), help="Folder of input articles. Overrides paths.seeds.")
@click.option("--out", type=click.Path(file_okay=False), help="Output folder holding the state. Overrides paths.out.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON object.")
@click.pass_context
def status(ctx: click.Context, seeds, out, config_path, as_json) -> None:
    """Show the daemon's state: next scheduled runs, last build, pending and quarantined files.

    Pending files are new or changed files not yet read (settling, or the daemon is not running).
    """
    from digest.daemon import daemon_status

    settings = settings_from(ctx, config_path).override("paths", seeds=seeds, out=out)
    report = daemon_status(settings, clock.now(settings.digest.timezone))
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo("\n".join(one_line(line) for line in _format(report)))  # a line per item, whatever its name
