"""``digest subscribers``: add, remove, list, import and export the subscriber list."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from digest import clock
from digest.commands._common import EXIT_INPUT_SKIPPED, echo_err, settings_from


def _state(ctx: click.Context):
    from digest.store import State

    settings = settings_from(ctx).override("paths", out=ctx.meta.get("digest.subscribers_out"))
    return settings, State.for_out_dir(settings.paths.out)


def _with_state(func: Callable[..., Any]) -> Callable[..., Any]:
    """Open the state database of the configured out folder for the command, and close it after."""

    @click.pass_context
    def wrapper(ctx: click.Context, **kwargs: Any) -> Any:
        settings, state = _state(ctx)
        with state:
            return ctx.invoke(func, settings=settings, state=state, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@click.group()
@click.option("--out", type=click.Path(file_okay=False), help="Out folder holding the state database. Overrides paths.out.")
@click.pass_context
def subscribers(ctx: click.Context, out: str | None) -> None:
    """Manage who receives the digest by email (stored in OUT/state/digest.sqlite3)."""
    ctx.meta["digest.subscribers_out"] = out


@subscribers.command()
@click.argument("email")
@click.option("--name", help="The subscriber's name, shown in the To: header.")
@_with_state
def add(settings, state, email: str, name: str | None) -> None:
    """Add EMAIL to the list (syntax checked; the same address in any case is a duplicate)."""
    from digest import subscribers as subs

    added = subs.add(state, email, name=name, now=clock.now(settings.digest.timezone))
    click.echo(f"Added {added.email}")


@subscribers.command()
@click.argument("email")
@_with_state
def remove(settings, state, email: str) -> None:
    """Remove EMAIL from the list entirely.

    Unsubscribing through the link in an email (or `digest unsubscribe TOKEN`) keeps the
    address on the list, marked unsubscribed, instead.
    """
    from digest import subscribers as subs

    removed = subs.remove(state, email)
    click.echo(f"Removed {removed.email}")


def _record(sub) -> dict[str, Any]:
    return {
        "email": sub.email,
        "name": sub.name,
        "status": sub.status,
        "created_at": sub.created_at.isoformat() if sub.created_at else None,
    }


@subscribers.command("list")
@click.option("--status", type=click.Choice(["active", "unsubscribed", "bounced"]), help="Only subscribers with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of subscribers.")
@_with_state
def list_cmd(settings, state, status: str | None, as_json: bool) -> None:
    """List subscribers, oldest first: address, status and name."""
    from digest import subscribers as subs

    found = subs.list_subscribers(state, status)
    if as_json:
        click.echo(json.dumps([_record(s) for s in found], ensure_ascii=False, indent=2))
        return
    for sub in found:
        click.echo(f"{sub.email}\t{sub.status}\t{sub.name or ''}".rstrip())


@subscribers.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@_with_state
def import_cmd(settings, state, file: str, as_json: bool) -> None:
    """Add the addresses of a CSV file: columns email, name[, status]; a header row is optional.

    Invalid rows are reported on stderr (exit code 3) and duplicates skipped; the rest are added.
    """
    from digest import subscribers as subs

    report = subs.import_csv(state, file, now=clock.now(settings.digest.timezone))
    for line, reason in report.invalid:
        echo_err(f"error: {file}:{line}: {reason}")
    if as_json:
        click.echo(json.dumps({
            "added": list(report.added), "duplicates": list(report.duplicates),
            "invalid": [{"line": line, "reason": reason} for line, reason in report.invalid],
        }))
    else:
        click.echo(f"Added {len(report.added)}, skipped {len(report.duplicates)} already on the list, "
                   f"{len(report.invalid)} invalid")
    if report.invalid:
        click.get_current_context().exit(EXIT_INPUT_SKIPPED)


@subscribers.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@click.option("--status", type=click.Choice(["active", "unsubscribed", "bounced"]), help="Only subscribers with this status.")
@_with_state
def export(settings, state, file: str, status: str | None) -> None:
    """Write the list as CSV (email, name, status, created_at) to FILE, or to standard output."""
    from digest import output
    from digest import subscribers as subs

    found = subs.list_subscribers(state, status)
    if file == "-":
        subs.export_csv(found, sys.stdout)
        return
    buffer = io.StringIO()
    count = subs.export_csv(found, buffer)
    output.write_atomic(file, buffer.getvalue(), mode=0o600)
    from digest.formatting import plural

    click.echo(f"Exported {plural(count, 'subscriber')} to {file}", err=True)
