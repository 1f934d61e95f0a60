"""What the subcommands share: settings from the context, progress bars, exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from digest.config import Settings, load_settings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INPUT_SKIPPED = 3
#: Show a progress bar from this many items on (and only on a terminal).
PROGRESS_THRESHOLD = 20


def settings_from(ctx: click.Context, config_path: str | None = None) -> Settings:
    """The settings for this run: a command's own --config, else the global one (loaded once)."""
    if config_path:
        return load_settings(config_path)
    return ctx.find_root().obj["settings_loader"]()


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--config PATH`` on a subcommand, same as the global option."""
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False),
        help="Settings file (same as the global --config).",
    )(func)


@contextmanager
def progress_bar(total: int | None, label: str) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; draws a bar on stderr for long runs, only when stderr is a terminal.

    With ``total=None`` the length is set later by calling ``advance.start(total)``.
    """
    state: dict[str, Any] = {}

    def start(n: int) -> None:
        if n >= PROGRESS_THRESHOLD and sys.stderr.isatty() and "bar" not in state:
            state["bar"] = click.progressbar(length=n, label=label, file=sys.stderr, show_eta=True)
            state["bar"].__enter__()

    def advance(n: int = 1) -> None:
        if "bar" in state:
            state["bar"].update(n)

    advance.start = start  # type: ignore[attr-defined]
    if total is not None:
        start(total)
    try:
        yield advance
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)


def one_line(message: str) -> str:
    """``message`` with line breaks and control characters shown escaped (``\\n``, ``\\x1b``).

    A file name may hold a newline or a terminal escape sequence; printed as is, it would split
    a message over two lines or drive the user's terminal.
    """
    if message.isprintable():
        return message
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
                   for ch in message)


def echo_err(message: str) -> None:
    """One line on stderr, prefixed with the program name."""
    click.echo(f"digest: {one_line(message)}", err=True)
