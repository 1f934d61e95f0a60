"""The ``digest`` command line: a thin click layer over the library.

This module and ``digest.commands`` are the only code that prints or exits. Library errors
(``DigestError``) become one line on stderr and an exit code; no tracebacks for user mistakes.

Exit codes: 0 success · 1 failure · 2 bad usage or configuration · 3 some inputs could not be read
· 4 delivery failed · 5 state folder unusable or locked · 130 interrupted.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from digest import __version__, interrupt
from digest.commands._common import one_line
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


def _error_line(exc: click.ClickException) -> str:
    """A click usage error as one line (click's own form takes three: usage, hint, error)."""
    message = exc.format_message()
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        message += f" (see '{exc.ctx.command_path} --help')"
    return f"digest: error: {one_line(message)}"


def _output_failed(ctx: click.Context, exc: OSError) -> None:
    """Report an OSError (a full disk under stdout, a file vanishing mid-way) as one line, exit 1."""
    _discard_stdout()
    where = f"{exc.filename}: " if exc.filename else ""
    click.echo(f"digest: error: {one_line(f'{where}{exc.strerror or exc}')}", err=True)
    ctx.exit(1)


def _discard_stdout() -> None:
    """Point stdout at the null device once writing to it failed or its reader left.

    Output still in stdout's buffer would otherwise be written again as Python exits, where the
    failure prints "Exception ignored ... OSError" and turns the exit code into 120.
    """
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass  # stdout is not a file (a test runner's capture): nothing is written again at exit


class _WarningLine(logging.Handler):
    """Library warnings (an unusable build cache, a digest too large for email) as one stderr line.

    Installed as ``logging.lastResort``, so it only speaks when nothing else is configured:
    ``digest run`` and ``digest serve`` set up their own logging, and tests capture the records.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # sys.stderr looked up each time: click's test runner swaps it.
            click.echo(f"digest: {record.levelname.lower()}: {one_line(record.getMessage())}", err=True)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


class DigestGroup(click.Group):
    """A click group that turns library errors into one clean line and an exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # The group's own options (`digest --bogus`); a subcommand's are parsed inside invoke().
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError:
            raise  # `digest` alone prints the help
        except click.UsageError as exc:
            click.echo(_error_line(exc), err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            _output_failed(ctx, exc)  # `digest --help > /dev/full`

    def invoke(self, ctx: click.Context) -> Any:
        try:
            # While a command runs, Ctrl-C is a KeyboardInterrupt (caught below), so work unwinds.
            with interrupt.python_handler():
                try:
                    return super().invoke(ctx)
                finally:
                    # A user's stdout is block-buffered when it is not a terminal: write what is
                    # left here, where a full disk or a closed pipe is reported, not as Python exits.
                    sys.stdout.flush()
        except DigestError as exc:
            click.echo(f"digest: error: {one_line(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError:
            raise  # `digest subscribers` alone prints that group's help
        except click.ClickException as exc:
            click.echo(_error_line(exc), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("digest: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # `digest summarize ... | head` closes our stdout early; that is not an error.
            _discard_stdout()
            ctx.exit(0)
        except OSError as exc:
            # The library reports the problems it expects as DigestErrors; this is the last line
            # of defence for the rest (a full disk writing stdout, a file vanishing mid-way).
            _output_failed(ctx, exc)


def _core() -> str:
    """Which summarizer core this install runs, for --version (without importing it)."""
    import importlib.util
    import os

    if os.environ.get("DIGEST_PURE_PYTHON", "") not in ("", "0"):  # as digest.setchoice reads it
        return "summarizer core in pure Python: DIGEST_PURE_PYTHON is set"
    if importlib.util.find_spec("digest._setchoice") is None:
        return "summarizer core in pure Python: the C extension is not built"
    return "summarizer core in C"


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digest", message=f"%(prog)s, version %(version)s ({_core()})")
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
    logging.lastResort = _WarningLine()
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
    """Run the command line (the console script enters through ``digest.__main__``, which guards start-up)."""
    cli(prog_name="digest")


if __name__ == "__main__":  # pragma: no cover
    main()
