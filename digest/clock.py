"""The one place that reads the clock; everything else takes ``now``/``day`` as arguments."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo


def now(timezone: str = "UTC") -> dt.datetime:
    """The current time in ``timezone`` (an aware datetime)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(timezone))


def today(timezone: str = "UTC") -> dt.date:
    """Today's date in ``timezone``."""
    return now(timezone).date()


def monotonic() -> float:
    """Seconds on a clock that never jumps (for waits and settle periods), not a time of day."""
    return time.monotonic()
