"""APScheduler for the ``digest run`` daemon: the scheduled digest job, the rescan job, and delivery.

The only module importing apscheduler (3.x; 4.x is pre-release). Jobs:

- ``scheduled-digest`` — cron from ``[schedule] cron`` in the schedule's timezone: rebuild the
  day's digest, then hand it to delivery (``_deliver``). It lives in a ``SQLAlchemyJobStore``
  table (``apscheduler_jobs``) inside the state database, with an explicit id and
  ``replace_existing=True`` so restarts never add copies; ``coalesce=True``,
  ``misfire_grace_time`` and ``max_instances=1`` so a machine asleep at 07:00 runs it once on
  waking. A run missed while the daemon was stopped is kept too: on start we carry the stored
  next run time over when the schedule is unchanged.
- ``rescan`` — every ``[watch] rescan_seconds``, in memory: a full look at the seeds folder in
  case a file-system event was lost. It also bounds how long the scheduler sleeps, which matters
  after a suspend: timed waits do not count suspended time, wall-clock job times do.

Why the job store shares ``digest.sqlite3``: one file holds all state (the issue asks for it; one
thing to back up), and WAL mode lets ``digest status`` read while the daemon writes. Both
connections wait for the other's write lock (busy timeout 30 s) and our transactions last
milliseconds; we never touch the scheduler inside a state transaction, so they cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from digest import clock
from digest.config import Settings

log = logging.getLogger("digest.schedule")

SCHEDULED_JOB_ID = "scheduled-digest"
RESCAN_JOB_ID = "rescan"
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

#: The daemons running in this process, by state database. A job in a persistent store is
#: stored as a reference to a module-level function plus arguments, so the function gets the
#: database path and finds its daemon here.
_daemons: dict[str, Any] = {}


# -- cron expressions ---------------------------------------------------------------------------


def _cron_weekdays(field: str) -> str:
    """Standard cron day-of-week (0 or 7 = Sunday) → names, since APScheduler 3 counts 0 as Monday."""
    if any(c.isalpha() for c in field):
        return field  # names (mon-fri) mean the same in both
    days: set[int] = set()
    for part in field.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            low, high = 0, 6
        elif "-" in body:
            low_text, high_text = body.split("-", 1)
            low, high = int(low_text), int(high_text)
        else:
            low = high = int(body)
            if step_text:
                high = 6
        if not (0 <= low <= 7 and 0 <= high <= 7 and low <= high and step > 0):
            raise ValueError(f"bad day of week {part!r} (use 0-7, 0 and 7 = Sunday, or names)")
        days.update(d % 7 for d in range(low, high + 1, step))
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def make_trigger(expr: str, timezone: str) -> CronTrigger:
    """A cron trigger from 5 fields (minute hour day month weekday) or 6 (seconds first)."""
    fields = expr.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"expected 5 fields (minute hour day month weekday) or 6 (seconds first), got {len(fields)}")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, weekday = fields
    try:
        weekday = _cron_weekdays(weekday)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=weekday,
                       timezone=zoneinfo.ZoneInfo(timezone))


def cron_problem(expr: str) -> str | None:
    """Why ``expr`` is not a valid schedule, or None when it is (for config validation)."""
    try:
        make_trigger(expr, "UTC")
    except ValueError as exc:
        return f"invalid cron expression {expr!r}: {exc}"
    return None


def schedule_timezone(settings: Settings) -> str:
    """The timezone of the cron schedule: ``[schedule] timezone``, else ``[digest] timezone``."""
    return settings.schedule.timezone or settings.digest.timezone


def upcoming(settings: Settings, after: dt.datetime, count: int = 3) -> list[dt.datetime]:
    """The next ``count`` times the configured schedule fires after ``after`` (none when disabled)."""
    if not settings.schedule.cron:
        return []
    trigger = make_trigger(settings.schedule.cron, schedule_timezone(settings))
    times: list[dt.datetime] = []
    previous = None
    moment = after
    while len(times) < count:
        nxt = trigger.get_next_fire_time(previous, moment)
        if nxt is None:
            break
        times.append(nxt)
        previous, moment = nxt, nxt + dt.timedelta(microseconds=1)
    return times


# -- the scheduler ------------------------------------------------------------------------------


def _job_store(db_path: str | Path) -> Any:
    # Imported here: SQLAlchemy takes a quarter of a second to import, and config validation
    # imports this module for cron_problem.
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    return SQLAlchemyJobStore(url=f"sqlite:///{Path(db_path).resolve()}", engine_options={"connect_args": {"timeout": 30}})


def build_scheduler(settings: Settings, db_path: str | Path, *, rescan: Callable[[], None]) -> BlockingScheduler:
    """A BlockingScheduler in the schedule's timezone with the scheduled-digest and rescan jobs added."""
    tz = zoneinfo.ZoneInfo(schedule_timezone(settings))
    store = _job_store(db_path)
    scheduler = BlockingScheduler(
        timezone=tz,
        jobstores={"default": store, "memory": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
    )
    scheduler.add_job(
        rescan, IntervalTrigger(seconds=settings.watch.rescan_seconds, timezone=tz), id=RESCAN_JOB_ID,
        name="rescan seeds folder", jobstore="memory", replace_existing=True, coalesce=True, max_instances=1,
    )
    # Start the store early (the scheduler starts it again, harmlessly) to read the stored job.
    store.start(scheduler, "default")
    try:
        existing = store.lookup_job(SCHEDULED_JOB_ID)
    except Exception as exc:  # noqa: BLE001 - an unreadable stored job is replaced, not fatal
        log.warning("stored scheduled job unreadable (%s); replacing it", exc)
        existing = None
    if not settings.schedule.cron:
        if existing is not None:
            store.remove_job(SCHEDULED_JOB_ID)
        return scheduler
    trigger = make_trigger(settings.schedule.cron, schedule_timezone(settings))
    extra: dict[str, Any] = {}
    same = existing is not None and str(existing.trigger) == str(trigger) \
        and str(existing.trigger.timezone) == str(trigger.timezone)
    if same:
        # Same schedule: keep its next run time, so a run missed while we were down still
        # happens (once, within the grace time) instead of being recomputed away.
        extra["next_run_time"] = existing.next_run_time
    nxt = extra.get("next_run_time") or trigger.get_next_fire_time(None, clock.now(schedule_timezone(settings)))
    log.info("scheduled digest %r (%s): next run %s", settings.schedule.cron, tz.key,
             nxt.isoformat() if nxt else "never")
    scheduler.add_job(
        scheduled_digest_job, trigger, args=[_key(db_path)], id=SCHEDULED_JOB_ID, name="scheduled digest",
        jobstore="default",
        replace_existing=True, coalesce=True, max_instances=1,
        misfire_grace_time=settings.schedule.misfire_grace_seconds, **extra,
    )
    return scheduler


def run_scheduler(scheduler: BlockingScheduler) -> None:
    """Run the jobs until ``stop_scheduler`` is called (blocks)."""
    scheduler.start()


def stop_scheduler(scheduler: BlockingScheduler) -> bool:
    """Stop a running scheduler, waiting for running jobs; False if it is not running (yet)."""
    try:
        scheduler.shutdown(wait=True)
    except SchedulerNotRunningError:
        return False
    return True


def stored_next_run(settings: Settings, db_path: str | Path) -> dt.datetime | None:
    """When the stored scheduled job runs next (None: no daemon has stored it, or it is disabled)."""
    if not Path(db_path).is_file():
        return None
    store = _job_store(db_path)
    try:
        # Starting the store reads the database too: a damaged file fails here, not only below.
        store.start(BlockingScheduler(timezone=zoneinfo.ZoneInfo(schedule_timezone(settings))), "default")
        job = store.lookup_job(SCHEDULED_JOB_ID)
    except Exception:  # noqa: BLE001 - status must work even if the stored job is unreadable
        return None
    finally:
        store.shutdown()
    return job.next_run_time if job is not None else None


# -- the scheduled digest -----------------------------------------------------------------------


def _key(db_path: str | Path) -> str:
    return str(Path(db_path).resolve())


def register_daemon(daemon: Any, running: bool = True) -> None:
    """Make ``daemon`` the one the scheduled job of its state database runs (or forget it)."""
    if running:
        _daemons[_key(daemon.db_path)] = daemon
    else:
        _daemons.pop(_key(daemon.db_path), None)


def scheduled_digest_job(db_path: str) -> None:
    """The scheduled job (stored by reference): build the day's digest, then deliver it."""
    daemon = _daemons.get(db_path)
    if daemon is None:
        log.error("scheduled digest fired with no daemon running for %s", db_path)
        return
    run_scheduled_digest(daemon)


def run_scheduled_digest(daemon: Any) -> None:
    """Build the day's digest with everything settled so far, hand it to delivery, record the run."""
    from digest.store.articles import ScheduleRun

    fired = clock.now(daemon.settings.digest.timezone)
    with daemon.build_lock:
        if daemon.stop.is_set():
            return
        daemon.step()
        cutoff = clock.now(daemon.settings.digest.timezone)
        day = cutoff.date()
        built = daemon.rebuild("schedule", now=cutoff)
    if built is None:
        result, detail = "failed", "the digest could not be built"
    else:
        result, detail = _deliver(daemon.settings, day, cutoff, built.digest)
    daemon.store.log_schedule_run(ScheduleRun(
        day=day, fired_at=fired, cutoff=cutoff, finished_at=clock.now(daemon.settings.digest.timezone),
        result=result, detail=detail, closes_edition=result in ("sent", "built"),
    ))


def _deliver(settings: Settings, day: dt.date, now: dt.datetime, digest: Any = None) -> tuple[str, str]:
    """Hand the built digest of ``day`` to delivery; return (result, detail). Never raises.

    Result: ``built`` when sending is off (``[schedule] send = false``), ``sent`` when every
    subscriber has it, or ``failed`` (some did not get it; a later run sends to them only).
    """
    if not settings.schedule.send:
        log.info("delivery not configured ([schedule] send = false): digest for %s built only", day)
        return "built", "delivery not configured"
    try:
        from digest.deliver import send_digest  # lazily: only a daemon that sends needs it

        report = send_digest(settings, day, now=now, digest=digest)
    except Exception as exc:  # noqa: BLE001 - a failed send is logged and recorded; the daemon goes on
        log.error("delivery of the digest for %s failed: %s", day, exc)
        return "failed", str(exc) or type(exc).__name__
    detail = (f"{len(report.sent)} sent, {len(report.already_sent)} already sent, {len(report.failed)} failed"
              + (f"; stopped: {report.stopped}" if report.stopped else ""))
    if not report.ok:
        log.error("delivery of the digest for %s incomplete: %s", day, detail)
        return "failed", detail
    log.info("delivered the digest for %s: %s", day, detail)
    return "sent", detail
