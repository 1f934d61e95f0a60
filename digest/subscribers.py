"""Managing the subscriber list: validated adds, removals, CSV import and export.

The only module importing ``email_validator``: addresses are checked for syntax only (never DNS,
so nothing touches the network) and normalised: the domain lower-cased and, for international
domains, converted to its ASCII (IDNA) form, which is what the SMTP envelope needs. Local parts
must be ASCII: sending to anything else needs SMTPUTF8, which few servers offer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from email_validator import EmailNotValidError, validate_email

from digest.errors import DigestError
from digest.models import Subscriber
from digest.store import State
from digest.store import subscribers as table

STATUSES = table.STATUSES
CSV_FIELDS = ("email", "name", "status", "created_at")


class SubscriberError(DigestError):
    """An address is invalid, already on the list or not on it; or a list file is unreadable."""

    exit_code = 2


def normalize_address(raw: str) -> str:
    """The address as stored and mailed to; raises SubscriberError saying what is wrong."""
    text = (raw or "").strip()
    if not text:
        raise SubscriberError("empty email address")
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise SubscriberError(f"invalid email address {text!r}: {exc}") from None
    return result.ascii_email or result.normalized


def clean_name(name: str | None) -> str | None:
    """A display name on one line (CR, LF, tabs and control characters removed), or None."""
    if name is None:
        return None
    text = " ".join(str(name).split())
    text = "".join(ch for ch in text if ch.isprintable())
    return text or None


def add(state: State, email: str, *, name: str | None = None, now: dt.datetime) -> Subscriber:
    """Subscribe an address; SubscriberError when invalid or already on the list (any case)."""
    address = normalize_address(email)
    if not table.insert(state, address, clean_name(name), now=now):
        existing = table.get(state, address)
        status = f" ({existing.status})" if existing and existing.status != "active" else ""
        raise SubscriberError(f"{existing.email if existing else address} is already on the list{status}")
    added = table.get(state, address)
    assert added is not None
    return added


def remove(state: State, email: str) -> Subscriber:
    """Delete an address from the list; SubscriberError when it is not on it."""
    existing = table.get(state, email.strip())
    if existing is None or not table.delete(state, existing.email):
        raise SubscriberError(f"{email.strip()} is not on the list")
    return existing


def find(state: State, email: str) -> Subscriber | None:
    """The subscriber with this address (any case), or None."""
    return table.get(state, email.strip())


def list_subscribers(state: State, status: str | None = None) -> list[Subscriber]:
    """Every subscriber, oldest first; only those with ``status`` when given."""
    return table.all_subscribers(state, status)


def set_status(state: State, email: str, status: str, *, now: dt.datetime) -> str:
    """Change a subscriber's status; returns the previous one."""
    if status not in STATUSES:
        raise SubscriberError(f"unknown status {status!r}; choose one of: {', '.join(STATUSES)}")
    previous = table.set_status(state, email, status, now=now)
    if previous is None:
        raise SubscriberError(f"{email.strip()} is not on the list")
    return previous


@dataclass(frozen=True)
class ImportReport:
    """What an import did: addresses added, duplicates skipped, rows rejected (line, reason)."""

    added: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    invalid: tuple[tuple[int, str], ...] = field(default=())


def _rows(handle: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    """CSV rows as (line number, dict); a header row naming ``email`` is optional.

    Without a header the columns are email, name, status.
    """
    reader = csv.reader(handle)
    header: list[str] | None = None
    for row in reader:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if header is None:  # the first non-blank row decides whether there is a header
            lowered = [cell.lower() for cell in cells]
            if "email" in lowered:
                header = lowered
                continue
            header = list(CSV_FIELDS[:3])
        yield reader.line_num, dict(zip(header, cells))


def import_csv(state: State, path: str | os.PathLike[str], *, now: dt.datetime) -> ImportReport:
    """Add every valid address of a CSV file (columns email, name[, status]); report the rest.

    Bad rows never stop the import; duplicates (on the list already, or twice in the file, in
    any case) are skipped and listed.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise SubscriberError(f"{path}: not a UTF-8 CSV file") from None
    except OSError as exc:
        raise SubscriberError(f"cannot read {path}: {exc.strerror or exc}") from None
    if "\x00" in text:
        raise SubscriberError(f"{path}: not a CSV file (binary data)")
    added: list[str] = []
    duplicates: list[str] = []
    invalid: list[tuple[int, str]] = []
    try:
        rows = list(_rows(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SubscriberError(f"{path}: not a valid CSV file: {exc}") from None
    for line, row in rows:
        status = (row.get("status") or "active").lower()
        if status not in STATUSES:
            invalid.append((line, f"unknown status {status!r}"))
            continue
        try:
            address = normalize_address(row.get("email", ""))
        except SubscriberError as exc:
            invalid.append((line, str(exc)))
            continue
        if table.insert(state, address, clean_name(row.get("name")), status=status, now=now):
            added.append(address)
        else:
            duplicates.append(address)
    return ImportReport(tuple(added), tuple(duplicates), tuple(invalid))


def export_csv(subscribers: Iterable[Subscriber], handle: TextIO) -> int:
    """Write subscribers as CSV with a header row (re-importable); returns the number written."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    count = 0
    for sub in subscribers:
        writer.writerow([
            sub.email, sub.name or "", sub.status,
            sub.created_at.isoformat() if sub.created_at else "",
        ])
        count += 1
    return count
