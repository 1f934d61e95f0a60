"""Ctrl-C at any moment of a `digest` command: one line, exit code 130, never a traceback.

Real processes and real SIGINTs. Importing the command line takes a good part of a second on a
slow machine, and a Ctrl-C in that time used to end in a KeyboardInterrupt traceback from
whichever import was running.

Python reports each module it loads with ``-v``; the test waits until the child starts loading
``digest/cli.py`` (the heavy imports), then sends SIGINT after a short, varied delay: during
the imports, while click parses the arguments, or once the command runs. The moments before
(CPython starting and running ``site``, with the ``.pth`` files of whatever is installed) are
CPython's own, before any code of digest can run, so the test does not aim there.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib

import pytest

from digest import interrupt
from tests.conftest import ROOT

#: Delays after the child began loading digest/cli.py: mid-import (0-30 ms) to a running command.
DELAYS = (0.0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.3)


def _console_script_code() -> str:
    """What the installed `digest` script runs: pip's wrapper around pyproject's entry point."""
    entry = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["digest"]
    module, function = entry.split(":")
    return f"import sys\nfrom {module} import {function}\nsys.exit({function}())"


def _interrupt_while_loading(command: list[str], delay: float) -> tuple[int, str]:
    """Start ``command`` (a python -v …), SIGINT it ``delay`` s after digest/cli.py starts loading."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DIGEST_CONFIG", None)
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    lines: list[bytes] = []
    loading = threading.Event()
    # `# code object from '…/digest/cli.py'`, or from '…/digest/__pycache__/cli.cpython-311.pyc' where
    # bytecode was cached (a user's checkout; PYTHONDONTWRITEBYTECODE=1 hides that case).
    cli_loading = re.compile(rb"code object from .*digest[/\\](__pycache__[/\\])?cli\.")

    def read_stderr() -> None:
        for line in child.stderr:  # type: ignore[union-attr]
            lines.append(line)
            if cli_loading.search(line):
                loading.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert loading.wait(60), b"".join(lines[-20:]).decode(errors="replace")
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        # `summarize -` waits for standard input, which stays open: only the signal ends it.
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        reader.join(10)
        child.stdin.close()  # type: ignore[union-attr]
        child.stdout.close()  # type: ignore[union-attr]
    return child.returncode, b"".join(lines).decode(errors="replace")


@pytest.mark.parametrize("entry", ["python -m digest", "console script"])
def test_ctrl_c_while_digest_starts_exits_130_without_a_traceback(entry):
    if entry == "python -m digest":
        command = [sys.executable, "-v", "-m", "digest", "summarize", "-"]
    else:
        command = [sys.executable, "-v", "-c", _console_script_code(), "summarize", "-"]
    for delay in DELAYS:
        code, stderr = _interrupt_while_loading(command, delay)
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, (delay, stderr[-3000:])
        assert code == interrupt.INTERRUPTED, (delay, code, stderr[-3000:])
        assert "digest: interrupted\n" in stderr, delay


def test_a_sigint_ignored_at_start_stays_ignored():
    # `nohup digest …` or a script's background job starts with SIGINT ignored; digest must not undo that.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "import digest.__main__\n"
            "sys.exit(0 if signal.getsignal(signal.SIGINT) is signal.SIG_IGN else 1)")
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=60).returncode == 0


def test_a_command_run_in_process_keeps_the_callers_handler():
    # Library callers and test runners keep Python's own handler: nothing is swapped under them.
    before = signal.getsignal(signal.SIGINT)
    with interrupt.python_handler():
        assert signal.getsignal(signal.SIGINT) is before
    assert signal.getsignal(signal.SIGINT) is before
