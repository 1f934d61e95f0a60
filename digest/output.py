"""Writing digests to disk. Every write is atomic: a temp file in the same folder, then os.replace."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

from digest.errors import OutputError
from digest.models import Rendered

_DIGEST_NAME = re.compile(r"^digest-(\d{4}-\d{2}-\d{2})\.html$")


def write_atomic(path: str | os.PathLike[str], content: str | bytes, *, mode: int = 0o644) -> Path:
    """Write ``content`` to ``path`` so readers see the old file or the new one, never half of one."""
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except (FileExistsError, NotADirectoryError) as exc:
        # mkdir's own words ("File exists") do not say that a file stands where a folder must be.
        raise OutputError(str(target), _not_a_folder(target.parent) or exc.strerror or str(exc)) from None
    except OSError as exc:
        raise OutputError(str(target), exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(str(target), exc.strerror or str(exc)) from None
        raise
    return target


def _not_a_folder(folder: Path) -> str | None:
    """Why ``folder`` cannot be made: the first of it and its parents that is a file, if any."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return None if candidate.is_dir() else f"{candidate} is a file, not a folder"
        if candidate.is_symlink():
            return f"{candidate} is a link to nothing"
    return None


def digest_paths(out_dir: str | os.PathLike[str], day: dt.date) -> dict[str, Path]:
    """Where the digest for ``day`` lives, by format."""
    out = Path(out_dir)
    stem = f"digest-{day.isoformat()}"
    return {"html": out / f"{stem}.html", "text": out / f"{stem}.txt", "markdown": out / f"{stem}.md"}


def write_digest(out_dir: str | os.PathLike[str], day: dt.date, rendered: Rendered) -> list[Path]:
    """Write the three formats of one day's digest, and latest.html unless a newer day's digest
    is in ``out_dir`` (rebuilding an older day must not replace the latest); return the paths written."""
    paths = digest_paths(out_dir, day)
    written = [
        write_atomic(paths["html"], rendered.html),
        write_atomic(paths["text"], rendered.text),
        write_atomic(paths["markdown"], rendered.markdown),
    ]
    if not any(other > day for other, _ in archive_entries(out_dir)):
        written.append(write_atomic(Path(out_dir) / "latest.html", rendered.html))
    return written


def archive_entries(out_dir: str | os.PathLike[str]) -> list[tuple[dt.date, str]]:
    """Every digest in ``out_dir`` as (date, file name), newest first."""
    entries = []
    out = Path(out_dir)
    if out.is_dir():
        for child in out.iterdir():
            if m := _DIGEST_NAME.match(child.name):
                try:
                    entries.append((dt.date.fromisoformat(m.group(1)), child.name))
                except ValueError:
                    continue
    return sorted(entries, reverse=True)
