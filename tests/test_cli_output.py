"""Standard output that cannot be written (a full disk, a reader that stops early), as a user meets it.

A user's shell has no PYTHONUNBUFFERED: stdout is block-buffered when it is not a terminal, so
the last of the output is written only when the command ends, or by Python as it exits, where
a failure used to print "Exception ignored ... OSError" and exit with code 120. These tests run
digest both ways, buffered as a user runs it and unbuffered as some workplaces set it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BUFFERING = {"buffered (a user's shell)": None, "PYTHONUNBUFFERED=1": "1"}

STORY = ("Title: Ferry timetable changes\n\nThe island ferry will run an extra evening crossing from Monday. "
         "The operator says demand rose all summer. Tickets go on sale this week. The last boat now leaves "
         "at ten.\n")


def _env(unbuffered: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DIGEST_CONFIG", None)
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    return env


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full is not available on this system")
@pytest.mark.parametrize("unbuffered", BUFFERING.values(), ids=BUFFERING.keys())
@pytest.mark.parametrize("args", [["algorithms"], ["--version"], ["--help"]], ids=" ".join)
def test_a_full_disk_on_stdout_is_one_line_and_exit_1(args, unbuffered):
    # /dev/full fails every write with ENOSPC.
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "digest", *args], stdout=full, stderr=subprocess.PIPE,
                              cwd=ROOT, env=_env(unbuffered), timeout=60)
    stderr = done.stderr.decode()
    assert [ln for ln in stderr.splitlines() if ln.strip()] == ["digest: error: No space left on device"], stderr
    assert done.returncode == 1


@pytest.mark.parametrize("unbuffered", BUFFERING.values(), ids=BUFFERING.keys())
def test_a_reader_that_stops_early_is_not_an_error(tmp_path, unbuffered):
    # `digest summarize ... | head -1`: far more output than a pipe holds, and the reader goes away.
    paths = []
    for number in range(300):
        path = tmp_path / f"story{number}.txt"
        path.write_text(STORY, encoding="utf-8")
        paths.append(str(path))
    child = subprocess.Popen([sys.executable, "-m", "digest", "summarize", *paths], cwd=tmp_path,
                             env=_env(unbuffered), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout.readline().decode().strip() == "Ferry timetable changes"
        child.stdout.close()
        stderr = child.stderr.read().decode()
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert stderr == ""
    assert child.returncode == 0
