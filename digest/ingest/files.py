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
from collections.abc import Callable, Sequence
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

    Symlinked folders are followed, as a user who links a folder of newsletters into seeds/
    expects, but each folder is walked once: a link back to a parent (a loop) or a second link
    to a folder already walked adds nothing. A file reachable by two paths (a symlink or a hard
    link to a file that is already listed) is listed once, by the path through the fewest links.
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

    def not_listed(exc: OSError, where: str) -> None:
        if unreadable is not None:
            name = display_name(exc.filename if exc.filename is not None else where)
            unreadable.append(Skipped(name, f"cannot list this folder: {exc.strerror or exc}"))

    walk = _Walk(matches, not_listed)
    walk.folder(str(root), links=0)
    # Links are followed after every file reachable without one, then those behind one link,
    # and so on (so the path with the fewest links wins), each round in path order (so the
    # same tree always gives the same list).
    hops = 1
    while walk.links:
        links, walk.links = walk.links, []
        for path in sorted(links, key=lambda p: p.split(os.sep)):
            walk.link(path, links=hops)
        hops += 1
    return [Path(path) for path in walk.result()]


#: A file's or folder's identity: two paths with the same one are the same thing.
_Identity = tuple[int, int]


class _Walk:
    """The state of one ``find_article_files`` walk: folders walked, files found, links to follow."""

    def __init__(self, matches: Callable[[str], object], not_listed: Callable[[OSError, str], None]) -> None:
        self.matches = matches
        self.not_listed = not_listed
        self.folders: set[_Identity] = set()
        #: (path, how many links it goes through, identity or None when it cannot be stat'ed)
        self.found: list[tuple[str, int, _Identity | None]] = []
        self.links: list[str] = []

    def folder(self, top: str, *, links: int) -> None:
        """Walk ``top`` and the folders under it that are not links (those wait in ``links``)."""
        stack = [top]
        while stack:
            path = stack.pop()
            try:
                st = os.stat(path)
            except OSError as exc:
                self.not_listed(exc, path)
                continue
            identity = (st.st_dev, st.st_ino)
            if identity in self.folders:
                continue  # a loop, or a folder linked twice: its files are listed already
            self.folders.add(identity)
            try:
                with os.scandir(path) as entries:
                    listed = list(entries)
            except OSError as exc:
                self.not_listed(exc, path)
                continue
            for entry in listed:
                name = entry.name
                try:
                    if entry.is_symlink():
                        if not name.startswith("."):
                            self.links.append(entry.path)
                    elif entry.is_dir(follow_symlinks=False):
                        if not name.startswith("."):
                            stack.append(entry.path)
                    elif not is_ignored_name(name) and self.matches(name.lower()):
                        # The inode comes with the listing: no stat per file.
                        self.found.append((entry.path, links, (st.st_dev, entry.inode())))
                except OSError:
                    continue  # gone while we listed it

    def link(self, path: str, *, links: int) -> None:
        """A symlink met in the walk: walk the folder it points to, or list the file."""
        try:
            st = os.stat(path)
        except OSError:
            st = None  # dangling, or a loop of links: listed, so that reading it says why
        if st is not None and stat_module.S_ISDIR(st.st_mode):
            self.folder(path, links=links)
            return
        name = os.path.basename(path)
        if not is_ignored_name(name) and self.matches(name.lower()):
            self.found.append((path, links, (st.st_dev, st.st_ino) if st is not None else None))

    def result(self) -> list[str]:
        """The paths found, each file once, in the order of sorted Paths (part by part)."""
        found = self.found
        identities = [identity for _, _, identity in found if identity is not None]
        if len(set(identities)) < len(identities):
            # Some file was reached twice: keep its path with the fewest links, then the first in order.
            found = sorted(found, key=lambda item: (item[1], item[0].split(os.sep)))
            seen: set[_Identity] = set()
            kept = []
            for item in found:
                if item[2] is not None:
                    if item[2] in seen:
                        continue
                    seen.add(item[2])
                kept.append(item)
            found = kept
        paths = [path for path, _, _ in found]
        paths.sort(key=lambda path: path.split(os.sep))
        return paths


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
    if not name:
        raise ArticleError("''", "empty file name")  # Path("") is the current folder: "is a folder" puzzled
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
    codec = codec_name(declared)
    # Text with no NUL byte that reads as UTF-8 is not UTF-16/32, whatever it says (ASCII text
    # labelled UTF-16 decoded to a line of CJK-looking nonsense).
    if codec and codec.startswith(("utf-16", "utf-32")) and not _plainly_utf8(data):
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


def _plainly_utf8(data: bytes) -> bool:
    """True for bytes without NULs that are valid UTF-8: never UTF-16 or UTF-32 text."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def codec_name(name: str | None) -> str | None:
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
