"""Finding article files and reading their bytes: ignored names, size limits, text decoding.

Every format module starts here, so a missing, unreadable, oversized, empty or binary file is
reported the same way whatever its format: an ``ArticleError`` with the path and the reason.
"""

from __future__ import annotations

import codecs
import datetime as dt
import fnmatch
import hashlib
import os
import re
import stat as stat_module
import zoneinfo
from collections.abc import Sequence
from pathlib import Path

from digest.errors import ArticleError
from digest.models import Skipped

#: Names of files that are still being written or belong to editors; never articles.
IGNORED_SUFFIXES = (".swp", ".swo", ".swx", "~", ".part", ".partial", ".tmp", ".temp", ".crdownload", ".download")
IGNORED_PREFIXES = (".", "~$", "#")

#: Article files digest reads when no patterns are configured.
DEFAULT_PATTERNS = ("*.txt", "*.md", "*.html", "*.htm", "*.eml", "*.mbox")


def is_ignored_name(name: str) -> bool:
    """True for hidden, temporary and editor files (``.x.swp``, ``x~``, ``.#x``, ``x.part`` ...)."""
    lowered = name.lower()
    return name.startswith(IGNORED_PREFIXES) or lowered.endswith(IGNORED_SUFFIXES)


def find_article_files(
    folder: str | os.PathLike[str],
    patterns: Sequence[str] = DEFAULT_PATTERNS,
    *,
    unreadable: list[Skipped] | None = None,
) -> list[Path]:
    """Every file under ``folder`` (recursively) matching a pattern, skipping hidden/temp files, sorted.

    A folder that cannot be listed (no permission) would silently hide its files: when an
    ``unreadable`` list is given, each such folder is appended to it with the reason.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ArticleError(str(folder), "seeds folder not found" if not root.exists() else "not a folder")
    # One regex for all patterns and plain strings until the end: for 10,000 files, matching
    # each pattern in turn and sorting Path objects cost more than walking the folder.
    if not patterns:
        return []
    matches = re.compile("|".join(fnmatch.translate(p.lower()) for p in patterns)).match
    found: list[str] = []

    def not_listed(exc: OSError) -> None:
        if unreadable is not None:
            where = display_name(exc.filename if exc.filename is not None else root)
            unreadable.append(Skipped(where, f"cannot list this folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=not_listed):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(os.path.join(dirpath, name) for name in filenames
                     if not is_ignored_name(name) and matches(name.lower()))
    found.sort(key=lambda path: path.split(os.sep))  # the order of sorted Paths: part by part
    return [Path(path) for path in found]


def display_name(path: str | os.PathLike[str]) -> str:
    """A path as printable, storable text.

    Python keeps the bytes of a file name that are not UTF-8 as lone surrogates, which cannot be
    written to a UTF-8 page, JSON for the cache or SQLite; here they become U+FFFD, as ``ls`` shows them.
    """
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return name.encode("utf-8", "replace").decode("utf-8")
    return name


def read_bytes(path: str | os.PathLike[str], *, timezone: str = "UTC", max_bytes: int | None = None) -> tuple[bytes, dt.datetime]:
    """A file's bytes and its modification time (in ``timezone``); ArticleError when it cannot be read.

    The size limit is checked before reading, so a huge file costs nothing. Only regular files
    are read: a named pipe, socket or device in the seeds folder would block a build (or the
    daemon) forever or never end, so it is an ArticleError too.
    """
    p = Path(path)
    name = display_name(path)
    try:
        stat = p.stat()
        if stat_module.S_ISDIR(stat.st_mode):
            raise ArticleError(name, "is a folder, not a file")
        if not stat_module.S_ISREG(stat.st_mode):
            raise ArticleError(name, "not a regular file (a pipe, socket or device)")
        if max_bytes is not None and stat.st_size > max_bytes:
            raise ArticleError(name, f"too large ({stat.st_size / 1e6:.1f} MB; limit {max_bytes / 1e6:.1f} MB)")
        data = p.read_bytes()
    except FileNotFoundError:
        raise ArticleError(name, "no such file") from None
    except PermissionError:
        raise ArticleError(name, "permission denied") from None
    except IsADirectoryError:
        raise ArticleError(name, "is a folder, not a file") from None
    except OSError as exc:
        raise ArticleError(name, f"cannot read: {exc.strerror or exc}") from None
    return data, dt.datetime.fromtimestamp(stat.st_mtime, tz=zoneinfo.ZoneInfo(timezone))


def decode(data: bytes, path: str = "-", declared: str | None = None) -> str:
    """Bytes → text: BOM, else UTF-8, else the ``declared`` charset, else cp1252, else latin-1.

    UTF-8 is tried before a declared charset because declarations lie: a page or mail part that
    says latin-1 but is valid UTF-8 is UTF-8 (the reverse is vanishingly rare). UTF-16/32
    declarations are tried first, since such text has no valid UTF-8 reading worth having.
    Raises ArticleError for empty or binary data; never raises UnicodeDecodeError.
    """
    if not data.strip():
        raise ArticleError(path, "empty file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    codec = _codec(declared)
    if codec and codec.startswith(("utf-16", "utf-32")):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    if _looks_binary(data):
        raise ArticleError(path, "binary file, not text")
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    for candidate in ("utf-8", codec, "cp1252"):
        if candidate:
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
    return data.decode("latin-1")


def _codec(name: str | None) -> str | None:
    """The Python codec for a declared charset name, or None when unknown or absent."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


# Every byte except the control characters that never appear in text (tab, newlines, form feed
# and escape do); deleting these leaves the controls to count, in C rather than a Python loop.
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 32 and b not in (9, 10, 12, 13, 27)))


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _NOT_CONTROL))
    return controls > len(sample) * 0.05


def content_hash(data: bytes) -> str:
    """A stable identity for a file's content (sha256, hex)."""
    return hashlib.sha256(data).hexdigest()


def part_hash(file_hash: str, index: int) -> str:
    """The identity of the ``index``-th article of a file that holds several (mailbox, newsletter)."""
    return hashlib.sha256(f"{file_hash}#{index}".encode()).hexdigest()
