"""Settings: a TOML file → frozen ``Settings``; every problem reported at once, with its key.

Each section of the file is a frozen dataclass below. A field's ``metadata["doc"]`` says what it
means (``digest config --help-keys`` prints them) and ``metadata["check"]`` validates its value.
Relative paths are resolved against the current working directory, like command-line paths.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from digest.errors import ConfigError

#: Where ``load_settings`` looks when no path is given (after ``$DIGEST_CONFIG``).
DEFAULT_CONFIG_PATH = Path("config") / "digest.toml"


def _opt(default: Any, doc: str, check: Callable[[Any], str | None] | None = None) -> Any:
    """A documented setting with an optional validator returning an error message or None."""
    if isinstance(default, list):
        return field(default_factory=lambda: tuple(default), metadata={"doc": doc, "check": check})
    return field(default=default, metadata={"doc": doc, "check": check})


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _non_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _timezone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown timezone {value!r} (use an IANA name such as 'Europe/London' or 'UTC')"
    return None


def _non_empty(value: Any) -> str | None:
    return None if value else "must not be empty"


def _algorithm(value: str) -> str | None:
    # Imported lazily: the registry lives with the summarizers, and importing sumy is slow.
    from digest.summarize import algorithm_names

    names = algorithm_names()
    return None if value in names else f"unknown algorithm {value!r}; choose one of: {', '.join(names)}"


@dataclass(frozen=True)
class DigestSection:
    """[digest]: what the digest is called and when its day starts."""

    title: str = _opt("Daily digest", "Name of the digest, shown in the heading and the email subject.", _non_empty)
    timezone: str = _opt("UTC", "IANA timezone that decides today's date and the times shown.", _timezone)
    preheader: str = _opt("", "Hidden preview line shown by mail clients; empty = the first story titles.")


@dataclass(frozen=True)
class PathsSection:
    """[paths]: where articles come from and where digests go."""

    seeds: str = _opt("seeds", "Folder of input articles (searched recursively).", _non_empty)
    out: str = _opt("out", "Folder for digests, the archive page and the state database.", _non_empty)
    templates: str = _opt("", "Folder with your own templates overriding the built-in ones; empty = built-in.")


@dataclass(frozen=True)
class InputSection:
    """[input]: which files in the seeds folder are articles."""

    patterns: tuple[str, ...] = _opt(["*.txt", "*.md"], "Glob patterns of article files.", _non_empty)
    max_file_mb: float = _opt(20.0, "Files larger than this are skipped with a message.", _positive)


@dataclass(frozen=True)
class SummarySection:
    """[summary]: how each article is summarized."""

    algorithm: str = _opt("news", "Summarizer: news (ours), lead, or a sumy algorithm name.", _algorithm)
    sentences: int = _opt(3, "Sentences per summary.", _positive)
    words: int = _opt(0, "Word budget per summary instead of a sentence count; 0 = use sentences.", _non_negative)


@dataclass(frozen=True)
class OutputSection:
    """[output]: limits of the written digest."""

    max_html_kb: int = _opt(102, "HTML size limit in KB (Gmail clips larger messages); later stories go title-only.", _positive)
    jobs: int = _opt(1, "Worker processes used to summarize; 1 = in-process.", _positive)


#: How ``digest run`` chooses the articles of a day's digest (by the time each was first seen).
SELECT_MODES = ("arrived-today", "since-last-send", "last-hours")


def _cron(value: str) -> str | None:
    if not value:
        return None  # empty: no scheduled job
    # Imported lazily: only digest.schedule imports apscheduler.
    from digest.schedule import cron_problem

    return cron_problem(value)


def _timezone_or_empty(value: str) -> str | None:
    return _timezone(value) if value else None


def _select_mode(value: str) -> str | None:
    return None if value in SELECT_MODES else f"unknown mode {value!r}; choose one of: {', '.join(SELECT_MODES)}"


@dataclass(frozen=True)
class ScheduleSection:
    """[schedule]: when ``digest run`` builds and hands on the day's digest, and what it contains."""

    cron: str = _opt(
        "0 7 * * *", "When `digest run` builds the day's digest and hands it to delivery: a cron expression "
        "(5 fields; 6 = seconds first); empty = never.", _cron)
    timezone: str = _opt("", "IANA timezone of the cron schedule; empty = digest.timezone.", _timezone_or_empty)
    send: bool = _opt(False, "Send the scheduled digest by email; false = build it only.")
    select: str = _opt(
        "arrived-today", "Articles in a digest built by `digest run`, by first-seen time: arrived-today, "
        "since-last-send or last-hours.", _select_mode)
    hours: int = _opt(24, "With select = last-hours: how many hours back.", _positive)
    misfire_grace_seconds: int = _opt(
        14400, "A scheduled run missed (machine asleep, daemon down) still runs, once, if at most this many "
        "seconds late.", _positive)
    log_file: str = _opt("", "`digest run` also logs to this file; empty = stderr only.")


@dataclass(frozen=True)
class WatchSection:
    """[watch]: how ``digest run`` notices new, changed and removed files in the seeds folder."""

    settle_seconds: float = _opt(
        1.0, "A file is read only once its size and mtime have not changed for this long.", _non_negative)
    debounce_seconds: float = _opt(
        0.5, "Changes in quick succession wait for this much quiet before a look (coalesces bursts).", _non_negative)
    polling: bool = _opt(False, "Poll instead of using file-system events (for network file systems).")
    poll_interval_seconds: float = _opt(1.0, "With polling = true: seconds between polls.", _positive)
    rescan_seconds: float = _opt(
        60.0, "Full rescan of the seeds folder every this many seconds, in case an event was missed.", _positive)
    quarantine_move: bool = _opt(False, "Move files that cannot be read to seeds/.quarantine/ (else they stay, listed in state).")


@dataclass(frozen=True)
class Settings:
    """All settings, one attribute per TOML section."""

    digest: DigestSection = field(default_factory=DigestSection)
    paths: PathsSection = field(default_factory=PathsSection)
    input: InputSection = field(default_factory=InputSection)
    summary: SummarySection = field(default_factory=SummarySection)
    output: OutputSection = field(default_factory=OutputSection)
    schedule: ScheduleSection = field(default_factory=ScheduleSection)
    watch: WatchSection = field(default_factory=WatchSection)
    #: The file these settings were read from, or None for built-in defaults.
    source: str | None = None

    def override(self, section: str, **values: Any) -> Settings:
        """A copy with some values of one section replaced (used for command-line flags).

        ``None`` values are ignored so callers can pass optional flags straight through.
        """
        values = {k: v for k, v in values.items() if v is not None}
        if not values:
            return self
        current = getattr(self, section)
        merged = {f.name: getattr(current, f.name) for f in fields(current)} | values
        new_section, problems = _build_section(section, type(current), merged)
        if problems:
            raise ConfigError(problems)
        return dataclasses.replace(self, **{section: new_section})


def section_types() -> dict[str, type]:
    """Section name → dataclass, in file order."""
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in fields(Settings) if f.name != "source"}


def _type_problem(key: str, value: Any, hint: Any) -> tuple[Any, str | None]:
    """Coerce ``value`` to the annotated type or explain what was expected."""
    origin = typing.get_origin(hint)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return value, f"{key}: expected a list of strings, got {value!r}"
        return tuple(value), None
    if hint is bool:
        if not isinstance(value, bool):
            return value, f"{key}: expected true or false, got {value!r}"
        return value, None
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return value, f"{key}: expected a whole number, got {value!r}"
        return value, None
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value, f"{key}: expected a number, got {value!r}"
        return float(value), None
    if hint is str:
        if not isinstance(value, str):
            return value, f"{key}: expected a string, got {value!r}"
        return value, None
    return value, None


def _build_section(name: str, cls: type, raw: Mapping[str, Any]) -> tuple[Any, list[str]]:
    problems: list[str] = []
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        qualified = f"{name}.{key}"
        if key not in known:
            problems.append(f"{qualified}: unknown setting (known: {', '.join(known)})")
            continue
        value, problem = _type_problem(qualified, value, hints[key])
        if problem is None and (check := known[key].metadata.get("check")) is not None:
            if (message := check(value)) is not None:
                problem = f"{qualified}: {message}"
        if problem:
            problems.append(problem)
        else:
            values[key] = value
    return cls(**values), problems


def settings_from_mapping(data: Mapping[str, Any], source: str | None = None) -> Settings:
    """Validate a parsed TOML document; raise ConfigError listing every problem."""
    problems: list[str] = []
    sections: dict[str, Any] = {}
    types = section_types()
    for name, raw in data.items():
        if name not in types:
            problems.append(f"[{name}]: unknown section (known: {', '.join(types)})")
            continue
        if not isinstance(raw, Mapping):
            problems.append(f"{name}: expected a [{name}] table")
            continue
        sections[name], section_problems = _build_section(name, types[name], raw)
        problems.extend(section_problems)
    if problems:
        raise ConfigError(problems, path=source)
    return Settings(**sections, source=source)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read settings from ``path``, else ``$DIGEST_CONFIG``, else config/digest.toml, else defaults.

    An explicitly named file that is missing is an error; a missing default file is not.
    """
    explicit = path is not None or bool(os.environ.get("DIGEST_CONFIG"))
    candidate = Path(path if path is not None else os.environ.get("DIGEST_CONFIG") or DEFAULT_CONFIG_PATH)
    if not candidate.is_file():
        if explicit:
            raise ConfigError([f"config file not found: {candidate}"])
        return Settings()
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(["the file is not UTF-8 text"], path=str(candidate)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"invalid TOML: {exc}"], path=str(candidate)) from None
    except OSError as exc:
        raise ConfigError([f"cannot read: {exc.strerror}"], path=str(candidate)) from None
    return settings_from_mapping(data, source=str(candidate))


def describe_settings() -> list[tuple[str, str, Any]]:
    """Every setting as (``section.key``, doc, default), for help output and docs."""
    rows = []
    for name, cls in section_types().items():
        default = cls()
        for f in fields(cls):
            rows.append((f"{name}.{f.name}", f.metadata.get("doc", ""), getattr(default, f.name)))
    return rows
