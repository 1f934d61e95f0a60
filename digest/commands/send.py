"""``digest send``: email the day's digest, one message per subscriber, each exactly once."""

from __future__ import annotations

import json

import click

from digest import clock
from digest.commands._common import config_option, echo_err, progress_bar, settings_from
from digest.errors import DeliveryError


@click.command()
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD", help="Digest date (YYYY-MM-DD). Default: today in the configured timezone.")
@click.option("--dry-run", is_flag=True, help="Build every message but send and record nothing; list who would get one.")
@click.option("--to", "to", multiple=True, metavar="EMAIL", help="Send only to this subscriber (repeat for more).")
@click.option("--resend", is_flag=True, help="Send a new copy even to subscribers who already got this day's digest.")
@click.option("--seeds", type=click.Path(file_okay=False), help="Folder of input articles. Overrides paths.seeds.")
@click.option("--out", type=click.Path(file_okay=False), help="Out folder (digests and state). Overrides paths.out.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something failed.")
@click.pass_context
def send(ctx: click.Context, day, dry_run, to, resend, seeds, out, config_path, as_json, quiet) -> None:
    """Email the day's digest to every active subscriber.

    Builds the day's digest (or reuses it), then sends one message per subscriber through the
    configured transport ([email] transport: outbox or smtp). Subscribers already sent this day's
    digest are skipped, so running it again after an interruption finishes the job. Exits 4 when
    any subscriber could not be reached.
    """
    from digest.deliver import send_digest

    settings = settings_from(ctx, config_path).override("paths", seeds=seeds, out=out)
    now = clock.now(settings.digest.timezone)
    target = day.date() if day else now.date()

    with progress_bar(None, "Sending") as advance:
        report = send_digest(settings, target, now=now, to=to or None, resend=resend, dry_run=dry_run,
                             progress=advance, on_total=advance.start)

    for failure in report.failed:
        note = " (now marked bounced)" if failure.bounced else ""
        echo_err(f"failed: {failure.email}: {failure.reason}{note}")
    if report.stopped:
        echo_err(f"error: stopped early: {report.stopped}; {len(report.not_attempted)} not attempted "
                 "(run `digest send` again to continue)")
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    elif dry_run:
        for address in report.to_send:
            click.echo(address)
        click.echo(f"Dry run for {target}: would send {len(report.to_send)}, "
                   f"{len(report.already_sent)} already sent", err=True)
    elif not quiet or not report.ok:
        click.echo(f"Digest {target} via {report.transport}: {len(report.sent)} sent, "
                   f"{len(report.already_sent)} already sent, {len(report.failed)} failed"
                   + (f", {len(report.not_attempted)} not attempted" if report.not_attempted else ""))
    if not report.ok:
        ctx.exit(DeliveryError.exit_code)
