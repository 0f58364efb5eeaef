"""Prometheus metrics: request latency per view, task latency and failures per task, and the
state of the work (hand-offs open and overdue per department, alerts raised) counted by
aggregate queries at scrape time. Served at /metrics (omc.views.metrics), protected by a token
or an address allow-list (docs/operations.md, "Metrics").

Several processes on one host (gunicorn workers, Celery's prefork children) share their
counters when PROMETHEUS_MULTIPROC_DIR names an empty directory (prometheus_client's
multiprocess mode); Celery worker hosts expose theirs on WORKER_METRICS_PORT.
"""

import os
import time

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from orders import selectors
from orders.reporting import reporting

REQUEST_LATENCY = Histogram(
    "omc_request_duration_seconds",
    "Time to answer a web request, per view.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASK_LATENCY = Histogram(
    "omc_task_duration_seconds",
    "Time a Celery task ran, per task and final state.",
    ["task", "state"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120),
)
TASK_FAILURES = Counter("omc_task_failures", "Celery tasks that failed for good, per task.", ["task"])


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unresolved"
        if view != "metrics":
            REQUEST_LATENCY.labels(view, request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response


# --- tasks: connected to Celery's signals in omc/celery.py ----------------------------------

_task_started: dict[str, float] = {}


def task_started(task_id: str) -> None:
    _task_started[task_id] = time.perf_counter()


def task_finished(task_name: str, task_id: str, state: str) -> None:
    started = _task_started.pop(task_id, None)
    if started is not None:
        TASK_LATENCY.labels(task_name, state or "UNKNOWN").observe(time.perf_counter() - started)


def task_failed(task_name: str) -> None:
    TASK_FAILURES.labels(task_name).inc()


# --- the state of the work, counted when Prometheus scrapes ---------------------------------


class WorkStateCollector:
    """Gauges from aggregate queries (read from the replica when there is one)."""

    def collect(self):
        with reporting():
            handoffs = selectors.handoff_counts_by_department()
            alerts = selectors.alert_counts_by_department()
            stuck = selectors.stuck_work_counts()
        open_gauge = GaugeMetricFamily(
            "omc_handoffs_open", "Open hand-offs per receiving department.", labels=["department"]
        )
        overdue_gauge = GaugeMetricFamily(
            "omc_handoffs_overdue", "Open hand-offs past their due time, per department.", labels=["department"]
        )
        for row in handoffs:
            open_gauge.add_metric([row["department"]], row["open"])
            overdue_gauge.add_metric([row["department"]], row["overdue"])
        raised = GaugeMetricFamily(
            "omc_alerts_raised", "Alerts ever raised, per department and level.", labels=["department", "level"]
        )
        unresolved = GaugeMetricFamily(
            "omc_alerts_open", "Alerts not yet resolved, per department and level.", labels=["department", "level"]
        )
        for row in alerts:
            raised.add_metric([row["department"], row["level"]], row["raised"])
            unresolved.add_metric([row["department"], row["level"]], row["open"])
        outbox = GaugeMetricFamily("omc_outbox_undelivered", "Outbox messages not yet processed.")
        outbox.add_metric([], stuck["outbox_undelivered"])
        failed = GaugeMetricFamily(
            "omc_task_failures_unretried", "Failed tasks waiting on the stuck-work page, per task.", labels=["task"]
        )
        for task_name, count in stuck["failures_by_task"].items():
            failed.add_metric([task_name], count)
        yield from (open_gauge, overdue_gauge, raised, unresolved, outbox, failed)


def process_registry() -> CollectorRegistry:
    """This process's counters, or every process's on this host in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_text() -> bytes:
    state = CollectorRegistry()
    state.register(WorkStateCollector())
    return generate_latest(process_registry()) + generate_latest(state)
