"""Ctrl-C while ``digest`` is starting: exit quietly with the interrupted code, 130.

Importing the command line (click, every command, the library) takes a good part of a second on
a slow machine. Python's own SIGINT handler would raise KeyboardInterrupt inside whichever
import was running, and that would end the process with a traceback before the CLI's handler
(``DigestGroup.invoke``) exists. So the entry point (``digest/__main__.py``) calls ``install``
before importing anything else, and a command runs under ``python_handler``, where
KeyboardInterrupt is raised as usual, so that a build can unwind (workers stopped, temporary
files removed) and the CLI reports it as one line.

This module must load in no time, since a Ctrl-C before ``install`` still ends in a traceback:
it imports only ``os`` and ``sys`` (loaded with the interpreter) and ``_signal``, the C module
under ``signal`` (``signal`` itself builds its enums on import: half a millisecond more).
"""

from __future__ import annotations

import _signal
import os
import sys

#: The conventional exit code of a program stopped by Ctrl-C (128 + SIGINT).
INTERRUPTED = 130
MESSAGE = b"digest: interrupted\n"


def quit_quietly(signum: int, frame: object) -> None:
    """SIGINT before a command runs: say so in one line and exit 130 at once.

    Before a command runs nothing has been written, so there is nothing to unwind; ``os._exit``
    also avoids running half-imported modules' clean-up code, which could itself fail noisily.
    After a command (while Python shuts down) its output may still sit in stdout's buffer: flush it.
    """
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - interrupted inside a write, or stdout closed: nothing more to do
        pass
    try:
        os.write(2, MESSAGE)
    except OSError:
        pass  # stderr closed: the exit code still says it
    os._exit(INTERRUPTED)


def install() -> None:
    """Point SIGINT at ``quit_quietly`` while digest starts.

    Only when Python's own handler is in place: a SIGINT that was ignored when digest started
    (``nohup``, a background job of a script) stays ignored.
    """
    if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
        _signal.signal(_signal.SIGINT, quit_quietly)


class python_handler:  # noqa: N801 - used like a function: ``with python_handler():``
    """Within the block, Ctrl-C raises KeyboardInterrupt (when ``install`` had taken it over).

    A library caller, a test runner, or a process that ignores SIGINT keeps its handler.
    (A class, not ``contextlib.contextmanager``: contextlib would cost this module's import.)
    """

    def __enter__(self) -> None:
        self.swapped = _signal.getsignal(_signal.SIGINT) is quit_quietly
        if self.swapped:
            _signal.signal(_signal.SIGINT, _signal.default_int_handler)

    def __exit__(self, *exc: object) -> None:
        if self.swapped:
            # After the command, its clean-up and the interpreter's exit are covered again.
            _signal.signal(_signal.SIGINT, quit_quietly)
