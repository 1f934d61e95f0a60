"""The one place that reads the clock; everything else takes ``now``/``day`` as arguments."""

from __future__ import annotations

import datetime as dt
import zoneinfo


def now(timezone: str = "UTC") -> dt.datetime:
    """The current time in ``timezone`` (an aware datetime)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(timezone))


def today(timezone: str = "UTC") -> dt.date:
    """Today's date in ``timezone``."""
    return now(timezone).date()
