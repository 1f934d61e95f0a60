"""The ``digest`` command line: a thin click layer over the library.

This module and ``digest.commands`` are the only code that prints or exits. Library errors
(``DigestError``) become one line on stderr and an exit code; no tracebacks for user mistakes.

Exit codes: 0 success · 1 failure · 2 bad usage or configuration · 3 some inputs could not be read
· 4 delivery failed · 5 state folder unusable or locked · 130 interrupted.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from digest import __version__
from digest.commands.build import build
from digest.commands.eval import eval_cmd
from digest.commands.fetch import fetch
from digest.commands.info import algorithms, config_cmd
from digest.commands.run import run
from digest.commands.send import send
from digest.commands.serve import serve
from digest.commands.status import status
from digest.commands.subscribers import subscribers
from digest.commands.summarize import summarize
from digest.commands.unsubscribe import unsubscribe
from digest.config import Settings, load_settings
from digest.errors import DigestError


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

    Drop articles (.txt, .md, .html, .eml, .mbox) into the seeds folder, or download feeds there
    with `digest fetch`, and run `digest build`; or summarize single files with
    `digest summarize FILE`. Every command takes --help.
    """
    cache: dict[str, Settings] = {}

    def loader() -> Settings:
        if "settings" not in cache:
            cache["settings"] = load_settings(config_path)
        return cache["settings"]

    ctx.obj = {"settings_loader": loader}


for command in (
    build, summarize, run, status, send, subscribers, unsubscribe, serve, fetch, eval_cmd, algorithms, config_cmd,
):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="digest")


if __name__ == "__main__":  # pragma: no cover
    main()
