from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="billing.tasks.invoice_send", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def invoice_send(invoice_id: int) -> bool:
    return services.invoice_send(invoice_id=invoice_id)


@shared_task(name="billing.tasks.invoices_build_consolidated")
def invoices_build_consolidated() -> int:
    """Last month's consolidated invoices (beat runs it daily; a rerun finds what it made)."""
    first_of_this_month = timezone.localdate().replace(day=1)
    period_end = first_of_this_month - timedelta(days=1)
    made = services.invoices_build_consolidated(period_start=period_end.replace(day=1), period_end=period_end)
    return len(made)


@shared_task(name="billing.tasks.invoices_send_reminders")
def invoices_send_reminders() -> int:
    return services.invoices_send_reminders()
