"""Due dates in business days: weekends, national holidays and configured ones excluded."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings


@lru_cache(maxsize=32)
def _national(country: str, year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year).keys())


def _configured() -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(value) for value in settings.AYNI_HOLIDAYS)


def is_business_day(day: dt.date) -> bool:
    if day.weekday() >= 5:
        return False
    return day not in _national(settings.AYNI_HOLIDAY_COUNTRY, day.year) and day not in _configured()


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` business days after ``start`` (the start day itself does not count)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def business_days_for(kind: str) -> int:
    return int(settings.AYNI_COMPLAINT_BUSINESS_DAYS.get(kind, settings.AYNI_COMPLAINT_BUSINESS_DAYS_DEFAULT))
