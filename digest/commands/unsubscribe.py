"""``digest unsubscribe``: apply an unsubscribe token by hand (from a mailto: request, say)."""

from __future__ import annotations

import click

from digest import clock
from digest.commands._common import config_option, settings_from


@click.command()
@click.argument("token")
@click.option("--out", type=click.Path(file_okay=False), help="Out folder holding the state database. Overrides paths.out.")
@config_option
@click.pass_context
def unsubscribe(ctx: click.Context, token: str, out: str | None, config_path: str | None) -> None:
    """Unsubscribe the subscriber a TOKEN was made for (the token in an email's unsubscribe link).

    A malformed or forged token is an error (exit code 2) and changes nothing.
    """
    from digest.unsubscribe import unsubscribe as apply

    settings = settings_from(ctx, config_path).override("paths", out=out)
    result = apply(settings, token, now=clock.now(settings.digest.timezone))
    if result.previous is None:
        click.echo(f"{result.email} is not on the list; nothing to do")
    elif result.changed:
        click.echo(f"Unsubscribed {result.email}")
    else:
        click.echo(f"{result.email} was already unsubscribed")
