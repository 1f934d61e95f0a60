"""Shared test fixtures: paths to the project and to the read-only evaluation data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test (with the reason) when that data is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not found: the shared evaluation data is only present in the team's workspace")
    return path


def run_digest(*args: str, cwd: Path | None = None, input: bytes | None = None, env: dict | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m digest ARGS`` as a real subprocess, as a user would."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("DIGEST_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "digest", *args],
        cwd=cwd or ROOT, input=input, capture_output=True, env=full_env, timeout=timeout,
    )


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """An empty seeds folder in a temp dir."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    return folder
