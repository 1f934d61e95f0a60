"""``digest run``: the daemon — rebuild the digest as articles arrive, and on schedule."""

from __future__ import annotations

import logging
import sys

import click

from digest.commands._common import config_option, one_line, settings_from
from digest.config import Settings
from digest.errors import ConfigError

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


class _OneLineFormatter(logging.Formatter):
    """One line per record (a file name's newline shown as ``\\n``); a traceback, when logged, still follows it."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return one_line(super().formatMessage(record))


def _configure_logging(settings: Settings) -> None:
    """Log to stderr, and to ``[schedule] log_file`` when set. APScheduler only for warnings."""
    formatter = _OneLineFormatter(LOG_FORMAT, datefmt="%Y-%m-%d %H:%M:%S")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if settings.schedule.log_file:
        try:
            handlers.append(logging.FileHandler(settings.schedule.log_file, encoding="utf-8"))
        except OSError as exc:
            raise ConfigError([f"schedule.log_file: cannot open {settings.schedule.log_file}: {exc.strerror or exc}"]) from None
    for name, level in (("digest", logging.INFO), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = False
        for handler in handlers:
            handler.setFormatter(formatter)
            logger.addHandler(handler)


@click.command()
@click.option("--seeds", type=click.Path(file_okay=False), help="Folder of input articles to watch. Overrides paths.seeds.")
@click.option("--out", type=click.Path(file_okay=False), help="Output folder (digests and state). Overrides paths.out.")
@config_option
@click.pass_context
def run(ctx: click.Context, seeds, out, config_path) -> None:
    """Run in the foreground: rebuild today's digest whenever articles arrive, and on schedule.

    Builds once on start, then watches the seeds folder (new, changed and removed files; a file
    is read once it stops changing) and runs the scheduled digest ([schedule] cron), handing it
    to delivery. Logs to stderr (and [schedule] log_file). Stop with Ctrl-C or SIGTERM. Only one
    daemon may use an out folder: a second one exits with code 5.
    """
    from digest.daemon import run_daemon

    settings = settings_from(ctx, config_path).override("paths", seeds=seeds, out=out)
    _configure_logging(settings)
    run_daemon(settings)
