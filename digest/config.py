"""Settings: a TOML file → frozen ``Settings``; every problem reported at once, with its key.

Each section of the file is a frozen dataclass below. A field's ``metadata["doc"]`` says what it
means (``digest config --keys`` prints them) and ``metadata["check"]`` validates its value.
Relative paths are resolved against the current working directory, like command-line paths;
``~`` at the start of a path is the home folder.
"""

from __future__ import annotations

import dataclasses
import math
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


def _opt(default: Any, doc: str, check: Callable[[Any], str | None] | None = None, *, key: str | None = None,
         path: bool = False) -> Any:
    """A documented setting with an optional validator returning an error message or None.

    ``key`` is the name in the TOML file when it cannot be the attribute name (``from``).
    ``path``: a file or folder, where ``~`` means the home folder (as in a shell).
    """
    metadata = {"doc": doc, "check": check} | ({"key": key} if key else {}) | ({"path": True} if path else {})
    if isinstance(default, list):
        return field(default_factory=lambda: tuple(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def _key(f: dataclasses.Field) -> str:
    """A setting's name in the TOML file."""
    return f.metadata.get("key", f.name)


def section_items(section: Any) -> dict[str, Any]:
    """A section's values by their TOML key, in file order."""
    return {_key(f): getattr(section, f.name) for f in fields(section)}


#: No number in the settings may be larger: far above any sensible value (a billion seconds is
#: 31 years), and well inside what SQLite integers, timers and timedeltas accept (TOML allows
#: inf and integers of any size, which overflowed them with tracebacks).
MAX_NUMBER = 1_000_000_000


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _non_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else "must be a port number from 0 to 65535"


def _hours(value: int) -> str | None:
    # `now - hours` must stay a date; a million hours is 114 years.
    return None if 0 < value <= 1_000_000 else "must be from 1 to 1,000,000"


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

    seeds: str = _opt("seeds", "Folder of input articles (searched recursively).", _non_empty, path=True)
    out: str = _opt("out", "Folder for digests, the archive page and the state database.", _non_empty, path=True)
    templates: str = _opt("", "Folder with your own templates overriding the built-in ones; empty = built-in.", path=True)


@dataclass(frozen=True)
class InputSection:
    """[input]: which files in the seeds folder are articles."""

    patterns: tuple[str, ...] = _opt(
        ["*.txt", "*.md", "*.html", "*.htm", "*.eml", "*.mbox"], "Glob patterns of article files.", _non_empty
    )
    max_file_mb: float = _opt(20.0, "Files (and standard input) larger than this are skipped with a message.", _positive)


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
    jobs: int = _opt(1, "Processes that read and summarize: this one and N-1 workers; 1 = this one alone.", _positive)


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else f"expected one of {', '.join(map(repr, choices))}, got {value!r}"
    return check


def _address(value: str) -> str | None:
    # A light check here; the full syntax check (email-validator) runs when mail is built.
    import email.utils

    name, addr = email.utils.parseaddr(value)
    if "@" not in addr or any(ch in value for ch in "\r\n"):
        return f"expected an address such as 'Digest <digest@example.org>', got {value!r}"
    return None


def _optional_address(value: str) -> str | None:
    return _address(value) if value else None


def _https_url(value: str) -> str | None:
    if value and not (value.startswith("https://") and len(value) > len("https://")):
        return f"expected an https:// URL (RFC 8058 one-click needs HTTPS), got {value!r}"
    return None


def _env_name(value: str) -> str | None:
    if value and not value.replace("_", "a").isalnum():
        return f"expected the name of an environment variable (letters, digits, _), got {value!r}"
    return None


@dataclass(frozen=True)
class EmailSection:
    """[email]: how the digest is mailed to subscribers."""

    transport: str = _opt("outbox", "outbox (write .eml files under OUT/outbox/DATE/) or smtp (send via [smtp]).", _one_of("outbox", "smtp"))
    from_address: str = _opt("Digest <digest@localhost>", "Sender: 'Name <address>'; also the SMTP envelope sender.", _address, key="from")
    reply_to: str = _opt("", "Reply-To address; empty = no Reply-To header.", _optional_address)
    subject: str = _opt("{title} — {date}", "Subject template: {title}, {date} (Saturday, 21 November 2026), {iso_date}, {heading}.", _non_empty)
    message_id_domain: str = _opt("", "Domain in Message-ID and List-Id headers; empty = the domain of `from`.")
    public_url: str = _opt("", "HTTPS base URL where `digest serve` is reachable; enables one-click unsubscribe links.", _https_url)
    unsubscribe_mailto: str = _opt("", "Address for mailto: unsubscribe requests; empty = the `from` address.", _optional_address)
    secret_env: str = _opt("DIGEST_SECRET", "Environment variable holding the unsubscribe-token key; unset = a key generated once in OUT/state/.", _env_name)
    bounce_after: int = _opt(3, "Permanent (5xx) failures in a row after which a subscriber is marked bounced.", _positive)


@dataclass(frozen=True)
class SmtpSection:
    """[smtp]: the mail server used when email.transport = "smtp"."""

    host: str = _opt("localhost", "Mail server host name.", _non_empty)
    port: int = _opt(0, "Port; 0 = the usual one for `security` (587 starttls, 465 ssl, 25 none).", _port)
    security: str = _opt("starttls", "starttls (verified certificate), ssl (implicit TLS) or none (localhost only).", _one_of("starttls", "ssl", "none"))
    username: str = _opt("", "Login name; empty = no AUTH.")
    password_env: str = _opt("", "Name of the environment variable holding the password (never the password itself).", _env_name)
    ca_file: str = _opt("", "Extra CA certificates (PEM) to trust for the server; empty = the system's.", path=True)
    timeout: float = _opt(30.0, "Seconds to wait for the server on each step before retrying.", _positive)
    max_per_second: float = _opt(10.0, "Messages per second at most; 0 = no limit.", _non_negative)
    max_per_connection: int = _opt(100, "Messages per connection before reconnecting; 0 = no limit.", _non_negative)
    retries: int = _opt(5, "Attempts per message on temporary failures (4xx, dropped connections, timeouts).", _positive)
    backoff: float = _opt(1.0, "First wait before a retry, in seconds; doubles each time.", _non_negative)
    backoff_max: float = _opt(60.0, "Longest wait between retries, in seconds.", _non_negative)

def _http_urls(value: tuple[str, ...]) -> str | None:
    bad = [u for u in value if not u.lower().startswith(("http://", "https://"))]
    return f"expected http:// or https:// URLs, got {', '.join(map(repr, bad))}" if bad else None


@dataclass(frozen=True)
class FeedsSection:
    """[feeds]: RSS/Atom feeds (or single pages) that `digest fetch` saves into the seeds folder."""

    urls: tuple[str, ...] = _opt([], "Feed (RSS/Atom) or page URLs that `digest fetch` downloads.", _http_urls)
    into: str = _opt("", "Folder the fetched items are saved in; empty = paths.seeds.", path=True)
    timeout: float = _opt(20.0, "Seconds to wait for a server before giving up on that URL.", _positive)
    max_mb: float = _opt(5.0, "Largest feed or page downloaded, in MB; larger ones are reported and skipped.", _positive)
    pages: bool = _opt(True, "Also download each item's page for its full text; false = the feed's own text.")
    max_items: int = _opt(50, "Newest items taken from each feed per run.", _positive)

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
    hours: int = _opt(24, "With select = last-hours: how many hours back.", _hours)
    misfire_grace_seconds: int = _opt(
        14400, "A scheduled run missed (machine asleep, daemon down) still runs, once, if at most this many "
        "seconds late.", _positive)
    log_file: str = _opt("", "`digest run` also logs to this file; empty = stderr only.", path=True)


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
    email: EmailSection = field(default_factory=EmailSection)
    smtp: SmtpSection = field(default_factory=SmtpSection)
    feeds: FeedsSection = field(default_factory=FeedsSection)
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
        keys = {f.name: _key(f) for f in fields(current)}
        merged = section_items(current) | {keys.get(name, name): value for name, value in values.items()}
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
        elif isinstance(value, tuple):
            value = list(value)  # a loaded section's own value, passed again by Settings.override
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
        if abs(value) > MAX_NUMBER:
            return value, f"{key}: expected a number no larger than {MAX_NUMBER:,}, got {value!r}"
        return value, None
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value, f"{key}: expected a number, got {value!r}"
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            return value, f"{key}: expected a number no larger than {MAX_NUMBER:,}, got {value!r}"
        return float(value), None
    if hint is str:
        if not isinstance(value, str):
            return value, f"{key}: expected a string, got {value!r}"
        return value, None
    return value, None


def _build_section(name: str, cls: type, raw: Mapping[str, Any]) -> tuple[Any, list[str]]:
    problems: list[str] = []
    hints = typing.get_type_hints(cls)
    known = {_key(f): f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        qualified = f"{name}.{key}"
        if key not in known:
            problems.append(f"{qualified}: unknown setting (known: {', '.join(known)})")
            continue
        value, problem = _type_problem(qualified, value, hints[known[key].name])
        if problem is None and known[key].metadata.get("path") and value.startswith("~"):
            value = os.path.expanduser(value)  # TOML has no shell: "~/news" would be a folder named "~"
        if problem is None and (check := known[key].metadata.get("check")) is not None:
            if (message := check(value)) is not None:
                problem = f"{qualified}: {message}"
        if problem:
            problems.append(problem)
        else:
            values[known[key].name] = value
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
    from_env = path is None and bool(os.environ.get("DIGEST_CONFIG"))
    explicit = path is not None or from_env
    candidate = Path(path if path is not None else os.environ.get("DIGEST_CONFIG") or DEFAULT_CONFIG_PATH)
    # exists(), not is_file(): /dev/null (no settings) is a fine file to name; a folder is not.
    if not candidate.exists() or candidate.is_dir():
        if explicit:
            problem = "config file not found" if not candidate.exists() else "config file is a folder"
            raise ConfigError([f"{problem}: {candidate}" + (" (from $DIGEST_CONFIG)" if from_env else "")])
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
            rows.append((f"{name}.{_key(f)}", f.metadata.get("doc", ""), getattr(default, f.name)))
    return rows
