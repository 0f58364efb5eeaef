"""Planning periods are calendar months, stored as the month's first day; capacity is per ISO week."""

import re
from datetime import date, timedelta

from django.utils import timezone

# The grid and the consensus show this many months, from next month on.
PLANNING_MONTHS = 12
# Forecasts and consensus may be entered this far ahead (the API and CSV import reach past the grid).
EDITABLE_MONTHS = 24

_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def today() -> date:
    return timezone.localdate()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_add(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_parse(text: str) -> date | None:
    """'2026-03' -> date(2026, 3, 1); None when it is not a month."""
    match = _MONTH_RE.match(text or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        return None
    return date(year, month, 1)


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def months_ahead(*, first: date, count: int = PLANNING_MONTHS) -> list[date]:
    return [month_add(first, offset) for offset in range(count)]


def first_open_month(*, on: date | None = None) -> date:
    return month_add(month_start(on or today()), 1)


def month_editable(month: date, *, on: date | None = None) -> bool:
    """A month is open until it begins. Freezing it then means forecast accuracy measures what
    each source said before the month started, not what it corrected once orders came in."""
    first = first_open_month(on=on)
    return first <= month < month_add(first, EDITABLE_MONTHS)


def month_days(month: date) -> list[date]:
    end = month_add(month, 1)
    return [month + timedelta(days=offset) for offset in range((end - month).days)]


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


_WEEK_RE = re.compile(r"^\s*(\d{4})-W(\d{1,2})\s*$")


def week_parse(text: str) -> date | None:
    """'2026-W10' -> the Monday of that ISO week; None when it is not a week."""
    match = _WEEK_RE.match(text or "")
    if not match:
        return None
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None
