"""The capacity arithmetic shared by moves, the auto-scheduler and the expedite cost.

Pure Python on numbers loaded by selectors: no queries here, so one set of rules serves the
writes (services) and the what-if reads (selectors.expedite_cost).

A work center's capacity on a day is its weekly pattern (hours_per_day on the first
days_per_week weekdays, Monday first) changed by that day's calendar exceptions: a holiday
removes the normal hours, a shift replaces them, extra hours are added and downtime removed.
A job is booked greedily: from its start day, each day gives what it has free until the
job's hours are covered; no day ever gets more than its capacity.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
MAX_DAY_HOURS = Decimal("24")


def job_hours(*, setup_hours: Decimal, hours_per_unit: Decimal, quantity: Decimal) -> Decimal:
    """setup + per unit × quantity, rounded up to the hundredth (never book less than needed)."""
    hours = (setup_hours + hours_per_unit * quantity).quantize(CENT, rounding=ROUND_UP)
    return max(hours, CENT)


def day_capacity(*, hours_per_day: Decimal, days_per_week: int, day: date, exceptions: dict) -> Decimal:
    """`exceptions` maps a CapacityException kind to its hours for this work center and day."""
    base = hours_per_day if day.weekday() < days_per_week else ZERO
    if "holiday" in exceptions:
        base = ZERO
    if "shift" in exceptions:
        base = exceptions["shift"]
    hours = base + exceptions.get("extra", ZERO) - exceptions.get("downtime", ZERO)
    return min(max(hours, ZERO), MAX_DAY_HOURS)


def fmt_hours(hours: Decimal) -> str:
    """8.00 -> "8", 2.50 -> "2.5", 10 -> "10" (never "1E+1")."""
    return format(hours.normalize(), "f")


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


Booking = list[tuple[date, Decimal]]


@dataclass
class Capacity:
    """Capacity and booked load per (work center id, day) over [first, last]."""

    first: date
    last: date
    capacity: dict
    load: dict

    def cap(self, wc_id: int, day: date) -> Decimal:
        return self.capacity.get((wc_id, day), ZERO)

    def booked(self, wc_id: int, day: date) -> Decimal:
        return self.load.get((wc_id, day), ZERO)

    def free(self, wc_id: int, day: date) -> Decimal:
        return max(self.cap(wc_id, day) - self.booked(wc_id, day), ZERO)

    def plan(self, *, wc_id: int, hours: Decimal, start: date, until: date | None = None) -> tuple[Booking, Decimal]:
        """What booking `hours` from `start` would give, without taking it: the (day, hours)
        pieces and what is left over when the window (or `until`) ends."""
        remaining, pieces = hours, []
        day, last = max(start, self.first), min(until or self.last, self.last)
        while remaining > 0 and day <= last:
            free = self.free(wc_id, day)
            if free > 0:
                take = min(free, remaining)
                pieces.append((day, take))
                remaining -= take
            day += timedelta(days=1)
        return pieces, remaining

    def book(self, *, wc_id: int, hours: Decimal, start: date) -> Booking | None:
        """Take `hours` from `start` on; None (and nothing taken) when the window cannot hold them."""
        pieces, left = self.plan(wc_id=wc_id, hours=hours, start=start)
        if left > 0:
            return None
        self.take(wc_id=wc_id, pieces=pieces)
        return pieces

    def fits(self, *, wc_id: int, pieces: Iterable[tuple[date, Decimal]]) -> bool:
        return all(day >= self.first and hours <= self.free(wc_id, day) for day, hours in pieces)

    def take(self, *, wc_id: int, pieces: Iterable[tuple[date, Decimal]]) -> None:
        for day, hours in pieces:
            self.load[(wc_id, day)] = self.booked(wc_id, day) + hours

    def give_back(self, *, wc_id: int, pieces: Iterable[tuple[date, Decimal]]) -> None:
        for day, hours in pieces:
            self.load[(wc_id, day)] = self.booked(wc_id, day) - hours

    def add_capacity(self, *, wc_id: int, day: date, hours: Decimal) -> None:
        self.capacity[(wc_id, day)] = self.cap(wc_id, day) + hours
