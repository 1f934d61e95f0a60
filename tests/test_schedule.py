"""The scheduler: cron parsing, the job store across restarts, misfires, and the delivery hand-off.

In-process with real parts: APScheduler's BlockingScheduler in a thread, its SQLAlchemyJobStore
in a real state database, a real Daemon building into a temp folder.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
import zoneinfo

import pytest

from digest import schedule
from digest.config import Settings, settings_from_mapping
from digest.daemon import Daemon
from digest.errors import ConfigError
from digest.store import State, state_dir
from digest.store.articles import ArticleStore

TZ = "Asia/Kolkata"  # UTC+05:30: a scheduler running in UTC would be hours off and never fire here


def text(title: str, n: int = 0) -> str:
    return (f"Title: {title}\n\nThe {title.lower()} was agreed on Tuesday after {n + 3} weeks of talks. "
            "Residents will see the first changes next month. The council expects costs to fall.\n")


def fire_time_at(moment: dt.datetime, seconds: int = 1) -> str:
    """A six-field cron expression firing every second for ``seconds`` seconds from ``moment``.

    Across a minute or hour boundary the lists also match a minute or hour later: far outside
    the few seconds a test runs.
    """
    times = [moment + dt.timedelta(seconds=i) for i in range(seconds)]
    field = lambda attr: ",".join(sorted({str(getattr(t, attr)) for t in times}, key=int))  # noqa: E731
    return f"{field('second')} {field('minute')} {field('hour')} * * *"


# -- cron expressions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, start, expected",
    [
        ("0 7 * * *", "2026-11-21 06:00", "2026-11-21 07:00"),        # daily at 07:00
        ("0 7 * * 0", "2026-11-21 06:00", "2026-11-22 07:00"),        # 0 = Sunday, as in crontab
        ("0 7 * * 7", "2026-11-21 06:00", "2026-11-22 07:00"),        # 7 = Sunday too
        ("30 6 * * 1-5", "2026-11-21 06:00", "2026-11-23 06:30"),     # weekdays: Saturday → Monday
        ("0 9 * * 0-2", "2026-11-23 10:00", "2026-11-24 09:00"),      # a range across Sunday
        ("0 9 * * */3", "2026-11-22 10:00", "2026-11-25 09:00"),      # 0,3,6 = Sun, Wed, Sat
        ("0 7 * * sat", "2026-11-21 08:00", "2026-11-28 07:00"),      # names pass through
        ("15 0 7 * * *", "2026-11-21 06:00", "2026-11-21 07:00:15"),  # six fields: seconds first
    ],
)
def test_cron_follows_crontab_weekdays(expr, start, expected):
    # 2026-11-21 is a Saturday.
    tz = zoneinfo.ZoneInfo("UTC")
    trigger = schedule.make_trigger(expr, "UTC")
    fire = trigger.get_next_fire_time(None, dt.datetime.fromisoformat(start).replace(tzinfo=tz))
    assert fire == dt.datetime.fromisoformat(expected).replace(tzinfo=tz)


def test_trigger_uses_the_timezone():
    trigger = schedule.make_trigger("0 7 * * *", TZ)
    fire = trigger.get_next_fire_time(None, dt.datetime(2026, 11, 21, 0, 0, tzinfo=dt.timezone.utc))
    assert fire.astimezone(dt.timezone.utc) == dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("expr", ["0 7 * *", "61 7 * * *", "0 7 * * 8", "0 7 * * 5-2", "every day"])
def test_bad_cron_is_a_config_error_naming_the_key(expr):
    with pytest.raises(ConfigError) as info:
        settings_from_mapping({"schedule": {"cron": expr, "select": "whenever"}, "watch": {"settle_seconds": -1}})
    message = str(info.value)
    assert "schedule.cron: invalid cron expression" in message
    assert "schedule.select: unknown mode 'whenever'" in message and "watch.settle_seconds" in message


def test_upcoming_lists_next_runs_and_none_when_disabled():
    settings = settings_from_mapping({"schedule": {"cron": "0 7 * * *", "timezone": TZ}})
    after = dt.datetime(2026, 11, 21, 8, 0, tzinfo=zoneinfo.ZoneInfo(TZ))
    runs = schedule.upcoming(settings, after, 3)
    assert [r.isoformat() for r in runs] == [
        "2026-11-22T07:00:00+05:30", "2026-11-23T07:00:00+05:30", "2026-11-24T07:00:00+05:30"]
    assert schedule.upcoming(settings.override("schedule", cron=""), after) == []


# -- the job store across restarts -------------------------------------------------------------


@pytest.fixture
def daemon_factory(tmp_path):
    """Make real daemons (state, seeds, out in tmp_path) with a given [schedule]; closes them after."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "ferry.txt").write_text(text("Ferry timetable"), encoding="utf-8")
    opened: list[State] = []

    def make(out: str = "out", **schedule_values) -> Daemon:
        settings = settings_from_mapping({
            "digest": {"timezone": TZ},
            "paths": {"seeds": str(seeds), "out": str(tmp_path / out)},
            "schedule": {"misfire_grace_seconds": 60} | schedule_values,
            "watch": {"settle_seconds": 0.0},
        })
        state = State.for_out_dir(settings.paths.out)
        opened.append(state)
        return Daemon(settings, ArticleStore(state), state.path)

    yield make
    for state in opened:
        state.close()


class Running:
    """A scheduler running in a thread, as ``digest run`` runs it in its main thread."""

    def __init__(self, daemon: Daemon):
        self.daemon = daemon
        schedule.register_daemon(daemon)
        self.scheduler = schedule.build_scheduler(daemon.settings, daemon.db_path, rescan=daemon.notify)
        self.thread = threading.Thread(target=schedule.run_scheduler, args=(self.scheduler,), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 5
        while not self.scheduler.running and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        assert schedule.stop_scheduler(self.scheduler)
        self.thread.join(5)
        assert not self.thread.is_alive()
        schedule.register_daemon(self.daemon, running=False)


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def stored_jobs(daemon: Daemon) -> list[tuple[str, float]]:
    with sqlite3.connect(daemon.db_path) as conn:
        return conn.execute("SELECT id, next_run_time FROM apscheduler_jobs ORDER BY id").fetchall()


def test_scheduled_job_fires_once_across_a_restart(daemon_factory):
    fire = dt.datetime.now(zoneinfo.ZoneInfo(TZ)).replace(microsecond=0) + dt.timedelta(seconds=3)
    first = daemon_factory(cron=fire_time_at(fire))
    Running(first).stop()  # stores the job, then "restarts" before it is due
    assert [job_id for job_id, _ in stored_jobs(first)] == [schedule.SCHEDULED_JOB_ID]

    second = daemon_factory(cron=fire_time_at(fire))
    running = Running(second)
    assert wait_for(lambda: second.store.schedule_runs(), timeout=8), "the scheduled job did not fire"
    time.sleep(0.5)  # a duplicated job would fire at the same second
    running.stop()

    runs = second.store.schedule_runs()
    assert len(runs) == 1
    assert runs[0].result == "built" and runs[0].detail == "delivery not configured"
    assert runs[0].fired_at >= fire
    assert stored_jobs(second) == [(schedule.SCHEDULED_JOB_ID, stored_jobs(second)[0][1])]  # one row, not two
    out = second.settings.paths.out
    assert "Ferry timetable" in (state_dir(out).parent / f"digest-{runs[0].day}.txt").read_text(encoding="utf-8")


def test_a_run_missed_while_stopped_runs_once_on_start(daemon_factory):
    fire = dt.datetime.now(zoneinfo.ZoneInfo(TZ)).replace(microsecond=0) + dt.timedelta(seconds=1)
    first = daemon_factory(cron=fire_time_at(fire))
    Running(first).stop()
    wait_for(lambda: dt.datetime.now(zoneinfo.ZoneInfo(TZ)) > fire + dt.timedelta(seconds=1), timeout=5)

    second = daemon_factory(cron=fire_time_at(fire))  # restarted after 07:00, within the grace time
    running = Running(second)
    assert wait_for(lambda: second.store.schedule_runs(), timeout=5)
    running.stop()
    assert len(second.store.schedule_runs()) == 1
    # and the next run is tomorrow
    next_run = dt.datetime.fromtimestamp(stored_jobs(second)[0][1], dt.timezone.utc)
    assert next_run - fire.astimezone(dt.timezone.utc) == dt.timedelta(days=1)


def test_missed_runs_coalesce_into_one_and_late_ones_past_grace_are_skipped(daemon_factory):
    now = dt.datetime.now(zoneinfo.ZoneInfo(TZ)).replace(microsecond=0)  # runs start 1-2 s from now
    # Three runs (one a second) missed while "asleep" → one run on waking, not three.
    every_second = fire_time_at(now + dt.timedelta(seconds=2), seconds=3)
    Running(daemon_factory(out="coalesce", cron=every_second, misfire_grace_seconds=30)).stop()
    # A run missed by more than the grace time → skipped until the next scheduled time.
    once = fire_time_at(now + dt.timedelta(seconds=2))
    Running(daemon_factory(out="grace", cron=once, misfire_grace_seconds=1)).stop()

    wait_for(lambda: dt.datetime.now(zoneinfo.ZoneInfo(TZ)) > now + dt.timedelta(seconds=5.2), timeout=7)
    woken = daemon_factory(out="coalesce", cron=every_second, misfire_grace_seconds=30)
    late = daemon_factory(out="grace", cron=once, misfire_grace_seconds=1)
    running = [Running(woken), Running(late)]
    assert wait_for(lambda: woken.store.schedule_runs(), timeout=3)
    time.sleep(0.5)
    for r in running:
        r.stop()
    assert len(woken.store.schedule_runs()) == 1
    assert late.store.schedule_runs() == []
    next_run = dt.datetime.fromtimestamp(stored_jobs(late)[0][1], dt.timezone.utc)
    assert next_run > dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=23)


def test_changed_or_removed_schedule_replaces_the_stored_job(daemon_factory):
    Running(daemon_factory(cron="0 7 * * *")).stop()
    changed = daemon_factory(cron="30 18 * * *")
    Running(changed).stop()
    (job_id, timestamp), = stored_jobs(changed)
    next_run = dt.datetime.fromtimestamp(timestamp, zoneinfo.ZoneInfo(TZ))
    assert job_id == schedule.SCHEDULED_JOB_ID and (next_run.hour, next_run.minute) == (18, 30)
    assert schedule.stored_next_run(changed.settings, changed.db_path) == next_run

    disabled = daemon_factory(cron="")
    Running(disabled).stop()
    assert stored_jobs(disabled) == []


# -- the delivery hand-off ---------------------------------------------------------------------


def test_deliver_builds_only_when_sending_is_off(caplog):
    caplog.set_level("INFO", logger="digest")
    result = schedule._deliver(Settings(), dt.date(2026, 11, 21), dt.datetime(2026, 11, 21, 7, tzinfo=dt.timezone.utc))
    assert result == ("built", "delivery not configured")
    assert "delivery not configured" in caplog.text


def test_deliver_sends_the_daemons_digest_once_and_survives_a_dead_server(tmp_path, caplog):
    """The real hand-off: digest.deliver.send_digest through the outbox, then an unreachable SMTP server."""
    from email import policy
    from email.parser import BytesParser

    from digest import subscribers
    from digest.compose import compose
    from digest.models import Article, Sentence, Summary
    from digest.store import State

    out = tmp_path / "out"
    day, now = dt.date(2026, 11, 21), dt.datetime(2026, 11, 21, 7, tzinfo=dt.timezone.utc)
    with State.for_out_dir(out) as state:
        subscribers.add(state, "ana@example.org", name="Ana", now=now)
        subscribers.add(state, "bo@example.org", now=now)
    # The digest the daemon built from its selection: one story that is not in any seeds folder.
    article = Article(path="seeds/selected.txt", title="Only in the daemon's selection",
                      body="The selected story.", date=day, date_source="header")
    digest = compose([(article, Summary("news", (Sentence("The selected story.", 0, 1.0),)))],
                     day=day, generated_at=now)
    settings = settings_from_mapping({
        "paths": {"seeds": str(tmp_path / "seeds"), "out": str(out)},
        "schedule": {"send": True},
    })
    assert schedule._deliver(settings, day, now, digest) == ("sent", "2 sent, 0 already sent, 0 failed")
    assert schedule._deliver(settings, day, now, digest) == ("sent", "0 sent, 2 already sent, 0 failed")
    letters = sorted((out / "outbox" / day.isoformat()).glob("*.eml"))
    assert len(letters) == 2
    for path in letters:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert "Only in the daemon's selection" in message.get_body(("plain",)).get_content()

    dead = settings_from_mapping({
        "paths": {"seeds": str(tmp_path / "seeds"), "out": str(tmp_path / "out2")},
        "schedule": {"send": True},
        "email": {"transport": "smtp"},
        "smtp": {"host": "127.0.0.1", "port": 9, "security": "none", "timeout": 2.0, "retries": 1, "backoff": 0.01},
    })
    with State.for_out_dir(tmp_path / "out2") as state:
        subscribers.add(state, "ana@example.org", now=now)
    result, detail = schedule._deliver(dead, day, now, digest)
    assert result == "failed" and "stopped" in detail
    assert "delivery of the digest for 2026-11-21 incomplete" in caplog.text
