from celery import shared_task

from . import services


@shared_task(name="portal.tasks.notification_send", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notification_send(notification_id: int) -> bool:
    return services.notification_send(notification_id=notification_id)


@shared_task(name="portal.tasks.notifications_send_pending")
def notifications_send_pending() -> int:
    return services.notifications_send_pending()
