"""Files → Articles: find article files, decode them, and parse each with ``clean.parse_text``.

One bad file never stops the rest: ``read_folder`` returns the articles it could read and a
``Skipped`` entry (path + reason) for every file it could not.
"""

from __future__ import annotations

import codecs
import datetime as dt
import fnmatch
import hashlib
import os
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from digest import text as textmod
from digest.clean import derive_title, parse_text
from digest.errors import ArticleError
from digest.models import Article, Skipped

#: Names of files that are still being written or belong to editors; never articles.
IGNORED_SUFFIXES = (".swp", ".swo", ".swx", "~", ".part", ".partial", ".tmp", ".temp", ".crdownload", ".download")
IGNORED_PREFIXES = (".", "~$", "#")

_DEFAULT_PATTERNS = ("*.txt", "*.md")


def is_ignored_name(name: str) -> bool:
    """True for hidden, temporary and editor files (``.x.swp``, ``x~``, ``.#x``, ``x.part`` ...)."""
    lowered = name.lower()
    return name.startswith(IGNORED_PREFIXES) or lowered.endswith(IGNORED_SUFFIXES)


def find_article_files(folder: str | os.PathLike[str], patterns: Sequence[str] = _DEFAULT_PATTERNS) -> list[Path]:
    """Every file under ``folder`` (recursively) matching a pattern, skipping hidden/temp files, sorted."""
    root = Path(folder)
    if not root.is_dir():
        raise ArticleError(str(folder), "seeds folder not found" if not root.exists() else "not a folder")
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if is_ignored_name(name):
                continue
            if any(fnmatch.fnmatch(name.lower(), p.lower()) for p in patterns):
                found.append(Path(dirpath) / name)
    return sorted(found)


def decode(data: bytes, path: str = "-") -> str:
    """Bytes → text: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252, else latin-1.

    Raises ArticleError for empty or binary data; never raises UnicodeDecodeError.
    """
    if not data.strip():
        raise ArticleError(path, "empty file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if _looks_binary(data):
        raise ArticleError(path, "binary file, not text")
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # cp1252 is what Windows tools save as "ANSI"; it differs from latin-1 in 0x80-0x9F (’ “ ” — €).
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(sample) * 0.05


def content_hash(data: bytes) -> str:
    """A stable identity for a file's content (sha256, hex)."""
    return hashlib.sha256(data).hexdigest()


def parse_article(
    text: str,
    path: str = "-",
    *,
    modified: dt.datetime | None = None,
    digest_hash: str | None = None,
) -> Article:
    """Text → Article. ``modified`` (the file's mtime) is the date of last resort.

    Raises ArticleError when nothing readable remains after cleaning.
    """
    parsed = parse_text(text)
    body = parsed.body.strip()
    if not body:
        if parsed.title:
            body = parsed.title
        else:
            raise ArticleError(path, "no article text found")
    title = parsed.title
    derived = False
    if not title:
        sentences = textmod.split_sentences(body[:2000])
        title = derive_title(sentences[0] if sentences else body)
        derived = True
    date, date_source = parsed.date, parsed.date_source
    if date is None and modified is not None:
        date, date_source = modified.date(), "mtime"
    return Article(
        path=path,
        title=title,
        body=body,
        date=date,
        date_source=date_source,
        source=parsed.source,
        place=parsed.place,
        author=parsed.author,
        url=parsed.url,
        content_hash=digest_hash or content_hash(text.encode("utf-8")),
        title_derived=derived,
    )


def read_article(path: str | os.PathLike[str], *, timezone: str = "UTC", max_bytes: int | None = None) -> Article:
    """Read and parse one file. Raises ArticleError (with the path and why) when it cannot."""
    p = Path(path)
    name = str(path)
    try:
        stat = p.stat()
        if p.is_dir():
            raise ArticleError(name, "is a folder, not a file")
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
    modified = dt.datetime.fromtimestamp(stat.st_mtime, tz=zoneinfo.ZoneInfo(timezone))
    return parse_article(decode(data, name), name, modified=modified, digest_hash=content_hash(data))


def read_articles(
    paths: Iterable[str | os.PathLike[str]], *, timezone: str = "UTC", max_bytes: int | None = None
) -> Iterator[Article | Skipped]:
    """Read each path in turn, yielding an Article or a Skipped (path + reason) for each."""
    for path in paths:
        try:
            yield read_article(path, timezone=timezone, max_bytes=max_bytes)
        except ArticleError as exc:
            yield Skipped(exc.path, exc.reason)


def read_folder(
    folder: str | os.PathLike[str],
    patterns: Sequence[str] = _DEFAULT_PATTERNS,
    *,
    timezone: str = "UTC",
    max_bytes: int | None = None,
) -> tuple[list[Article], list[Skipped]]:
    """Every article file under ``folder``: the articles read, and the files skipped with reasons."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for item in read_articles(find_article_files(folder, patterns), timezone=timezone, max_bytes=max_bytes):
        (skipped if isinstance(item, Skipped) else articles).append(item)
    return articles, skipped
