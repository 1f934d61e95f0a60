"""``python -m digest`` and the ``digest`` console script: the command line.

Ctrl-C is taken over before anything else is imported (see ``digest.interrupt``), so that an
interrupt while the command line loads exits quietly with code 130 instead of a traceback.
"""

from digest import interrupt

interrupt.install()


def main() -> None:
    """Console-script entry point: load the command line and run it."""
    from digest.cli import main as run_cli

    run_cli()


if __name__ == "__main__":
    main()
