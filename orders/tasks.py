"""Celery tasks: take ids, call one service. Every one is safe to run twice."""

from celery import shared_task

from . import services


@shared_task(
    name="orders.tasks.outbox_deliver",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def outbox_deliver(message_ids: list[int] | int) -> int | bool:
    """Apply a batch of outbox messages of one topic: how many this run applied. A single id
    (tasks queued before batching, a failed task run again): False when it was already applied."""
    if isinstance(message_ids, int):
        return services.outbox_process(message_id=message_ids)
    return services.outbox_process_many(message_ids=message_ids)


@shared_task(name="orders.tasks.outbox_relay")
def outbox_relay() -> int:
    return services.outbox_relay()


@shared_task(name="orders.tasks.handoffs_scan_overdue")
def handoffs_scan_overdue() -> dict:
    raised = services.handoffs_scan_overdue()
    raised["emailed"] = services.alerts_send_pending()
    return raised


@shared_task(name="orders.tasks.idempotency_records_expire")
def idempotency_records_expire() -> int:
    return services.idempotency_records_expire()


@shared_task(name="orders.tasks.kpi_days_refresh")
def kpi_days_refresh(days: int | None = None, full: bool = False) -> int:
    """The dashboard's daily rollups: the last `days` days (default OMC_KPI_ROLLUP_DAYS; the waits'
    histograms the last OMC_KPI_WAIT_ROLLUP_DAYS), or all."""
    if full:
        return services.kpi_days_refresh()
    return services.kpi_days_refresh(
        since=services.kpi_days_recent_since(days), waits_since=services.kpi_days_recent_waits_since()
    )
