"""The dashboard's daily wait histograms (`KpiWaitDay`): the hour buckets, their rebuild, and
the percentiles read off them.

An interval is an order's stay in a status (an `OrderEvent` to the next one: `created_at` →
`ended_at`, counted for the step of the status) or an order-flow hand-off (`opened_at` →
`closed_at`, counted for its sending → receiving departments). Each is counted on the day it
ended (project time zone), so a period's histogram is the sum of its days' rows: exactly the
intervals that ended in the period.

Buckets of hours: 0.25 h wide below 5 h (buckets 0–19), then each 5 % wider than the one
before (bucket b ≥ 20 holds [5 × 1.05^(b−20), 5 × 1.05^(b−19)) h), up to the open-ended
bucket LAST (beyond 40 years). Each row keeps the bucket's count and Σ hours, so the count and
the mean of a period are exact. A percentile is interpolated between the values of the two
ranks around it, as PostgreSQL's percentile_cont does; the bucket of each rank is known
exactly, and within it the bucket's values are taken as spread evenly around the bucket's
mean, inside its edges (a bucket of one interval gives that interval's exact value). So a
median or 90th percentile is within one bucket's width of the exact one: at most 0.25 h
below 5 h, at most 5 % of the value above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import Handoff
from .states import STATUS_STEP

LINEAR_WIDTH = 0.25
LINEAR_BUCKETS = 20
LINEAR_TOP = LINEAR_WIDTH * LINEAR_BUCKETS  # 5 h
RATIO = 1.05
LAST = 250
# Which of (site, tier) a row is summed over, as PostgreSQL's GROUPING(site_id, tier) numbers it.
BY_SITE_AND_TIER, BY_SITE, BY_TIER, ALL = 0, 1, 2, 3


def grouping(*, site: bool, tier: bool) -> int:
    """The rows a view with (or without) a site and a tier filter reads."""
    return {(True, True): BY_SITE_AND_TIER, (True, False): BY_SITE, (False, True): BY_TIER}.get((site, tier), ALL)


def bucket_sql(hours: str) -> str:
    """The bucket of `hours` (an SQL expression), as bucket_of computes it."""
    return (
        f"(CASE WHEN {hours} < {LINEAR_TOP} THEN GREATEST(FLOOR({hours} / {LINEAR_WIDTH}), 0) "
        f"ELSE LEAST({LINEAR_BUCKETS} + FLOOR(LN({hours} / {LINEAR_TOP}) / LN({RATIO})), {LAST}) END)::int"
    )


def bucket_of(hours: float) -> int:
    if hours < LINEAR_TOP:
        return max(math.floor(hours / LINEAR_WIDTH), 0)
    return min(LINEAR_BUCKETS + math.floor(math.log(hours / LINEAR_TOP) / math.log(RATIO)), LAST)


def edges(bucket: int) -> tuple[float, float]:
    """[low, high) hours of a bucket (high is infinite for the last one)."""
    if bucket < LINEAR_BUCKETS:
        return bucket * LINEAR_WIDTH, (bucket + 1) * LINEAR_WIDTH
    low = LINEAR_TOP * RATIO ** (bucket - LINEAR_BUCKETS)
    return low, math.inf if bucket >= LAST else low * RATIO


@dataclass
class Histogram:
    """One step's (or hand-off pair's) buckets over a period: {bucket: [count, Σ hours]}."""

    buckets: dict[int, list] = field(default_factory=dict)

    def add(self, bucket: int, n: int, hours: float) -> None:
        total = self.buckets.setdefault(bucket, [0, 0.0])
        total[0] += n
        total[1] += hours

    @property
    def count(self) -> int:
        return sum(n for n, _ in self.buckets.values())

    @property
    def mean(self) -> float | None:
        n = self.count
        return sum(hours for _, hours in self.buckets.values()) / n if n else None

    def percentile(self, p: float) -> float | None:
        """percentile_cont(p) estimated from the buckets (see the module's docstring)."""
        n = self.count
        if not n:
            return None
        position = p * (n - 1)
        below = math.floor(position)
        value = self._value(below)
        if position == below:
            return value
        return value + (position - below) * (self._value(below + 1) - value)

    def _value(self, rank: int) -> float:
        """The estimated value of the rank-th smallest interval (0-based)."""
        seen = 0
        for bucket in sorted(self.buckets):
            n, hours = self.buckets[bucket]
            if rank < seen + n:
                mean = hours / n
                if n == 1:
                    return mean
                low, high = edges(bucket)
                half = max(0.0, min(mean - low, high - mean))
                return mean + half * ((2 * (rank - seen) + 1) / n - 1)
            seen += n
        raise IndexError(rank)


def step_sql(column: str) -> str:
    """The step of the status in `column` (NULL for a status that belongs to none)."""
    whens = " ".join(f"WHEN '{status.value}' THEN '{step.value}'" for status, step in STATUS_STEP.items())
    return f"CASE {column} {whens} END"


def hours_sql(later: str, earlier: str) -> str:
    # date_part gives a double (EXTRACT a numeric, several times slower to sum and sort).
    return f"date_part('epoch', {later} - {earlier}) / 3600.0"


def intervals_sql(*, until: bool = False) -> str:
    """Every interval that ended from %s on (and before a second %s with `until`), with the
    order's site and customer tier: (order_id, ended_at, site_id, tier, kind, key, hours).
    Parameters: since, [until,] hand-off kind, since, [until]. PostgreSQL."""
    before = " AND {0} < %s" if until else ""
    return (
        f"SELECT e.order_id, e.ended_at, o.site_id, c.tier, 'step' AS kind, {step_sql('e.to_status')} AS key, "
        f"{hours_sql('e.ended_at', 'e.created_at')} AS hours "
        "FROM orders_orderevent e JOIN orders_order o ON o.id = e.order_id "
        "JOIN orders_customer c ON c.id = o.customer_id "
        f"WHERE e.ended_at IS NOT NULL AND e.ended_at >= %s{before.format('e.ended_at')} "
        "UNION ALL "
        "SELECT h.order_id, h.closed_at, o.site_id, c.tier, 'handoff', h.from_department || '>' || h.to_department, "
        f"{hours_sql('h.closed_at', 'h.opened_at')} "
        "FROM orders_handoff h JOIN orders_order o ON o.id = h.order_id "
        "JOIN orders_customer c ON c.id = o.customer_id "
        f"WHERE h.kind = %s AND h.closed_at IS NOT NULL AND h.closed_at >= %s{before.format('h.closed_at')}"
    )


EPOCH = datetime(1900, 1, 1, tzinfo=timezone.UTC)


def refresh(since: date | None) -> int:
    """Rebuild the KpiWaitDay rows of every day from `since` on (None: all of them) in one DELETE
    and one INSERT ... SELECT (see services.kpi_days_refresh). PostgreSQL only."""
    tz = settings.TIME_ZONE.replace("'", "")
    since_at = EPOCH if since is None else timezone.make_aware(datetime.combine(since, time.min))
    keys = "day, kind, key, bucket"
    sql = (
        "INSERT INTO orders_kpiwaitday (grouping, day, site_id, tier, kind, key, bucket, n, hours) "
        "SELECT GROUPING(site_id, tier), day, site_id, COALESCE(tier, ''), kind, key, bucket, COUNT(*), SUM(hours) "
        f"FROM (SELECT (ended_at AT TIME ZONE '{tz}')::date AS day, site_id, tier, kind, key, "
        f"{bucket_sql('hours')} AS bucket, hours FROM ({intervals_sql()}) AS i WHERE key IS NOT NULL) AS b "
        f"GROUP BY GROUPING SETS (({keys}, site_id, tier), ({keys}, site_id), ({keys}, tier), ({keys}))"
    )
    with connection.cursor() as cursor:
        # One rebuild at a time (the beat's and a backfill's); readers keep their snapshot.
        cursor.execute("LOCK TABLE orders_kpiwaitday IN SHARE ROW EXCLUSIVE MODE")
        if since is None:
            cursor.execute("DELETE FROM orders_kpiwaitday")
        else:
            cursor.execute("DELETE FROM orders_kpiwaitday WHERE day >= %s", [since])
        cursor.execute(sql, [since_at, Handoff.ORDER_FLOW, since_at])
        return cursor.rowcount
