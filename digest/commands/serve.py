"""``digest serve``: the HTTP endpoint behind one-click unsubscribe links."""

from __future__ import annotations

import click

from digest import clock
from digest.commands._common import config_option, settings_from
from digest.errors import DigestError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (put your HTTPS web server in front).")
@click.option("--port", type=click.IntRange(0, 65535), default=8025, show_default=True, help="Port to listen on; 0 picks a free one.")
@click.option("--out", type=click.Path(file_okay=False), help="Out folder holding the state database. Overrides paths.out.")
@config_option
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, out: str | None, config_path: str | None) -> None:
    """Serve unsubscribe links: GET /unsubscribe?token=… asks, POST unsubscribes (RFC 8058 one-click).

    Runs until interrupted (Ctrl-C or SIGTERM). Invalid or forged tokens get a 400 and change nothing.
    """
    import logging
    import signal

    from digest.unsubscribe import load_key
    from digest.unsubscribe_server import make_server

    settings = settings_from(ctx, config_path).override("paths", out=out)
    load_key(settings)  # create the key now, not on the first request
    try:
        server = make_server(settings, host, port, now=lambda: clock.now(settings.digest.timezone))
    except OSError as exc:
        raise DigestError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    bound_host, bound_port = server.server_address[:2]
    click.echo(f"Serving unsubscribe links on http://{bound_host}:{bound_port}/unsubscribe (Ctrl-C to stop)", err=True)
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM (systemd, docker stop) ends the server like Ctrl-C

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped", err=True)
    finally:
        server.server_close()
