"""Mailing a day's digest to every active subscriber, exactly once: ``send_digest``.

Exactly once, as far as email allows: for each (digest date, subscriber) the send log records
the intent (``sending``, committed) *before* the message leaves and the outcome after. A re-run
skips everyone logged ``sent``; a subscriber still logged ``sending`` was in flight when the
previous run died, and gets the message again with the same Message-ID (so a mail store can tell
it is the same message). A process killed mid-run therefore leaves at most one subscriber — the
one in flight — with a second copy. One ``send`` runs at a time per out folder (a lock file).

Messages are built by ``digest.message`` and delivered by ``digest.transport``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import output
from digest.config import Settings
from digest.errors import DeliveryError, StateError
from digest.message import MessageFactory, make_letter
from digest.models import Digest, Skipped, Subscriber
from digest.store import State, state_dir
from digest.store import sends
from digest.store import subscribers as table
from digest.subscribers import SubscriberError
from digest.transport import Transport, open_transport
from digest.unsubscribe import load_key, make_token, message_tag

LOCK_FILE = "send.lock"


@dataclass(frozen=True)
class Failure:
    """A subscriber the digest did not reach, and why. ``bounced`` when this failure made them bounced."""

    email: str
    reason: str
    permanent: bool = False
    bounced: bool = False


@dataclass(frozen=True)
class SendReport:
    """The outcome of one ``send_digest`` run.

    ``stopped`` says why the run ended early (server unreachable, login refused …); the subscribers
    in ``not_attempted`` were not tried and get the digest on the next run. In a dry run nothing
    is sent and ``to_send`` lists who would be.
    """

    day: dt.date
    transport: str
    sent: tuple[str, ...] = ()
    already_sent: tuple[str, ...] = ()
    failed: tuple[Failure, ...] = ()
    not_attempted: tuple[str, ...] = ()
    stopped: str | None = None
    dry_run: bool = False
    to_send: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when nobody failed and the run was not stopped."""
        return not self.failed and self.stopped is None

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "date": self.day.isoformat(),
            "transport": self.transport,
            "dry_run": self.dry_run,
            "sent": list(self.sent),
            "already_sent": list(self.already_sent),
            "failed": [dataclasses.asdict(f) for f in self.failed],
            "not_attempted": list(self.not_attempted),
            "stopped": self.stopped,
            "to_send": list(self.to_send),
        }


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """One ``send`` at a time per out folder: two at once could both mail a subscriber."""
    path = state_dir(out_dir) / LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StateError(f"cannot create {path}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateError(f"another `digest send` is running for {out_dir} (lock: {path})") from None
        yield
    finally:
        os.close(fd)  # releases the lock


def day_digest(settings: Settings, day: dt.date, *, now: dt.datetime, write: bool = True) -> Digest:
    """The digest of ``day``: built (and written to OUT) when OUT has none for that day yet.

    When OUT already has it (or ``write`` is false), the digest is composed again in memory from
    the same seeds, without touching the published files: the email needs the Digest itself to
    add each unsubscribe link.
    """
    from digest import build, ingest

    if write and not output.digest_paths(settings.paths.out, day)["html"].is_file():
        return build.build(settings, day=day, now=now).digest
    skipped: list[Skipped] = []
    paths = ingest.find_article_files(settings.paths.seeds, settings.input.patterns, unreadable=skipped)
    articles = []
    max_bytes = int(settings.input.max_file_mb * 1_000_000)
    for item in ingest.read_articles(paths, timezone=settings.digest.timezone, max_bytes=max_bytes):
        (skipped if isinstance(item, Skipped) else articles).append(item)
    digest, _rendered = build.make_digest(articles, settings, day=day, now=now, skipped=skipped)
    return digest


def _recipients(state: State, to: Sequence[str] | None) -> list[Subscriber]:
    if not to:
        return table.all_subscribers(state, "active")
    chosen: dict[str, Subscriber] = {}
    for address in to:
        sub = table.get(state, address)
        if sub is None:
            raise SubscriberError(f"{address.strip()} is not a subscriber (add it with `digest subscribers add`)")
        if sub.status != "active":
            raise SubscriberError(f"{sub.email} is {sub.status}; not sending")
        chosen[table.key_of(sub.email)] = sub
    return list(chosen.values())


def send_digest(
    settings: Settings,
    day: dt.date,
    *,
    now: dt.datetime,
    to: Sequence[str] | None = None,
    resend: bool = False,
    dry_run: bool = False,
    transport: Transport | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    digest: Digest | None = None,
) -> SendReport:
    """Send ``day``'s digest to every active subscriber not yet sent it (or only to ``to``).

    ``digest`` is the digest to send when the caller has just built it (the daemon, whose digest
    holds the articles its selection chose); otherwise the day's digest is built or recomposed.
    ``resend`` sends a new copy even to those already sent. Per-recipient failures are reported,
    never raised; problems that would fail everyone stop the run and are in ``stopped``.
    """
    out = Path(settings.paths.out)
    with _exclusive(out), State.for_out_dir(out) as state:
        table.ensure(state)
        sends.ensure(state)
        key = load_key(settings)
        recipients = _recipients(state, to)
        keys = [table.key_of(sub.email) for sub in recipients]
        # Settings problems (plain text to a remote host, a missing password) surface before any
        # work; opening a transport does not connect yet.
        transport = transport or open_transport(settings, day)
        try:
            letter = None if resend else sends.letter(state, day)
            if letter is None:
                chosen = digest if digest is not None else day_digest(settings, day, now=now, write=not dry_run)
                _fitted, letter = make_letter(chosen, settings)
                if not dry_run:
                    sends.save_letter(state, day, letter, now=now)
            factory = MessageFactory(letter, settings, now=now)
            if resend and not dry_run:
                sends.requeue(state, day, keys, now=now)
            log = sends.entries(state, day)

            def done(k: str) -> bool:
                return not (resend and dry_run) and k in log and log[k].status == "sent"

            already = [sub.email for sub, k in zip(recipients, keys) if done(k)]
            todo = [(sub, k) for sub, k in zip(recipients, keys) if not done(k)]
            if dry_run:
                for sub, _k in todo:  # build every message: a dry run finds bad addresses too
                    factory.build(sub, token=make_token(key, sub.email), message_id="<dry-run@localhost>")
                return SendReport(day, settings.email.transport, already_sent=tuple(already), dry_run=True,
                                  to_send=tuple(sub.email for sub, _k in todo))
            if on_total:
                on_total(len(todo))
            return _send_all(settings, state, day, key, factory, transport, todo, log, already, progress, now)
        finally:
            transport.close()


def _send_all(
    settings: Settings,
    state: State,
    day: dt.date,
    key: bytes,
    factory: MessageFactory,
    transport: Transport,
    todo: list[tuple[Subscriber, str]],
    log: dict[str, sends.LogEntry],
    already: list[str],
    progress: Callable[[int], None] | None,
    now: dt.datetime,
) -> SendReport:
    """The send loop: intent logged, message sent, outcome logged, one subscriber at a time."""
    sent: list[str] = []
    failed: list[Failure] = []
    stopped: str | None = None
    not_attempted: list[str] = []
    for index, (sub, k) in enumerate(todo):
        generation = log[k].generation if k in log else 0
        message_id = factory.message_id(day, message_tag(key, sub.email), generation)
        try:
            data = factory.build(sub, token=make_token(key, sub.email), message_id=message_id)
        except DeliveryError as exc:
            failed.append(Failure(sub.email, str(exc), permanent=True))
            continue
        sends.mark_sending(state, day, k, sub.email, message_id, now=now)
        try:
            outcome = transport.send(factory.envelope_sender, sub.email, data, message_id)
        except DeliveryError as exc:  # would fail everyone: stop, the rest wait for the next run
            sends.mark_done(state, day, k, error=str(exc), now=now)
            failed.append(Failure(sub.email, str(exc)))
            stopped = str(exc)
            not_attempted = [s.email for s, _k in todo[index + 1:]]
            break
        if outcome.ok:
            sends.mark_done(state, day, k, error=None, now=now)
            table.record_delivery(state, sub.email, now=now)
            sent.append(sub.email)
        else:
            sends.mark_done(state, day, k, error=outcome.reason, now=now)
            bounced = False
            if outcome.permanent:
                status = table.record_permanent_failure(
                    state, sub.email, bounce_after=settings.email.bounce_after, now=now)
                bounced = status == "bounced"
            failed.append(Failure(sub.email, outcome.reason, outcome.permanent, bounced))
        if progress:
            progress(1)
    return SendReport(
        day, settings.email.transport, sent=tuple(sent), already_sent=tuple(already), failed=tuple(failed),
        not_attempted=tuple(not_attempted), stopped=stopped,
    )
